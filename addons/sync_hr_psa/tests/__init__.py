from . import test_time_off
from . import test_termination
