# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import time

from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.sync_hubspot.fake import demo_webhooks, webhooks
from odoo.addons.sync_hubspot.fake.__main__ import seed_demo
from odoo.addons.sync_hubspot.fake.server import HubSpotFake


class TestDemo(TransactionCase):
    def test_demo_setup_flows_into_odoo(self):
        fake = HubSpotFake(token="pat-demo")
        deal = seed_demo(fake)
        base_url = fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"]._hubspot_demo_setup(base_url)
        self.assertEqual(
            len(backend.env["sync.mapping"].search([("backend_id", "=", backend.id)])), 2
        )
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        Job = self.env["sync.job"]
        for _round in range(20):  # the demo's jobs, then the deal jobs the deal pull enqueued
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.env.invalidate_all()
            if not Job.search_count([("backend_id", "=", backend.id), ("state", "=", "pending")]):
                break
            time.sleep(1.0)  # the channel throttle (HubSpot's rate-limit headers) lets one by
        jobs = Job.search([("backend_id", "=", backend.id)])
        failed = jobs.filtered(lambda j: j.state == "failed")
        self.assertEqual(set((jobs - failed).mapped("state")), {"done"}, jobs.mapped("error"))
        # the second demo deal sells a SKU Odoo does not know: one exception to resolve
        self.assertEqual(len(failed), 1)
        problem = failed.exception_ids
        self.assertEqual(problem.category, "missing_reference")
        self.assertIn("SRV-AUDIT", problem.name)
        self.assertEqual(problem.fix_missing_key, "SRV-AUDIT")
        self.assertEqual(
            problem.remote_url,
            f"{base_url}/contacts/{fake.portal_id}/record/0-3/{problem.external_id}",
        )
        self.assertEqual(backend.state, "ok")
        alice = self.env["res.partner"].search([("email", "=", "alice@acme-robotics.example")])
        self.assertEqual(alice.parent_id.name, "Acme Robotics")
        # HubSpot's free-text country ("Belgium", "France") resolves by name
        self.assertEqual(alice.parent_id.country_id.code, "BE")
        initech = self.env["res.partner"].search([("name", "=", "Initech Services")])
        self.assertEqual(initech.country_id.code, "FR")
        order = self.env["sale.order"].search([("origin", "=", f"HubSpot deal {deal}")])
        self.assertEqual(order.partner_id, alice.parent_id)
        self.assertEqual(order.state, "sale")
        self.assertEqual(len(order.project_ids), 1)
        # calling it again reuses the backend
        self.assertEqual(self.env["sync.backend"]._hubspot_demo_setup(base_url), backend)


@tagged("post_install", "-at_install")
class TestDemoWebhooks(HttpCase):
    def test_demo_webhooks_fill_the_inbox(self):
        """setup/demo.sh's signed webhooks reach the demo backend's inbox, once each."""
        fake = HubSpotFake(token="pat-demo", client_secret="fake-client-secret")
        seed_demo(fake)
        base_url = fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"]._hubspot_demo_setup(base_url)
        url = f"{self.base_url()}/sync/hubspot/{backend.sudo().webhook_token}"
        events = demo_webhooks.demo_events(base_url, "pat-demo", fake.portal_id)
        self.assertEqual(len(events), 5)  # 3 companies and 2 deals of the demo portal
        for _delivery in range(2):  # delivered twice, as demo_webhooks.main does
            body, headers = webhooks.signed_request(url, events, "fake-client-secret")
            res = self.url_open(url, data=body, headers=headers)
            self.assertEqual(res.status_code, 200, res.text)
        stored = self.env["sync.event"].search([("backend_id", "=", backend.id)])
        self.assertEqual(len(stored), 5)
        self.assertEqual(set(stored.mapped("delivery_count")), {2})
        self.assertEqual(sorted(set(stored.mapped("object_name"))), ["companies", "deals"])
