# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields
from odoo.tests import tagged

from odoo.addons.sync_dynamics.fake.__main__ import seed_demo
from odoo.addons.sync_dynamics.fake.server import DataverseFake

from .common import DynamicsCase


@tagged("post_install", "-at_install")
class TestDynamicsDemo(DynamicsCase):
    def test_demo_backend_won_opportunity_becomes_order_and_project(self):
        with DataverseFake(client_id="demo-app-id", client_secret="demo-app-secret") as fake:
            seed_demo(fake)
            backend = self.env["sync.backend"]._dynamics_demo_setup(fake.base_url)
            self.assertEqual(backend.state, "ok", backend.status_message)
            jobs = self.env["sync.job"].search([("backend_id", "=", backend.id)])
            jobs.write({"eta": fields.Datetime.now()})  # no waiting for the pulls' delays
            self.backend = backend
            self.run_jobs()
            again = self.env["sync.backend"]._dynamics_demo_setup(fake.base_url)
        self.assertEqual(again, backend)
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        mara = self.env["res.partner"].search([("email", "=", "mara@alpine-robotics.example")])
        self.assertEqual(mara.parent_id.name, "Alpine Robotics")
        order = self.env["sale.order"].search([("partner_id", "=", mara.parent_id.id)])
        self.assertEqual((order.state, order.amount_untaxed), ("sale", 8800.0))
        self.assertEqual(len(order.project_ids), 1)
        mirrored = self.env["crm.lead"].search([("name", "=", "Baltic field service pilot")])
        self.assertEqual(len(mirrored), 1, "the open opportunity is mirrored")
