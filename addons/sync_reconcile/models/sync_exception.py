# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncException(models.Model):
    _inherit = "sync.exception"

    category = fields.Selection(
        selection_add=[("reconciliation", "Reconciliation")],
        ondelete={"reconciliation": "cascade"},
    )
