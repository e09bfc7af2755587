# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestTime(PsaCase):
    def test_only_approved_entries_become_invoiceable_timesheets(self):
        approved = self.entry(
            90, notes="Robot cell programming", rate_in_cents=15000, cost_rate_in_cents=8000
        )
        unapproved = self.entry(120, approved=False, notes="not approved yet")
        self.pull()
        line = self.line_of(approved)
        self.assertEqual(len(line), 1)
        self.assertFalse(self.line_of(unapproved))
        self.assertEqual(line.unit_amount, 1.5)
        self.assertEqual(line.employee_id, self.alice)
        self.assertEqual(line.project_id, self.project)
        self.assertEqual(str(line.date), approved["date_performed"])
        self.assertEqual(line.name, "Robot cell programming")
        self.assertEqual(line.so_line, self.so_line, "on the project's sale order line")
        self.assertEqual(
            (line.psa_bill_rate_cents, line.psa_cost_rate_cents, line.psa_currency_id.name),
            (15000, 8000, "USD"),
        )
        self.assertTrue(line.psa_approved)
        self.assertEqual(self.so_line.qty_delivered, 1.5)
        # people are matched by work email (case-insensitive) and bound
        self.assertEqual(
            self.binding_of(self.alice.id, "hr.employee").external_id, self.alice_user["id"]
        )
        # approving it later imports it
        self.fake.update("time_entries", unapproved["id"], approved=True)
        self.pull()
        self.assertEqual(self.line_of(unapproved).unit_amount, 2.0)

    def test_time_on_a_psa_task_lands_on_the_odoo_task(self):
        existing = self.env["project.task"].create(
            {"name": "Robot cell programming", "project_id": self.project.id}
        )
        story = self.fake.add_story(self.workspace_id, "Robot  cell programming")
        other = self.fake.add_story(self.workspace_id, "Commissioning")
        on_existing = self.entry(60, story_id=story["id"])
        on_new = self.entry(30, story_id=other["id"])
        self.pull()
        self.assertEqual(self.line_of(on_existing).task_id, existing)
        new_task = self.line_of(on_new).task_id
        self.assertEqual((new_task.name, new_task.project_id), ("Commissioning", self.project))
        self.assertEqual(self.line_of(on_new).so_line, self.so_line)
        # the next entries on the same stories use the bound tasks
        again = self.entry(15, story_id=other["id"])
        self.pull()
        self.assertEqual(self.line_of(again).task_id, new_task)
        self.assertEqual(self.env["project.task"].search_count([("name", "=", "Commissioning")]), 1)

    def test_approval_sweep_finds_approvals_that_stamped_nothing(self):
        entry = self.entry(60, approved=False)
        old = self.entry(60, approved=False, date_performed="2000-01-03")
        for record in (entry, old):
            self.fake.data["time_entries"][record["id"]]["updated_at"] = "2020-01-01T00:00:00Z"
        self.entry(30)  # recent: the watermark moves past the two others
        self.pull()
        # the timesheet is approved in Kantata without a new updated_at on its entries
        self.fake.data["time_entries"][entry["id"]]["approved"] = True
        self.fake.data["time_entries"][old["id"]]["approved"] = True
        self.pull()
        self.assertFalse(self.line_of(entry), "the updated_after pull cannot see it")
        self.env["sync.psa"]._schedule(self.backend)
        self.run_jobs()
        self.assertEqual(self.line_of(entry).unit_amount, 1.0)
        self.assertFalse(self.line_of(old), "older than the sweep's window")
        sweeps = self.fake.calls("GET", "/time_entries")
        self.assertTrue(any("date_performed_between" in c[2] for c in sweeps))
        # once a day: the next schedule does not sweep again
        count = len(sweeps)
        self.env["sync.psa"]._schedule(self.backend)
        self.run_jobs()
        self.assertFalse(
            [c for c in self.fake.calls("GET", "/time_entries")[count:] if "approved" in c[2]]
        )

    def test_approval_sweep_finds_revocations_that_stamped_nothing(self):
        kept, revoked, gone = self.entry(60), self.entry(30), self.entry(45)
        for record in (kept, revoked, gone):
            self.fake.data["time_entries"][record["id"]]["updated_at"] = "2020-01-01T00:00:00Z"
        self.entry(15)  # recent: the watermark moves past the three others
        self.pull()
        lines = [self.line_of(e) for e in (kept, revoked, gone)]
        self.assertTrue(all(lines))
        # the timesheet is rejected (no new updated_at), an entry deleted, the feed is off
        self.fake.data["time_entries"][revoked["id"]]["approved"] = False
        del self.fake.data["time_entries"][gone["id"]]
        self.pull()
        self.assertTrue(lines[1].exists(), "the updated_after pull cannot see it")
        job = self.enqueue("psa_sweep", {"object": "time_entries"}, "psa:sweep:time_entries")
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(json.loads(job.result)["reread"], 2, "the two it no longer lists")
        self.assertTrue(lines[0].exists())
        self.assertFalse(lines[1].exists())
        self.assertFalse(lines[2].exists())
        self.assertFalse(self.exceptions())

    def test_imported_time_is_invoiced_through_the_sale_order(self):
        self.entry(150)
        self.entry(30)
        self.pull()
        invoice = self.invoice_order()
        self.assertEqual(invoice.invoice_line_ids.quantity, 3.0)
        self.assertAlmostEqual(invoice.amount_untaxed, 300.0)
        lines = self.env["account.analytic.line"].search([("psa_backend_id", "=", self.backend.id)])
        self.assertEqual(lines.timesheet_invoice_id, invoice)

    def test_edited_hours_update_the_line(self):
        entry = self.entry(60)
        self.pull()
        line = self.line_of(entry)
        self.fake.update("time_entries", entry["id"], time_in_minutes=135, notes="longer")
        self.pull()
        self.assertEqual(self.line_of(entry), line)
        self.assertEqual(line.unit_amount, 2.25)
        self.assertEqual(line.name, "longer")

    def test_approval_revoked_before_invoicing_reverses_the_line(self):
        entry = self.entry(60)
        self.pull()
        self.assertTrue(self.line_of(entry))
        self.fake.update("time_entries", entry["id"], approved=False)
        self.pull()
        self.assertFalse(self.line_of(entry))
        self.assertFalse(self.binding_of(entry["id"], external=True).active)
        self.assertFalse(self.exceptions())
        self.fake.update("time_entries", entry["id"], approved=True)
        self.pull()
        self.assertEqual(self.line_of(entry).unit_amount, 1.0)
        self.assertTrue(self.binding_of(entry["id"], external=True).active)

    def test_deleted_entry_reverses_the_line(self):
        entry = self.entry(60)
        self.pull()
        self.fake.delete("time_entries", entry["id"])
        # the filtered lists never show a deleted entry: a read by id finds it gone
        self.enqueue("psa_import", {"object": "time_entries", "ids": [entry["id"]]}, "t")
        self.run_jobs()
        self.assertFalse(self.line_of(entry))

    def test_changes_after_invoicing_open_one_finance_exception_and_change_nothing(self):
        revoked = self.entry(60)
        edited = self.entry(120)
        deleted = self.entry(30)
        self.pull()
        invoice = self.invoice_order()
        lines = {e["id"]: self.line_of(e) for e in (revoked, edited, deleted)}
        self.fake.update("time_entries", revoked["id"], approved=False)
        self.fake.update("time_entries", edited["id"], time_in_minutes=600)
        self.fake.delete("time_entries", deleted["id"])
        self.pull()
        self.enqueue("psa_import", {"object": "time_entries", "ids": [deleted["id"]]}, "d")
        self.run_jobs()
        for entry_id, line in lines.items():
            self.assertTrue(line.exists(), entry_id)
            self.assertEqual(line.timesheet_invoice_id, invoice)
        self.assertEqual(lines[edited["id"]].unit_amount, 2.0, "invoiced hours never change")
        self.assertEqual(
            [lines[e["id"]].psa_state for e in (revoked, edited, deleted)],
            ["revoked_after_invoice", "changed_after_invoice", "deleted_after_invoice"],
        )
        self.assertFalse(lines[revoked["id"]].psa_approved)
        exceptions = self.exceptions(category="conflict")
        self.assertEqual(len(exceptions), 3)
        self.assertEqual(set(exceptions.mapped("res_model")), {"account.move"})
        self.assertEqual(set(exceptions.mapped("res_id")), {invoice.id})
        self.assertTrue(all(invoice.name in e.name for e in exceptions))
        # the next pull counts the same problems again: still one exception each
        self.fake.update("time_entries", revoked["id"], notes="still unapproved")
        self.pull()
        self.assertEqual(len(self.exceptions(category="conflict")), 3)
        self.assertEqual(self.so_line.qty_invoiced, 3.5)

    def test_finance_exception_retried_after_the_invoice_is_cancelled(self):
        entry = self.entry(60)
        self.pull()
        invoice = self.invoice_order()
        line = self.line_of(entry)
        self.fake.update("time_entries", entry["id"], approved=False)
        self.pull()
        exc = self.exceptions(category="conflict")
        self.assertEqual(len(exc), 1)
        # retried while still invoiced: refused again, the exception stays open
        exc.action_retry()
        self.run_jobs()
        self.assertEqual(exc.state, "open")
        self.assertEqual(exc.occurrences, 2)
        self.assertTrue(line.exists())
        # finance cancels the invoice, then retries: the revoked time is reversed
        invoice.button_draft()
        invoice.button_cancel()
        exc.action_retry()
        self.run_jobs()
        self.assertFalse(line.exists())
        self.assertEqual(exc.state, "resolved")

    def test_employee_missing_exception_then_link_and_retry_imports_the_time(self):
        bob = self.fake.add_user("Bob Builder", "bob@example.com")
        first = self.entry(120, user=bob)
        self.entry(60, user=bob)
        self.entry(30, approved=False, user=bob)
        self.pull()
        self.assertFalse(self.line_of(first))
        exc = self.exceptions(category="missing_reference")
        self.assertEqual(len(exc), 1)
        self.assertIn("Bob Builder <bob@example.com>", exc.name)
        self.assertIn("2 approved time entries, 3.00 h", exc.name)
        self.assertEqual((exc.remote_object, exc.external_id), ("users", bob["id"]))
        self.assertEqual(exc.fix_kind, "missing_record")
        self.assertEqual(exc.fix_data["model"], "hr.employee")
        # more approved time of Bob: the same exception, with the new figures
        self.entry(90, user=bob)
        self.pull()
        exc = self.exceptions(category="missing_reference")
        self.assertEqual(len(exc), 1)
        self.assertIn("3 approved time entries, 4.50 h", exc.name)
        # an HR user creates the employee (another email) and links it: the time is imported
        bob_employee = self.env["hr.employee"].create(
            {"name": "Robert Builder", "work_email": "robert@example.com"}
        )
        exc.action_link_record(bob_employee.id)
        self.run_jobs()
        lines = self.env["account.analytic.line"].search(
            [("psa_backend_id", "=", self.backend.id), ("employee_id", "=", bob_employee.id)]
        )
        self.assertEqual(sum(lines.mapped("unit_amount")), 4.5)
        self.assertEqual(exc.state, "resolved")
        self.assertFalse(self.exceptions())

    def test_synced_fields_are_locked_for_users(self):
        entry = self.entry(60)
        self.pull()
        line = self.line_of(entry)
        user = new_test_user(
            self.env,
            "psa_timesheet_manager",
            groups="hr_timesheet.group_timesheet_manager,sales_team.group_sale_salesman",
        )
        as_user = line.with_user(user)
        for vals in ({"unit_amount": 8.0}, {"name": "changed"}, {"date": "2020-01-01"}):
            with self.assertRaises(UserError):
                as_user.write(vals)
        with self.assertRaises(UserError):
            as_user.unlink()
        self.assertEqual(line.unit_amount, 1.0)
        # a line the PSA does not own stays editable
        own = self.env["account.analytic.line"].create(
            {"project_id": self.project.id, "employee_id": self.alice.id, "unit_amount": 1.0,
             "name": "own"}
        )  # fmt: skip
        own.with_user(user).write({"unit_amount": 2.0})
        self.assertEqual(own.unit_amount, 2.0)
        # the sync changes them when the PSA does
        self.fake.update("time_entries", entry["id"], time_in_minutes=30)
        self.pull()
        self.assertEqual(line.unit_amount, 0.5)

    def test_a_malformed_entry_is_one_exception_not_a_failed_page(self):
        good = self.entry(60)
        bad = self.entry(30, date_performed="31/12/2024")
        job = self.pull()
        self.assertEqual(job.state, "done")
        self.assertTrue(self.line_of(good))
        self.assertFalse(self.line_of(bad))
        exc = self.exceptions(external_id=bad["id"])
        self.assertEqual((exc.category, exc.remote_object), ("validation", "time_entries"))
        self.assertIn("31/12/2024", exc.payload_text)
        self.assertEqual(json.loads(job.result)["failed"], 1)

    def test_incremental_pull_pages_of_200_since_the_watermark(self):
        for minutes in range(1, 251):
            self.entry(minutes)
        self.pull()
        lists = self.fake.calls("GET", "/time_entries")
        self.assertEqual([c[2]["per_page"] for c in lists], ["200", "200"])
        self.assertNotIn("updated_after", lists[0][2])
        self.assertEqual(
            self.env["account.analytic.line"].search_count(
                [("psa_backend_id", "=", self.backend.id)]
            ),
            250,
        )
        watermark = self.backend._watermark("time_entries")
        since = watermark.cursor_stamp - timedelta(seconds=watermark.lookback_seconds)
        job = self.pull()
        again = self.fake.calls("GET", "/time_entries")[len(lists) :]
        self.assertEqual(
            {c[2]["updated_after"] for c in again}, {since.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )
        result = json.loads(job.result)
        self.assertEqual((result["created"], result["identical"]), (0, 250))
