# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncWatermark(models.Model):
    _inherit = "sync.watermark"

    dynamics_delta_link = fields.Char(
        string="Delta link",
        readonly=True,
        copy=False,
        help="Dynamics 365: the @odata.deltaLink of the last completed pull (change tracking), "
        "where the next pull reads on; empty = the next pull reads every row.",
    )
    dynamics_reconciled_at = fields.Datetime(
        string="Last full re-read",
        readonly=True,
        help="Dynamics 365: when the delta token had expired and every row was read again, "
        "the rows no longer there taken as deleted.",
    )
