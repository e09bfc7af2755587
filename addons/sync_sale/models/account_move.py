# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        self.env["sync.backend"]._sale_enqueue_writeback(posted)
        return posted

    def button_draft(self):
        res = super().button_draft()
        self.env["sync.backend"]._sale_enqueue_writeback(self)
        return res

    def button_cancel(self):
        res = super().button_cancel()
        self.env["sync.backend"]._sale_enqueue_writeback(self)
        return res

    def write(self, vals):
        res = super().write(vals)
        if "matched_payment_ids" in vals:  # a payment without journal entry (Odoo 18+)
            self.env["sync.backend"]._sale_enqueue_writeback(self)
        return res
