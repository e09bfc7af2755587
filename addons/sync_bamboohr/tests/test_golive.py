# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged
from odoo.tools import SQL

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
        self.env.flush_all()
        out = {}
        for table in BUSINESS:
            self.env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
            out[table] = self.env.cr.fetchone()[0]
        return out

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

        self.env.flush_all()
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:  # as a worker
            self.env(cr=cr)["sync.golive.preview"].browse(preview.id).action_go_live()
        self.env.invalidate_all()
        self.run_jobs()
        self.assertEqual(self.employee_of(ann["id"]).name, "Ann Lee", "pulled for real")
        self.assertEqual(self.employee_of(bea["id"]), existing)
