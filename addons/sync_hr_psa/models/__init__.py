from . import sync_hr
