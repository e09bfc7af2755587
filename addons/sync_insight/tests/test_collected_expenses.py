# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.tests import tagged

from .common import SEPT, InsightCase

OCT = date(2026, 10, 1)


@tagged("post_install", "-at_install")
class TestCollectedAndExpenses(InsightCase):
    """Payments matched to invoices (collected, per project, customer and month of the match,
    the untaxed share, in the company currency) and approved re-invoiced expenses at their
    sale price (delivered, WIP until invoiced, their cost) on the planted month."""

    def row(self, project, month=SEPT):
        rows = self.env["sync.insight.delivery"].search(
            [("project_id", "=", project.id), ("month", "=", month)]
        )
        self.assertEqual(len(rows), 1)
        return rows

    def _bank(self):
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        outstanding = self.env["account.account"].create(
            {
                "name": "Insight receipts",
                "code": "INSREC",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        bank.inbound_payment_method_line_ids.payment_account_id = outstanding
        return bank

    def _pay(self, invoice, amount, day, bank):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": amount, "payment_date": day, "journal_id": bank.id})._create_payments()

    def test_collected_in_company_currency(self):
        bank = self._bank()
        # half of the partial invoice (1,600 untaxed) paid on 25 September: 800 collected
        self._pay(self.invoice, self.invoice.amount_total / 2, date(2026, 9, 25), bank)
        # the second-currency order's 2 hours (200 at 0.5: 400) invoiced and paid in October
        foreign = self.order_foreign._create_invoices()
        foreign.invoice_date = date(2026, 10, 2)
        foreign.action_post()
        self.assertEqual(foreign.currency_id, self.foreign)
        self._pay(foreign, foreign.amount_total, date(2026, 10, 20), bank)
        self.env["sync.insight.view"]._refresh_figures()
        self.assertAlmostEqual(self.row(self.project).collected, 800.0)
        self.assertAlmostEqual(self.row(self.project).invoiced, 1600.0)
        row = self.row(self.project_foreign, OCT)
        self.assertEqual(row.partner_id, self.globex)
        self.assertAlmostEqual(row.invoiced, 400.0)
        self.assertAlmostEqual(row.collected, 400.0)  # 200 foreign at 0.5 per company unit
        self.assertAlmostEqual(self.row(self.project_foreign).wip, 0.0)  # invoiced now
        [(collected,)] = self.env["sync.insight.delivery"]._read_group(
            [("partner_id", "in", (self.acme | self.globex).ids)], [], ["collected:sum"]
        )
        self.assertAlmostEqual(collected, 1200.0)
        action = self.row(self.project).action_open_invoices()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.invoice)

    def test_approved_expense_at_sale_price_beside_time_wip(self):
        product = self.env["product.product"].create(
            {
                "name": "Insight travel",
                "type": "service",
                "can_be_expensed": True,
                "expense_policy": "sales_price",
                "list_price": 150.0,
            }
        )
        expense = self.env["hr.expense"].create(
            {
                "name": "Train to Acme",
                "employee_id": self.erin.id,
                "product_id": product.id,
                "quantity": 1,
                "total_amount_currency": 90.0,
                "sale_order_id": self.order.id,
                "date": date(2026, 9, 20),
            }
        )
        draft = self.env["hr.expense"].create(
            {
                "name": "Not approved",
                "employee_id": self.erin.id,
                "product_id": product.id,
                "quantity": 1,
                "total_amount_currency": 40.0,
                "sale_order_id": self.order.id,
                "date": date(2026, 9, 21),
            }
        )
        expense.approval_state = "approved"
        self.assertEqual((expense.state, draft.state), ("approved", "draft"))
        self.env["sync.insight.view"]._refresh_figures()
        row = self.row(self.project)
        self.assertAlmostEqual(row.delivered_expense, 150.0)  # the sales price, not the 90 paid
        self.assertAlmostEqual(row.wip_expense, 150.0)
        self.assertAlmostEqual(row.wip, 800.0)  # time WIP unchanged, beside it
        self.assertAlmostEqual(row.wip_total, 950.0)
        self.assertAlmostEqual(row.delivered, 2550.0)
        self.assertAlmostEqual(row.cost, 1280.0 + 90.0)
        self.assertAlmostEqual(row.margin, 2550.0 - 1370.0)
        self.assertAlmostEqual(row.backlog, 1600.0)  # expenses are not sold ahead
        action = row.action_open_expenses()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), expense)
