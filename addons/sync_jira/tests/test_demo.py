# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import TransactionCase, tagged

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_jira.fake.__main__ import DEMO, seed_demo
from odoo.addons.sync_jira.fake.server import JiraTempoFake


@tagged("post_install", "-at_install")
class TestJiraDemo(TransactionCase):
    def test_demo_week_becomes_timesheets_on_the_order_line(self):
        """``make demo``'s leg: the fake's approved week of the demo project becomes timesheets
        on the order line of the customer's project; the hidden e-mail waits; the open week
        brings nothing."""
        fake = JiraTempoFake(DEMO["email"], DEMO["api_token"], DEMO["tempo_token"])
        seed_demo(fake)
        url = fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"]._jira_demo_setup(url)
        self.assertEqual(backend.state, "ok", backend.status_message)
        drain_jobs(self, backend)
        project = self.env["project.project"].search([("name", "=", DEMO["project"])])
        lines = self.env["account.analytic.line"].search([("psa_backend_id", "=", backend.id)])
        self.assertEqual(sorted(lines.mapped("unit_amount")), [1.0, 4.0, 5.0])
        self.assertEqual(lines.project_id, project)
        self.assertEqual(project.sale_line_id.qty_delivered, 9.0)
        waiting = self.env["sync.exception"].search(
            [("backend_id", "=", backend.id), ("state", "=", "open")]
        )
        self.assertEqual(len(waiting), 1)
        self.assertIn("Priya Consultant", waiting.name)
        # set up twice: the same backend
        self.assertEqual(self.env["sync.backend"]._jira_demo_setup(url), backend)
        # the write-back marks the worklogs' issue in Jira
        self.env["sync.job"]._enqueue(backend, "psa_writeback", payload={}, identity_key="wb")
        drain_jobs(self, backend)
        marks = [v for (_i, key), v in fake.properties.items() if key == "odoo-sync.invoicing"]
        self.assertEqual(len(marks), 1)
        self.assertEqual(len(marks[0]), 3)
