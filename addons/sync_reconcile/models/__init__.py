from . import sync_backend
from . import sync_exception
from . import sync_reconcile_run
from . import sync_reconcile_run_report
from . import sync_reconcile_line
from . import sync_reconcile_figure
from . import sync_reconcile_demo
