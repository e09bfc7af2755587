from . import account_analytic_line
from . import hr_expense
from . import project_project
from . import sync_backend
from . import sync_psa
