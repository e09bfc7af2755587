# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, timedelta
from decimal import Decimal

from odoo.tests import tagged

from ..models.sync_insight_view import AGED_ON, SUMMARIES, _aged_months
from .common import SEPT, InsightCase

OCT = date(2026, 10, 1)
UTIL, DLV = SUMMARIES


@tagged("post_install", "-at_install")
class TestIncremental(InsightCase):
    """The refresh recomputes only the months whose source rows changed, and its figures are
    those of a full rebuild."""

    def setUp(self):
        super().setUp()
        self.View = self.env["sync.insight.view"]
        self.october = self.env["account.analytic.line"].create(
            {
                "name": "work",
                "project_id": self.project.id,
                "employee_id": self.erin.id,
                "unit_amount": 5,
                "date": date(2026, 10, 6),
            }
        )
        self.assertEqual(self.View._refresh_summaries(), {UTIL: [OCT], DLV: [OCT]})

    def _snapshot(self):
        snapshot = {}
        for name in SUMMARIES:
            self.env.cr.execute(f"SELECT * FROM {self.env[name]._table}")
            names = [column.name for column in self.env.cr.description]
            rows = [
                tuple(
                    round(value, 6) if isinstance(value, float | Decimal) else value
                    for column, value in zip(names, row, strict=True)
                    if column != "id"
                )
                for row in self.env.cr.fetchall()
            ]
            snapshot[name] = sorted(rows, key=repr)
        return snapshot

    def assertSameAsFullRebuild(self):
        incremental = self._snapshot()
        self.assertEqual(self.View._refresh_summaries(full=True), {UTIL: None, DLV: None})
        self.assertEqual(incremental, self._snapshot())

    def hours(self, month):
        rows = self.env[UTIL].search([("employee_id", "=", self.erin.id), ("month", "=", month)])
        return rows.total_hours

    def test_timesheet_edited_added_deleted_in_one_month(self):
        self.late[:1].unit_amount = 6  # 4 -> 6
        self._time(self.project, 22, 3)
        self.internal_time.unlink()  # 6 h
        self.assertEqual(self.View._refresh_summaries(), {UTIL: [SEPT], DLV: [SEPT]})
        self.assertAlmostEqual(self.hours(SEPT), 32.0 + 2 + 3 - 6)
        self.assertAlmostEqual(self.hours(OCT), 5.0)
        delivery = self.env[DLV].search(
            [("project_id", "=", self.project.id), ("month", "=", SEPT)]
        )
        self.assertAlmostEqual(delivery.delivered, 2400.0 + 500.0)
        self.assertFalse(self.env[DLV].search([("project_id", "=", self.internal.id)]))
        self.assertSameAsFullRebuild()

    def test_nothing_changed_nothing_recomputed(self):
        self.assertEqual(self.View._refresh_summaries(), {UTIL: [], DLV: []})

    def test_timesheet_moved_to_another_month(self):
        self.october.date = date(2026, 11, 2)
        done = self.View._refresh_summaries()
        self.assertEqual(done, {UTIL: [OCT, date(2026, 11, 1)], DLV: [OCT, date(2026, 11, 1)]})
        self.assertFalse(self.hours(OCT))
        self.assertSameAsFullRebuild()

    def test_order_line_price_dirties_the_months_of_its_time(self):
        self.order.order_line.price_unit = 120
        done = self.View._refresh_summaries()
        self.assertEqual(done, {UTIL: [], DLV: [SEPT, OCT]})
        delivery = self.env[DLV].search([("project_id", "=", self.project.id), ("month", "=", OCT)])
        self.assertAlmostEqual(delivery.delivered, 600.0)
        self.assertSameAsFullRebuild()

    def test_leave_and_invoice_changes(self):
        self.leave.action_refuse()
        self.invoice.button_draft()
        done = self.View._refresh_summaries()
        self.assertEqual(done[UTIL], [SEPT])
        self.assertIn(SEPT, done[DLV])
        row = self.env[UTIL].search([("employee_id", "=", self.erin.id), ("month", "=", SEPT)])
        self.assertAlmostEqual(row.leave_hours, 0.0)
        self.assertSameAsFullRebuild()

    def test_new_employee_rebuilds_utilization(self):
        self.env["hr.employee"].create(
            {"name": "New Insight", "resource_calendar_id": self.calendar.id}
        )
        self.assertEqual(self.View._refresh_summaries(), {UTIL: None, DLV: []})
        self.assertSameAsFullRebuild()

    def test_wip_ages_a_day_later(self):
        """The months whose lines cross a WIP age limit since the last refresh's day are
        recomputed (the age buckets are as of the refresh's day)."""
        params = self.env["ir.config_parameter"].sudo()
        self.env.cr.execute("SELECT CURRENT_DATE")
        today = self.env.cr.fetchone()[0]
        before = today - timedelta(days=40)
        params.set_param(AGED_ON, str(before))
        months = sorted(_aged_months(before, today))
        self.assertEqual(self.View._refresh_summaries(), {UTIL: [], DLV: months})
        self.assertEqual(params.get_param(AGED_ON), str(today))
        self.assertSameAsFullRebuild()
