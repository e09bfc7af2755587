# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.sync_hr import hr


@tagged("post_install", "-at_install")
class TestHrRules(BaseCase):
    def test_yearly_salary_to_hourly(self):
        # 83,200 a year on a 40-hour week: 83,200 / (40 * 52) = 40.00 an hour
        self.assertEqual(hr.hourly(83200, "year", 40), 40.0)
        # a 32-hour week makes the same salary dearer per hour
        self.assertEqual(hr.hourly(83200, "year", 32), 50.0)
        self.assertEqual(hr.hourly(6000, "month", 40), round(6000 * 12 / 2080, 4))
        self.assertEqual(hr.hourly(55.5, "hour", 40), 55.5)
        self.assertEqual(hr.hourly(400, "day", 40, 8), 50.0)

    def test_unconvertible(self):
        self.assertIsNone(hr.hourly(83200, "year", 0))
        self.assertIsNone(hr.hourly(100, "fortnight", 40))
        self.assertIsNone(hr.hourly(None, "hour", 40))

    def test_rate_in_force(self):
        rates = [(date(2026, 1, 1), 40.0), (date(2026, 3, 16), 50.0)]
        self.assertIsNone(hr.rate_in_force(rates, date(2025, 12, 31)))
        self.assertEqual(hr.rate_in_force(rates, date(2026, 3, 15)), 40.0)
        self.assertEqual(hr.rate_in_force(rates, date(2026, 3, 16)), 50.0)

    def test_dates_and_names(self):
        self.assertIsNone(hr.parse_date("0000-00-00"))
        self.assertEqual(hr.parse_date("2026-03-16T10:00:00"), date(2026, 3, 16))
        self.assertEqual(hr.person_name({"first_name": "Ann ", "last_name": "Lee"}), "Ann Lee")

    def test_employment_status_to_employee_type(self):
        self.assertEqual(hr.employee_type("Contractor"), "contractor")
        self.assertEqual(hr.employee_type("Intern"), "trainee")
        self.assertEqual(hr.employee_type("Full-Time"), "employee")
        self.assertEqual(hr.employee_type(""), "employee")
