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
    salesforce_api_used = fields.Integer(string="Daily API calls used", readonly=True)
    salesforce_api_max = fields.Integer(string="Daily API limit", readonly=True)
    salesforce_api_checked_at = fields.Datetime(readonly=True)
