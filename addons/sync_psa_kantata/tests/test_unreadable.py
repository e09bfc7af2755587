# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Kantata record the connector cannot read or translate (no id, a value of the wrong type)
is one exception naming it, with its raw record; the rest of its page lands and the watermark
moves on (time entries, expenses, people, workspaces, the re-read of a feed change)."""

import json

from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestUnreadable(PsaCase):
    def unreadable(self, object_name):
        return self.exceptions(pattern=f"unreadable {object_name} record")

    def assert_exception(self, object_name, known_id, raw_check):
        exception = self.unreadable(object_name)
        self.assertEqual(len(exception), 1, object_name)
        self.assertEqual(exception.category, "payload")
        if known_id:
            self.assertEqual(exception.external_id, known_id)
            self.assertIn(f"{object_name} {known_id} cannot be read", exception.name)
        else:
            self.assertIn(f"A record of {object_name} without an id cannot be read", exception.name)
        raw = json.loads(exception.payload_text)
        for key, value in raw_check.items():
            self.assertEqual(raw.get(key), value, key)
        return exception

    def watermark(self, object_name):
        return self.backend.watermark_ids.filtered(lambda w: w.object_name == object_name)

    def test_time_entries_without_id_or_with_unreadable_minutes(self):
        good = [self.entry(60, notes=f"good {n}") for n in range(3)]
        no_id = self.entry(30, notes="no id")
        self.fake.corrupt("time_entries", no_id["id"], omit=("id",))
        bad_minutes = self.entry(45, notes="bad minutes")
        self.fake.corrupt("time_entries", bad_minutes["id"], time_in_minutes="ninety")
        last = self.entry(15, notes="good last")
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual(stats["unreadable"], 2)
        for entry in [*good, last]:
            self.assertEqual(len(self.line_of(entry)), 1, entry["notes"])
        self.assertFalse(self.line_of(no_id) or self.line_of(bad_minutes))
        exceptions = self.unreadable("time_entries")
        self.assertEqual(len(exceptions), 2)
        named = exceptions.filtered(lambda e: e.external_id == bad_minutes["id"])
        self.assertIn("ValueError", named.name)
        self.assertEqual(json.loads(named.payload_text)["time_in_minutes"], "ninety")
        anonymous = exceptions - named
        self.assertIn("without an id", anonymous.name)
        self.assertEqual(json.loads(anonymous.payload_text)["notes"], "no id")
        self.assertTrue(self.watermark("time_entries").cursor_stamp, "the watermark moved on")

    def test_reread_of_a_feed_change_keeps_what_it_cannot_name(self):
        entries = [self.entry(60, notes=f"entry {n}") for n in range(3)]
        self.pull()
        self.assertTrue(all(self.line_of(e) for e in entries))
        self.fake.corrupt("time_entries", entries[1]["id"], omit=("id",))
        job = self.enqueue(
            "psa_import", {"object": "time_entries", "ids": [e["id"] for e in entries]}, None
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        # the record without an id is not taken for deleted: its timesheet stays
        for entry in entries:
            self.assertEqual(len(self.line_of(entry)), 1, entry["notes"])
        self.assert_exception("time_entries", None, {"notes": "entry 1"})

    def test_expense_with_an_amount_that_is_not_a_number(self):
        good = self.fake.add_expense(self.workspace_id, self.alice_user["id"], 1000)
        bad = self.fake.add_expense(self.workspace_id, self.alice_user["id"], 2000)
        self.fake.corrupt("expenses", bad["id"], amount_in_cents="12,50")
        job = self.pull("expenses")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["unreadable"], 1)
        Expense = self.env["hr.expense"]
        self.assertTrue(Expense.search([("psa_expense_id", "=", good["id"])]))
        self.assertFalse(Expense.search([("psa_expense_id", "=", bad["id"])]))
        self.assert_exception("expenses", bad["id"], {"amount_in_cents": "12,50"})

    def test_person_with_an_email_that_is_not_text(self):
        bob = self.env["hr.employee"].create({"name": "Bob", "work_email": "bob@example.com"})
        broken = self.fake.add_user("Broken", "broken@example.com")
        self.fake.corrupt("users", broken["id"], email_address=42)
        bob_user = self.fake.add_user("Bob", "bob@example.com")
        job = self.enqueue("psa_people", {}, "psa:people")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["unreadable"], 1)
        self.assertEqual(self.binding_of(bob.id, "hr.employee").external_id, bob_user["id"])
        self.assert_exception("users", broken["id"], {"email_address": 42})

    def test_workspace_without_id(self):
        broken = self.fake.add_workspace("Broken workspace")
        self.fake.corrupt("workspaces", broken["id"], omit=("id",))
        fine = self.fake.add_workspace("Fine workspace")
        job = self.enqueue("pull", {"object": "projects"}, "pull:projects")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["unreadable"], 1)
        self.assertTrue(self.binding_of(fine["id"], "project.project", external=True))
        self.assert_exception("projects", None, {"title": "Broken workspace"})
