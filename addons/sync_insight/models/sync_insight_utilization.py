# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from . import sql


class SyncInsightUtilization(models.Model):
    """Per employee and month: approved billable hours / capacity (calendar hours of the
    month minus validated leave), non-billable and total approved hours."""

    _name = "sync.insight.utilization"
    _inherit = "sync.insight.view"
    _description = "Utilization"
    _auto = False
    _summary = "utilization"
    _order = "month desc, employee_id"
    _summary_sql = staticmethod(sql.utilization)
    _ratios = {"utilization": ("billable_hours", "capacity_hours")}

    employee_id = fields.Many2one("hr.employee", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department_id = fields.Many2one("hr.department", string="Team", readonly=True)
    month = fields.Date(readonly=True)
    calendar_hours = fields.Float(readonly=True, aggregator="sum")
    leave_hours = fields.Float(string="Leave hours", readonly=True, aggregator="sum")
    capacity_hours = fields.Float(string="Capacity", readonly=True, aggregator="sum")
    billable_hours = fields.Float(readonly=True, aggregator="sum")
    non_billable_hours = fields.Float(readonly=True, aggregator="sum")
    total_hours = fields.Float(readonly=True, aggregator="sum")
    utilization = fields.Float(string="Utilization %", readonly=True, aggregator="sum")

    def action_open_timesheets(self):
        """The approved timesheets behind the row."""
        return self._action_records(
            "account.analytic.line",
            self.env._("Timesheets of %s", self.employee_id.name),
            [
                ("employee_id", "=", self.employee_id.id),
                ("project_id", "!=", False),
                "|",
                ("psa_backend_id", "=", False),
                ("psa_approved", "=", True),
                ("holiday_id", "=", False),
                ("global_leave_id", "=", False),
                *self._month_domain(),
            ],
        )
