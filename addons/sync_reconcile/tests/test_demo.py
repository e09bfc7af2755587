# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sandbox demo across systems: `make demo`'s set-up (`sync.backend._demo_run`) on the
HubSpot, Salesforce and Kantata fakes started on free ports, and the chain a won CRM deal
starts: order and project -> PSA workspace -> approved time -> timesheets on the order line ->
invoice -> reconciliation, with the invoice figures written back to the CRM."""

import json

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_hubspot.fake.__main__ import seed_demo as seed_hubspot
from odoo.addons.sync_hubspot.fake.server import HubSpotFake
from odoo.addons.sync_psa_kantata.fake.__main__ import seed_demo as seed_kantata
from odoo.addons.sync_psa_kantata.fake.server import KantataFake
from odoo.addons.sync_salesforce import salesforce_adapter
from odoo.addons.sync_salesforce.fake.__main__ import seed_demo as seed_salesforce
from odoo.addons.sync_salesforce.fake.server import SalesforceFake

CRMS = ("sync_hubspot", "sync_salesforce")


def skip_without_crms(case):
    Module = case.env["ir.module.module"]
    missing = [name for name in CRMS if Module._get(name).state != "installed"]
    if missing:
        case.skipTest(f"the demo chain needs {', '.join(missing)} installed")


@tagged("post_install", "-at_install")
class TestDemo(HttpCase):
    """`make demo`'s own set-up (`_demo_run`, as setup/demo.sh calls it) on a fresh database,
    against the three fakes with their demo seeds; then what a user sees (tours)."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Module = cls.env["ir.module.module"]
        if any(Module._get(name).state != "installed" for name in CRMS):
            cls.demo = None
            return
        salesforce_adapter.forget_sessions()
        cls.hubspot = HubSpotFake(token="pat-demo", client_secret="fake-client-secret")
        cls.deal = seed_hubspot(cls.hubspot)
        salesforce = SalesforceFake(password="demo-password", security_token="DEMOTOKEN")
        seed_salesforce(salesforce)
        cls.kantata = KantataFake(token="kantata-demo")
        seed_kantata(cls.kantata)
        urls = {}
        for addon, fake in (
            ("sync_hubspot", cls.hubspot),
            ("sync_salesforce", salesforce),
            ("sync_psa_kantata", cls.kantata),
        ):
            urls[addon] = fake.start()
            cls.addClassCleanup(fake.stop)
        cls.demo = cls.env["sync.backend"]._demo_run(urls)
        Backend = cls.env["sync.backend"]
        cls.psa = Backend.search([("kind", "=", "kantata"), ("sandbox", "=", True)])
        cls.order = cls.env["sale.order"].search([("origin", "=", f"HubSpot deal {cls.deal}")])

    def setUp(self):
        super().setUp()
        if self.demo is None:
            skip_without_crms(self)

    def test_demo_shows_the_psa_leg_and_a_reconciliation(self):
        self.assertEqual(len(self.psa), 1)
        self.assertEqual(self.psa.state, "ok", self.psa.status_message)
        # bindings of the Kantata backend per Odoo model: the projects of the two won deals
        # (HubSpot's and Salesforce's) pushed as workspaces, the consultant who is an
        # employee, her two approved time entries, her expense
        groups = self.env["sync.binding"]._read_group(
            [("backend_id", "=", self.psa.id)], ["res_model"], ["__count"]
        )
        self.assertEqual(
            dict(groups),
            {
                "project.project": 2,
                "hr.employee": 1,
                "account.analytic.line": 2,
                "hr.expense": 1,
            },
        )
        self.assertEqual(len(self.kantata.data["workspaces"]), 2)
        self.assertEqual(self.order.state, "sale")
        project = self.order.project_ids
        self.assertEqual(len(project), 1)
        self.assertIn(project.name, [w["title"] for w in self.kantata.data["workspaces"].values()])
        # approved time: timesheets on the order's service line, with hours and amounts
        line = self.order.order_line.filtered(
            lambda sol: sol.product_id.default_code == "SRV-INSTALL"
        )
        timesheets = self.env["account.analytic.line"].search(
            [("psa_backend_id", "=", self.psa.id)]
        )
        self.assertEqual(
            sorted(timesheets.mapped("name")), ["Robot cell programming", "Site survey"]
        )
        self.assertEqual(timesheets.so_line, line)
        self.assertEqual(timesheets.project_id, project)
        self.assertEqual(sum(timesheets.mapped("unit_amount")), 12.0)
        self.assertEqual(line.qty_delivered, 12.0)
        self.assertEqual(line.price_unit, 125.0)
        self.assertEqual(line.currency_id.name, "EUR")
        self.assertAlmostEqual(line.untaxed_amount_to_invoice, 1500.0)
        mitchell = timesheets.employee_id
        self.assertEqual(mitchell.work_email, "admin@yourcompany.example.com")
        self.assertGreater(mitchell.hourly_cost, 0.0, "the PSA's cost rate filled it")
        self.assertAlmostEqual(sum(timesheets.mapped("amount")), -12.0 * mitchell.hourly_cost)
        self.assertEqual(self.order.timesheet_total_duration, 12)
        # the time awaiting approval in Kantata is not imported
        unapproved = [t for t in self.kantata.data["time_entries"].values() if not t["approved"]]
        self.assertEqual(len(unapproved), 1)
        self.assertFalse(
            self.env["account.analytic.line"].search_count(
                [("psa_entry_id", "=", unapproved[0]["id"])]
            )
        )
        # the expense
        expense = self.env["hr.expense"].search([("psa_backend_id", "=", self.psa.id)])
        self.assertEqual(expense.name, "Train to Brussels")
        self.assertAlmostEqual(expense.total_amount_currency, 184.50)
        self.assertEqual(expense.currency_id.name, "EUR")
        # Priya has no employee: one exception naming her and the hours waiting
        waiting = self.env["sync.exception"].search(
            [
                ("backend_id", "=", self.psa.id),
                ("state", "=", "open"),
                ("category", "=", "missing_reference"),
            ]
        )
        self.assertEqual(len(waiting), 1)
        self.assertIn("Priya Consultant", waiting.name)
        self.assertIn("1 approved time entry, 5.00 h", waiting.name)
        # the reconciliation run: the PSA's approved records against Odoo's; Priya's hours
        # are the one difference (approved in the PSA, not in Odoo)
        run = self.env["sync.reconcile.run"].search([("backend_id", "=", self.psa.id)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(run.staged_count, 4, "3 approved time entries and 1 expense")
        self.assertEqual(run.odoo_count, 3, "2 timesheets and 1 expense")
        self.assertEqual(run.difference_count, 1)
        self.assertAlmostEqual(run.difference_amount, 625.0, msg="5 h at 125.00")
        self.assertEqual(run.line_ids.category, "missing")
        figures = run.figure_ids.filtered(lambda f: f.project_id == project)
        self.assertAlmostEqual(sum(figures.mapped("hours_approved")), 12.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_approved")), 1500.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_unbilled")), 1500.0)

    def test_tours_of_the_psa_leg(self):
        self.start_tour("/odoo", "sync_demo_tour_psa_backend", login="admin")
        self.start_tour(
            f"/odoo/action-sale.action_orders/{self.order.id}",
            "sync_demo_tour_order_timesheets",
            login="admin",
        )
        self.start_tour("/odoo", "sync_demo_tour_reconciliation", login="admin")


@tagged("post_install", "-at_install")
class TestChain(TransactionCase):
    """A won HubSpot deal -> order and project -> Kantata workspace -> approved time ->
    timesheets on the order line -> invoice -> reconciliation ties out; the invoice figures
    go back to the deal in HubSpot and the invoice number to the time entry in Kantata."""

    def setUp(self):
        super().setUp()
        skip_without_crms(self)
        self.env = self.env(context=dict(self.env.context, tracking_disable=True))
        self.hubspot = HubSpotFake(token="pat-chain", client_secret="chain-secret")
        self.kantata = KantataFake(token="kantata-chain")
        Backend = self.env["sync.backend"]
        self.crm = Backend.create(
            {
                "name": "HubSpot chain",
                "kind": "hubspot",
                "base_url": self.hubspot.start(),
                "hubspot_access_token": "pat-chain",
                "hubspot_client_secret": "chain-secret",
                "timeout": 10,
                "hubspot_search_interval_ms": 0,
            }
        )
        self.addCleanup(self.hubspot.stop)
        self.crm._hubspot_create_default_mappings()
        self.psa = Backend.create(
            {
                "name": "Kantata chain",
                "kind": "kantata",
                "base_url": self.kantata.start(),
                "kantata_access_token": "kantata-chain",
                "timeout": 10,
                "psa_event_feed": False,
            }
        )
        self.addCleanup(self.kantata.stop)
        self.env["sync.psa"]._create_default_mappings(self.psa)
        self.env["product.product"].create(
            {
                "name": "Data platform consulting",
                "default_code": "CONS-HOUR",
                "type": "service",
                "service_tracking": "project_only",
                "service_policy": "delivered_timesheet",
                "uom_id": self.env.ref("uom.product_uom_hour").id,
                "list_price": 150.0,
            }
        )
        self.grace = self.env["hr.employee"].create(
            {"name": "Grace Consultant", "work_email": "grace@initrode.example"}
        )

    def run_jobs(self, backend):
        drain_jobs(self, backend)
        failed = self.env["sync.job"].search(
            [("backend_id", "=", backend.id), ("state", "=", "failed")]
        )
        self.assertFalse(failed, failed.mapped("error"))

    def test_won_deal_to_reconciled_invoice(self):
        company = self.hubspot.add("companies", {"name": "Initrode", "domain": "initrode.example"})
        deal = self.hubspot.add(
            "deals",
            {
                "dealname": "Initrode - Data platform",
                "dealstage": "closedwon",
                "pipeline": "default",
            },
            [("companies", company)],
        )
        self.hubspot.add(
            "line_items",
            {"name": "Data platform consulting", "hs_sku": "CONS-HOUR", "quantity": "40",
             "price": "150.00"},
            [("deals", deal)],
        )  # fmt: skip
        Job = self.env["sync.job"]
        Job._enqueue(self.crm, "pull", payload={"object": "companies"}, identity_key="pull:c")
        Job._enqueue(self.crm, "hubspot_deal", payload={"ids": [deal]}, identity_key=f"d:{deal}")
        self.run_jobs(self.crm)
        order = self.env["sale.order"].search([("origin", "=", f"HubSpot deal {deal}")])
        self.assertEqual(order.state, "sale")
        project = order.project_ids
        self.assertEqual(len(project), 1)
        # the project the CRM's workflow made goes to the PSA (echo suppression is per origin:
        # it is not sent back to HubSpot, which made it, but to Kantata, which exports it)
        export = Job.search([("kind", "=", "export"), ("res_id", "=", project.id)])
        self.assertEqual(export.backend_id, self.psa)
        self.run_jobs(self.psa)
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.psa.id), ("res_model", "=", "project.project")]
        )
        self.assertEqual(binding.res_id, project.id)
        workspace = self.kantata.data["workspaces"][binding.external_id]
        self.assertEqual(workspace["title"], project.name)
        # consultants log time on the workspace; only approved time becomes timesheets
        user = self.kantata.add_user("Grace Consultant", "grace@initrode.example")
        for minutes, approved in ((360, True), (120, False)):
            self.kantata.add_time_entry(
                workspace["id"], user["id"], minutes, approved=approved, rate_in_cents=15000
            )
        Job._enqueue(
            self.psa, "psa_pull", payload={"object": "time_entries"}, identity_key="pull:t"
        )
        self.run_jobs(self.psa)
        line = order.order_line
        timesheets = self.env["account.analytic.line"].search(
            [("psa_backend_id", "=", self.psa.id)]
        )
        self.assertEqual(len(timesheets), 1)
        self.assertEqual((timesheets.so_line, timesheets.employee_id), (line, self.grace))
        self.assertEqual(line.qty_delivered, 6.0)
        # invoiced: the figures go back to the deal in HubSpot
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.quantity, 6.0)
        self.assertAlmostEqual(invoice.amount_untaxed, 900.0)
        invoice.action_post()
        self.assertTrue(
            Job.search([("backend_id", "=", self.crm.id), ("kind", "=", "hubspot_writeback")])
        )
        self.run_jobs(self.crm)
        props = self.hubspot.get("deals", deal)["properties"]
        self.assertEqual(props["odoo_invoice_number"], invoice.name)
        self.assertEqual(props["odoo_invoice_state"], "not_paid")
        self.assertEqual(float(props["odoo_amount_invoiced"]), invoice.amount_total)
        # and the invoice number to the time entry in Kantata
        writeback = Job._enqueue(self.psa, "psa_writeback", payload={}, identity_key="psa:wb")
        self.run_jobs(self.psa)
        self.assertEqual(json.loads(writeback.result)["sent"], 1)
        refs = [
            r for r in self.kantata.data["external_references"].values()
            if r["subject_type"] == "TimeEntry"
        ]  # fmt: skip
        self.assertEqual([r["service_model_ref"] for r in refs], [str(timesheets.id)])
        self.assertIn(invoice.name, json.dumps(refs))
        # the reconciliation ties out: what the PSA approved is what Odoo invoiced
        today = fields.Date.context_today(self.psa)
        run = self.env["sync.reconcile.run"].create(
            {"backend_id": self.psa.id, "date_from": today.replace(day=1), "date_to": today}
        )
        self.assertTrue(run._execute())
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual((run.staged_count, run.odoo_count), (1, 1))
        self.assertEqual(
            run.difference_count,
            0,
            run.line_ids.mapped(lambda d: (d.category, d.message, d.psa_amount, d.odoo_amount)),
        )
        figures = run.figure_ids
        self.assertAlmostEqual(sum(figures.mapped("hours_approved")), 6.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_approved")), 900.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_invoiced")), 900.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_unbilled")), 0.0)
