# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.sync_core.tests.common import go_live_as_worker, row_counts

from .common import BambooCase

BUSINESS = (
    "hr_employee",
    "hr_department",
    "sync_hr_cost_rate",
    "sync_binding",
    "sync_job",
    "sync_exception",
    "sync_watermark",
    "sync_audit",
)


@tagged("post_install", "-at_install")
class TestGoLiveEmployees(BambooCase):
    """Employees, which the HR layer applies itself, in the go-live preview."""

    def counts(self):
        return row_counts(self.env, BUSINESS)

    def test_preview_rehearses_employees_then_go_live_pulls_them(self):
        existing = self.env["hr.employee"].create(
            {"name": "Bea Known", "work_email": "bea@example.com"}
        )
        ann = self.fake.add_employee("Ann", "Lee", "ann@example.com", department="Delivery")
        bea = self.fake.add_employee("Bea", "Known", "bea@example.com")
        preview = self.env["sync.golive.preview"].create({"backend_id": self.backend.id})
        before = self.counts()
        preview.action_run_preview()
        self.assertEqual(self.counts(), before, "a preview writes no business row")
        lines = {ln.external_id: ln for ln in preview.line_ids if ln.remote_object == "employees"}
        self.assertEqual(lines[str(ann["id"])].outcome, "create")
        self.assertEqual(lines[str(ann["id"])].res_model, "hr.employee")
        self.assertEqual(lines[str(bea["id"])].outcome, "match")
        self.assertEqual(lines[str(bea["id"])].res_id, existing.id)

        go_live_as_worker(self, preview)
        self.run_jobs()
        self.assertEqual(self.employee_of(ann["id"]).name, "Ann Lee", "pulled for real")
        self.assertEqual(self.employee_of(bea["id"]), existing)
