# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestExpenses(PsaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        company = cls.env.company
        cls.foreign = cls.eur if company.currency_id != cls.eur else cls.env.ref("base.USD")
        cls.foreign.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.foreign.id, "rate": 2.0, "name": "2000-01-01"}
        )
        cls.travel = cls.env["product.product"].create(
            {
                "name": "Travel",
                "type": "service",
                "can_be_expensed": True,
                "expense_policy": "cost",
                "standard_price": 0.0,
            }
        )

    def expense(self, cents, approved=True, **values):
        return self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], cents, approved=approved, **values
        )

    def expense_of(self, remote):
        return self.env["hr.expense"].search(
            [("psa_backend_id", "=", self.backend.id), ("psa_expense_id", "=", remote["id"])]
        )

    def test_approved_expenses_only_in_their_currency_and_reinvoiced_to_the_order(self):
        remote = self.expense(18450, currency=self.foreign.name, notes="Train to Brussels")
        pending = self.expense(5000, approved=False)
        self.pull("expenses")
        expense = self.expense_of(remote)
        self.assertEqual(len(expense), 1)
        self.assertFalse(self.expense_of(pending))
        self.assertEqual(expense.employee_id, self.alice)
        self.assertEqual(expense.product_id, self.travel, "category Travel -> product Travel")
        self.assertEqual(expense.currency_id, self.foreign)
        self.assertAlmostEqual(expense.total_amount_currency, 184.50)
        self.assertAlmostEqual(expense.total_amount, 92.25, msg="company currency at rate 2")
        self.assertEqual(expense.name, "Train to Brussels")
        self.assertEqual(expense.sale_order_id, self.order, "re-invoiced to the customer")
        self.assertEqual(expense.payment_mode, "own_account")

    def test_expense_unapproved_or_edited_before_posting(self):
        remote = self.expense(10000, category="Lodging")
        self.pull("expenses")
        expense = self.expense_of(remote)
        self.assertEqual(expense.product_id, self.env.ref("hr_expense.product_product_no_cost"))
        self.assertFalse(expense.sale_order_id, "the default product is not re-invoiced")
        self.fake.update("expenses", remote["id"], amount_in_cents=12550)
        self.pull("expenses")
        self.assertAlmostEqual(expense.total_amount_currency, 125.50)
        self.fake.update("expenses", remote["id"], approved=False)
        self.pull("expenses")
        self.assertFalse(expense.exists())

    def test_expense_changed_after_posting_is_a_finance_exception(self):
        remote = self.expense(10000, currency=self.env.company.currency_id.name, reimbursable=False)
        self.pull("expenses")
        expense = self.expense_of(remote)
        expense.action_submit()
        expense.action_approve()
        expense.action_post()
        self.assertIn(expense.state, ("posted", "paid"))  # company-paid: paid at once
        self.fake.update("expenses", remote["id"], amount_in_cents=99900)
        self.pull("expenses")
        self.assertAlmostEqual(expense.total_amount_currency, 100.0, msg="posted: unchanged")
        self.assertEqual(expense.psa_state, "changed_after_posting")
        exc = self.exceptions(category="conflict")
        self.assertEqual(len(exc), 1)
        self.assertEqual((exc.res_model, exc.res_id), ("account.move", expense.account_move_id.id))

    def test_missing_employee_parks_the_expense(self):
        carol = self.fake.add_user("Carol Driver", "carol@example.com")
        remote = self.fake.add_expense(self.workspace_id, carol["id"], 4200, currency="USD")
        self.pull("expenses")
        self.assertFalse(self.expense_of(remote))
        exc = self.exceptions(category="missing_reference")
        self.assertIn("Carol Driver <carol@example.com>", exc.name)
        self.assertIn("1 approved expense, 42.00 USD", exc.name)
        self.env["hr.employee"].create({"name": "Carol Driver", "work_email": "CAROL@example.com"})
        exc.action_retry()
        self.run_jobs()
        self.assertTrue(self.expense_of(remote))
        self.assertEqual(exc.state, "resolved")
