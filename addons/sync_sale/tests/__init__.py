from . import test_deal
from . import test_workflow
from . import test_security
from . import test_affected
from . import test_config_promotion
