# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import date

from odoo.tests import tagged

from .common import BambooCase


@tagged("post_install", "-at_install")
class TestCompensation(BambooCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["project.project"].create(
            {"name": "Costed project", "allow_timesheets": True}
        )

    def timesheet(self, employee, day):
        return self.env["account.analytic.line"].create(
            {"name": "work", "project_id": self.project.id, "employee_id": employee.id,
             "date": day, "unit_amount": 2.0}
        )  # fmt: skip

    def test_salary_converted_with_the_working_calendar(self):
        emp = self.fake.add_employee("Sal", "Aried", "sal@example.com")
        self.fake.add_compensation(emp["id"], "2026-01-01", 83200, paid_per="Year", currency="")
        self.sync()
        sal = self.employee_of(emp["id"])
        weekly = sal.resource_calendar_id.hours_per_week
        self.assertEqual(weekly, 40.0)  # the company's standard 40-hour week
        rate = sal.sync_hr_cost_rate_ids
        self.assertEqual((rate.amount, rate.period), (83200.0, "year"))
        self.assertAlmostEqual(rate.hourly_cost, 83200 / (40 * 52))  # 40.00
        self.assertAlmostEqual(sal.hourly_cost, 40.0)

    def test_rate_change_mid_month(self):
        emp = self.fake.add_employee("Mid", "Month", "mid@example.com")
        self.fake.add_compensation(emp["id"], "2026-03-01", 40.0, currency="")
        self.sync()
        mid = self.employee_of(emp["id"])
        before = self.timesheet(mid, date(2026, 3, 10))
        after = self.timesheet(mid, date(2026, 3, 20))
        self.assertAlmostEqual(after.amount, -80.0)
        # a rise effective on the 16th arrives later: the timesheets from the 16th on are
        # costed again, those before keep the old rate
        self.fake.add_compensation(emp["id"], "2026-03-16", 55.0, currency="")
        self.sync()
        self.assertAlmostEqual(before.amount, -80.0)
        self.assertAlmostEqual(after.amount, -110.0)
        self.assertEqual(len(mid.sync_hr_cost_rate_ids), 2)
        # a timesheet logged afterwards on either side of the change
        self.assertAlmostEqual(self.timesheet(mid, date(2026, 3, 15)).amount, -80.0)
        self.assertAlmostEqual(self.timesheet(mid, date(2026, 3, 16)).amount, -110.0)

    def test_no_compensation_in_job_payloads(self):
        emp = self.fake.add_employee("Pay", "Load", "pay@example.com")
        self.fake.add_compensation(emp["id"], "2026-01-01", 123456, paid_per="Year", currency="")
        self.sync()
        self.env["sync.job"]._enqueue(
            self.backend, "hr_import", payload={"ids": [emp["id"]]}, identity_key="hr:import:1"
        )
        self.run_jobs()
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertTrue(jobs)
        for job in jobs:
            self.assertNotIn("123456", json.dumps(job.payload or {}))
            self.assertNotIn("123456", job.result or "")
        # the audit rows of the cost rate say what changed, never the amounts
        audits = self.env["sync.audit"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "sync.hr.cost.rate")]
        )
        self.assertEqual(len(audits), 1)
        stored = json.dumps(audits.changes)
        self.assertIn("date_from", stored)
        self.assertNotIn("123456", stored)
        self.assertNotIn("59.35", stored)
        self.assertEqual(audits.changes["hourly_cost"], [None, "***"])
        self.assertAlmostEqual(self.employee_of(emp["id"]).hourly_cost, 123456 / 2080, 2)
