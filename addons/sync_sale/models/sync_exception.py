# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncException(models.Model):
    _inherit = "sync.exception"

    affected_ids = fields.One2many("sync.affected", "exception_id", string="Affected")
