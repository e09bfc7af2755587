from . import sync_backend
from . import sync_watermark
from . import sync_backend_pull
from . import sync_backend_sale
from . import sync_backend_setup
