# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_bamboohr.fake.server import BambooHRFake, sign_webhook
from odoo.addons.sync_core.tests.common import drain_jobs

KEY = "bamboo-test-key"
PRIVATE_KEY = "bamboo-webhook-private-key"


@tagged("post_install", "-at_install")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "BambooHR hooks",
                "kind": "bamboohr",
                "bamboohr_company": "hookco",
                "bamboohr_api_key": KEY,
                "webhook_secret": PRIVATE_KEY,
                "timeout": 10,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake = BambooHRFake(company="hookco", api_key=KEY)
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.url = f"/sync/bamboohr/{self.backend.webhook_token}"

    def post(self, body, headers):
        return self.url_open(self.url, data=body, headers=headers)

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_signed_webhook_stored_and_employee_refetched(self):
        emp = self.fake.add_employee("Web", "Hook", "web@example.com", job_title="Analyst")
        body, headers = self.fake.webhook(PRIVATE_KEY, [emp["id"]])
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(len(self.events()), 1)
        drain_jobs(self, self.backend)
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", emp["id"])]
        )
        employee = self.env["hr.employee"].browse(binding.res_id)
        self.assertEqual(employee.job_title, "Analyst")  # read from the API, not the body
        self.assertEqual(self.fake.calls[f"GET employees/{emp['id']}"], 1)

    def test_forged_webhook_refused(self):
        body, headers = self.fake.webhook("not-the-key", ["1"])
        self.assertEqual(self.post(body, headers).status_code, 401)
        body, headers = self.fake.webhook(PRIVATE_KEY, ["1"])
        tampered = body.replace(b'"1"', b'"2"')
        self.assertEqual(self.post(tampered, headers).status_code, 401)
        self.assertFalse(self.events())

    def test_stale_webhook_refused(self):
        body = json.dumps({"employees": [{"id": "1", "action": "Updated"}]}).encode()
        headers = sign_webhook(PRIVATE_KEY, body, timestamp=time.time() - 3600)
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 401)
        self.assertIn("stale", response.text)
        self.assertFalse(self.events())

    def test_redelivery_counted_and_malformed_kept_as_rejected(self):
        emp = self.fake.add_employee("Re", "Delivered", "re@example.com")
        body, headers = self.fake.webhook(PRIVATE_KEY, [emp["id"]])
        self.assertEqual(self.post(body, headers).status_code, 200)
        self.assertEqual(self.post(body, headers).status_code, 200)
        self.assertEqual(self.events().delivery_count, 2)
        bad = json.dumps({"employees": []}).encode()
        self.assertEqual(self.post(bad, sign_webhook(PRIVATE_KEY, bad)).status_code, 400)
        rejected = self.events().filtered(lambda e: e.state == "rejected")
        self.assertEqual(len(rejected), 1)
