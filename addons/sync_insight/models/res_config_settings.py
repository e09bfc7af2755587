# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sync_insight_anomaly_weeks = fields.Integer(
        string="Weeks of baseline",
        config_parameter="sync_insight.anomaly_weeks",
        default=8,
        help="A person's usual week is the median of at most this many previous weeks.",
    )
    sync_insight_anomaly_threshold = fields.Float(
        string="Flag beyond (robust deviations)",
        config_parameter="sync_insight.anomaly_threshold",
        default=3.5,
        help="A week is flagged when it is further from the median than this many times the "
        "median absolute deviation (x 1.4826, at least the minimum deviation).",
    )
    sync_insight_anomaly_floor_hours = fields.Float(
        string="Minimum deviation (hours)",
        config_parameter="sync_insight.anomaly_floor_hours",
        default=2.0,
        help="A very regular person (deviation near zero) is not flagged for an hour more.",
    )
    sync_insight_anomaly_burn_weeks_left = fields.Float(
        string="Backlog left below (weeks)",
        config_parameter="sync_insight.anomaly_burn_weeks_left",
        default=2.0,
        help="A project is flagged when its remaining backlog lasts fewer weeks than this at "
        "the pace of the week (or its week is far above its median week).",
    )
    sync_insight_anomaly_wip_days = fields.Integer(
        string="Billing rule (days)",
        config_parameter="sync_insight.anomaly_wip_days",
        default=60,
        help="Approved billable time not invoiced after this many days is flagged.",
    )
    sync_insight_anomaly_pay_floor_days = fields.Float(
        string="Minimum payment delay deviation (days)",
        config_parameter="sync_insight.anomaly_pay_floor_days",
        default=5.0,
        help="A customer's recent days to pay are compared with the median of their previous "
        "invoices; a regular payer is not flagged for fewer days late than this.",
    )
    sync_insight_anomaly_fail_floor_pct = fields.Float(
        string="Minimum failure rate deviation (%)",
        config_parameter="sync_insight.anomaly_fail_floor_pct",
        default=5.0,
        help="A backend's share of failed jobs of a day against its previous days.",
    )
    sync_insight_digest_group_id = fields.Many2one(
        "res.groups",
        string="Weekly digest to",
        config_parameter="sync_insight.digest_group_id",
        help="The members of this group receive the weekly delivery digest; empty: no digest.",
    )
