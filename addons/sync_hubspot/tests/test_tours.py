# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tours (headless Chromium) of the journeys of issue 10: an admin configures a sandbox
backend, an operator drills from the dashboard into the affected records, a finance user fixes
the unknown-SKU exception and gets the order, a manager edits a mapping and previews it.  The
HubSpot fake runs on a free port; the real hubspot-api-client talks to it."""

import time

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.sync_hubspot.fake.server import HubSpotFake

from .common import SECRET, TOKEN


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    browser_size = "1440x900"  # the width issue 10 asks the forms to work at

    def setUp(self):
        super().setUp()
        self.env = self.env(context=dict(self.env.context, tracking_disable=True))
        self.fake = HubSpotFake(token=TOKEN, client_secret=SECRET)
        self.fake_url = self.fake.start()
        self.addCleanup(self.fake.stop)

    # ------------------------------------------------------------------ helpers
    def make_backend(self):
        backend = self.env["sync.backend"].create(
            {
                "name": "HubSpot tour",
                "kind": "hubspot",
                "sandbox": True,
                "base_url": self.fake_url,
                "hubspot_access_token": TOKEN,
                "hubspot_client_secret": SECRET,
                "timeout": 10,
                "hubspot_search_interval_ms": 0,
            }
        )
        backend._hubspot_create_default_mappings()
        backend.action_test_connection()
        return backend

    def run_jobs(self, backend):
        """The job runner until nothing of the backend is due (HttpCase is in test mode)."""
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        Job = self.env["sync.job"]
        for _round in range(20):
            cron.method_direct_trigger()
            self.env.invalidate_all()
            due = Job.search(
                [("backend_id", "=", backend.id), ("state", "=", "pending")], order="eta"
            )
            if not due:
                return
            time.sleep(0.5)

    def unknown_sku_exception(self):
        """The demo's case: a won deal whose line has a SKU no product has."""
        backend = self.make_backend()
        self.env["product.product"].create(
            {"name": "Robot arm", "default_code": "RA-200", "type": "consu"}
        )
        company = self.fake.add(
            "companies", {"name": "Security audit Corp", "domain": "sa.example"}
        )
        deal = self.fake.add(
            "deals",
            {"dealname": "Security audit", "dealstage": "closedwon", "pipeline": "default"},
            [("companies", company)],
        )
        for sku in ("RA-200", "AUDIT-1"):
            self.fake.add(
                "line_items",
                {"name": f"Item {sku}", "hs_sku": sku, "quantity": "1", "price": "100.00"},
                [("deals", deal)],
            )
        Job = self.env["sync.job"]
        Job._enqueue(backend, "pull", payload={"object": "companies"}, identity_key="pull:c")
        self.run_jobs(backend)
        Job._enqueue(backend, "hubspot_deal", payload={"ids": [deal]}, identity_key=f"d:{deal}")
        self.run_jobs(backend)
        exc = self.env["sync.exception"].search(
            [("backend_id", "=", backend.id), ("state", "=", "open")]
        )
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.fix_missing_key, "AUDIT-1")
        return backend, deal, exc

    # ------------------------------------------------------------------ tours
    def test_a_configure_sandbox_backend(self):
        self.env["ir.config_parameter"].set_param("sync_hubspot.tour_fake_url", self.fake_url)
        self.start_tour(
            "/odoo/action-sync_core.sync_backend_action",
            "sync_hubspot_tour_configure_backend",
            login="admin",
        )
        backend = self.env["sync.backend"].search([("name", "=", "HubSpot test portal")])
        self.assertEqual(
            (backend.kind, backend.sandbox, backend.base_url, backend.state),
            ("hubspot", True, self.fake_url, "ok"),
        )
        self.assertEqual(backend.sudo().hubspot_access_token, TOKEN)
        self.assertTrue(self.fake.calls("GET", "/account-info/v3/details"))

    def test_b_dashboard_drill_into_affected(self):
        _backend, _deal, exc = self.unknown_sku_exception()
        affected = self.env["sync.affected"].search([("exception_id", "=", exc.id)])
        self.assertEqual(affected.partner_id.name, "Security audit Corp")
        self.start_tour(
            "/odoo/action-sync_core.sync_backend_action_dashboard",
            "sync_hubspot_tour_dashboard",
            login="admin",
        )

    def test_c_finance_user_fixes_unknown_sku(self):
        _backend, deal, exc = self.unknown_sku_exception()
        # Sync Operator + Invoicing + Sales (all documents); creating a product takes
        # Products: Create (without it the form offers "choose an existing product" only)
        finance = new_test_user(
            self.env,
            "finance",
            name="Fiona Finance",
            groups="sync_core.sync_core_group_operator,account.group_account_invoice,"
            "sales_team.group_sale_salesman_all_leads,product.group_product_manager",
        )
        self.start_tour(
            "/odoo/action-sync_core.sync_exception_action",
            "sync_hubspot_tour_fix_unknown_sku",
            login=finance.login,
        )
        self.assertEqual(exc.state, "resolved")
        order = self.env["sale.order"].search([("origin", "=", f"HubSpot deal {deal}")])
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["AUDIT-1", "RA-200"]
        )
        product = self.env["product.product"].search([("default_code", "=", "AUDIT-1")])
        self.assertEqual(product.create_uid, finance)
        # saved as prefilled: a service whose order line made a task in the deal's project
        self.assertEqual((product.type, product.service_tracking), ("service", "task_in_project"))
        self.assertFalse(product.purchase_ok)
        self.assertTrue(order.order_line.filtered(lambda ln: ln.product_id == product).task_id)

    def test_d_edit_mapping_and_preview(self):
        backend = self.make_backend()
        self.fake.add("companies", {"name": "Globex Corp", "domain": "globex.example"})
        self.env["sync.job"]._enqueue(
            backend, "pull", payload={"object": "companies"}, identity_key="pull:c"
        )
        self.run_jobs(backend)
        partner = self.env["res.partner"].search([("name", "=", "Globex Corp")])
        self.assertTrue(partner)
        self.start_tour(
            "/odoo/action-sync_core.sync_mapping_action",
            "sync_hubspot_tour_mapping_preview",
            login="admin",
        )
        mapping = self.env["sync.mapping"].search(
            [("backend_id", "=", backend.id), ("remote_object", "=", "companies")]
        )
        self.assertEqual(mapping.line_ids[0].transform, "lower")
        self.assertEqual(mapping.version, 2)
        self.assertEqual(partner.name, "Globex Corp", "a preview writes nothing")
