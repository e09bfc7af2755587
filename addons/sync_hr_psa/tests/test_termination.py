# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A termination from the HR platform lists the approved PSA time still waiting for the person
(end to end: Kantata's fake parks the time, BambooHR's fake terminates the employee)."""

from odoo.tests import tagged

from odoo.addons.sync_bamboohr.fake.server import BambooHRFake
from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_psa_kantata.tests.common import PsaCase


@tagged("post_install", "-at_install")
class TestTerminationWithWaitingTime(PsaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hr = cls.env["sync.backend"].create(
            {"name": "BambooHR (bridge)", "kind": "bamboohr", "bamboohr_company": "bridgeco",
             "bamboohr_api_key": "bridge-key", "timeout": 10}
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.bamboo = BambooHRFake(company="bridgeco", api_key="bridge-key")
        self.hr.base_url = self.bamboo.start()
        self.addCleanup(self.bamboo.stop)

    def hr_sync(self):
        self.env["sync.hr"]._schedule(self.hr)
        drain_jobs(self, self.hr)

    def test_termination_lists_approved_time_waiting_for_the_employee(self):
        # Tom's approved Kantata time arrives before the HR platform made his employee: parked
        tom = self.fake.add_user("Tom Leaver", "tom@example.com")
        self.entry(150, user=tom)
        self.pull()
        parked = self.exceptions(category="missing_reference")
        self.assertIn("Tom Leaver", parked.name)
        Line = self.env["account.analytic.line"]
        self.assertFalse(Line.search([("psa_backend_id", "=", self.backend.id)]))
        # BambooHR makes Tom, then terminates him before the parked time was imported
        emp = self.bamboo.add_employee("Tom", "Leaver", "tom@example.com")
        self.hr_sync()
        employee = (
            self.env["hr.employee"]
            .with_context(active_test=False)
            .search([("work_email", "=", "tom@example.com")])
        )
        self.assertTrue(employee.active)
        self.bamboo.terminate(emp["id"])
        self.hr_sync()
        self.assertFalse(employee.active)
        self.assertTrue(employee.exists())  # archived, never deleted
        exc = self.env["sync.exception"].search(
            [
                ("backend_id", "=", self.hr.id),
                ("pattern", "=", "terminated employee with work waiting"),
            ]
        )
        self.assertEqual((len(exc), exc.res_id), (1, employee.id))
        # the exception names the PSA and the approved time that still waits for Tom
        self.assertIn("Kantata test", exc.name)
        self.assertIn("1 approved time entry, 2.50 h", exc.name)
