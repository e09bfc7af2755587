# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Effective-dated hourly cost of an employee: one row per compensation change of the HR
platform; the row in force on a date costs the timesheets of that date."""

from odoo import api, fields, models

from .. import hr


class SyncHrCostRate(models.Model):
    _name = "sync.hr.cost.rate"
    _description = "Employee cost rate (effective-dated)"
    _order = "employee_id, date_from desc, id desc"
    # payroll-adjacent: masked by sync_core wherever it stores payloads
    _sync_sensitive_fields = ("hourly_cost", "amount")

    employee_id = fields.Many2one(
        "hr.employee", required=True, ondelete="cascade", index=True, context={"active_test": False}
    )
    company_id = fields.Many2one(related="employee_id.company_id", store=True)
    backend_id = fields.Many2one("sync.backend", ondelete="set null", index=True)
    external_id = fields.Char(string="Remote row", help="The compensation row in the HR platform.")
    date_from = fields.Date(string="Effective from", required=True)
    amount = fields.Float(string="Compensation", digits=(16, 2))
    period = fields.Selection(
        [(p, p.capitalize()) for p in ("hour", "day", "week", "month", "quarter", "year")],
        string="Per",
        default="hour",
        required=True,
    )
    currency_id = fields.Many2one("res.currency", string="Compensation currency")
    hourly_cost = fields.Monetary(
        currency_field="company_currency_id",
        help="The compensation per hour in the company's currency: a yearly salary divided by "
        "the weekly hours of the employee's working calendar times 52.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id")

    _employee_date_uniq = models.Constraint(
        "UNIQUE(employee_id, backend_id, external_id)",
        "A compensation row of the HR platform is kept once per employee.",
    )

    @api.model
    def _rates_of(self, employees):
        """{employee id: [(date_from, hourly_cost)]}, one query."""
        out = {}
        for rate in self.search([("employee_id", "in", employees.ids)]):
            out.setdefault(rate.employee_id.id, []).append((rate.date_from, rate.hourly_cost))
        return out

    @api.model
    def _rate_on(self, employee, day):
        """The hourly cost in force for `employee` on `day`, or None without a rate."""
        if not employee or not day:
            return None
        rate = self.search(
            [("employee_id", "=", employee.id), ("date_from", "<=", day)],
            order="date_from desc, id desc",
            limit=1,
        )
        return rate.hourly_cost if rate else None

    def _hourly_from(self, amount, period, currency, employee, day, calendars=None):
        """`amount` per `period` in `currency` -> per hour in the employee's company currency;
        a yearly (monthly, weekly) one through the employee's working calendar (`calendars`:
        {calendar id: (hours per day, per week)} kept between calls of one batch)."""
        calendar = employee.resource_calendar_id or employee.company_id.resource_calendar_id
        calendars = {} if calendars is None else calendars
        if calendar.id not in calendars:
            per_day = calendar.hours_per_day if calendar else 8.0
            calendars[calendar.id] = (
                per_day,
                (calendar.hours_per_week if calendar else 0.0) or per_day * 5,
            )
        per_day, weekly = calendars[calendar.id]
        value = hr.hourly(amount, period, weekly, per_day)
        if value is None:
            return None
        company = employee.company_id or self.env.company
        if currency and currency != company.currency_id:
            value = currency._convert(value, company.currency_id, company, day)
        return value
