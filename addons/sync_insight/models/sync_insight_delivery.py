# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from . import sql


class SyncInsightDelivery(models.Model):
    """Per company, project, customer, sales team and month, in the company currency:
    contracted, delivered (time at the order line price + re-invoiced expenses at their sale
    price), invoiced, collected, WIP of time by age and of expenses, backlog (contracted -
    delivered time), cost, margin and margin %."""

    _name = "sync.insight.delivery"
    _inherit = "sync.insight.view"
    _description = "Delivery Figures"
    _auto = False
    _summary = "delivery"
    _order = "month desc, project_id"
    _summary_sql = staticmethod(sql.delivery)
    _ratios = {"margin_pct": ("margin", "delivered")}

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    project_id = fields.Many2one("project.project", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales team", readonly=True)
    month = fields.Date(readonly=True)
    contracted = fields.Monetary(readonly=True, aggregator="sum")
    delivered_time = fields.Monetary(string="Delivered (time)", readonly=True, aggregator="sum")
    delivered_expense = fields.Monetary(
        string="Delivered (expenses)", readonly=True, aggregator="sum"
    )
    delivered = fields.Monetary(readonly=True, aggregator="sum")
    invoiced = fields.Monetary(readonly=True, aggregator="sum")
    invoiced_time = fields.Monetary(string="Invoiced (time)", readonly=True, aggregator="sum")
    collected = fields.Monetary(
        readonly=True,
        aggregator="sum",
        help="Untaxed share of the payments matched to the invoices, in the month of the match.",
    )
    wip = fields.Monetary(string="WIP (time)", readonly=True, aggregator="sum")
    wip_0_30 = fields.Monetary(string="WIP 0-30 days", readonly=True, aggregator="sum")
    wip_31_60 = fields.Monetary(string="WIP 31-60 days", readonly=True, aggregator="sum")
    wip_61_90 = fields.Monetary(string="WIP 61-90 days", readonly=True, aggregator="sum")
    wip_90_plus = fields.Monetary(string="WIP 90+ days", readonly=True, aggregator="sum")
    wip_expense = fields.Monetary(
        string="WIP (expenses)",
        readonly=True,
        aggregator="sum",
        help="Approved re-invoiced expenses at their sale price, not invoiced yet.",
    )
    wip_total = fields.Monetary(string="WIP", readonly=True, aggregator="sum")
    backlog = fields.Monetary(readonly=True, aggregator="sum")
    cost = fields.Monetary(readonly=True, aggregator="sum")
    margin = fields.Monetary(readonly=True, aggregator="sum")
    margin_pct = fields.Float(string="Margin %", readonly=True, aggregator="sum")
    hours = fields.Float(string="Approved hours", readonly=True, aggregator="sum")
    billable_hours = fields.Float(readonly=True, aggregator="sum")

    def action_open_timesheets(self):
        """The approved timesheets of the row's project and month (delivered, cost, WIP)."""
        return self._action_records(
            "account.analytic.line",
            self.env._("Timesheets of %s", self.project_id.display_name),
            [
                ("project_id", "=", self.project_id.id),
                "|",
                ("psa_backend_id", "=", False),
                ("psa_approved", "=", True),
                ("holiday_id", "=", False),
                ("global_leave_id", "=", False),
                *self._month_domain(),
            ],
        )

    def action_open_orders(self):
        """The confirmed sale orders of the row's customer and project (contracted)."""
        domain = [("state", "=", "sale"), ("partner_id", "=", self.partner_id.id)]
        if self.project_id:
            domain += [
                "|",
                ("project_id", "=", self.project_id.id),
                ("order_line.project_id", "=", self.project_id.id),
            ]
        return self._action_records("sale.order", self.env._("Orders"), domain)

    def action_open_expenses(self):
        """The approved re-invoiced expenses of the row's project and month."""
        return self._action_records(
            "hr.expense",
            self.env._("Expenses of %s", self.project_id.display_name),
            [
                ("sale_order_id.project_id", "=", self.project_id.id),
                ("state", "in", ("approved", "posted", "in_payment", "paid")),
                *self._month_domain(),
            ],
        )

    def action_open_invoices(self):
        """The posted customer invoices of the row's customer (invoiced, collected)."""
        domain = [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("partner_id", "child_of", self.partner_id.commercial_partner_id.id),
        ]
        return self._action_records("account.move", self.env._("Invoices"), domain)
