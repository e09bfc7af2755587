from . import test_dynamics
from . import test_webhook
from . import test_demo
from . import test_fuzz
from . import test_tours
