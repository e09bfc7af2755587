# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The shared quote-to-order workflow, fed with canonical deals as a connector hands them over
(a generic backend stands for the CRM; its write-back goes to sync_core's generic fake)."""

from datetime import date

from odoo.tests import Form, TransactionCase, tagged

from odoo.addons.sync_core.exceptions import (
    ConflictError,
    DuplicateSuspectedError,
    MissingReferenceError,
    ValidationSyncError,
)
from odoo.addons.sync_core.fake.server import GenericFake

from ..deal import LOST, OPEN, WON, Deal, DealLine, DealParty

URL = "https://crm.example/deals/"


@tagged("post_install", "-at_install")
class TestQuoteToOrder(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.fake = GenericFake(token="q2o-token")
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "CRM test",
                "kind": "generic",
                "base_url": cls.fake.base_url,
                "api_token": "q2o-token",
                "timeout": 5,
            }
        )
        Product = cls.env["product.product"]
        cls.arm = Product.create(
            {
                "name": "Arm",
                "default_code": "Q2O-ARM",
                "type": "consu",
                "invoice_policy": "order",
                "list_price": 900.0,
            }
        )
        cls.install = Product.create(
            {
                "name": "Install",
                "default_code": "Q2O-SRV",
                "type": "service",
                "service_tracking": "project_only",
                "invoice_policy": "order",
            }
        )
        cls.company = cls.env.company
        Currency = cls.env["res.currency"].with_context(active_test=False)
        code = "EUR" if cls.company.currency_id.name != "EUR" else "USD"
        cls.foreign = Currency.search([("name", "=", code)], limit=1)
        # no pricelist of any test or demo data in the foreign currency
        cls.env["product.pricelist"].search([("currency_id", "=", cls.foreign.id)]).action_archive()
        cls.seq = 0

    def deal(self, status=WON, skus=("Q2O-ARM", "Q2O-SRV"), **values):
        type(self).seq += 1
        ext = values.pop("external_id", f"D{self.seq}")
        lines = [DealLine(sku, quantity=2.0, name=f"Item {sku}", price_unit=100.0) for sku in skus]
        customer = DealParty(
            "companies", f"C-{ext}", name=f"Customer {ext}", email=f"buyer@{ext.lower()}.example"
        )
        return Deal(
            ext,
            name=f"Deal {ext}",
            status=status,
            customer=values.pop("customer", customer),
            lines=lines,
            url=URL + ext,
            **values,
        )

    def order_of(self, deal):
        return self.record_of(deal, "sale.order")

    def record_of(self, deal, res_model):
        binding = self.backend._sale_binding(res_model, deal)
        return self.env[res_model].browse(binding.res_id if binding else [])

    def audits(self, record):
        return self.env["sync.audit"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    # ------------------------------------------------------------------ order, once, traced
    def test_won_deal_order_project_customer_once_and_traced(self):
        deal = self.deal()
        self.assertEqual(self.backend._sale_apply_deal(deal), f"created {self.order_of(deal).name}")
        order = self.order_of(deal)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.origin, f"Generic REST (JSON) deal {deal.external_id}")
        self.assertEqual(order.client_order_ref, deal.name)
        self.assertEqual(order.amount_untaxed, 400.0)
        partner = order.partner_id
        self.assertEqual(partner.name, f"Customer {deal.external_id}")
        self.assertTrue(partner.is_company)
        project = self.env["project.project"].search([("sale_order_id", "=", order.id)])
        self.assertEqual(len(project), 1)
        # the audit trail records what the workflow created
        for record in (order, project, partner):
            audit = self.audits(record)
            self.assertEqual(audit.mapped("operation"), ["create"], record)
            self.assertEqual(audit.backend_id, self.backend)
        self.assertEqual(self.audits(partner).external_id, deal.customer.external_id)
        # each says where it came from: note with the CRM, the deal and its link; a binding
        for record in (order, project, partner):
            notes = record.message_ids.filtered(lambda m, d=deal: d.url in (m.body or ""))
            self.assertEqual(len(notes), 1, record)
            self.assertIn("CRM test", notes.body)
            self.assertIn(deal.name, notes.body)
            self.assertIn(order.name, notes.body)
            self.assertEqual(record.sync_binding_count, 1, record)
            action = record.action_open_sync_bindings()
            binding = self.env["sync.binding"].search(action["domain"])
            self.assertEqual(binding.backend_id, self.backend)
        self.assertEqual(self.record_of(deal, "project.project"), project)
        # redelivered: nothing more
        self.assertEqual(self.backend._sale_apply_deal(deal), "order exists")
        self.assertEqual(self.env["sale.order"].search_count([("origin", "=", order.origin)]), 1)
        self.assertEqual(len(self.audits(order)), 1)

    def test_customer_matched_by_vat_not_duplicated(self):
        existing = self.env["res.partner"].create(
            {"name": "Known Ltd", "vat": "BE0477472701", "is_company": True}
        )
        deal = self.deal(
            customer=DealParty(
                "companies", "C-vat", name="Known (CRM spelling)", vat="be0477472701"
            )
        )
        self.backend._sale_apply_deal(deal)
        self.assertEqual(self.order_of(deal).partner_id, existing)
        self.assertEqual(existing.name, "Known Ltd", "a matched customer is not overwritten")
        self.assertFalse(self.audits(existing), "nothing created, nothing to audit")
        self.assertEqual(self.backend._sale_bound_partner(deal.customer), existing)

    def test_customer_matching_a_partner_bound_elsewhere_is_a_duplicate(self):
        first = self.deal(customer=DealParty("companies", "C-one", name="One", vat="FR123"))
        self.backend._sale_apply_deal(first)
        second = self.deal(customer=DealParty("companies", "C-two", name="Two", vat="fr123"))
        with self.assertRaises(DuplicateSuspectedError) as caught:
            self.backend._sale_apply_deal(second)
        self.assertEqual(caught.exception.res_id, self.order_of(first).partner_id.id)
        self.assertIn("C-one", caught.exception.message)
        self.assertFalse(self.order_of(second))

    def test_won_deal_without_customer_or_lines(self):
        with self.assertRaisesRegex(MissingReferenceError, "no associated company"):
            self.backend._sale_apply_deal(self.deal(customer=None))
        with self.assertRaisesRegex(ValidationSyncError, "has no line items"):
            self.backend._sale_apply_deal(self.deal(skus=()))

    def test_missing_product_names_deal_and_sku(self):
        deal = self.deal(skus=("Q2O-ARM", "NOPE-9"))
        with self.assertRaises(MissingReferenceError) as caught:
            self.backend._sale_apply_deal(deal)
        self.assertIn(deal.external_id, caught.exception.message)
        self.assertIn(deal.name, caught.exception.message)
        self.assertIn("NOPE-9", caught.exception.message)
        self.assertEqual(caught.exception.pattern, "missing product SKU NOPE-9")
        self.assertFalse(self.order_of(deal))

    def test_create_product_for_missing_sku_is_a_service_making_a_task(self):
        """Issue 15 point 4: "Create product" prefills a service (not goods bought) that
        creates a task in the deal's project, invoiced as the backend's setting says, and
        says so; saved as is, the retried deal's line makes the task to log time on."""
        self.assertEqual(self.backend.sale_service_policy, "delivered_timesheet")
        deal = self.deal(skus=("Q2O-ARM", "Q2O-AUDIT"))
        with self.assertRaises(MissingReferenceError) as caught:
            self.backend._sale_apply_deal(deal)
        exc = self.env["sync.exception"]._open(self.backend, caught.exception)
        item = exc.fix_data["missing"][0]
        self.assertEqual(item["label"], "service, invoiced on Timesheets")
        self.assertIn("Prefilled as a service invoiced on Timesheets", exc.fix_status)
        self.assertIn("creates a task in the deal's project", exc.fix_status)
        self.assertIn("the CRM does not say whether the line is a service", exc.fix_status)
        action = exc.action_fix_create_record()
        self.assertEqual(action["name"], "Create Q2O-AUDIT (service, invoiced on Timesheets)")
        ctx = action["context"]
        self.assertEqual(
            {k: ctx[k] for k in ("default_type", "default_service_tracking")},
            {"default_type": "service", "default_service_tracking": "task_in_project"},
        )
        self.assertIs(ctx["default_purchase_ok"], False)
        # the form as the user sees it (defaults, then the form's onchanges), saved as is
        form = Form(self.env["product.product"].with_context(**ctx))
        self.assertEqual((form.type, form.service_policy), ("service", "delivered_timesheet"))
        self.assertFalse(form.purchase_ok)
        product = form.save()
        self.assertEqual(
            (product.default_code, product.type, product.service_tracking),
            ("Q2O-AUDIT", "service", "task_in_project"),
        )
        self.assertEqual((product.invoice_policy, product.service_type), ("delivery", "timesheet"))
        # the deal again: its line makes a task in the order's project, timesheets invoice it
        self.backend._sale_apply_deal(deal)
        line = self.order_of(deal).order_line.filtered(lambda ln: ln.product_id == product)
        self.assertEqual(line.qty_delivered_method, "timesheet")
        self.assertTrue(line.task_id)
        self.assertEqual(line.task_id.project_id, line.project_id)
        self.assertTrue(line.project_id.allow_timesheets)
        self.assertEqual(line.task_id.sale_line_id, line)

    def test_create_product_defaults_follow_backend_and_deal_line(self):
        """Milestones when the backend says so; goods when the CRM says the line is goods."""
        self.backend.sale_service_policy = "delivered_milestones"
        deal = self.deal(skus=("Q2O-MS", "Q2O-BOX"))
        deal.lines[1].service = False
        deal.lines[0].service = True
        with self.assertRaises(MissingReferenceError) as caught:
            self.backend._sale_apply_deal(deal)
        items = {i["key"]: i for i in caught.exception.fix_data["missing"]}
        self.assertEqual(
            (
                items["Q2O-MS"]["values"]["invoice_policy"],
                items["Q2O-MS"]["values"]["service_type"],
            ),
            ("delivery", "milestones"),
        )
        self.assertIn("because the deal line is a service", items["Q2O-MS"]["note"])
        self.assertEqual(items["Q2O-BOX"]["label"], "goods")
        self.assertEqual(items["Q2O-BOX"]["values"]["type"], "consu")
        self.assertIs(items["Q2O-BOX"]["values"]["purchase_ok"], False)

    def test_deal_leaving_won_is_a_conflict(self):
        deal = self.deal()
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        deal.status, deal.stage = LOST, "Lost"
        with self.assertRaises(ConflictError) as caught:
            self.backend._sale_apply_deal(deal)
        self.assertEqual(caught.exception.res_id, order.id)
        self.assertIn("moved to stage Lost", caught.exception.message)
        self.assertEqual(order.state, "sale")

    # ------------------------------------------------------------------ currency
    def test_order_takes_the_deal_currency_or_stops(self):
        self.foreign.active = False
        deal = self.deal(currency_code=self.foreign.name.lower())
        with self.assertRaisesRegex(ValidationSyncError, "not active"):
            self.backend._sale_apply_deal(deal)
        self.foreign.active = True
        with self.assertRaises(MissingReferenceError) as caught:
            self.backend._sale_apply_deal(deal)
        self.assertIn(f"no pricelist in {self.foreign.name}", caught.exception.message)
        self.assertFalse(self.order_of(deal), "no order in the wrong currency")
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign", "currency_id": self.foreign.id, "company_id": self.company.id}
        )
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        self.assertEqual(order.currency_id, self.foreign)
        self.assertEqual(order.pricelist_id, pricelist)
        self.assertEqual(order.amount_untaxed, 400.0, "the deal's prices, in its currency")

    def test_deal_in_company_currency_needs_no_pricelist(self):
        other = self.env["product.pricelist"].create(
            {"name": "Foreign default", "currency_id": self.foreign.id}
        )
        self.foreign.active = True
        deal = self.deal(currency_code=self.company.currency_id.name)
        customer = self.env["res.partner"].create(
            {"name": "Foreign-priced", "email": deal.customer.email, "is_company": True}
        )
        customer.property_product_pricelist = other
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        self.assertEqual(order.partner_id, customer, "matched by e-mail")
        self.assertEqual(order.currency_id, self.company.currency_id)

    # ------------------------------------------------------------------ line items
    def test_line_changes_update_the_quotation_then_conflict_once_confirmed(self):
        self.backend.sale_confirm_orders = False
        deal = self.deal()
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        self.assertEqual(order.state, "draft")
        self.assertEqual(self.backend._sale_apply_deal(deal), "order exists", "same lines")
        deal.lines = [
            DealLine("Q2O-ARM", quantity=3.0, name="Item Q2O-ARM", price_unit=100.0),
            DealLine("Q2O-SRV", quantity=1.0, name="Install (discounted)", price_unit=80.0),
            DealLine("Q2O-ARM", quantity=1.0, price_unit=50.0, discount=10.0),
        ]
        self.assertEqual(self.backend._sale_apply_deal(deal), f"updated {order.name}")
        lines = order.order_line.sorted(lambda line: (line.sequence, line.id))
        self.assertEqual(lines.mapped("product_uom_qty"), [3.0, 1.0, 1.0])
        self.assertEqual(lines.mapped("price_unit"), [100.0, 80.0, 50.0])
        self.assertEqual(lines[1].name, "Install (discounted)")
        self.assertEqual(lines[2].discount, 10.0)
        self.assertEqual(order.amount_untaxed, 300.0 + 80.0 + 45.0)
        audit = self.audits(order).filtered(lambda a: a.operation == "write")
        self.assertEqual(len(audit), 1)
        self.assertIn("Q2O-ARM x 3", str(audit.changes["order_line"][1]))
        # a line removed in the CRM is removed from the quotation
        deal.lines = deal.lines[:2]
        self.backend._sale_apply_deal(deal)
        self.assertEqual(len(order.order_line), 2)
        # confirmed: a change is a conflict, the order stays as it is
        order.action_confirm()
        self.assertEqual(self.backend._sale_apply_deal(deal), "order exists")
        deal.lines[0].quantity = 5.0
        with self.assertRaises(ConflictError) as caught:
            self.backend._sale_apply_deal(deal)
        self.assertEqual(caught.exception.pattern, "deal lines changed after confirmation")
        self.assertIn("Q2O-ARM x 5", caught.exception.message)
        self.assertEqual(order.order_line.mapped("product_uom_qty"), [3.0, 1.0])

    # ------------------------------------------------------------------ legal entity
    def test_legal_entity_picks_the_company(self):
        other = self.env["res.company"].create({"name": "Q2O Benelux"})
        self.env.user.company_ids |= other
        self.backend.sale_company_ids = [
            (0, 0, {"remote_value": "BENELUX", "company_id": other.id})
        ]
        deal = self.deal(company_key="benelux ")
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        self.assertEqual(order.company_id, other)
        self.assertEqual(
            self.env["project.project"].search([("sale_order_id", "=", order.id)]).company_id,
            other,
        )
        unknown = self.deal(company_key="Atlantis")
        with self.assertRaisesRegex(MissingReferenceError, "legal entity 'Atlantis'"):
            self.backend._sale_apply_deal(unknown)
        self.assertFalse(self.order_of(unknown))
        plain = self.deal()
        self.backend._sale_apply_deal(plain)
        self.assertEqual(self.order_of(plain).company_id, self.backend.company_id)

    # ------------------------------------------------------------------ opportunities
    def test_mirrored_opportunity_follows_stage_lost_reopened_won(self):
        self.backend.sale_mirror_open_deals = True
        qualified = self.env["crm.stage"].create({"name": "Q2O Qualified", "sequence": 50})
        deal = self.deal(status=OPEN, stage="q2o qualified", amount=1500.0)
        self.assertIn("created", self.backend._sale_apply_deal(deal))
        lead = self.record_of(deal, "crm.lead")
        self.assertEqual(lead.stage_id, qualified)
        self.assertEqual(lead.expected_revenue, 1500.0)
        self.assertEqual(self.audits(lead).mapped("operation"), ["create"])
        self.assertIn("identical", self.backend._sale_apply_deal(deal))
        deal.status, deal.stage = LOST, "closedlost"
        self.assertIn("lost", self.backend._sale_apply_deal(deal))
        lead = lead.with_context(active_test=False)
        self.assertFalse(lead.active)
        self.assertEqual(lead.won_status, "lost")
        self.assertEqual(lead.probability, 0)
        deal.status, deal.stage = OPEN, "Q2O Qualified"
        self.assertIn("restored", self.backend._sale_apply_deal(deal))
        self.assertTrue(lead.active)
        self.assertEqual(lead.won_status, "pending")
        # a remote stage id the backend's table maps
        proposal = self.env["crm.stage"].create({"name": "Q2O Proposal", "sequence": 60})
        self.backend.sale_stage_ids = [
            (0, 0, {"remote_stage": "contractsent", "stage_id": proposal.id})
        ]
        deal.stage = "contractsent"
        self.assertIn("updated", self.backend._sale_apply_deal(deal))
        self.assertEqual(lead.stage_id, proposal)
        deal.status = WON
        self.backend._sale_apply_deal(deal)
        order = self.order_of(deal)
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(order.opportunity_id, lead)
        self.assertEqual(self.env["crm.lead"].search_count([("name", "=", deal.name)]), 1)

    def test_opportunity_revenue_in_company_currency_and_traced(self):
        self.backend.sale_mirror_open_deals = True
        self.env["res.currency.rate"].create(
            {"currency_id": self.foreign.id, "rate": 2.0, "name": "2024-06-30"}
        )
        deal = self.deal(status=OPEN, amount=1000.0, currency_code=self.foreign.name)
        deal.close_date = date(2024, 6, 30)
        self.backend._sale_apply_deal(deal)
        lead = self.record_of(deal, "crm.lead")
        self.assertAlmostEqual(lead.expected_revenue, 500.0)
        note = lead.message_ids.filtered(lambda m: deal.url in (m.body or ""))
        self.assertIn("opportunity", note.body)
        self.assertEqual(lead.sync_binding_count, 1)

    def test_lost_deal_not_mirrored_unless_asked(self):
        deal = self.deal(status=LOST)
        self.assertEqual(self.backend._sale_apply_deal(deal), "not won")
        self.assertFalse(self.record_of(deal, "crm.lead"))

    # ------------------------------------------------------------------ write-back
    def test_invoice_figures_written_back_once(self):
        deals = [self.deal(skus=("Q2O-ARM",)) for _n in range(2)]
        for deal in deals:
            self.fake.put("deals", {"name": deal.name}, ext_id=deal.external_id)
            self.backend._sale_apply_deal(deal)
        invoice = self.order_of(deals[0])._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": invoice.amount_total / 2})._create_payments()
        figures = self.backend._sale_invoice_figures(self.order_of(deals[0]))
        self.assertEqual(figures.invoice_numbers, [invoice.name])
        self.assertEqual(figures.state, "partial")
        self.assertAlmostEqual(figures.amount_invoiced, invoice.amount_total)
        self.assertAlmostEqual(figures.amount_paid, invoice.amount_total / 2)
        result = self.backend._sale_writeback()
        self.assertEqual(result["sent"], 2)
        data = self.fake.get("deals", deals[0].external_id)["data"]
        self.assertEqual(data["invoice_number"], invoice.name)
        self.assertEqual(data["invoice_state"], "partial")
        self.assertEqual(data["amount_paid"], f"{invoice.amount_total / 2:.2f}")
        self.assertEqual(self.fake.get("deals", deals[1].external_id)["data"]["invoice_state"], "")
        self.assertEqual(self.backend._sale_writeback(), {"sent": 0}, "nothing changed")
