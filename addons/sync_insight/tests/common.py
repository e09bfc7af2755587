# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime

from odoo.tests import TransactionCase

SEPT = date(2026, 9, 1)


class InsightCase(TransactionCase):
    """A planted month (September 2026: 22 weekdays, 176 calendar hours at 8 h a day) for
    one consultant, Erin (cost 50/h, then 60/h from the 16th), with a validated two-day leave,
    two customers (one billed in the company currency, one in a second currency at 0.5 per
    company unit), a partial invoice and open opportunities."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls._plant_people()
        cls._plant_orders()
        cls._plant_time()
        cls._plant_pipeline()
        env["sync.insight.view"]._refresh_figures()

    @classmethod
    def _plant_people(cls):
        env = cls.env
        attendances = [
            (
                0,
                0,
                {
                    "name": f"{day} {period}",
                    "dayofweek": str(day),
                    "hour_from": start,
                    "hour_to": start + 4,
                    "day_period": period,
                },
            )
            for day in range(5)
            for start, period in ((8, "morning"), (13, "afternoon"))
        ]
        cls.calendar = env["resource.calendar"].create(
            {"name": "Insight 40h", "attendance_ids": attendances, "tz": "UTC"}
        )
        cls.erin = env["hr.employee"].create(
            {"name": "Erin Insight", "resource_calendar_id": cls.calendar.id, "hourly_cost": 50}
        )
        leave_type = env["hr.leave.type"].create(
            {
                "name": "Insight leave",
                "requires_allocation": False,
                "leave_validation_type": "no_validation",
                "time_type": "leave",
            }
        )
        cls.leave = env["hr.leave"].create(
            {
                "employee_id": cls.erin.id,
                "holiday_status_id": leave_type.id,
                "request_date_from": date(2026, 9, 14),
                "request_date_to": date(2026, 9, 15),
            }
        )

    @classmethod
    def _order(cls, partner, qty, price, pricelist=None):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "pricelist_id": pricelist and pricelist.id,
                "order_line": [
                    (
                        0,
                        0,
                        {"product_id": cls.service.id, "product_uom_qty": qty, "price_unit": price},
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = datetime(2026, 9, 1, 9, 0)
        return order

    @classmethod
    def _plant_orders(cls):
        env = cls.env
        cls.service = env["product.product"].create(
            {
                "name": "Insight consulting",
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "project_only",
                "list_price": 100.0,
            }
        )
        cls.acme = env["res.partner"].create({"name": "Acme Insight", "is_company": True})
        cls.globex = env["res.partner"].create({"name": "Globex Insight", "is_company": True})
        code = "EUR" if cls.company.currency_id.name != "EUR" else "USD"
        cls.foreign = (
            env["res.currency"].with_context(active_test=False).search([("name", "=", code)])
        )
        cls.foreign.active = True
        env["res.currency.rate"].search([("currency_id", "=", cls.foreign.id)]).unlink()
        env["res.currency.rate"].create(
            {
                "currency_id": cls.foreign.id,
                "name": date(2020, 1, 1),
                "rate": 0.5,
                "company_id": cls.company.id,
            }
        )
        pricelist = env["product.pricelist"].create(
            {"name": "Insight foreign", "currency_id": cls.foreign.id}
        )
        cls.order = cls._order(cls.acme, 40, 100.0)  # 4,000
        cls.order_foreign = cls._order(cls.globex, 10, 100.0, pricelist)  # 1,000 foreign
        cls.project = cls.order.order_line.project_id
        cls.project_foreign = cls.order_foreign.order_line.project_id
        cls.internal = env["project.project"].create(
            {"name": "Insight internal", "allow_billable": False}
        )

    @classmethod
    def _time(cls, project, day, hours):
        return cls.env["account.analytic.line"].create(
            {
                "name": "work",
                "project_id": project.id,
                "employee_id": cls.erin.id,
                "unit_amount": hours,
                "date": date(2026, 9, day),
            }
        )

    @classmethod
    def _plant_time(cls):
        cls.early = cls._time(cls.project, 2, 8) | cls._time(cls.project, 3, 8)
        # partial invoice: the 16 hours delivered so far, invoiced on the 10th
        cls.invoice = cls.order._create_invoices()
        cls.invoice.invoice_date = date(2026, 9, 10)
        cls.invoice.action_post()
        # the cost rate changes mid-month: later time is costed at 60/h
        cls.erin.hourly_cost = 60
        cls.late = cls._time(cls.project, 16, 4) | cls._time(cls.project, 17, 4)
        cls.foreign_time = cls._time(cls.project_foreign, 21, 2)
        cls.internal_time = cls._time(cls.internal, 18, 6)

    @classmethod
    def _plant_pipeline(cls):
        env = cls.env
        stages = env["crm.stage"].create([{"name": "Insight A"}, {"name": "Insight B"}])
        won = env["crm.stage"].create({"name": "Insight won", "is_won": True})
        cls.stage_a, cls.stage_b = stages
        common = {
            "type": "opportunity",
            "partner_id": cls.acme.id,
            "date_deadline": date(2026, 10, 15),
        }
        cls.opportunities = env["crm.lead"].create(
            [
                {
                    **common,
                    "name": "Open A",
                    "stage_id": cls.stage_a.id,
                    "expected_revenue": 10000,
                    "probability": 30,
                },
                {
                    **common,
                    "name": "Open B",
                    "stage_id": cls.stage_b.id,
                    "expected_revenue": 5000,
                    "probability": 60,
                },
                {**common, "name": "Won", "stage_id": won.id, "expected_revenue": 7000},
            ]
        )
        lost = env["crm.lead"].create(
            {**common, "name": "Lost", "stage_id": cls.stage_a.id, "expected_revenue": 9000}
        )
        lost.action_set_lost()
