# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo import fields
from odoo.tests import tagged

from .common import SEPT, InsightCase


@tagged("post_install", "-at_install")
class TestUtilization(InsightCase):
    def test_capacity_leave_and_hours(self):
        row = self.env["sync.insight.utilization"].search(
            [("employee_id", "=", self.erin.id), ("month", "=", SEPT)]
        )
        self.assertEqual(len(row), 1)
        self.assertEqual(self.leave.state, "validate")
        self.assertAlmostEqual(row.calendar_hours, 176.0)  # 22 weekdays x 8 h
        self.assertAlmostEqual(row.leave_hours, 16.0)  # Mon 14 and Tue 15
        self.assertAlmostEqual(row.capacity_hours, 160.0)
        self.assertAlmostEqual(row.billable_hours, 26.0)  # 16 + 8 (Acme) + 2 (Globex)
        self.assertAlmostEqual(row.non_billable_hours, 6.0)  # internal project
        self.assertAlmostEqual(row.total_hours, 32.0)
        self.assertAlmostEqual(row.utilization, 16.25)

    def test_ratio_aggregates_as_ratio_of_sums(self):
        other = self.env["hr.employee"].create(
            {"name": "Idle Insight", "resource_calendar_id": self.calendar.id}
        )
        self._time(self.internal, 1, 1)  # an idle September for the other one
        self.env["account.analytic.line"].search([("employee_id", "=", False)]).unlink()
        self.env["sync.insight.view"]._refresh_figures()
        Utilization = self.env["sync.insight.utilization"]
        domain = [("employee_id", "in", (self.erin | other).ids), ("month", "=", SEPT)]
        [(billable, capacity, pct)] = Utilization._read_group(
            domain, [], ["billable_hours:sum", "capacity_hours:sum", "utilization:sum"]
        )
        self.assertAlmostEqual(billable, 26.0)
        self.assertAlmostEqual(capacity, 160.0 + 176.0)
        self.assertAlmostEqual(pct, 100.0 * 26 / 336)

    def test_drill_down_to_timesheets(self):
        row = self.env["sync.insight.utilization"].search(
            [("employee_id", "=", self.erin.id), ("month", "=", SEPT)]
        )
        action = row.action_open_timesheets()
        lines = self.env[action["res_model"]].search(action["domain"])
        self.assertEqual(lines, self.early | self.late | self.foreign_time | self.internal_time)


@tagged("post_install", "-at_install")
class TestDelivery(InsightCase):
    def row(self, project):
        rows = self.env["sync.insight.delivery"].search(
            [("project_id", "=", project.id), ("month", "=", SEPT)]
        )
        self.assertEqual(len(rows), 1)
        return rows

    def test_project_in_company_currency(self):
        row = self.row(self.project)
        self.assertEqual(row.partner_id, self.acme)
        self.assertAlmostEqual(row.contracted, 4000.0)
        self.assertAlmostEqual(row.delivered, 2400.0)  # 24 h x 100
        self.assertAlmostEqual(self.invoice.amount_untaxed, 1600.0)
        self.assertAlmostEqual(row.invoiced, 1600.0)  # the partial invoice
        self.assertAlmostEqual(row.invoiced_time, 1600.0)
        self.assertAlmostEqual(row.wip, 800.0)  # the 16th and 17th, not invoiced
        self.assertAlmostEqual(row.backlog, 1600.0)
        self.assertAlmostEqual(row.cost, 16 * 50 + 8 * 60)  # the rate in force on each day
        self.assertAlmostEqual(row.margin, 2400.0 - 1280.0)
        self.assertAlmostEqual(row.margin_pct, 100.0 * 1120 / 2400)

    def test_wip_age_buckets(self):
        row = self.row(self.project)
        today = fields.Date.today()
        buckets = dict.fromkeys(("wip_0_30", "wip_31_60", "wip_61_90", "wip_90_plus"), 0.0)
        for day in (16, 17):
            age = (today - date(2026, 9, day)).days
            key = (
                "wip_0_30"
                if age <= 30
                else "wip_31_60"
                if age <= 60
                else "wip_61_90"
                if age <= 90
                else "wip_90_plus"
            )
            buckets[key] += 400.0
        self.assertEqual({key: row[key] for key in buckets}, buckets)

    def test_second_currency_converted_at_order_rate(self):
        self.assertEqual(self.order_foreign.currency_id, self.foreign)
        self.assertAlmostEqual(self.order_foreign.amount_untaxed, 1000.0)
        row = self.row(self.project_foreign)
        self.assertEqual(row.partner_id, self.globex)
        self.assertAlmostEqual(row.contracted, 2000.0)  # 1,000 at 0.5 per company unit
        self.assertAlmostEqual(row.delivered, 400.0)  # 2 h x 100 foreign
        self.assertAlmostEqual(row.wip, 400.0)
        self.assertAlmostEqual(row.backlog, 1600.0)
        self.assertAlmostEqual(row.cost, 120.0)
        self.assertAlmostEqual(row.margin_pct, 70.0)

    def test_internal_project_cost_only_and_margin_pct_of_sums(self):
        row = self.row(self.internal)
        self.assertEqual((row.delivered, row.cost, row.margin), (0.0, 360.0, -360.0))
        self.assertFalse(row.margin_pct)
        projects = (self.project | self.project_foreign | self.internal).ids
        [(margin, delivered, pct)] = self.env["sync.insight.delivery"]._read_group(
            [("project_id", "in", projects)], [], ["margin:sum", "delivered:sum", "margin_pct:sum"]
        )
        self.assertAlmostEqual(margin, 1120.0 + 280.0 - 360.0)
        self.assertAlmostEqual(delivered, 2800.0)
        self.assertAlmostEqual(pct, 100.0 * 1040 / 2800)

    def test_unapproved_psa_time_left_out(self):
        self.late[:1].write({"psa_approved": False, "psa_entry_id": "x1"})
        self.env.cr.execute(
            "UPDATE account_analytic_line SET psa_backend_id = %s WHERE id = %s",
            (
                self._backend().id,
                self.late[:1].id,
            ),
        )
        self.env.invalidate_all()
        self.env["sync.insight.view"]._refresh_figures()
        row = self.row(self.project)
        self.assertAlmostEqual(row.delivered, 2000.0)
        self.assertAlmostEqual(row.wip, 400.0)

    def _backend(self):
        Backend = self.env["sync.backend"]
        return Backend.create(
            {"name": "PSA", "kind": Backend._fields["kind"].get_values(self.env)[0]}
        )

    def test_drill_down(self):
        row = self.row(self.project)
        action = row.action_open_timesheets()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]), self.early | self.late
        )
        action = row.action_open_orders()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.order)


@tagged("post_install", "-at_install")
class TestPipeline(InsightCase):
    def test_open_opportunities_weighted_next_to_backlog(self):
        Pipeline = self.env["sync.insight.pipeline"]
        rows = Pipeline.search([("partner_id", "=", self.acme.id), ("kind", "=", "pipeline")])
        self.assertEqual(
            {(r.stage_id, r.month, r.amount, r.weighted, r.opportunity_count) for r in rows},
            {
                (self.stage_a, date(2026, 10, 1), 10000.0, 3000.0, 1),
                (self.stage_b, date(2026, 10, 1), 5000.0, 3000.0, 1),
            },
        )
        backlog = Pipeline.search([("partner_id", "=", self.acme.id), ("kind", "=", "backlog")])
        self.assertEqual(sum(backlog.mapped("amount")), 1600.0)
        action = rows[0].action_open_opportunities()
        self.assertEqual(len(self.env["crm.lead"].search(action["domain"])), 1)


@tagged("post_install", "-at_install")
class TestRefresh(InsightCase):
    def test_figures_as_of_the_last_refresh(self):
        View = self.env["sync.insight.view"]
        before = View._figures_as_of()
        self.assertTrue(before)

        def hours():
            return self.env["sync.insight.utilization"]._read_group(
                [("employee_id", "=", self.erin.id), ("month", "=", SEPT)], [], ["total_hours:sum"]
            )[0][0]

        self._time(self.internal, 21, 3)
        self.env.flush_all()
        self.assertAlmostEqual(hours(), 32.0)  # stale until the next refresh
        action = self.env["sync.insight.delivery"].action_refresh_figures()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("Figures as of", action["params"]["message"])
        self.assertAlmostEqual(hours(), 35.0)
        self.assertGreaterEqual(View._figures_as_of(), before)
        cron = self.env.ref("sync_insight.ir_cron_sync_insight_refresh")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "hours"))
