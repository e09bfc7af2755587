# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import fields

from .common import HubSpotCase

BATCH_UPDATE = "/crm/v3/objects/deals/batch/update"


class DealCase(HubSpotCase):
    """Two products (a robot, a service making a project) and won deals in the fake."""

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


class TestDeals(DealCase):
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
        self.assertFalse(self.binding_of(lost, "crm.lead"), "open deals are not mirrored")

    def test_job_results_count_every_remote_call(self):
        """Each job's remote_calls is every request it sent, through whichever adapter: the
        pull's search and association reads, a deal job's deal, line item and company
        reads; together they are every request the portal received."""
        deals = [self.won_deal(f"Counted {n}")[1] for n in range(2)]
        self.fake.reset_log()
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        for deal in deals:
            self.assertEqual(len(self.orders_of(deal)), 1)
        counted = {j.kind: json.loads(j.result)["remote_calls"] for j in jobs}
        self.assertEqual(len(jobs), 3, "the pull and a job per won deal")
        self.assertEqual(sum(json.loads(j.result)["remote_calls"] for j in jobs), self.fake.calls())
        # a deal job: the deal (and its company association), its line item associations,
        # its line items and its company
        self.assertEqual(counted["hubspot_deal"], 5)

    def test_line_item_not_returned_fails_the_attempt_not_an_order_short_of_it(self):
        """A line item read answered 207 with one of the deal's items missing (HubSpot: "Could
        not get some LINE_ITEM objects"): no order with only the other line; the next attempt
        reads both and makes the order with both lines."""
        _company, deal = self.won_deal()
        links = self.fake.get("deals", deal)["associations"]["line_items"]["results"]
        first, second = sorted((str(r["id"]) for r in links), key=int)
        kept = dict(self.fake.get("line_items", first))
        kept.pop("associations", None)
        self.fake.fail_next(
            1,
            status=207,
            body={
                "status": "COMPLETE",
                "results": [kept],
                "numErrors": 1,
                "errors": [
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": "Could not get some LINE_ITEM objects, they may be deleted "
                        "or not exist. Check that ids are valid.",
                        "context": {"ids": [second]},
                    }
                ],
                "startedAt": "2026-12-01T10:00:00.000Z",
                "completedAt": "2026-12-01T10:00:00.050Z",
            },
            path_contains="/objects/line_items/batch/read",
        )
        job = self.enqueue("hubspot_deal", {"ids": [deal]}, f"hubspot:deal:{deal}")
        self.run_jobs(wait=0)
        self.assertEqual(job.state, "pending", "retried: the read was short of a line item")
        self.assertIn(second, job.error)
        self.assertFalse(self.orders_of(deal))
        job.eta = fields.Datetime.now()
        self.run_jobs(wait=0)
        self.assertEqual(job.state, "done", job.error)
        order = self.orders_of(deal)
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["RA-200", "SRV-INSTALL"]
        )

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
        self.assertEqual(result["rate_limit"]["max"], 190, "X-HubSpot-RateLimit-Max")
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

    def writeback_jobs(self):
        return self.env["sync.job"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("kind", "=", "hubspot_writeback"),
                ("state", "=", "pending"),
            ]
        )

    def test_posting_and_paying_invoices_enqueue_writeback(self):
        deals = [self.won_deal(name=f"Posted {n}", skus=("RA-200",))[1] for n in range(2)]
        for deal in deals:
            self.assertEqual(self.deliver(deal).state, "done")
        orders = [self.record_of(deal, "sale.order") for deal in deals]
        # an order no deal owns: its invoice enqueues nothing
        plain = self.env["sale.order"].create(
            {
                "partner_id": orders[0].partner_id.id,
                "order_line": [(0, 0, {"product_id": self.robot.id, "product_uom_qty": 1})],
            }
        )
        plain.action_confirm()
        plain._create_invoices().action_post()
        self.assertFalse(self.writeback_jobs())
        invoices = self.env["account.move"]
        for order in orders:
            invoices |= order._create_invoices()
        self.assertFalse(self.writeback_jobs(), "a draft invoice changes no figure")
        for invoice in invoices:
            invoice.action_post()
        job = self.writeback_jobs()
        self.assertEqual(len(job), 1, "two posted invoices, one pending write-back batch")
        self.fake.reset_log()
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.calls("POST", BATCH_UPDATE), 1, "one batch call")
        self.assertEqual(json.loads(job.result)["sent"], 2)
        for deal, order in zip(deals, orders, strict=True):
            props = self.fake.get("deals", deal)["properties"]
            invoice = order.invoice_ids
            self.assertEqual(props["odoo_invoice_number"], invoice.name)
            self.assertEqual(props["odoo_invoice_state"], "not_paid")
            self.assertEqual(float(props["odoo_amount_invoiced"]), invoice.amount_total)
            self.assertEqual(float(props["odoo_amount_paid"]), 0.0)
        # registering a payment changes the figures of one deal: enqueued again
        invoice = orders[0].invoice_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        job = self.writeback_jobs()
        self.assertEqual(len(job), 1, "the payment enqueued the write-back")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["sent"], 1, "only the paid deal changed")
        props = self.fake.get("deals", deals[0])["properties"]
        self.assertEqual(props["odoo_invoice_state"], "paid")
        self.assertEqual(float(props["odoo_amount_paid"]), invoice.amount_total)
        self.assertEqual(self.calls("POST", BATCH_UPDATE), 2)

    def test_open_deal_mirrored_to_lead_then_won(self):
        self.backend.sale_mirror_open_deals = True
        company = self.fake.add("companies", {"name": "Mirror Corp"})
        self.assertEqual(self.pull("companies").state, "done")
        deal = self.fake.add(
            "deals",
            {
                "dealname": "Mirror deal",
                "dealstage": "appointmentscheduled",
                "pipeline": "default",
                "amount": "1500.00",
                "closedate": "2024-06-30T10:00:00.000Z",
            },
            [("companies", company)],
        )
        self.fake.add(
            "line_items",
            {"name": "Arm", "hs_sku": "RA-200", "quantity": "1", "price": "1500.00"},
            [("deals", deal)],
        )
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["enqueued"], 1)
        lead = self.record_of(deal, "crm.lead")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.name, "Mirror deal")
        self.assertEqual(lead.expected_revenue, 1500.0)
        self.assertEqual(lead.partner_id, self.record_of(company))
        self.assertEqual(str(lead.date_deadline), "2024-06-30")
        self.assertFalse(self.orders_of(deal))
        # changed in HubSpot: the opportunity follows, no second one
        self.fake.update("deals", deal, {"amount": "1800.00"})
        self.assertEqual(self.deliver(deal).state, "done")
        self.assertEqual(lead.expected_revenue, 1800.0)
        # won: the order flow; the opportunity is won and linked to the order
        self.fake.update("deals", deal, {"dealstage": "closedwon"})
        job = self.deliver(deal)
        self.assertEqual(job.state, "done", job.error)
        order = self.record_of(deal, "sale.order")
        self.assertEqual(order.state, "sale")
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(order.opportunity_id, lead)
        self.assertEqual(self.env["crm.lead"].search_count([("name", "=", "Mirror deal")]), 1)
        # redelivered: nothing more
        self.assertEqual(self.deliver(deal).state, "done")
        self.assertEqual(self.orders_of(deal), order)

    def test_deal_currency_discount_and_legal_entity(self):
        """HubSpot's deal_currency_code, hs_discount_percentage and a configured legal-entity
        property reach the shared workflow."""
        foreign = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", "EUR" if self.env.company.currency_id.name != "EUR" else "USD")])
        )
        foreign.active = True
        self.env["product.pricelist"].search([("currency_id", "=", foreign.id)]).action_archive()
        other = self.env["res.company"].create({"name": "HubSpot Benelux"})
        self.backend.write(
            {
                "hubspot_legal_entity_property": "legal_entity",
                "hubspot_portal_id": "4242",
                "sale_company_ids": [(0, 0, {"remote_value": "BNL", "company_id": other.id})],
            }
        )
        _company, deal = self.won_deal(skus=("RA-200",))
        self.fake.update("deals", deal, {"deal_currency_code": foreign.name, "legal_entity": "BNL"})
        item = self.fake.add(
            "line_items",
            {"name": "Discounted", "hs_sku": "SRV-INSTALL", "quantity": "1", "price": "200.00",
             "hs_discount_percentage": "25"},
            [("deals", deal)],
        )  # fmt: skip
        job = self.deliver(deal)
        self.assertEqual(job.state, "failed")
        self.assertIn(f"no pricelist in {foreign.name}", job.exception_ids.name)
        self.assertFalse(self.orders_of(deal), "no order in the wrong currency")
        pricelist = self.env["product.pricelist"].create(
            {"name": "Benelux", "currency_id": foreign.id, "company_id": other.id}
        )
        job = self.deliver(deal)
        self.assertEqual(job.state, "done", job.error)
        order = self.record_of(deal, "sale.order")
        self.assertEqual(order.company_id, other)
        self.assertEqual((order.pricelist_id, order.currency_id), (pricelist, foreign))
        line = order.order_line.filtered(lambda sol: sol.name == "Discounted")
        self.assertEqual((line.price_unit, line.discount), (200.0, 25.0))
        self.assertEqual(order.amount_untaxed, 200.0 + 150.0)
        self.assertTrue(item)
        note = order.message_ids.filtered(lambda m: "record/0-3" in (m.body or ""))
        self.assertIn(f"https://app.hubspot.com/contacts/4242/record/0-3/{deal}", note.body)

    def test_lost_deal_marks_its_opportunity_lost(self):
        self.backend.sale_mirror_open_deals = True
        deal = self.fake.add(
            "deals", {"dealname": "Will lose", "dealstage": "qualifiedtobuy", "amount": "10"}
        )
        self.assertEqual(self.deliver(deal).state, "done")
        lead = self.record_of(deal, "crm.lead")
        self.assertTrue(lead.active)
        self.fake.update("deals", deal, {"dealstage": "closedlost"})
        self.assertEqual(self.deliver(deal).state, "done")
        self.assertEqual(lead.with_context(active_test=False).won_status, "lost")
        self.assertFalse(lead.active)

    def test_bad_number_is_one_exception_not_a_failed_pull(self):
        _company, good = self.won_deal(name="Good")
        bad = self.fake.add(
            "deals", {"dealname": "Bad", "dealstage": "closedwon", "amount": "12,5 EUR"}
        )
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["enqueued"], 2)
        self.assertTrue(self.orders_of(good))
        failed = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
        )
        self.assertEqual(failed.payload, {"ids": [bad]})
        self.assertEqual(failed.exception_ids.category, "payload")
        self.assertIn("12,5 EUR", failed.exception_ids.name)
