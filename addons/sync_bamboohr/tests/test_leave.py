# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, timedelta

from odoo.tests import tagged

from .common import BambooCase


@tagged("post_install", "-at_install")
class TestLeave(BambooCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leave_type = cls.env["hr.leave.type"].create(
            {
                "name": "Vacation",
                "requires_allocation": False,
                "leave_validation_type": "no_validation",
                "request_unit": "day",
            }
        )

    def leaves(self, employee):
        return self.env["hr.leave"].search([("employee_id", "=", employee.id)])

    def test_approved_then_cancelled(self):
        emp = self.fake.add_employee("Leo", "Leave", "leo@example.com")
        monday = date.today() + timedelta(days=14 - date.today().weekday())
        req = self.fake.add_time_off(
            emp["id"], monday.isoformat(), (monday + timedelta(days=1)).isoformat()
        )
        pending = self.fake.add_time_off(
            emp["id"], (monday + timedelta(days=7)).isoformat(),
            (monday + timedelta(days=7)).isoformat(), status="requested",
        )  # fmt: skip
        self.sync()
        leo = self.employee_of(emp["id"])
        leave = self.leaves(leo)
        self.assertEqual(len(leave), 1)  # the requested one waits for its approval
        self.assertEqual(leave.state, "validate")
        self.assertEqual(leave.holiday_status_id, self.leave_type)  # matched by name
        self.assertEqual(leave.request_date_from, monday)
        self.fake.set_time_off_status(req["id"], "canceled")
        self.fake.set_time_off_status(pending["id"], "denied")
        self.sync()
        self.assertEqual(leave.state, "cancel")
        self.assertEqual(len(self.leaves(leo)), 1)

    def test_unmapped_type_waits_in_an_exception(self):
        emp = self.fake.add_employee("Sid", "Sick", "sid@example.com")
        day = (date.today() + timedelta(days=3)).isoformat()
        self.fake.add_time_off(emp["id"], day, day, type_id="3")  # Bereavement: no Odoo type
        self.sync()
        self.assertFalse(self.leaves(self.employee_of(emp["id"])))
        exc = self.exceptions("time-off type 3 not mapped")
        self.assertEqual(len(exc), 1)
        self.assertIn("Bereavement", exc.name)
        row = self.backend.hr_leave_type_ids.filtered(lambda r: r.remote_id == "3")
        row.leave_type_id = self.leave_type
        self.sync()
        self.assertEqual(len(self.leaves(self.employee_of(emp["id"]))), 1)

    def test_amended_dates_replace_the_leave(self):
        emp = self.fake.add_employee("Amy", "Amend", "amy@example.com")
        monday = date.today() + timedelta(days=21 - date.today().weekday())
        req = self.fake.add_time_off(emp["id"], monday.isoformat(), monday.isoformat())
        self.sync()
        amy = self.employee_of(emp["id"])
        first = self.leaves(amy)
        self.sync()  # nothing changed: the same leave
        self.assertEqual(self.leaves(amy), first)
        req["end"] = (monday + timedelta(days=1)).isoformat()
        self.sync()
        self.assertEqual(first.state, "cancel")
        current = self.leaves(amy).filtered(lambda leave: leave.state == "validate")
        self.assertEqual(current.request_date_to, monday + timedelta(days=1))
