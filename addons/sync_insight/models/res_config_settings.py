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
    sync_insight_digest_group_id = fields.Many2one(
        "res.groups",
        string="Weekly digest to",
        config_parameter="sync_insight.digest_group_id",
        help="The members of this group receive the weekly delivery digest; empty: no digest.",
    )
