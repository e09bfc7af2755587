# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sync_salesforce import salesforce_adapter
from odoo.addons.sync_salesforce.fake.__main__ import seed_demo
from odoo.addons.sync_salesforce.fake.server import SalesforceFake


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    def test_demo_setup_flows_into_odoo(self):
        salesforce_adapter.forget_sessions()
        fake = SalesforceFake(password="demo-password", security_token="DEMOTOKEN")
        seed_demo(fake)
        url = fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"]._salesforce_demo_setup(url)
        self.assertEqual(backend.state, "ok", backend.status_message)
        self.assertEqual(backend.salesforce_org_id, fake.org_id)
        Job = self.env["sync.job"]
        jobs = Job.search([("backend_id", "=", backend.id)])
        self.assertEqual(
            sorted(jobs.mapped("kind")), ["pull", "pull", "salesforce_pull_opportunities"]
        )
        jobs.write({"eta": fields.Datetime.now()})  # do not wait for the pulls' delays
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        for _round in range(5):  # the pulls, then the deal jobs the opportunity pull enqueued
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.env.invalidate_all()
            if not Job.search_count([("backend_id", "=", backend.id), ("state", "=", "pending")]):
                break
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        dana = self.env["res.partner"].search([("email", "=", "dana@umbrella-industrial.example")])
        self.assertEqual(dana.parent_id.name, "Umbrella Industrial")
        self.assertEqual(dana.parent_id.country_id.code, "BE")
        # the won opportunity: an order and its project; the open one: nothing
        order = self.env["sale.order"].search([("partner_id", "=", dana.parent_id.id)])
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.order_line.product_id.default_code, "SF-CONSULT")
        self.assertEqual(order.amount_untaxed, 12000.0)
        self.assertEqual(len(order.project_ids), 1)
        # the other won opportunity sells a code Odoo does not know: one exception to fix,
        # its link served by the fake
        failed = Job.search([("backend_id", "=", backend.id), ("state", "=", "failed")])
        self.assertEqual(len(failed), 1, failed.mapped("error"))
        problem = failed.exception_ids
        self.assertEqual(problem.fix_missing_key, "SF-TRAINING")
        self.assertIn("Stark admin training", problem.name)
        self.assertEqual(
            problem.remote_url, f"{url}/lightning/r/Opportunity/{problem.external_id}/view"
        )
        # the pull applied the good one itself; the bad one went to a deal job of its own
        deal_jobs = Job.search(
            [("kind", "=", "salesforce_opportunity"), ("backend_id", "=", backend.id)]
        )
        self.assertEqual(deal_jobs, failed)
        self.assertEqual(self.env["sync.backend"]._salesforce_demo_setup(url), backend)
