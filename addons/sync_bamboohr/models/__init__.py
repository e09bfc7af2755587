from . import sync_backend
