# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncWatermark(models.Model):
    _inherit = "sync.watermark"

    dynamics_delta_link = fields.Char(
        "Delta link", readonly=True, copy=False,
        help="Dynamics 365: the @odata.deltaLink of the last pull (change tracking), where the "
        "next one reads on; empty = the next pull reads every row.",
    )  # fmt: skip
    dynamics_reconciled_at = fields.Datetime(
        "Last full re-read", readonly=True,
        help="Dynamics 365: when an expired delta token made a pull read every row again.",
    )  # fmt: skip
