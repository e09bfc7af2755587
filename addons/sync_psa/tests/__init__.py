from . import test_install
from . import test_psa_layer
from . import test_config_promotion
