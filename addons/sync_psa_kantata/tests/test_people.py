# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestPeople(PsaCase):
    def sync_people(self):
        job = self.enqueue("psa_people", {}, "psa:people")
        self.run_jobs()
        return job

    def test_people_bind_by_work_email_and_take_the_cost_rate(self):
        self.alice.hourly_cost = 0.0
        self.fake.set_cost_rate(self.alice_user["id"], 6000, self.env.company.currency_id.name)
        costed = self.env["hr.employee"].create(
            {"name": "Dan Senior", "work_email": "dan@example.com", "hourly_cost": 95.0}
        )
        dan = self.fake.add_user("Dan Senior", "DAN@example.com")
        self.fake.set_cost_rate(dan["id"], 7000, self.env.company.currency_id.name)
        twins = self.env["hr.employee"].create(
            [
                {"name": "Eve One", "work_email": "eve@example.com"},
                {"name": "Eve Two", "work_email": "eve@example.com"},
            ]
        )
        eve = self.fake.add_user("Eve", "eve@example.com")
        job = self.sync_people()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(
            self.binding_of(self.alice.id, "hr.employee").external_id, self.alice_user["id"]
        )
        self.assertEqual(self.binding_of(costed.id, "hr.employee").external_id, dan["id"])
        self.assertEqual(self.alice.hourly_cost, 60.0, "the PSA's cost rate in use")
        self.assertEqual(costed.hourly_cost, 95.0, "an employee's own cost is kept")
        self.assertFalse(self.binding_of(eve["id"], "hr.employee", external=True))
        self.assertFalse(self.binding_of(twins[0].id, "hr.employee"))
        # a newer cost rate in Kantata does not overwrite an employee that has one
        self.fake.set_cost_rate(self.alice_user["id"], 9000, self.env.company.currency_id.name)
        self.sync_people()
        self.assertEqual(self.alice.hourly_cost, 60.0)

    def test_an_employee_found_later_releases_the_waiting_time(self):
        frank = self.fake.add_user("Frank Field", "frank@example.com")
        self.entry(120, user=frank)
        self.pull()
        exc = self.exceptions(category="missing_reference")
        self.assertIn("Frank Field", exc.name)
        employee = self.env["hr.employee"].create(
            {"name": "Frank Field", "work_email": "frank@example.com"}
        )
        self.sync_people()  # binds Frank by email: his parked time is imported at once
        lines = self.env["account.analytic.line"].search([("employee_id", "=", employee.id)])
        self.assertEqual(sum(lines.mapped("unit_amount")), 2.0)
        self.assertEqual(exc.state, "resolved")
