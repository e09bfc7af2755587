# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from .account_analytic_line import check_locked

LOCKED_EXPENSE_FIELDS = frozenset(
    {
        "name",
        "date",
        "employee_id",
        "total_amount_currency",
        "currency_id",
        "psa_backend_id",
        "psa_expense_id",
    }
)


class HrExpense(models.Model):
    """Expenses imported from a PSA: one per approved PSA expense."""

    _inherit = "hr.expense"

    psa_backend_id = fields.Many2one(
        "sync.backend", string="PSA", index="btree_not_null", readonly=True, copy=False
    )
    psa_expense_id = fields.Char(
        string="PSA expense", index="btree_not_null", readonly=True, copy=False
    )
    psa_state = fields.Selection(
        [
            ("synced", "In sync"),
            ("changed_after_posting", "Changed in the PSA after posting"),
            ("revoked_after_posting", "Unapproved or deleted in the PSA after posting"),
        ],
        string="PSA status",
        readonly=True,
        copy=False,
    )

    _psa_expense_uniq = models.UniqueIndex(
        "(psa_backend_id, psa_expense_id) WHERE psa_expense_id IS NOT NULL",
        "This PSA expense is already imported.",
    )

    def write(self, vals):
        check_locked(self, vals, LOCKED_EXPENSE_FIELDS, self.env._("Expenses"))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_psa_synced(self):
        check_locked(self, None, LOCKED_EXPENSE_FIELDS, self.env._("Expenses"))
