# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestMilestones(PsaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.milestone_product = cls.env["product.product"].create(
            {
                "name": "Implementation (milestones)",
                "type": "service",
                "service_policy": "delivered_milestones",
                "list_price": 10000.0,
            }
        )
        cls.milestone_line = cls.env["sale.order.line"].create(
            {
                "order_id": cls.order.id,
                "product_id": cls.milestone_product.id,
                "product_uom_qty": 1,
            }
        )
        cls.design = cls.env["project.milestone"].create(
            {
                "name": "Design signed off",
                "project_id": cls.project.id,
                "sale_line_id": cls.milestone_line.id,
                "quantity_percentage": 0.4,
            }
        )

    def test_completed_milestone_makes_its_order_line_invoiceable(self):
        story = self.fake.add_story(self.workspace_id, "Design  signed off", "milestone")
        task = self.fake.add_story(self.workspace_id, "Design signed off", "task")
        self.pull("milestones")
        self.assertFalse(self.design.is_reached)
        self.fake.update("stories", task["id"], state="completed")
        self.pull("milestones")
        self.assertFalse(self.design.is_reached, "a task is not a milestone")
        self.fake.update("stories", story["id"], state="completed")
        self.pull("milestones")
        self.assertTrue(self.design.is_reached)
        self.assertAlmostEqual(self.milestone_line.qty_delivered, 0.4)
        invoice = self.invoice_order()
        self.assertAlmostEqual(self.milestone_line.qty_invoiced, 0.4)
        # re-opened after invoicing: a finance exception, the milestone stays reached
        self.fake.update("stories", story["id"], state="started")
        self.pull("milestones")
        self.assertTrue(self.design.is_reached)
        exc = self.exceptions(category="conflict")
        self.assertEqual(len(exc), 1)
        self.assertIn(invoice.name, exc.name)
        self.assertEqual((exc.res_model, exc.res_id), ("account.move", invoice.id))

    def test_reopened_before_invoicing_unreaches_it(self):
        story = self.fake.add_story(
            self.workspace_id, "Design signed off", "milestone", state="completed"
        )
        self.pull("milestones")
        self.assertTrue(self.design.is_reached)
        self.fake.update("stories", story["id"], state="started")
        self.pull("milestones")
        self.assertFalse(self.design.is_reached)
        self.assertFalse(self.exceptions())
