# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import TransactionCase

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_psa_kantata.fake.server import KantataFake

TOKEN = "kantata-test-token"


class PsaCase(TransactionCase):
    """A Kantata backend wired to the wire-level fake (a fresh account per test), a customer's
    sale order whose timesheet-billed service created the project, and an employee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Kantata test",
                "kind": "kantata",
                "kantata_access_token": TOKEN,
                "timeout": 10,
                "psa_event_feed": False,
            }
        )
        cls.env["sync.psa"]._create_default_mappings(cls.backend)
        cls.customer = cls.env["res.partner"].create({"name": "Acme Robotics", "is_company": True})
        cls.service = cls.env["product.product"].create(
            {
                "name": "Consulting (timesheets)",
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "project_only",
                "list_price": 100.0,
            }
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [(0, 0, {"product_id": cls.service.id, "product_uom_qty": 40})],
            }
        )
        cls.order.action_confirm()
        cls.so_line = cls.order.order_line
        cls.project = cls.so_line.project_id
        cls.alice = cls.env["hr.employee"].create(
            {"name": "Alice Consultant", "work_email": "alice@example.com"}
        )

    def setUp(self):
        super().setUp()
        self.env["sync.backend"]._forget_replaced_credentials()  # an earlier test's tokens
        self.fake = KantataFake(token=TOKEN)
        self.backend.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)
        # the project of the order is pushed to Kantata as a workspace through the outbox
        self.run_jobs()
        self.workspace_id = self.binding_of(self.project.id, "project.project").external_id
        self.alice_user = self.fake.add_user("Alice Consultant", "Alice@Example.com")

    # ------------------------------------------------------------------ helpers
    def run_jobs(self, wait=3):
        """Run the job runner until no job of the backend is due within `wait` seconds."""
        drain_jobs(self, self.backend, wait=wait)

    def enqueue(self, kind, payload, identity):
        return self.env["sync.job"]._enqueue(
            self.backend, kind, payload=payload, identity_key=identity
        )

    def pull(self, object_name="time_entries", sweep=False):
        job = self.enqueue(
            "psa_pull", {"object": object_name, "sweep": sweep}, f"pull:{object_name}"
        )
        self.run_jobs()
        return job

    def binding_of(self, res_id_or_ext, res_model="account.analytic.line", external=False):
        Binding = self.env["sync.binding"].with_context(active_test=False)
        key = "external_id" if external else "res_id"
        return Binding.search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", res_model),
                (key, "=", str(res_id_or_ext) if external else res_id_or_ext),
            ]
        )

    def line_of(self, entry):
        return self.env["account.analytic.line"].search(
            [("psa_backend_id", "=", self.backend.id), ("psa_entry_id", "=", entry["id"])]
        )

    def entry(self, minutes=60, approved=True, user=None, **values):
        return self.fake.add_time_entry(
            self.workspace_id, (user or self.alice_user)["id"], minutes, approved=approved, **values
        )

    def exceptions(self, **domain):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
            + [(k, "=", v) for k, v in domain.items()]
        )

    def invoice_order(self):
        invoice = self.order._create_invoices()
        invoice.action_post()
        return invoice
