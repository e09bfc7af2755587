from . import sync_hr_cost_rate
from . import sync_hr_leave_type
from . import hr_employee
from . import account_analytic_line
from . import hr_backend
from . import sync_hr
from . import sync_hr_employees
from . import sync_hr_leave
