from . import test_retry
from . import test_jobs
from . import test_webhook
from . import test_pull
from . import test_mapping
from . import test_exception
from . import test_security
from . import test_dashboard
