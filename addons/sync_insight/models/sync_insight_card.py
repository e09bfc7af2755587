# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import format_amount

from . import sql

CARDS = [
    ("utilization", "Utilization (last month)"),
    ("wip", "WIP (time and expenses)"),
    ("backlog", "Backlog"),
    ("margin", "Margin % (last 12 months)"),
    ("pipeline", "Weighted pipeline"),
    ("anomalies", "Open anomalies"),
]
ACTIONS = {
    "utilization": "sync_insight.sync_insight_utilization_action",
    "wip": "sync_insight.sync_insight_delivery_action",
    "backlog": "sync_insight.sync_insight_delivery_action",
    "margin": "sync_insight.sync_insight_delivery_action",
    "pipeline": "sync_insight.sync_insight_pipeline_action",
    "anomalies": "sync_insight.sync_insight_anomaly_action",
}


class SyncInsightCard(models.Model):
    """The Delivery dashboard: one card per company and figure, read from the figures as
    last refreshed (and the anomalies with an open activity); a card opens its figure."""

    _name = "sync.insight.card"
    _inherit = "sync.insight.view"
    _description = "Delivery Dashboard Card"
    _auto = False
    _view_on = ("sync_insight_delivery", "sync_insight_utilization", "sync_insight_anomaly")
    _order = "company_id, sequence"
    _view_sql = sql.CARDS

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    card = fields.Selection(CARDS, readonly=True)
    sequence = fields.Integer(readonly=True)
    value = fields.Float(readonly=True, aggregator="sum")
    has_value = fields.Boolean(readonly=True, help="False: no figure for the period yet.")
    figure = fields.Char(compute="_compute_figure")

    @api.depends("card", "value", "has_value")
    def _compute_figure(self):
        for card in self:
            if not card.has_value:
                card.figure = "-"
            elif card.card in ("utilization", "margin"):
                card.figure = f"{card.value:.1f} %"
            elif card.card == "anomalies":
                card.figure = str(int(card.value or 0))
            else:
                card.figure = format_amount(self.env, card.value or 0.0, card.currency_id)

    def action_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(ACTIONS[self.card])
        action["domain"] = [("company_id", "=", self.company_id.id)]
        if self.card == "anomalies":
            action["context"] = {"search_default_open": 1}
        return action
