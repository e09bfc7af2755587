from . import sync_backend
from . import sync_backend_sale
from . import sync_backend_setup
from . import sync_backend_webhook
from . import sync_job
