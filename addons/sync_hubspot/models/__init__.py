from . import sync_backend
from . import account_move
from . import account_partial_reconcile
from . import account_payment
from . import sync_job
