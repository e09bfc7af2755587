from . import test_install
from . import test_pull
from . import test_auth
from . import test_outbound
from . import test_adapter
from . import test_demo
from . import test_fake
from . import test_opportunities
