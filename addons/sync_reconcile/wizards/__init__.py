from . import sync_reconcile_wizard
