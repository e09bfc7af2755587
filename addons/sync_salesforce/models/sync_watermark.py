# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncWatermark(models.Model):
    _inherit = "sync.watermark"

    salesforce_deleted_until = fields.Datetime(
        string="Deletes read until",
        help="Salesforce: latestDateCovered of the last getDeleted call, where the next starts.",
    )
    salesforce_reconciled_at = fields.Datetime(
        string="Last id reconciliation",
        readonly=True,
        help="Salesforce: when the delete log was found purged and every id was compared.",
    )
    salesforce_api_used = fields.Integer(
        string="Daily API calls used (at this pull)",
        readonly=True,
        help="The org's usage when this pull last read it; the backend shows the newest reading.",
    )
    salesforce_api_max = fields.Integer(string="Daily API call limit", readonly=True)
    salesforce_api_checked_at = fields.Datetime(string="API usage read at", readonly=True)
