# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Employees from the HR platform: cost fields for HR managers only, the cost rate history,
and the manager still to arrive."""

from odoo import fields, models

HR_MANAGER = "hr.group_hr_manager"


class HrEmployee(models.Model):
    _inherit = "hr.employee"
    # payroll-adjacent: masked by sync_core in audit rows, events, job payloads and exceptions
    _sync_sensitive_fields = ("hourly_cost",)

    # Odoo shows the hourly cost to every HR officer; payroll-adjacent values are for HR
    # managers only (the timesheet costing reads it as superuser)
    hourly_cost = fields.Monetary(groups=HR_MANAGER)
    sync_hr_cost_rate_ids = fields.One2many(
        "sync.hr.cost.rate",
        "employee_id",
        string="Cost rates",
        groups=HR_MANAGER,
        help="Effective-dated hourly cost from the HR platform; a timesheet is costed at the "
        "rate in force on its date.",
    )
    sync_hr_manager_ref = fields.Char(
        string="Manager in the HR platform",
        copy=False,
        groups="hr.group_hr_user",
        help="The HR platform's id of this employee's manager while that manager has no Odoo "
        "employee yet; set as the manager when it arrives.",
    )
