# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.sync_bamboohr.fake.__main__ import seed_demo

from .common import BambooCase


@tagged("post_install", "-at_install")
class TestDemo(BambooCase):
    def test_demo_shows_department_manager_cost_rate_and_leave(self):
        seed_demo(self.fake)
        self.fake.api_key = "bamboo-demo"
        self.fake.company = "fakeco"
        backend = self.env["sync.backend"]._bamboohr_demo_setup(self.fake.base_url)
        self.assertEqual(backend.state, "ok", backend.status_message)  # connection tested
        self.backend = backend
        self.run_jobs()
        Binding = self.env["sync.binding"]
        employees = self.env["hr.employee"].browse(
            Binding.search(
                [("backend_id", "=", backend.id), ("res_model", "=", "hr.employee")]
            ).mapped("res_id")
        )
        nora = employees.filtered(lambda e: e.work_email == "nora.analyst@example.com")
        self.assertEqual(nora.department_id.name, "Delivery")
        self.assertEqual(nora.parent_id.name, "Marc Demo")
        self.assertAlmostEqual(nora.hourly_cost, 83200 / 2080)
        leave = self.env["hr.leave"].search([("employee_id", "=", nora.id)])
        self.assertEqual(leave.state, "validate")
