from . import test_figures
from . import test_tie_out
from . import test_anomalies
from . import test_digest
from . import test_tour
from . import test_demo
