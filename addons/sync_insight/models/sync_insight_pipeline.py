# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from . import sql


class SyncInsightPipeline(models.Model):
    """Open opportunities by stage and expected close month, weighted by probability, next
    to the backlog of confirmed orders (kind = backlog, weighted = backlog): the runway."""

    _name = "sync.insight.pipeline"
    _inherit = "sync.insight.view"
    _description = "Pipeline and Backlog"
    _auto = False
    _view_on = "sync_insight_delivery"
    _order = "month, kind"
    _view_sql = sql.PIPELINE

    kind = fields.Selection(
        [("pipeline", "Open opportunities"), ("backlog", "Backlog")], readonly=True
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_id = fields.Many2one("crm.stage", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    month = fields.Date(string="Expected month", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True, aggregator="sum")
    amount = fields.Monetary(readonly=True, aggregator="sum")
    weighted = fields.Monetary(readonly=True, aggregator="sum")

    def action_open_opportunities(self):
        """The open opportunities behind the row."""
        domain = [("type", "=", "opportunity"), ("won_status", "=", "pending")]
        domain += [("stage_id", "=", self.stage_id.id), ("partner_id", "=", self.partner_id.id)]
        if self.month:
            domain += self._month_domain("date_deadline")
        return self._action_records("crm.lead", self.env._("Opportunities"), domain)
