# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from datetime import date, timedelta

from odoo.tests import TransactionCase

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_jira.fake.server import JiraTempoFake
from odoo.addons.sync_psa import psa


class JiraCase(TransactionCase):
    """A Jira + Tempo backend wired to the wire-level fake (a fresh site per test), a customer's
    confirmed order whose timesheet-billed service made the project, and an employee; the Jira
    project of the same name sits on the customer's Tempo account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Jira test",
                "kind": "jira",
                "jira_email": "bot@example.com",
                "jira_api_token": "jira-token",
                "tempo_api_token": "tempo-token",
                "timeout": 10,
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
        cls.project.name = "Acme Delivery"
        cls.alice = cls.env["hr.employee"].create(
            {"name": "Alice Consultant", "work_email": "alice@example.com"}
        )
        cls.monday = date.today() - timedelta(days=date.today().weekday() + 7)

    def setUp(self):
        super().setUp()
        self.fake = JiraTempoFake()
        url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.backend.write({"base_url": url, "tempo_url": f"{url}/4"})
        account = self.fake.add_account("ACME", "Acme support", "Acme Robotics")
        self.jira_project = self.fake.add_project("ACME", "Acme Delivery", account=account)
        self.issue = self.fake.add_issue(self.jira_project, "Robot cell")
        self.alice_id = self.fake.add_user("Alice Consultant", "Alice@Example.com")

    def run_jobs(self, wait=3):
        drain_jobs(self, self.backend, wait=wait)

    def enqueue(self, kind, payload, identity):
        return self.env["sync.job"]._enqueue(
            self.backend, kind, payload=payload, identity_key=identity
        )

    def pull(self):
        job = self.enqueue("psa_pull", {"object": psa.TIME}, f"pull:{psa.TIME}")
        self.run_jobs()
        return job

    def sweep(self):
        job = self.enqueue("psa_sweep", {"object": psa.TIME}, f"psa:sweep:{psa.TIME}")
        self.run_jobs()
        return job

    def lines(self, worklog_id=None):
        domain = [("psa_backend_id", "=", self.backend.id)]
        if worklog_id:
            domain.append(("psa_entry_id", "in", [str(worklog_id), f"{worklog_id}-nb"]))
        return self.env["account.analytic.line"].search(domain, order="psa_entry_id")

    def exceptions(self, **domain):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
            + [(k, "=", v) for k, v in domain.items()]
        )
