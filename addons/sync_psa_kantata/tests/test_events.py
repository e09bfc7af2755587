# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestEvents(PsaCase):
    def feed(self):
        job = self.enqueue("psa_events", {}, "psa:events")
        self.run_jobs()
        return job

    def set_cursor(self, stamp):
        self.backend._watermark("subscribed_events").cursor_stamp = stamp

    def test_first_run_falls_back_to_the_filtered_lists(self):
        entry = self.entry(60)
        job = self.feed()
        self.assertEqual(json.loads(job.result)["fallback"], "filtered lists")
        self.assertTrue(self.line_of(entry))
        self.assertTrue(self.backend._watermark("subscribed_events").cursor_stamp)
        self.assertFalse(self.fake.calls("GET", "/subscribed_events"))

    def test_feed_out_of_order_and_duplicated_applies_the_current_state(self):
        kept = self.entry(60)
        gone = self.entry(30)
        revoked = self.entry(45)
        self.pull()
        self.set_cursor(fields.Datetime.now() - timedelta(hours=1))
        self.fake.update("time_entries", kept["id"], time_in_minutes=90)
        self.fake.update("time_entries", kept["id"], time_in_minutes=120)
        self.fake.delete("time_entries", gone["id"])
        self.fake.update("time_entries", revoked["id"], approved=False)
        new = self.entry(15)
        self.fake.duplicate_events = True
        self.fake.shuffle_events = True
        job = self.feed()
        result = json.loads(job.result)
        self.assertEqual(result["duplicates"], result["events"] - result["stored"])
        self.assertGreater(result["duplicates"], 0)
        self.assertEqual(
            self.line_of(kept).unit_amount, 2.0, "the latest state, not the last event"
        )
        self.assertFalse(self.line_of(gone))
        self.assertFalse(self.line_of(revoked))
        self.assertEqual(self.line_of(new).unit_amount, 0.25)
        # the re-reads were batched: one read by id for all changed entries
        reads = [c for c in self.fake.calls("GET", "/time_entries") if "only" in c[2]]
        self.assertEqual(len(reads), 1)
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), result["stored"])
        self.assertGreater(max(events.mapped("delivery_count")), 1)
        # the same events again (lookback) change nothing
        job = self.feed()
        self.assertEqual(json.loads(job.result)["stored"], 0)

    def test_gap_in_the_feed_falls_back_and_sweeps_deletions(self):
        kept = self.entry(60)
        gone = self.entry(30)
        self.pull()
        self.fake.delete("time_entries", gone["id"])
        self.fake.update("time_entries", kept["id"], time_in_minutes=240)
        # the feed was last read 10 days ago: Kantata keeps 9 days, so events were lost
        self.set_cursor(fields.Datetime.now() - timedelta(days=10))
        job = self.feed()
        self.assertEqual(json.loads(job.result)["fallback"], "filtered lists")
        self.assertEqual(self.line_of(kept).unit_amount, 4.0)
        self.assertFalse(self.line_of(gone), "the sweep found the deleted entry")
        cursor = self.backend._watermark("subscribed_events").cursor_stamp
        self.assertGreater(cursor, fields.Datetime.now() - timedelta(minutes=5))

    def expense_of(self, remote):
        return self.env["hr.expense"].search(
            [("psa_backend_id", "=", self.backend.id), ("psa_expense_id", "=", remote["id"])]
        )

    def test_expense_report_approval_reaches_odoo_through_the_feed(self):
        currency = self.env.company.currency_id.name
        remote = self.fake.add_expense(
            self.workspace_id,
            self.alice_user["id"],
            4200,
            approved=False,
            currency=currency,
            reimbursable=False,
        )
        self.pull("expenses")
        self.assertFalse(self.expense_of(remote), "pending: not an Odoo expense")
        self.set_cursor(fields.Datetime.now() - timedelta(hours=1))
        stamp = self.fake.data["expenses"][remote["id"]]["updated_at"]
        # the report is approved in Kantata: its submission changes, the expense is not stamped
        self.fake.resolve_submission(remote["id"], "approved")
        self.assertEqual(self.fake.data["expenses"][remote["id"]]["updated_at"], stamp)
        job = self.feed()
        self.assertGreaterEqual(json.loads(job.result)["stored"], 1)
        expense = self.expense_of(remote)
        self.assertEqual(len(expense), 1)
        self.assertAlmostEqual(expense.total_amount_currency, 42.0)
        self.assertTrue(
            self.fake.calls("GET", "/expense_report_submissions"), "the report was read by id"
        )
        # rejected before it is posted: the Odoo expense is reversed
        self.fake.resolve_submission(remote["id"], "rejected")
        self.feed()
        self.assertFalse(expense.exists())
        # approved again, then posted in Odoo: a later rejection changes nothing, one exception
        self.fake.resolve_submission(remote["id"], "approved")
        self.feed()
        expense = self.expense_of(remote)
        self.assertTrue(expense)
        expense.action_submit()
        expense.action_approve()
        expense.action_post()
        self.fake.resolve_submission(remote["id"], "rejected")
        self.feed()
        self.assertTrue(expense.exists())
        self.assertEqual(expense.psa_state, "revoked_after_posting")
        conflict = self.exceptions(category="conflict")
        self.assertEqual(len(conflict), 1)
        self.assertIn("unapproved in the PSA", conflict.name)

    def test_timesheet_approval_reaches_odoo_through_the_feed(self):
        entries = [self.entry(60, approved=False), self.entry(30, approved=False)]
        self.pull()
        self.assertFalse(self.line_of(entries[0]) | self.line_of(entries[1]))
        self.set_cursor(fields.Datetime.now() - timedelta(hours=1))
        stamps = [self.fake.data["time_entries"][e["id"]]["updated_at"] for e in entries]
        # the week is submitted, then approved in Kantata: the submission changes, its time
        # entries are approved without a new updated_at nor an event of their own
        submission = self.fake.submit_timesheet([e["id"] for e in entries])
        self.fake.resolve_timesheet(submission["id"], "approved")
        self.assertEqual(
            [self.fake.data["time_entries"][e["id"]]["updated_at"] for e in entries], stamps
        )
        job = self.feed()
        self.assertGreaterEqual(json.loads(job.result)["stored"], 2)
        self.assertEqual(self.line_of(entries[0]).unit_amount, 1.0)
        self.assertEqual(self.line_of(entries[1]).unit_amount, 0.5)
        reads = self.fake.calls("GET", "/timesheet_submissions")
        self.assertTrue(reads, "the submission was read by id")
        self.assertTrue(
            all(c[2].get("include") == "time_entries" and c[2].get("only") for c in reads)
        )
        # rejected before invoicing: the lines are reversed
        self.fake.resolve_timesheet(submission["id"], "rejected")
        self.feed()
        self.assertFalse(self.line_of(entries[0]) | self.line_of(entries[1]))
        self.assertFalse(self.exceptions())
        # approved again, then invoiced: a later rejection changes nothing, one finance
        # exception per entry, the lines say what Kantata did
        self.fake.resolve_timesheet(submission["id"], "approved")
        self.feed()
        lines = self.line_of(entries[0]) | self.line_of(entries[1])
        self.assertEqual(len(lines), 2)
        invoice = self.invoice_order()
        self.assertEqual(lines.timesheet_invoice_id, invoice)
        self.fake.resolve_timesheet(submission["id"], "rejected")
        self.feed()
        self.assertEqual(len(lines.exists()), 2)
        self.assertEqual(set(lines.mapped("psa_state")), {"revoked_after_invoice"})
        self.assertFalse(any(lines.mapped("psa_approved")))
        conflicts = self.exceptions(category="conflict")
        self.assertEqual(len(conflicts), 2)
        self.assertTrue(all("unapproved in the PSA" in name for name in conflicts.mapped("name")))

    def test_malformed_feed_events_are_skipped(self):
        self.set_cursor(fields.Datetime.now() - timedelta(hours=1))
        entry = self.entry(30)
        now = self.fake.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")
        for eid, event in (
            ("9001", {"event_type": "expense_report:updated", "subject_id": None}),
            ("9002", {"event_type": None, "subject_type": "Nothing", "subject_id": 5}),
            ("9003", {"event_type": "time_entry:updated", "subject_id": int(entry["id"])}),
        ):  # fmt: skip
            self.fake.data["subscribed_events"][eid] = {"id": eid, "created_at": now, **event}
        # ids as integers, a missing subject: read liberally, never a crash
        self.fake.data["subscribed_events"]["9003"]["id"] = 9003
        job = self.feed()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.line_of(entry).unit_amount, 0.5)
