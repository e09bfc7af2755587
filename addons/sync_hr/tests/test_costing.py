# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCosting(TransactionCase):
    """Effective-dated cost rates cost timesheets at the rate of their date; cost fields are
    for HR managers only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.employee = cls.env["hr.employee"].create({"name": "Rate Person"})
        cls.project = cls.env["project.project"].create(
            {"name": "Costed project", "allow_timesheets": True}
        )
        Rate = cls.env["sync.hr.cost.rate"]
        for day, cost in ((date(2026, 3, 1), 40.0), (date(2026, 3, 16), 50.0)):
            Rate.create(
                {"employee_id": cls.employee.id, "date_from": day, "hourly_cost": cost,
                 "amount": cost, "period": "hour"}
            )  # fmt: skip

    def timesheet(self, day, hours=2.0):
        return self.env["account.analytic.line"].create(
            {
                "name": "work",
                "project_id": self.project.id,
                "employee_id": self.employee.id,
                "date": day,
                "unit_amount": hours,
            }
        )

    def test_rate_change_mid_month(self):
        before = self.timesheet(date(2026, 3, 15))
        after = self.timesheet(date(2026, 3, 16))
        self.assertAlmostEqual(before.amount, -80.0)
        self.assertAlmostEqual(after.amount, -100.0)

    def test_before_any_rate_falls_back_to_hourly_cost(self):
        self.employee.hourly_cost = 10.0
        self.assertAlmostEqual(self.timesheet(date(2026, 2, 1)).amount, -20.0)

    def test_recost_after_a_late_rate(self):
        line = self.timesheet(date(2026, 4, 2))
        self.env["sync.hr.cost.rate"].create(
            {"employee_id": self.employee.id, "date_from": date(2026, 4, 1), "hourly_cost": 70.0}
        )
        self.env["sync.hr"]._recost_timesheets({self.employee: date(2026, 4, 1)})
        self.assertAlmostEqual(line.amount, -140.0)

    def test_cost_fields_refused_to_operator_and_finance(self):
        operator = new_test_user(
            self.env, "hr_operator", groups="base.group_user,sync_core.sync_core_group_operator,"
            "hr.group_hr_user",
        )  # fmt: skip
        groups = "base.group_user,hr.group_hr_user"
        if self.env.ref("account.group_account_manager", raise_if_not_found=False):
            groups += ",account.group_account_manager"
        finance = new_test_user(self.env, "hr_finance", groups=groups)
        for user in (operator, finance):
            employee = self.employee.with_user(user)
            with self.assertRaises(AccessError):
                employee.read(["hourly_cost"])
            with self.assertRaises(AccessError):
                self.env["sync.hr.cost.rate"].with_user(user).search_read([], ["hourly_cost"])
            arch = employee.get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertNotIn("hourly_cost", arch)
        manager = new_test_user(self.env, "hr_mgr", groups="base.group_user,hr.group_hr_manager")
        arch = self.employee.with_user(manager).get_views([(False, "form")])["views"]["form"]
        self.assertIn("sync_hr_cost_rate_ids", arch["arch"])
        self.assertEqual(
            len(self.employee.with_user(manager).read(["sync_hr_cost_rate_ids"])[0][
                "sync_hr_cost_rate_ids"]), 2
        )  # fmt: skip

    def test_sensitive_fields_declared(self):
        self.assertIn("hourly_cost", self.env["hr.employee"]._sync_sensitive_fields)
        self.assertIn("hourly_cost", self.env["sync.hr.cost.rate"]._sync_sensitive_fields)
