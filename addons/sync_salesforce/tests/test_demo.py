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
        jobs.write({"eta": fields.Datetime.now()})  # do not wait for the contacts' delay
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        dana = self.env["res.partner"].search([("email", "=", "dana@umbrella-industrial.example")])
        self.assertEqual(dana.parent_id.name, "Umbrella Industrial")
        self.assertEqual(dana.parent_id.country_id.code, "BE")
        self.assertEqual(self.env["sync.backend"]._salesforce_demo_setup(url), backend)
