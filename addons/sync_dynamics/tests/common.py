# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import HttpCase

from odoo.addons.sync_dynamics import dataverse_adapter
from odoo.addons.sync_dynamics.fake import DataverseFake

TENANT, CLIENT_ID, SECRET = "contoso", "11111111-app", "s3cret-value"


class DynamicsCase(HttpCase):
    """A Dynamics 365 backend (client credentials) on the wire-level Dataverse fake, with the
    default mappings; msal and requests talk to the fake over HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create({
            "name": "Dynamics test", "kind": "dynamics", "sandbox": True, "timeout": 10,
            "dynamics_tenant": TENANT, "dynamics_client_id": CLIENT_ID,
            "dynamics_client_secret": SECRET, "webhook_secret": "key-registered-1234",
            "sale_confirm_orders": True,
        })  # fmt: skip
        cls.backend.action_dynamics_create_default_mappings()
        Product = cls.env["product.product"]
        cls.workshop = Product.create({
            "name": "Workshop day", "default_code": "D365-WS", "type": "service",
            "service_tracking": "project_only", "invoice_policy": "order",
        })  # fmt: skip

    def setUp(self):
        super().setUp()
        dataverse_adapter.forget_tokens()
        self.fake = DataverseFake(tenant=TENANT, client_id=CLIENT_ID, client_secret=SECRET)
        url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.addCleanup(dataverse_adapter.forget_tokens)
        self.backend.write({"base_url": url, "dynamics_authority": url})
        self.products = {}

    # ------------------------------------------------------------------ helpers
    def run_jobs(self):
        Job = self.env["sync.job"]
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        for _round in range(8):
            cron.method_direct_trigger()
            self.env.invalidate_all()
            if not Job.search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", "pending")]
            ):
                return

    def enqueue(self, kind, object_name=None, identity=None, payload=None):
        return self.env["sync.job"]._enqueue(
            self.backend, kind, payload=payload or {"object": object_name},
            identity_key=identity or f"pull:{object_name}",
        )  # fmt: skip

    def pull(self, object_name):
        job = self.enqueue("pull", object_name)
        self.run_jobs()
        return job

    def pull_opportunities(self):
        job = self.enqueue("sale_pull_deals", "opportunities")
        self.run_jobs()
        return job

    def account(self, name, **values):
        return self.fake.add("accounts", {"name": name, "websiteurl": f"{name.lower()}.example",
                                          **values})  # fmt: skip

    def opportunity(self, name, state=1, currency="USD", lines=(("D365-WS", 2, 500.0, 0.0),),
                    account=None):  # fmt: skip
        account = account or self.account(name.split()[0])
        opp = self.fake.add("opportunities", {
            "name": name, "statecode": state, "statuscode": {0: 1, 1: 3, 2: 4}[state],
            "stepname": "3-Propose", "estimatedvalue": 1000.0, "estimatedclosedate": "2026-12-20",
            "_parentaccountid_value": account,
            "_transactioncurrencyid_value": self.fake.currencies[currency],
            "_owningbusinessunit_value": self.fake.unit_id,
        })  # fmt: skip
        for sku, quantity, price, discount in lines:
            if sku not in self.products:
                values = {"productnumber": sku, "name": f"Product {sku}"}
                self.products[sku] = self.fake.add("products", values)
            self.fake.add("opportunityproducts", {
                "_opportunityid_value": opp, "_productid_value": self.products[sku],
                "quantity": quantity, "priceperunit": price, "manualdiscountamount": discount,
            })  # fmt: skip
        return account, opp

    def record_of(self, external_id, res_model="res.partner"):
        binding = (
            self.env["sync.binding"]
            ._for_external_ids(self.backend, res_model, [external_id])
            .get(external_id)
        )
        return (
            self.env[res_model]
            .with_context(active_test=False)
            .browse(binding.res_id if binding else [])
        )

    def open_exceptions(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )

    @staticmethod
    def result(job):
        return json.loads(job.result or "{}")
