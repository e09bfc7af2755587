# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class AccountPayment(models.Model):
    """A payment that changes state (in process -> paid, cancelled...) changes the payment
    state of the invoices it pays."""

    _inherit = "account.payment"

    def write(self, vals):
        res = super().write(vals)
        if "state" in vals:
            self.env["sync.backend"]._sale_enqueue_writeback(
                self.sudo().invoice_ids | self.sudo().reconciled_invoice_ids
            )
        return res
