# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Expenses: canonical PSA expenses -> hr.expense values (currency, product)."""

from odoo import fields, models

from odoo.addons.sync_core.exceptions import (
    MissingReferenceError,
)

from .. import psa


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    def _expenses_vals(self, backend, data, employee, project):
        currency = self._currency(data.get("currency"))
        if not currency:
            raise MissingReferenceError(
                f"currency {data.get('currency')} of a PSA expense is not known in Odoo",
                pattern=f"missing currency {data.get('currency')}",
            )
        product = self._expense_product(backend, data.get("category"))
        vals = {
            "psa_backend_id": backend.id,
            "psa_state": "synced",
            "name": data.get("description") or data.get("category") or "/",
            "employee_id": employee.id,
            "product_id": product.id,
            "date": fields.Date.to_date(data["date"]),
            "currency_id": currency.id,
            "total_amount_currency": psa.amount(data["amount_cents"], currency.decimal_places),
            "payment_mode": "own_account" if data.get("reimbursable") else "company_account",
            "company_id": backend.company_id.id,
        }
        if project.account_id:
            vals["analytic_distribution"] = {str(project.account_id.id): 100}
        order = project.sudo().sale_line_id.order_id
        if data.get("billable") and order and product.expense_policy in ("sales_price", "cost"):
            vals["sale_order_id"] = order.id
        return vals

    def _currency(self, code):
        """res.currency by ISO code (cached for the transaction: a page names a few)."""
        if not code:
            return self.env["res.currency"]
        cache = self.env.cr.cache.setdefault("sync_psa_currencies", {})
        key = code.upper()
        if key not in cache:
            cache[key] = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", key)], limit=1)
                .id
            )
        return self.env["res.currency"].browse(cache[key])

    def _expense_product(self, backend, category):
        Product = self.env["product.product"]
        product = Product.browse()
        if category:
            product = Product.search(
                [("can_be_expensed", "=", True), ("name", "=ilike", category.strip())], limit=1
            )
        return (
            product
            or backend.psa_expense_product_id
            or self.env.ref("hr_expense.product_product_no_cost")
        )
