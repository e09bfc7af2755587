from . import test_jira
from . import test_demo
from . import test_reconcile
from . import test_storm
from . import test_webhook
from . import test_oauth
