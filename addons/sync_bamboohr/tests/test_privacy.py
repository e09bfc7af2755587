# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Pay never stored in clear (asserted on the stored rows, read with SQL), and forgetting an
employee synced from BambooHR."""

import json

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_bamboohr.fake.server import BambooHRFake, sign_webhook
from odoo.addons.sync_core.masking import FORGOTTEN
from odoo.addons.sync_core.tests.common import drain_jobs

KEY = "bamboo-test-key"
PRIVATE_KEY = "bamboo-webhook-private-key"
STORED = (
    ("sync_event", "body"),
    ("sync_event", "headers"),
    ("sync_job", "payload"),
    ("sync_job", "result"),
    ("sync_job", "error"),
    ("sync_audit", "changes"),
    ("sync_exception", "name"),
    ("sync_exception", "payload_text"),
    ("sync_exception", "technical_detail"),
)


@tagged("post_install", "-at_install")
class TestPrivacy(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "BambooHR privacy",
                "kind": "bamboohr",
                "bamboohr_company": "privco",
                "bamboohr_api_key": KEY,
                "webhook_secret": PRIVATE_KEY,
                "timeout": 10,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake = BambooHRFake(company="privco", api_key=KEY)
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)

    def stored(self):
        """Every stored text of this backend's sync rows, as the database holds it."""
        self.env.flush_all()
        texts = []
        for table, column in STORED:
            self.env.cr.execute(
                f"SELECT {column}::text FROM {table} WHERE backend_id = %s",
                [self.backend.id],
            )
            texts += [row[0] for row in self.env.cr.fetchall() if row[0]]
        return "\n".join(texts)

    def deliver(self, items):
        body = json.dumps({"employees": items}).encode()
        url = f"/sync/bamboohr/{self.backend.webhook_token}"
        return self.url_open(url, data=body, headers=sign_webhook(PRIVATE_KEY, body))

    def pay_hook(self, emp_id):
        return {
            "id": emp_id,
            "action": "Updated",
            "timestamp": "2026-03-01T10:00:00Z",
            "changedFields": ["Pay rate", "Pay type"],
            "fields": {
                "Pay rate": "123456.00 USD",
                "payRate": {"value": "123456.00", "currency": "USD"},
                "Pay type": "Salary",
            },
        }

    def test_pay_never_stored_in_clear(self):
        emp = self.fake.add_employee("Pay", "Roll", "payroll@example.com")
        self.fake.add_compensation(emp["id"], "2026-01-01", 123456, paid_per="Year")
        # a row the layer cannot convert: kept in an exception, its values masked
        self.fake.add_compensation(emp["id"], "2026-02-01", 98765, paid_per="Fortnight")
        self.env["sync.hr"]._schedule(self.backend)
        drain_jobs(self, self.backend)
        # a webhook posting the pay fields, and one refused (no id) that posts them too
        self.assertEqual(self.deliver([self.pay_hook(emp["id"])]).status_code, 200)
        bad = self.pay_hook(emp["id"])
        bad.pop("id")
        self.assertEqual(self.deliver([bad]).status_code, 400)
        drain_jobs(self, self.backend)
        employee = self.env["sync.hr"]._bound_employees(self.backend, [emp["id"]])[emp["id"]]
        self.assertAlmostEqual(employee.hourly_cost, 123456 / 2080, 2)
        exc = self.env["sync.exception"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("pattern", "=", "compensation row not convertible"),
            ]
        )
        # one open exception, seen by the pull and again by the webhook's re-read
        self.assertEqual((len(exc), exc.state, exc.occurrences), (1, "open", 2))
        self.assertIn("***", exc.payload_text)
        self.assertIn("2026-02-01", exc.payload_text)  # the raw row is kept, its pay masked
        kinds = set(
            self.env["sync.job"].search([("backend_id", "=", self.backend.id)]).mapped("kind")
        )
        self.assertTrue({"hr_pull", "hr_import"} <= kinds, kinds)
        self.assertTrue(self.env["sync.audit"].search([("res_model", "=", "sync.hr.cost.rate")]))
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 2)
        stored = self.stored()
        for value in ("123456", "98765", "59.35", "47.48"):
            self.assertNotIn(value, stored)
        self.assertIn("***", stored)

    def test_forget_an_employee_masks_their_traces(self):
        action = self.env.ref("sync_hr.sync_forget_action_employee")
        self.assertEqual(action.binding_model_id.model, "hr.employee")
        emp = self.fake.add_employee("Erin", "Forgotten", "erin@forget.test")
        self.fake.add_compensation(emp["id"], "2026-01-01", 40.0)
        self.fake.add_compensation(emp["id"], "2026-02-01", 41.0, paid_per="Fortnight")
        self.env["sync.hr"]._schedule(self.backend)
        drain_jobs(self, self.backend)
        self.assertEqual(self.deliver([self.pay_hook(emp["id"])]).status_code, 200)
        drain_jobs(self, self.backend)
        employee = self.env["sync.hr"]._bound_employees(self.backend, [emp["id"]])[emp["id"]]
        self.assertIn("Erin Forgotten", self.stored())
        wizard = (
            self.env["sync.forget"]
            .with_context(active_model="hr.employee", active_id=employee.id)
            .create({})
        )
        self.assertEqual(wizard.record_ref, employee)
        wizard.action_forget()
        stored = self.stored()
        self.assertNotIn("Erin", stored)
        self.assertNotIn("erin@forget.test", stored)
        self.assertIn(FORGOTTEN, stored)
        self.assertEqual(employee.name, "Erin Forgotten")  # the record itself stays
        self.assertTrue(self.env["sync.hr"]._bound_employees(self.backend, [emp["id"]]))
