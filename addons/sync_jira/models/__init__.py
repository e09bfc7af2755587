from . import sync_backend
from . import sync_psa
