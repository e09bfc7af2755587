# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .common import ReconcileCase


@tagged("post_install", "-at_install")
class TestCategories(ReconcileCase):
    def test_clean_account_has_no_difference(self):
        self.entry(90, date_performed=self.day(3), rate_in_cents=15000)
        self.pull()
        run = self.reconcile()
        self.assertEqual(run.staged_count, 1)
        self.assertEqual(run.line_ids.mapped("category"), [], run.line_ids.mapped("message"))
        self.assertEqual(run.difference_count, 0)

    def test_missing_in_odoo(self):
        entry = self.entry(120, date_performed=self.day(2), rate_in_cents=15000)
        run = self.reconcile()  # never pulled
        line = self.of(run, "missing")
        self.assertEqual(line.entry_id, entry["id"])
        self.assertEqual((line.psa_hours, line.amount), (2.0, 300.0))
        self.assertEqual(line.project_id, self.project)
        self.assertIn("no Odoo record", line.exception_id.name)
        self.assertEqual(line.exception_id.category, "reconciliation")
        self.assertEqual(
            (line.exception_id.remote_object, line.exception_id.external_id),
            ("time_entries", entry["id"]),
        )

    def test_hours_mismatch(self):
        entry = self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        self.pull()
        # edited in Kantata without a new updated_at: the pull cannot see it
        self.fake.data["time_entries"][entry["id"]]["time_in_minutes"] = 150
        line = self.of(self.reconcile(), "mismatch")
        self.assertEqual((line.psa_hours, line.odoo_hours), (2.5, 1.0))
        self.assertAlmostEqual(line.amount, 225.0)
        self.assertEqual(line.res_model, "account.analytic.line")
        self.assertEqual(line.res_id, self.line_of(entry).id)
        self.assertIn("2.50 h", line.exception_id.name)

    def test_rate_mismatch_against_the_order_line(self):
        entry = self.entry(120, date_performed=self.day(2), rate_in_cents=18000)
        self.pull()
        run = self.reconcile()
        line = self.of(run, "rate")
        self.assertEqual(line.entry_id, entry["id"])
        self.assertEqual((line.psa_amount, line.odoo_amount), (180.0, 150.0))
        self.assertAlmostEqual(line.amount, 60.0)
        self.assertFalse(self.of(run, "mismatch"), "Odoo holds the PSA's own rate")

    def test_leakage_after_the_backend_days(self):
        old = self.entry(60, date_performed=self.day(45), rate_in_cents=15000)
        recent = self.entry(60, date_performed=self.day(5), rate_in_cents=15000)
        self.pull()
        self.fake.update("time_entries", old["id"], approved=True)  # nothing changes
        run = self.reconcile()
        leak = self.of(run, "leakage")
        self.assertEqual(leak.entry_id, old["id"])
        self.assertEqual(leak.age_days, 45)
        self.assertAlmostEqual(leak.amount, 150.0)
        self.assertNotIn(recent["id"], run.line_ids.mapped("entry_id"))
        self.backend.reconcile_leakage_days = 3
        self.assertEqual(len(self.of(self.reconcile(), "leakage")), 2)

    def test_invoiced_then_unapproved_and_deleted(self):
        unapproved = self.entry(60, date_performed=self.day(3), rate_in_cents=15000)
        deleted = self.entry(30, date_performed=self.day(3), rate_in_cents=15000)
        self.pull()
        invoice = self.invoice_order()
        # revoked in Kantata without a change the sync sees
        self.fake.data["time_entries"][unapproved["id"]]["approved"] = False
        self.fake.data["time_entries"].pop(deleted["id"])
        run = self.reconcile()
        lines = self.of(run, "invoiced_unapproved")
        self.assertEqual(
            sorted(lines.mapped("entry_id")), sorted([unapproved["id"], deleted["id"]])
        )
        states = dict(zip(lines.mapped("entry_id"), lines.mapped("psa_state"), strict=True))
        self.assertEqual(states[unapproved["id"]], "unapproved")
        self.assertEqual(states[deleted["id"]], "deleted")
        self.assertEqual(set(lines.mapped("document")), {invoice.name})
        self.assertIn(invoice.name, lines[0].exception_id.name)
        self.assertFalse(self.of(run, "orphan"))

    def test_duplicate_and_orphan(self):
        entry = self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        gone = self.entry(30, date_performed=self.day(2), rate_in_cents=15000)
        self.pull()
        psa_line = self.line_of(entry)
        Line = self.env["account.analytic.line"]
        twin = Line.create(
            {
                "name": "typed again in Odoo",
                "project_id": self.project.id,
                "employee_id": self.alice.id,
                "date": psa_line.date,
                "unit_amount": 1.0,
            }
        )
        odoo_only = Line.create(
            {
                "name": "only in Odoo",
                "project_id": self.project.id,
                "employee_id": self.alice.id,
                "date": psa_line.date,
                "unit_amount": 3.0,
            }
        )
        self.fake.data["time_entries"].pop(gone["id"])  # deleted, the sync not told
        run = self.reconcile()
        dup = self.of(run, "duplicate")
        self.assertEqual((dup.res_id, dup.entry_id), (twin.id, entry["id"]))
        orphans = self.of(run, "orphan")
        self.assertEqual(
            sorted(orphans.mapped("res_id")), sorted([odoo_only.id, self.line_of(gone).id])
        )
        self.assertNotIn(twin.id, orphans.mapped("res_id"))
        self.assertEqual(set(orphans.mapped("psa_state")), {"none", "deleted"})

    def test_expenses(self):
        matched = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 5000, date=self.day(4)
        )
        changed = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 7000, date=self.day(4)
        )
        self.pull("expenses")
        self.assertEqual(
            len(self.env["hr.expense"].search([("psa_backend_id", "=", self.backend.id)])), 2
        )
        self.fake.data["expenses"][changed["id"]]["amount_in_cents"] = 9000
        missing = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 1200, date=self.day(4)
        )
        self.fake.add_expense(self.workspace_id, self.alice_user["id"], 99900, date=self.day(400))
        run = self.reconcile()
        self.assertEqual(self.of(run, "missing").entry_id, missing["id"])
        self.assertEqual(self.of(run, "missing").amount, 12.0)
        mismatch = self.of(run, "mismatch")
        self.assertEqual((mismatch.entry_id, mismatch.amount), (changed["id"], 20.0))
        self.assertNotIn(
            matched["id"], run.line_ids.mapped("entry_id"), run.line_ids.mapped("message")
        )
        # only the period's expenses are read (the one of 400 days ago is not)
        self.assertEqual(run.staged_count, 3)
        listed = self.fake.calls("GET", "/expenses")[-1][2]
        self.assertEqual(
            listed["date_expensed_between"],
            f"{run.date_from.isoformat()}:{run.date_to.isoformat()}",
        )


@tagged("post_install", "-at_install")
class TestRuns(ReconcileCase):
    def test_totals_tie_out(self):
        self.entry(60, date_performed=self.day(45), rate_in_cents=15000)  # leakage
        self.entry(120, date_performed=self.day(2), rate_in_cents=18000)  # rate
        self.pull()
        self.entry(30, date_performed=self.day(1), rate_in_cents=15000)  # missing
        run = self.reconcile()
        rows, (count, amounts) = run._category_totals()
        # amounts per currency, never added across currencies
        code = run.currency_id.name
        self.assertEqual(set(amounts), {code})
        self.assertEqual(sum(r[2] for r in rows), count)
        self.assertAlmostEqual(sum(r[3].get(code, 0.0) for r in rows), amounts[code])
        self.assertEqual((run.difference_count, count), (3, 3), run.line_ids.mapped("message"))
        self.assertAlmostEqual(amounts[code], 150.0 + 60.0 + 75.0)
        self.assertAlmostEqual(run.difference_amount, amounts[code])

    def test_rerun_keeps_one_exception_and_a_fix_closes_it(self):
        entry = self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        first = self.reconcile()
        exception = self.of(first, "missing").exception_id
        second = self.reconcile()
        self.assertEqual(self.of(second, "missing").exception_id, exception)
        self.assertEqual(exception.occurrences, 2)
        self.assertEqual(
            self.env["sync.exception"].search_count(
                [("backend_id", "=", self.backend.id), ("category", "=", "reconciliation")]
            ),
            1,
        )
        # a run of another project's scope does not close it
        other = self.env["project.project"].create({"name": "Elsewhere"})
        self.reconcile(project_id=other.id)
        self.assertEqual(exception.state, "open")
        # ignored: the next run keeps it ignored, opens nothing
        exception.action_ignore("known, billed next month")
        again = self.reconcile()
        self.assertEqual(self.of(again, "missing").exception_id, exception)
        self.assertEqual(exception.state, "ignored")
        self.assertFalse(self.exceptions(category="reconciliation"))
        exception.action_reopen()
        # run again (same run): still found, still the same exception
        third_before = second
        third_before.action_run()
        self.assertEqual(self.of(third_before, "missing").exception_id, exception)
        self.assertEqual(exception.occurrences, 3)
        # fixed: the entry is imported
        self.pull()
        self.assertTrue(self.line_of(entry))
        # the same run run again sees it fixed and closes it
        second.action_run()
        self.assertFalse(second.line_ids)
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(second.resolved_count, 1)

    def test_run_again_closes_what_it_no_longer_finds(self):
        entry = self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        run = self.reconcile()
        exception = self.of(run, "missing").exception_id
        self.pull()
        self.assertTrue(self.line_of(entry))
        run.action_run()  # the only run that ever found it
        self.assertFalse(run.line_ids)
        self.assertEqual(exception.state, "resolved")
        self.assertEqual(run.resolved_count, 1)

    def test_customer_and_project_scope(self):
        self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        other_customer = self.env["res.partner"].create({"name": "Other customer"})
        self.assertEqual(len(self.reconcile(partner_id=self.customer.id).line_ids), 1)
        self.assertFalse(self.reconcile(partner_id=other_customer.id).line_ids)
        self.assertEqual(len(self.reconcile(project_id=self.project.id).line_ids), 1)


@tagged("post_install", "-at_install")
class TestOnDemand(ReconcileCase):
    def test_wizard_runs_one_project_and_period(self):
        self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        self.entry(60, date_performed=self.day(40), rate_in_cents=15000)
        wizard = self.env["sync.reconcile.wizard"].create(
            {
                "backend_id": self.backend.id,
                "date_from": self.today - timedelta(days=10),
                "date_to": self.today,
                "project_id": self.project.id,
            }
        )
        action = wizard.action_run()
        run = self.env["sync.reconcile.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.project_id), ("done", self.project))
        self.assertEqual(run.staged_count, 1, "only the period's entries are read")
        self.assertEqual(run.summary["missing"], {"count": 1, "amount": 150.0})
        self.assertEqual(run.summary["total"], {"count": 1, "amount": 150.0})

    def test_operator_runs_it_and_mails_the_report(self):
        self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        self.fake.update("workspaces", self.workspace_id, title="Renamed in Kantata")
        finance = self.env["res.partner"].create({"name": "Finance", "email": "fin@example.com"})
        self.backend.reconcile_partner_ids = finance
        operator = new_test_user(
            self.env, "reconcile_operator", groups="sync_core.sync_core_group_operator"
        )
        wizard = (
            self.env["sync.reconcile.wizard"]
            .with_user(operator)
            .create({"backend_id": self.backend.id, "send_report": True})
        )
        run = self.env["sync.reconcile.run"].browse(wizard.action_run()["res_id"])
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(sorted(run.line_ids.mapped("category")), ["drift", "missing"])
        self.assertEqual(run.mail_id.recipient_ids, finance)
        self.assertEqual(run.line_ids.exception_id.mapped("state"), ["open", "open"])

    def test_unreachable_psa_fails_the_run_not_the_cron(self):
        self.fake.fail_next(401, count=10)
        run = self.env["sync.reconcile.run"].create(
            {"backend_id": self.backend.id, "date_from": self.today, "date_to": self.today}
        )
        self.assertFalse(run._execute())
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.error)
        self.assertFalse(run.line_ids)

    def test_expense_orphan_and_invoiced_unapproved(self):
        kept = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 5000, date=self.day(3)
        )
        posted = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 8000, date=self.day(3)
        )
        self.pull("expenses")
        Expense = self.env["hr.expense"]
        posted_expense = Expense.search([("psa_expense_id", "=", posted["id"])])
        # the expense is booked: it counts as billed
        self.env.cr.execute(
            "UPDATE hr_expense SET state = 'posted' WHERE id = %s", [posted_expense.id]
        )
        self.env.invalidate_all()
        # both revoked in Kantata, the sync not told
        for expense in (kept, posted):
            submission = self.fake.data["expenses"][expense["id"]]["recent_submission_id"]
            self.fake.data["expense_report_submissions"][submission]["status"] = "rejected"
        run = self.reconcile()
        self.assertEqual(self.of(run, "orphan").entry_id, kept["id"])
        self.assertEqual(self.of(run, "orphan").psa_state, "unapproved")
        self.assertEqual(self.of(run, "invoiced_unapproved").entry_id, posted["id"])
        self.assertEqual(self.of(run, "invoiced_unapproved").amount, 80.0)
