from . import test_fake
from . import test_employees
from . import test_compensation
from . import test_leave
from . import test_webhook
from . import test_demo
from . import test_privacy
from . import test_oauth
