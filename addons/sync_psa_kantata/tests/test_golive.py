# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.sync_core.tests.common import go_live_as_worker, row_counts

from .common import PsaCase

BUSINESS = (
    "account_analytic_line",
    "hr_expense",
    "hr_employee",
    "project_project",
    "sync_binding",
    "sync_job",
    "sync_exception",
    "sync_watermark",
)


@tagged("post_install", "-at_install")
class TestGoLivePsa(PsaCase):
    """Time entries and people, which the PSA layer applies itself, in the go-live preview."""

    def counts(self):
        return row_counts(self.env, BUSINESS)

    def test_preview_rehearses_time_and_people_then_go_live_pulls_them(self):
        approved = self.entry(90, notes="Robot cell programming")
        unapproved = self.entry(30, approved=False)
        bob = self.fake.add_user("Bob Nobody", "bob@example.com")
        waiting = self.entry(60, user=bob)
        preview = self.env["sync.golive.preview"].create({"backend_id": self.backend.id})
        before = self.counts()
        preview.action_run_preview()
        self.assertEqual(self.counts(), before, "a preview writes no business row")

        def lines(object_name):
            return {
                ln.external_id: ln for ln in preview.line_ids if ln.remote_object == object_name
            }

        time = lines("time_entries")
        self.assertEqual(time[str(approved["id"])].outcome, "create")
        self.assertIn("account.analytic.line", time[str(approved["id"])].detail)
        self.assertEqual(time[str(unapproved["id"])].outcome, "unchanged")
        self.assertEqual(time[str(waiting["id"])].outcome, "rejected")
        self.assertIn("bob@example.com", time[str(waiting["id"])].detail)
        people = lines("users")
        alice = people[str(self.alice_user["id"])]
        self.assertEqual((alice.outcome, alice.res_id), ("match", self.alice.id))
        self.assertEqual(alice.record_name, "Alice Consultant")
        self.assertEqual(people[str(bob["id"])].outcome, "unchanged")

        go_live_as_worker(self, preview)
        self.run_jobs()
        self.assertEqual(self.line_of(approved).unit_amount, 1.5, "pulled for real")
        self.assertFalse(self.line_of(unapproved))
        self.assertFalse(self.line_of(waiting))
