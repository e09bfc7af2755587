from . import test_install
from . import test_time
from . import test_expenses
from . import test_projects
from . import test_events
from . import test_adapter
from . import test_milestones
from . import test_demo
