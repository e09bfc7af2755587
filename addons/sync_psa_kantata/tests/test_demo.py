# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.sync_psa_kantata.fake.__main__ import seed_demo
from odoo.addons.sync_psa_kantata.fake.server import KantataFake

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestDemo(PsaCase):
    def setUp(self):
        # no per-test fake of the common case: the demo's own
        super(PsaCase, self).setUp()  # pylint: disable=bad-super-call

    def test_demo_setup_time_flows_into_the_deal_project_and_its_invoice(self):
        fake = KantataFake(token="kantata-demo")
        seed_demo(fake)
        base_url = fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"]._kantata_demo_setup(base_url.removesuffix("/api/v1"))
        self.backend = backend
        self.assertEqual(backend.base_url, base_url)
        # the consultant whose time is approved is an employee (the set-up makes sure)
        mitchell = self.env["hr.employee"].search(
            [("work_email", "=", "admin@yourcompany.example.com")]
        )
        self.assertEqual(len(mitchell), 1)
        # the won deal's order creates the project: the outbox pushes it as a workspace, on
        # which the consultants log time
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "client_order_ref": "Acme Robotics - Warehouse automation",
                "order_line": [(0, 0, {"product_id": self.service.id, "product_uom_qty": 20})],
            }
        )
        order.action_confirm()
        self.run_jobs()
        self.env["sync.psa"]._schedule(backend)  # the next scheduled sync
        self.run_jobs()
        lines = self.env["account.analytic.line"].search([("psa_backend_id", "=", backend.id)])
        self.assertEqual(lines.employee_id, mitchell)
        self.assertEqual(lines.project_id, order.project_ids)
        self.assertEqual(sum(lines.mapped("unit_amount")), 12.0, "approved time only")
        waiting = self.env["sync.exception"].search(
            [("backend_id", "=", backend.id), ("state", "=", "open")]
        )
        self.assertEqual(len(waiting), 1)
        self.assertIn("Priya Consultant", waiting.name)
        self.assertIn("5.00 h", waiting.name)
        expense = self.env["hr.expense"].search([("psa_backend_id", "=", backend.id)])
        self.assertAlmostEqual(expense.total_amount_currency, 184.50)
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 12.0)
        # calling it again reuses the backend
        self.assertEqual(self.env["sync.backend"]._kantata_demo_setup(base_url), backend)
