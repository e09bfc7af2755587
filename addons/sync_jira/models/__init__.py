from . import sync_backend
from . import sync_psa
from . import sync_backend_webhook
