# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, timedelta

from odoo.tests import TransactionCase, new_test_user, tagged

MONDAY = date(2026, 11, 2)  # the evaluated week


@tagged("post_install", "-at_install")
class TestWeeklyHoursAnomaly(TransactionCase):
    """Eight usual weeks of 38 to 42 hours, then a week of 70 (a spike) for Sam and a usual
    week of 41 for Kim: Sam's is flagged and routed to Sam's manager, Kim's is not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.boss = new_test_user(
            env, "insight_boss", groups="base.group_user,sync_core.sync_core_group_user"
        )
        manager = env["hr.employee"].create({"name": "Boss", "user_id": cls.boss.id})
        cls.sam = env["hr.employee"].create({"name": "Sam Spike", "parent_id": manager.id})
        cls.kim = env["hr.employee"].create({"name": "Kim Usual"})
        cls.project = env["project.project"].create({"name": "Insight anomalies"})
        usual = [40, 38, 42, 41, 39, 40, 42, 38]
        values = []
        for employee, last in ((cls.sam, 70), (cls.kim, 41)):
            for weeks_before, hours in enumerate([*usual, last][::-1]):
                values.append(
                    {
                        "name": "week",
                        "project_id": cls.project.id,
                        "employee_id": employee.id,
                        "unit_amount": hours,
                        "date": MONDAY - timedelta(weeks=weeks_before),
                    }
                )
        env["account.analytic.line"].create(values)

    def test_spike_flagged_usual_week_not(self):
        Anomaly = self.env["sync.insight.anomaly"]
        flags = Anomaly._detect_weekly_hours(MONDAY).filtered(
            lambda a: a.employee_id in (self.sam | self.kim)
        )
        self.assertEqual(flags.employee_id, self.sam)
        self.assertEqual((flags.hours, flags.baseline_median, flags.baseline_weeks), (70, 40, 8))
        self.assertAlmostEqual(flags.baseline_mad, 1.5)
        self.assertIn("Sam Spike has 70.0 approved hours in the week of 2026-11-02", flags.reason)
        self.assertIn("more than usual: 40.0 hours is their median week", flags.reason)
        self.assertEqual(flags.activity_ids.user_id, self.boss)
        self.assertEqual(flags.activity_ids.note.striptags(), flags.reason)
        # reproducible: running again flags nothing new
        self.assertFalse(Anomaly._detect_weekly_hours(MONDAY))
        # the usual weeks before are not flagged either
        for weeks_before in (1, 2, 3):
            found = Anomaly._detect_weekly_hours(MONDAY - timedelta(weeks=weeks_before))
            self.assertFalse(found.filtered(lambda a: a.employee_id in (self.sam | self.kim)))
        action = flags.action_open_timesheets()
        self.assertEqual(len(self.env[action["res_model"]].search(action["domain"])), 9)

    def test_manager_without_sync_access_falls_back(self):
        self.boss.group_ids -= self.env.ref("sync_core.sync_core_group_user")
        assignee = new_test_user(self.env, "insight_ops", groups="sync_core.sync_core_group_user")
        self.env["ir.config_parameter"].set_param("sync_core.exception_user_id", assignee.id)
        flags = self.env["sync.insight.anomaly"]._detect_weekly_hours(MONDAY)
        self.assertEqual(
            flags.filtered(lambda a: a.employee_id == self.sam).activity_user_id, assignee
        )

    def test_threshold_is_a_setting(self):
        self.env["ir.config_parameter"].set_param("sync_insight.anomaly_threshold", "50")
        flags = self.env["sync.insight.anomaly"]._detect_weekly_hours(MONDAY)
        self.assertFalse(flags.filtered(lambda a: a.employee_id == self.sam))
