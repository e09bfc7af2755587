# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Payments, credit notes and bank matches reconcile invoices: their paid figures change."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._sale_enqueue_writeback()
        return partials

    def unlink(self):
        # not a deletion guard: the invoices must be read before their partials are gone
        moves = self.debit_move_id.move_id | self.credit_move_id.move_id
        res = super().unlink()
        self.env["sync.backend"]._sale_enqueue_writeback(moves.exists())
        return res

    def _sale_enqueue_writeback(self):
        moves = self.debit_move_id.move_id | self.credit_move_id.move_id
        return self.env["sync.backend"]._sale_enqueue_writeback(moves)
