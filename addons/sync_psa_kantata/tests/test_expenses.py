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

    def test_approval_sweep_finds_expense_approvals_that_stamped_nothing(self):
        """The feed is off (or had a gap): approving or rejecting an expense report changes
        the submission, not the expense, so the updated_after pull cannot see it; the daily
        sweep reads the expenses of the last 35 days by date and applies their approval."""
        currency = self.env.company.currency_id.name
        remote = self.expense(4200, approved=False, currency=currency)
        old = self.expense(900, approved=False, currency=currency, date="2000-01-03")
        for record in (remote, old):
            self.fake.data["expenses"][record["id"]]["updated_at"] = "2020-01-01T00:00:00Z"
        self.expense(1000, currency=currency)  # recent: the watermark moves past the two others
        self.pull("expenses")
        self.fake.resolve_submission(remote["id"], "approved")
        self.fake.resolve_submission(old["id"], "approved")
        self.assertEqual(
            self.fake.data["expenses"][remote["id"]]["updated_at"], "2020-01-01T00:00:00Z"
        )
        self.pull("expenses")
        self.assertFalse(self.expense_of(remote), "the updated_after pull cannot see it")
        self.env["sync.psa"]._schedule(self.backend)
        self.run_jobs()
        expense = self.expense_of(remote)
        self.assertAlmostEqual(expense.total_amount_currency, 42.0)
        self.assertFalse(self.expense_of(old), "older than the sweep's window")
        sweeps = [c for c in self.fake.calls("GET", "/expenses") if "date_expensed_between" in c[2]]
        self.assertEqual(len(sweeps), 1)
        stats = self.backend._watermark("expenses:approved").last_stats
        self.assertIn('"object": "expenses"', stats)
        # once a day: the next schedule does not sweep expenses again
        self.env["sync.psa"]._schedule(self.backend)
        self.run_jobs()
        self.assertEqual(
            len(
                [c for c in self.fake.calls("GET", "/expenses") if "date_expensed_between" in c[2]]
            ),
            1,
        )
        # a rejection that stamps nothing is found by the next sweep: reversed before posting
        self.fake.resolve_submission(remote["id"], "rejected")
        self.enqueue("psa_sweep", {"object": "expenses"}, "psa:sweep:expenses")
        self.run_jobs()
        self.assertFalse(expense.exists())
        self.assertFalse(self.exceptions())

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
