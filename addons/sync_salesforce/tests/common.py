# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.tests import TransactionCase

from odoo.addons.sync_salesforce import salesforce_adapter
from odoo.addons.sync_salesforce.fake.server import SalesforceFake
from odoo.addons.sync_salesforce.models import sync_backend as sf_backend

USERNAME = "integration@example.com"
PASSWORD = "pass-word"
SECURITY_TOKEN = "TOKEN123"
CONSUMER_KEY = "3MVG9-test-consumer-key"
CONSUMER_SECRET = "consumer-secret-42"


def _key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class SalesforceCase(TransactionCase):
    """A Salesforce backend (username + password + security token) wired to the wire-level
    fake, with the default mappings; simple-salesforce talks to the fake over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.private_key, cls.public_key = _key_pair()
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Salesforce test",
                "kind": "salesforce",
                "sandbox": True,
                "salesforce_auth": "password",
                "salesforce_username": USERNAME,
                "salesforce_password": PASSWORD,
                "salesforce_security_token": SECURITY_TOKEN,
                "salesforce_consumer_key": CONSUMER_KEY,
                "salesforce_consumer_secret": CONSUMER_SECRET,
                "salesforce_private_key": cls.private_key,
                "salesforce_org_id": "00D8d0000000001EAA",
                "timeout": 10,
                "salesforce_query_batch_size": 200,  # a few hundred records span pages
            }
        )
        cls.mappings = cls.backend._salesforce_create_default_mappings()

    def setUp(self):
        super().setUp()
        salesforce_adapter.forget_sessions()
        sf_backend._LAST_USAGE.clear()  # usage seen by an earlier test's (rolled back) backend
        self.fake = SalesforceFake(
            username=USERNAME,
            password=PASSWORD,
            security_token=SECURITY_TOKEN,
            consumer_key=CONSUMER_KEY,
            consumer_secret=CONSUMER_SECRET,
            jwt_public_key=self.public_key,
        )
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.addCleanup(salesforce_adapter.forget_sessions)

    def run_jobs(self):
        """One run of the job runner cron, as the scheduler would start it."""
        with self.enter_registry_test_mode():
            self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        self.env.invalidate_all()

    def pull(self, object_name):
        job = self.env["sync.job"]._enqueue(
            self.backend,
            "pull",
            payload={"object": object_name},
            identity_key=f"pull:{object_name}",
        )
        self.run_jobs()
        return job

    def binding_of(self, external_id, res_model="res.partner"):
        bindings = self.env["sync.binding"]._for_external_ids(
            self.backend, res_model, [str(external_id)]
        )
        return bindings.get(str(external_id), self.env["sync.binding"])

    def record_of(self, external_id, res_model="res.partner"):
        return (
            self.env[res_model]
            .with_context(active_test=False)
            .browse(self.binding_of(external_id, res_model).res_id)
        )

    def watermark(self, object_name):
        return self.env["sync.watermark"].search(
            [("backend_id", "=", self.backend.id), ("object_name", "=", object_name)]
        )
