# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce opportunities on the shared quote-to-order workflow, against the fake over HTTP."""

import json
from datetime import timedelta

import requests

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.tests.common import retry_from_form
from odoo.addons.sync_salesforce.fake import outbound as sender

from .common import SalesforceCase

COLLECTIONS = "/composite/sobjects"


@tagged("-at_install", "post_install")
class OpportunityCase(SalesforceCase, HttpCase):
    """Products in Odoo (a licence, a consulting service that makes a project) and helpers
    that make opportunities in the fake as a Salesforce user would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.licence = Product.create(
            {"name": "CRM licence", "default_code": "SF-LIC", "type": "consu",
             "invoice_policy": "order"}
        )  # fmt: skip
        cls.consulting = Product.create(
            {"name": "Consulting day", "default_code": "SF-CONSULT", "type": "service",
             "service_tracking": "project_only", "invoice_policy": "order"}
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.products = {}

    def product2(self, code):
        if code not in self.products:
            self.products[code] = self.fake.add(
                "Product2", {"Name": f"Product {code}", "ProductCode": code}
            )
        return self.products[code]

    def opportunity(
        self, name="CRM rollout", stage="Closed Won", lines=(("SF-LIC", 2, 100.0, 0.0),), **extra
    ):
        account = extra.pop("AccountId", None) or self.fake.add(
            "Account", {"Name": f"{name} Inc", "Website": f"{name.split()[0].lower()}.example"}
        )
        opp = self.fake.add(
            "Opportunity",
            {"Name": name, "StageName": stage, "CloseDate": "2026-12-15", "AccountId": account,
             **extra},
        )  # fmt: skip
        for code, quantity, price, discount in lines:
            self.add_line(opp, code, quantity, price, discount)
        return account, opp

    def add_line(self, opp, code, quantity=1, price=100.0, discount=0.0):
        return self.fake.add(
            "OpportunityLineItem",
            {"OpportunityId": opp, "Product2Id": self.product2(code), "Quantity": quantity,
             "UnitPrice": price, "Discount": discount},
        )  # fmt: skip

    def run_jobs(self):
        """The job runner until no job of the backend is due (deal jobs a pull enqueued)."""
        Job = self.env["sync.job"]
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        for _round in range(10):  # an HttpCase runs in the registry's test mode already
            cron.method_direct_trigger()
            self.env.invalidate_all()
            if not Job.search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", "pending")]
            ):
                return

    def deliver(self, *opps):
        values = self.backend._sale_deal_job_values(opps[0])
        self.assertEqual(values["kind"], "salesforce_opportunity")
        job = self.env["sync.job"]._enqueue(
            self.backend,
            values["kind"],
            payload={**values["payload"], "ids": list(opps)},
            identity_key=values["identity_key"],
        )
        self.run_jobs()
        return job

    def pull_opportunities(self):
        job = self.env["sync.job"]._enqueue(
            self.backend,
            "salesforce_pull_opportunities",
            payload={"object": "Opportunity"},
            identity_key="pull:Opportunity",
        )
        self.run_jobs()
        return job

    def notify(self, notes):
        """POST one Outbound Message to the backend's endpoint; its SOAP Ack."""
        res = self.url_open(
            f"{self.base_url()}/sync/salesforce/{self.backend.webhook_token}",
            data=sender.envelope(self.fake.org_id, notes),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        self.assertEqual(res.status_code, 200, res.text)
        self.assertIn("<Ack>true</Ack>", res.text)

    def orders_of(self, opp):
        return self.env["sale.order"].search([("origin", "=", f"Salesforce opportunity {opp}")])

    def open_exceptions(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )

    def line_item_queries(self):
        return [q for q in self.fake.queries() if "FROM OpportunityLineItem" in q]


@tagged("-at_install", "post_install")
class TestOpportunities(OpportunityCase):
    def test_won_opportunity_one_order_and_project_under_redelivery(self):
        account, opp = self.opportunity(
            lines=(("SF-LIC", 2, 100.0, 0.0), ("SF-CONSULT", 3, 500.0, 10.0))
        )
        note = (sender.notification_id(), "Opportunity", {"Id": opp, "StageName": "Closed Won"})
        self.notify([note])
        self.notify([note])  # Salesforce did not see the Ack: the same message again
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual((len(events), events.delivery_count), (1, 2))
        self.assertEqual(events.job_id.kind, "salesforce_opportunity")
        self.run_jobs()
        self.assertEqual(events.job_id.state, "done", events.job_id.error)
        order = self.record_of(opp, "sale.order")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, self.record_of(account))
        self.assertEqual(order.partner_id.name, "CRM rollout Inc")
        consulting = order.order_line.filtered(lambda sol: sol.product_id == self.consulting)
        self.assertEqual((consulting.product_uom_qty, consulting.discount), (3.0, 10.0))
        self.assertEqual(order.amount_untaxed, 200.0 + 1350.0)
        self.assertEqual(len(order.project_ids), 1, "the consulting line made the project")
        self.assertEqual(len(self.line_item_queries()), 1)
        self.assertIn(f"WHERE OpportunityId IN ('{opp}')", self.line_item_queries()[0])
        # a pull overlapping the notification, then the notification once more (a new id)
        job = self.pull_opportunities()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result), {**json.loads(job.result), "applied": 1})
        self.notify([(sender.notification_id(), "Opportunity", {"Id": opp})])
        self.run_jobs()
        self.assertEqual(self.orders_of(opp), order)
        self.assertEqual(
            self.env["project.project"].search_count([("sale_order_id", "=", order.id)]), 1
        )
        self.assertFalse(self.open_exceptions())
        note = order.message_ids.filtered(lambda m: "/lightning/r/Opportunity/" in (m.body or ""))
        self.assertIn(f"{self.fake.base_url}/lightning/r/Opportunity/{opp}/view", note.body)

    def test_a_burst_of_notifications_is_one_job_and_a_bad_deal_goes_alone(self):
        opps = [self.opportunity(name=f"Burst {n}")[1] for n in range(3)]
        _a, bad = self.opportunity(name="Burst bad", lines=(("SF-NOPE", 1, 10.0, 0.0),))
        self.notify([(sender.notification_id(), "Opportunity", {"Id": o}) for o in opps])
        self.notify([(sender.notification_id(), "Opportunity", {"Id": bad})])
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        job = events.job_id
        self.assertEqual(len(events), 4)
        self.assertEqual(len(job), 1, "the notifications joined one pending deal job")
        self.assertEqual(sorted(job.payload["ids"]), sorted([*opps, bad]))
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        reads = [q for q in self.fake.queries() if "FROM Opportunity WHERE Id IN" in q]
        lines = self.line_item_queries()
        self.assertEqual((len(reads), len(lines)), (2, 2), "the batch, then the bad deal alone")
        for opp in (*opps, bad):
            self.assertIn(opp, reads[0])
            self.assertIn(opp, lines[0])
        self.assertIn(bad, lines[1])
        self.assertFalse([opp for opp in opps if opp in lines[1]])
        for opp in opps:
            self.assertEqual(self.orders_of(opp).state, "sale")
        alone = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
        )
        self.assertEqual(alone.payload["ids"], [bad])
        self.assertEqual(alone.exception_ids.fix_missing_key, "SF-NOPE")
        self.assertIn("handed to its own job", json.loads(job.result)[bad])

    def test_line_items_of_a_batch_in_one_query(self):
        opps = [self.opportunity(name=f"Batch {n}")[1] for n in range(3)]
        job = self.deliver(*opps)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(len(self.line_item_queries()), 1, self.line_item_queries())
        for opp in opps:
            self.assertEqual(self.orders_of(opp).order_line.product_id, self.licence)

    def test_pull_applies_a_page_with_one_line_item_query_and_isolates_a_bad_deal(self):
        opps = [self.opportunity(name=f"Page {n}")[1] for n in range(3)]
        _a, bad = self.opportunity(name="Page bad", lines=(("SF-NOPE", 1, 10.0, 0.0),))
        _a, quiet = self.opportunity(name="Page open", stage="Prospecting")
        pull = self.pull_opportunities()
        self.assertEqual(pull.state, "done", pull.error)
        self.assertEqual(json.loads(pull.result)["applied"], 3)
        self.assertEqual(json.loads(pull.result)["enqueued"], 1)
        queries = self.line_item_queries()
        self.assertEqual(len(queries), 2, "the page's line items, then the bad deal's own job")
        for opp in (*opps, bad):
            self.assertIn(opp, queries[0])
        self.assertNotIn(quiet, queries[0], "an open opportunity needs no lines")
        for opp in opps:
            self.assertEqual(self.orders_of(opp).state, "sale")
        failed = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
        )
        self.assertEqual(failed.payload, {"object": "Opportunity", "ids": [bad]})
        exc = failed.exception_ids
        self.assertEqual((exc.fix_missing_key, exc.external_id), ("SF-NOPE", bad))
        self.assertFalse(self.orders_of(bad))
        # the product is created; the next pull that sees the deal applies it and fixes it
        self.env["product.product"].create({"name": "Nope", "default_code": "SF-NOPE"})
        self.fake.update("Opportunity", bad, {"Description": "touched"})
        pull = self.pull_opportunities()
        self.assertEqual(json.loads(pull.result)["applied"], 4, "3 bound (no change), 1 new")
        self.assertTrue(self.orders_of(bad))
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(failed.state, "cancelled")

    def test_pull_result_counts_every_remote_call_of_the_job(self):
        """The pull reads its page, then (applying it) the page's line items and accounts
        through adapters of their own: its remote_calls counts them all, as the org did."""
        opps = [self.opportunity(name=f"Counted {n}")[1] for n in range(3)]
        before = self.fake.calls()
        pull = self.pull_opportunities()
        self.assertEqual(pull.state, "done", pull.error)
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(jobs, pull, "the pull applied every opportunity itself")
        for opp in opps:
            self.assertEqual(self.orders_of(opp).state, "sale")
        result = json.loads(pull.result)
        self.assertEqual(result["remote_calls"], self.fake.calls() - before)
        self.assertGreaterEqual(result["remote_calls"], 3, "opportunities, items, accounts")

    def test_line_item_notification_refetches_its_opportunity(self):
        _account, opp = self.opportunity(stage="Negotiation/Review")
        self.backend.sale_confirm_orders = False  # quotations follow their line items
        self.fake.update("Opportunity", opp, {"StageName": "Closed Won"})
        self.assertEqual(self.deliver(opp).state, "done")
        order = self.record_of(opp, "sale.order")
        self.assertEqual(order.state, "draft")
        # a line item added, notified without its OpportunityId: re-read, then its opportunity
        item = self.add_line(opp, "SF-CONSULT", 4, 250.0)
        self.notify([(sender.notification_id(), "OpportunityLineItem", {"Id": item})])
        self.run_jobs()
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["SF-CONSULT", "SF-LIC"]
        )
        self.assertEqual(order.amount_untaxed, 200.0 + 1000.0)
        # a quantity changed, notified with its OpportunityId: straight to the opportunity
        self.fake.update("OpportunityLineItem", item, {"Quantity": 2})
        self.notify(
            [(sender.notification_id(), "OpportunityLineItem", {"Id": item, "OpportunityId": opp})]
        )
        self.run_jobs()
        self.assertEqual(order.amount_untaxed, 200.0 + 500.0)
        self.assertEqual(len(self.orders_of(opp)), 1)
        audit = self.env["sync.audit"].search(
            [
                ("res_model", "=", "sale.order"),
                ("res_id", "=", order.id),
                ("operation", "=", "write"),
            ]
        )
        self.assertEqual(len(audit), 2, "each line change audited")

    def test_bulk_pull_reads_csv_opportunities_alike(self):
        """Above the Bulk threshold the opportunities come as CSV (IsWon "true", Amount as
        text, Account.Name as a dotted column): the same deals."""
        self.backend.salesforce_bulk_threshold = 1
        _account, won = self.opportunity(name="Bulk won")
        _account, open_ = self.opportunity(name="Bulk open", stage="Prospecting")
        job = self.pull_opportunities()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 1, "read by a Bulk 2.0 job")
        self.assertEqual(json.loads(job.result)["applied"], 1)
        order = self.record_of(won, "sale.order")
        self.assertEqual((order.state, order.amount_untaxed), ("sale", 200.0))
        self.assertFalse(self.orders_of(open_))

    def test_reopened_opportunity_is_a_conflict(self):
        _account, opp = self.opportunity()
        self.assertEqual(self.deliver(opp).state, "done")
        order = self.record_of(opp, "sale.order")
        self.fake.update("Opportunity", opp, {"StageName": "Negotiation/Review"})
        pull = self.pull_opportunities()
        self.assertEqual(pull.state, "done", pull.error)
        self.assertEqual(json.loads(pull.result)["enqueued"], 1, "handed to its own job")
        exc = self.open_exceptions()
        self.assertEqual(exc.category, "conflict")
        self.assertEqual((exc.res_model, exc.res_id), ("sale.order", order.id))
        self.assertIn("Negotiation/Review", exc.name)
        self.assertEqual(order.state, "sale", "nothing changed on the order")

    def test_deleted_opportunities_conflict_with_their_order_and_archive_their_lead(self):
        self.backend.sale_mirror_open_deals = True
        _account, won = self.opportunity(name="Deleted won")
        _account, open_ = self.opportunity(name="Deleted open", stage="Qualification")
        _account, never = self.opportunity(name="Deleted unbound", stage="Closed Lost")
        self.backend.sale_mirror_open_deals = False
        pull = self.pull_opportunities()
        self.assertEqual(pull.state, "done", pull.error)
        order = self.record_of(won, "sale.order")
        self.backend.sale_mirror_open_deals = True
        self.assertEqual(self.deliver(open_).state, "done")
        lead = self.record_of(open_, "crm.lead")
        self.assertTrue(lead.active)
        wm = self.watermark("Opportunity")
        start = wm.salesforce_deleted_until - timedelta(minutes=10)
        wm.salesforce_deleted_until = start
        for opp in (won, open_, never):
            self.fake.delete("Opportunity", opp, when=start + timedelta(minutes=1))
        pull = self.pull_opportunities()
        self.assertEqual(pull.state, "done", pull.error)
        result = json.loads(pull.result)
        self.assertEqual((result["deletes"], result["deleted_deals"]), (3, 2))
        self.assertEqual(self.fake.calls("/sobjects/Opportunity/deleted/"), 1)
        self.assertGreater(wm.salesforce_deleted_until, start)
        exc = self.open_exceptions()
        self.assertEqual(exc.category, "conflict")
        self.assertIn("was deleted", exc.name)
        self.assertEqual(exc.res_id, order.id)
        self.assertEqual(order.state, "sale", "nothing deleted in Odoo")
        self.assertFalse(lead.active, "the mirrored opportunity is archived")

    def test_won_stage_by_configuration_and_lost_marks_lead_lost(self):
        self.backend.write(
            {"salesforce_won_stages": "Contract Signed", "sale_mirror_open_deals": True}
        )
        _account, signed = self.opportunity(name="Signed", stage="Contract Signed")
        _account, losing = self.opportunity(name="Losing", stage="Prospecting", Amount=None)
        job = self.pull_opportunities()
        self.assertEqual(job.state, "done", job.error)
        self.assertTrue(self.orders_of(signed), "a configured stage counts as won")
        lead = self.record_of(losing, "crm.lead")
        self.assertEqual(
            (lead.type, lead.name, lead.expected_revenue), ("opportunity", "Losing", 200.0)
        )
        self.fake.update("Opportunity", losing, {"StageName": "Closed Lost"})
        self.notify([(sender.notification_id(), "Opportunity", {"Id": losing})])
        self.run_jobs()
        lead = lead.with_context(active_test=False)
        self.assertEqual((lead.won_status, lead.active), ("lost", False))
        self.assertFalse(self.orders_of(losing))

    def test_legal_entity_routed_by_account_field(self):
        benelux = self.env["res.company"].create({"name": "Salesforce Benelux"})
        self.backend.write(
            {
                "salesforce_legal_entity_field": "Account.Legal_Entity__c",
                "sale_company_ids": [(0, 0, {"remote_value": "BNL", "company_id": benelux.id})],
            }
        )
        account = self.fake.add("Account", {"Name": "Gent NV", "Legal_Entity__c": "bnl"})
        _a, opp = self.opportunity(name="Gent rollout", AccountId=account)
        other = self.fake.add("Account", {"Name": "Paris SA", "Legal_Entity__c": "FRA"})
        _a, unmapped = self.opportunity(name="Paris rollout", AccountId=other)
        self.assertEqual(self.deliver(opp).state, "done")
        order = self.record_of(opp, "sale.order")
        self.assertEqual(order.company_id, benelux)
        job = self.deliver(unmapped)
        self.assertEqual(job.state, "failed")
        self.assertIn("legal entity 'FRA'", job.exception_ids.name)
        self.assertFalse(self.orders_of(unmapped))

    def test_multi_currency_order_in_the_opportunity_currency(self):
        foreign_code = "EUR" if self.env.company.currency_id.name != "EUR" else "USD"
        foreign = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", foreign_code)])
        )
        foreign.active = True
        self.env["product.pricelist"].search([("currency_id", "=", foreign.id)]).action_archive()
        self.backend.salesforce_multi_currency = True
        _a, opp = self.opportunity(name="Euro deal", CurrencyIsoCode=foreign_code)
        job = self.deliver(opp)
        self.assertEqual(job.state, "failed")
        self.assertIn(f"no pricelist in {foreign_code}", job.exception_ids.name)
        self.assertFalse(self.orders_of(opp), "no order in the wrong currency")
        pricelist = self.env["product.pricelist"].create(
            {"name": f"In {foreign_code}", "currency_id": foreign.id}
        )
        job = self.deliver(opp)
        self.assertEqual(job.state, "done", job.error)
        order = self.record_of(opp, "sale.order")
        self.assertEqual((order.pricelist_id, order.currency_id), (pricelist, foreign))
        self.assertEqual(order.amount_untaxed, 200.0)
        # a single-currency org: the org currency, whatever the record says
        home = self.env.company.currency_id
        self.backend.write({"salesforce_multi_currency": False, "salesforce_currency": home.name})
        _a, plain = self.opportunity(name="Home deal", CurrencyIsoCode=foreign_code)
        self.assertEqual(self.deliver(plain).state, "done")
        self.assertEqual(self.orders_of(plain).currency_id, home)

    def test_missing_product_code_names_opportunity_and_code_then_fix(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.salesforce_instance_url, self.fake.base_url)
        _a, opp = self.opportunity(name="Audit", lines=(("SF-LIC", 1, 100.0, 0.0),
                                                        ("SF-AUDIT", 2, 300.0, 0.0)))  # fmt: skip
        for _i in range(2):
            job = self.deliver(opp)
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.occurrences, 2)
        self.assertIn(opp, exc.name)
        self.assertIn("SF-AUDIT", exc.name)
        self.assertEqual((exc.remote_object, exc.external_id), ("Opportunity", opp))
        self.assertEqual(exc.fix_missing_key, "SF-AUDIT")
        url = f"{self.fake.base_url}/lightning/r/Opportunity/{opp}/view"
        self.assertEqual(exc.remote_url, url)
        page = requests.get(url, timeout=5)
        self.assertEqual(page.json()["Name"], "Audit")
        action = exc.action_fix_create_record()
        ctx = action["context"]
        self.assertEqual(ctx["default_default_code"], "SF-AUDIT")
        self.assertEqual(ctx["default_list_price"], 300.0)
        self.env["product.product"].with_context(**ctx).create({})
        action = retry_from_form(self, exc)
        self.assertEqual(action["params"]["type"], "success", action["params"])
        order = self.orders_of(opp)
        codes = order.order_line.mapped("product_id.default_code")
        self.assertEqual((exc.state, sorted(codes)), ("resolved", ["SF-AUDIT", "SF-LIC"]))
        label = "Salesforce: won opportunity to sale order and project"
        self.assertEqual(exc.job_id.display_name, f"{label}: Opportunity {opp} ({order.name})")
        self.assertTrue(job)


@tagged("-at_install", "post_install")
class TestOpportunityWriteback(OpportunityCase):
    def won_orders(self, count):
        opps = []
        for n in range(count):
            _a, opp = self.opportunity(name=f"Invoice {n}")
            self.assertEqual(self.deliver(opp).state, "done")
            opps.append(opp)
        return opps, [self.record_of(opp, "sale.order") for opp in opps]

    def writeback(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "sale_writeback", payload={}, identity_key="salesforce:writeback"
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        return json.loads(job.result)

    def test_partial_failure_one_exception_per_item_successes_not_resent(self):
        opps, orders = self.won_orders(3)
        for order in orders:
            order._create_invoices().action_post()
        self.fake.reject_items([opps[1]], message="Opportunity is locked for edits")
        result = self.writeback()
        self.assertEqual((result["sent"], result["failed"]), (2, 1))
        self.assertEqual(self.fake.calls(COLLECTIONS, "PATCH"), 1, "one call for the batch")
        for opp, order in ((opps[0], orders[0]), (opps[2], orders[2])):
            data = self.fake.get("Opportunity", opp)
            self.assertEqual(data["Odoo_Invoice_Number__c"], order.invoice_ids.name)
            self.assertEqual(data["Odoo_Invoice_State__c"], "not_paid")
            self.assertEqual(data["Odoo_Amount_Invoiced__c"], order.invoice_ids.amount_total)
            self.assertEqual(data["Odoo_Amount_Paid__c"], 0.0)
        self.assertNotIn("Odoo_Invoice_Number__c", self.fake.get("Opportunity", opps[1]))
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1)
        self.assertEqual((exc.remote_object, exc.external_id), ("Opportunity", opps[1]))
        self.assertEqual((exc.res_model, exc.res_id), ("sale.order", orders[1].id))
        self.assertIn("Opportunity is locked for edits", exc.name)
        self.assertIn(opps[1], exc.name)
        # the next write-back sends the failed item only, and resolves its exception
        result = self.writeback()
        self.assertEqual(result["sent"], 1)
        self.assertEqual(self.fake.calls(COLLECTIONS, "PATCH"), 2)
        body_ids = self.fake.get("Opportunity", opps[1])["Odoo_Invoice_Number__c"]
        self.assertEqual(body_ids, orders[1].invoice_ids.name)
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(self.writeback(), {"sent": 0}, "nothing changed, nothing sent")
        self.assertEqual(self.fake.calls(COLLECTIONS, "PATCH"), 2)

    def test_two_hundred_per_call_and_account_fields(self):
        self.backend.write(
            {
                "salesforce_account_field_amount_invoiced": "Odoo_Invoiced__c",
                "salesforce_account_field_amount_paid": "Odoo_Paid__c",
            }
        )
        account, first = self.opportunity(name="Account A")
        _a, second = self.opportunity(name="Account B", AccountId=account)
        for opp in (first, second):
            self.assertEqual(self.deliver(opp).state, "done")
        orders = [self.record_of(opp, "sale.order") for opp in (first, second)]
        invoices = self.env["account.move"]
        for order in orders:
            invoices |= order._create_invoices()
        invoices.action_post()
        result = self.writeback()
        self.assertEqual(result["sent"], 3, "two opportunities and their account once")
        data = self.fake.get("Account", account)
        self.assertEqual(data["Odoo_Invoiced__c"], round(sum(invoices.mapped("amount_total")), 2))
        self.assertEqual(data["Odoo_Paid__c"], 0.0)
        self.assertEqual(self.writeback(), {"sent": 0})
        # 201 items: two calls (sObject Collections take 200 records)
        adapter = self.backend._get_adapter()
        items = [(first, {"Description": f"v{n}"}) for n in range(201)]
        answer = self.backend._sale_send_writeback(adapter, "Opportunity", items)
        self.assertEqual(set(answer.values()), {None})
        self.assertEqual(self.fake.calls(COLLECTIONS, "PATCH"), 2 + 2)
