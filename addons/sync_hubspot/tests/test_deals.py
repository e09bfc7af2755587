# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from .common import HubSpotCase

BATCH_UPDATE = "/crm/v3/objects/deals/batch/update"


class TestDeals(HubSpotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.robot = Product.create(
            {
                "name": "Robot arm",
                "default_code": "RA-200",
                "type": "consu",
                "invoice_policy": "order",
            }
        )
        cls.install = Product.create(
            {
                "name": "Installation",
                "default_code": "SRV-INSTALL",
                "type": "service",
                "service_tracking": "project_only",
                "invoice_policy": "order",
            }
        )

    def won_deal(self, name="Warehouse automation", skus=("RA-200", "SRV-INSTALL")):
        company = self.fake.add("companies", {"name": f"{name} Corp", "domain": "acme.example"})
        deal = self.fake.add(
            "deals",
            {"dealname": name, "dealstage": "closedwon", "pipeline": "default"},
            [("companies", company)],
        )
        for sku in skus:
            self.fake.add(
                "line_items",
                {"name": f"Item {sku}", "hs_sku": sku, "quantity": "2", "price": "100.00"},
                [("deals", deal)],
            )
        return company, deal

    def deliver(self, deal):
        job = self.enqueue("hubspot_deal", {"ids": [deal]}, f"hubspot:deal:{deal}")
        self.run_jobs()
        return job

    def orders_of(self, deal):
        return self.env["sale.order"].search([("origin", "=", f"HubSpot deal {deal}")])

    def test_won_deal_order_and_project_exactly_once(self):
        company, deal = self.won_deal()
        job = self.deliver(deal)
        self.assertEqual(job.state, "done", job.error)
        order = self.record_of(deal, "sale.order")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, self.record_of(company))
        self.assertEqual(order.partner_id.name, "Warehouse automation Corp")
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["RA-200", "SRV-INSTALL"]
        )
        self.assertEqual(order.amount_untaxed, 400.0)
        self.assertEqual(len(order.project_ids), 1, "the service product made the project")
        # redelivery: the webhook again, then the pull: nothing more is created
        self.assertEqual(self.deliver(deal).state, "done")
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        self.run_jobs()
        self.assertEqual(self.orders_of(deal), order)
        self.assertEqual(len(order.project_ids), 1)
        self.assertEqual(
            self.env["project.project"].search_count([("sale_order_id", "=", order.id)]), 1
        )

    def test_pull_enqueues_only_won_deals(self):
        _company, won = self.won_deal()
        lost = self.fake.add("deals", {"dealname": "Lost", "dealstage": "closedlost"})
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["enqueued"], 1)
        self.run_jobs()
        self.assertTrue(self.orders_of(won))
        self.assertFalse(self.orders_of(lost))

    def test_missing_sku_opens_exception(self):
        _company, deal = self.won_deal(skus=("RA-200", "NOPE-1"))
        job = self.deliver(deal)
        self.assertEqual(job.state, "failed")
        exc = job.exception_ids
        self.assertEqual(exc.category, "missing_reference")
        self.assertIn("NOPE-1", exc.name)
        self.assertIn(deal, exc.name)
        self.assertFalse(self.orders_of(deal))

    def test_deal_leaving_won_raises_conflict_keeps_order(self):
        _company, deal = self.won_deal()
        self.deliver(deal)
        order = self.record_of(deal, "sale.order")
        self.fake.update("deals", deal, {"dealstage": "closedlost"})
        job = self.deliver(deal)
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.exception_ids.category, "conflict")
        self.assertEqual(job.exception_ids.res_id, order.id)
        self.assertTrue(order.exists())
        self.assertEqual(order.state, "sale")

    def test_writeback_batched(self):
        deals = [self.won_deal(name=f"Deal {n}", skus=("RA-200",))[1] for n in range(3)]
        for deal in deals:
            self.assertEqual(self.deliver(deal).state, "done")
        orders = [self.record_of(deal, "sale.order") for deal in deals]
        for order in orders[:2]:
            order._create_invoices().action_post()
        self.fake.reset_log()
        job = self.enqueue("hubspot_writeback", {}, "hubspot:writeback")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.calls("POST", BATCH_UPDATE), 1, "one batch call for all orders")
        result = json.loads(job.result)
        self.assertEqual(result["sent"], 3)
        self.assertGreater(result["rate_limit_remaining"], 0, "X-HubSpot-RateLimit-Remaining")
        props = self.fake.get("deals", deals[0])["properties"]
        self.assertEqual(props["odoo_invoice_number"], orders[0].invoice_ids.name)
        self.assertEqual(props["odoo_invoice_state"], "not_paid")
        self.assertEqual(float(props["odoo_amount_invoiced"]), orders[0].invoice_ids.amount_total)
        self.assertEqual(float(props["odoo_amount_paid"]), 0.0)
        self.assertEqual(
            self.fake.get("deals", deals[2])["properties"]["odoo_amount_invoiced"], "0.00"
        )
        # nothing changed: nothing is sent again
        job = self.enqueue("hubspot_writeback", {}, "hubspot:writeback")
        self.run_jobs()
        self.assertEqual(json.loads(job.result), {"sent": 0})
        self.assertEqual(self.calls("POST", BATCH_UPDATE), 1)
