from . import test_dynamics
from . import test_webhook
from . import test_demo
