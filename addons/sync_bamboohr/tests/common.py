# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase

from odoo.addons.sync_bamboohr.fake.server import BambooHRFake
from odoo.addons.sync_core.tests.common import drain_jobs

KEY = "bamboo-test-key"
PRIVATE_KEY = "bamboo-webhook-private-key"


class BambooCase(TransactionCase):
    """A BambooHR backend wired to the wire-level fake (a fresh company per test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "BambooHR test",
                "kind": "bamboohr",
                "bamboohr_company": "testco",
                "bamboohr_api_key": KEY,
                "webhook_secret": PRIVATE_KEY,
                "timeout": 10,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake = BambooHRFake(company="testco", api_key=KEY)
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)

    def run_jobs(self, wait=3):
        drain_jobs(self, self.backend, wait=wait)

    def sync(self):
        self.env["sync.hr"]._schedule(self.backend)
        self.run_jobs()

    def job(self, kind):
        return self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", kind)], order="id desc", limit=1
        )

    def employee_of(self, remote_id):
        binding = self.env["sync.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "hr.employee"),
                ("external_id", "=", str(remote_id)),
            ]
        )
        return self.env["hr.employee"].with_context(active_test=False).browse(binding.res_id)

    def exceptions(self, pattern):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("pattern", "=", pattern)]
        )
