from . import test_install
from . import test_reconcile
from . import test_report
from . import test_drift
from . import test_rules
from . import test_nothing_compared
from . import test_tours
from . import test_demo
