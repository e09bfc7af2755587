# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import TransactionCase

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_hubspot.fake.server import HubSpotFake

TOKEN = "pat-na1-test"
SECRET = "app-client-secret"


class HubSpotCase(TransactionCase):
    """A HubSpot backend (private app token) wired to the wire-level fake, with the default
    mappings; the real hubspot-api-client talks to the fake over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "HubSpot test",
                "kind": "hubspot",
                "hubspot_access_token": TOKEN,
                "hubspot_client_secret": SECRET,
                "timeout": 10,
                "hubspot_search_interval_ms": 0,  # tested on its own (test_rate_limit)
            }
        )
        cls.mappings = cls.backend._hubspot_create_default_mappings()

    def setUp(self):
        super().setUp()
        self.env["sync.backend"]._forget_replaced_credentials()  # an earlier test's tokens
        # a fresh portal per test (the backend's URL change is rolled back with the test)
        self.fake = HubSpotFake(token=TOKEN, client_secret=SECRET)
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)

    def run_jobs(self, wait=3):
        """Run the job runner until no job of the backend is due within `wait` seconds."""
        drain_jobs(self, self.backend, wait=wait)

    def enqueue(self, kind, payload, identity):
        return self.env["sync.job"]._enqueue(
            self.backend, kind, payload=payload, identity_key=identity
        )

    def pull(self, object_name):
        if object_name == "deals":
            job = self.enqueue("hubspot_pull_deals", {"object": "deals"}, "pull:deals")
        else:
            job = self.enqueue("pull", {"object": object_name}, f"pull:{object_name}")
        self.run_jobs()
        return job

    def binding_of(self, external_id, res_model="res.partner"):
        return (
            self.env["sync.binding"]
            .with_context(active_test=False)
            .search(
                [
                    ("backend_id", "=", self.backend.id),
                    ("res_model", "=", res_model),
                    ("external_id", "=", str(external_id)),
                ]
            )
        )

    def record_of(self, external_id, res_model="res.partner"):
        return self.env[res_model].browse(self.binding_of(external_id, res_model).res_id)

    def calls(self, method, path):
        return self.fake.calls(method, path)
