from . import test_fake
from . import test_pull
from . import test_webhook
from . import test_adapter
from . import test_deals
from . import test_mapping
from . import test_demo
from . import test_rate_limit
