# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SyncSaleCompany(models.Model):
    """Legal-entity routing: a remote value (the deal's legal-entity field) -> the Odoo company
    its sale order, project and opportunity belong to."""

    _name = "sync.sale.company"
    _description = "Sync: legal entity of deals"
    _order = "backend_id, remote_value, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    remote_value = fields.Char(
        required=True, help="Value of the remote legal-entity field (compared case-insensitively)."
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")

    _remote_value_uniq = models.UniqueIndex(
        "(backend_id, lower(remote_value))",
        "This remote legal entity is already mapped on this backend.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        rows = super().create(vals_list)
        rows._allow_sync_bot()
        return rows

    def write(self, vals):
        res = super().write(vals)
        if "company_id" in vals:
            self._allow_sync_bot()
        return res

    def _allow_sync_bot(self):
        """The jobs run as the Sync Bot: it must be allowed in the companies deals go to."""
        bot = self.env.ref("sync_core.user_sync_bot", raise_if_not_found=False)
        if bot:
            bot.sudo().company_ids |= self.company_id
