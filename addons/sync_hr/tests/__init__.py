from . import test_hr_rules
from . import test_costing
