# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    def _hourly_cost(self):
        """The cost rate in force on the timesheet's date (HR platform's history), else the
        employee's hourly cost as Odoo keeps it."""
        rate = self.env["sync.hr.cost.rate"].sudo()._rate_on(self.employee_id, self.date)
        return super()._hourly_cost() if rate is None else rate
