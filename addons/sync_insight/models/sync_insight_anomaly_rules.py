# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The anomaly rules on projects, customers and syncs (SQL in sql_anomaly.py): each row the
statement returns becomes one flag with its sentence; nothing is decided in Python."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_amount

from . import sql_anomaly


class SyncInsightAnomaly(models.Model):
    _inherit = "sync.insight.anomaly"

    def _money(self, amount, company):
        return format_amount(self.env, amount or 0.0, company.currency_id)

    @api.model
    def _detect_weekly(self, week, company=None):
        """Every weekly rule on projects and customers for the week (a Monday)."""
        return (
            self._detect_burn(week, company)
            | self._detect_wip_age(week, company)
            | self._detect_slow_payment(week, company)
        )

    @api.model
    def _detect_burn(self, week, company=None):
        """A project that delivered far more than its usual week, or whose remaining backlog
        lasts fewer weeks than the setting at this week's pace."""
        settings = self._settings()
        floor = settings["burn_floor_ratio"]
        rows = self._fetch(
            sql_anomaly.BURN, week, company, weeks_left=settings["burn_weeks_left"], floor=floor
        )
        projects = self.env["project.project"].browse(row["project_id"] for row in rows)
        values = []
        for row, project in zip(rows, projects, strict=True):
            money = project.company_id or self.env.company
            if row["median"] is None:
                baseline = self.env._("no usual week yet (fewer weeks of delivery than needed)")
            else:
                baseline = self.env._(
                    "a median week of %(median)s over the %(weeks)s weeks before (typical "
                    "deviation %(mad)s)",
                    median=self._money(row["median"], money),
                    weeks=row["n"],
                    mad=self._money(row["mad"], money),
                )
            values.append(
                {
                    "project_id": project.id,
                    "partner_id": project.partner_id.id,
                    "company_id": money.id,
                    "value": row["value"],
                    "baseline_median": row["median"] or 0.0,
                    "baseline_mad": row["mad"] or 0.0,
                    "baseline_weeks": row["n"],
                    "score": self._score(
                        row["value"], row["median"], row["mad"], floor * (row["median"] or 1.0)
                    ),
                    "reason": self.env._(
                        "Project %(project)s delivered %(value)s in the week of %(week)s, against "
                        "%(baseline)s; its remaining backlog of %(backlog)s lasts %(left)s weeks "
                        "at this pace.",
                        project=project.display_name,
                        value=self._money(row["value"], money),
                        week=week,
                        baseline=baseline,
                        backlog=self._money(row["backlog"], money),
                        left=round(row["weeks_left"], 1),
                    ),
                }
            )
        return self._flag("burn", week, values)

    @api.model
    def _detect_wip_age(self, week, company=None):
        """A project with approved billable time not invoiced for longer than the billing
        rule (days in the settings) at the end of the week."""
        days = int(self._settings()["wip_days"])
        rows = self._fetch(sql_anomaly.WIP_AGE, week, company, days=days)
        projects = self.env["project.project"].browse(row["project_id"] for row in rows)
        values = []
        for row, project in zip(rows, projects, strict=True):
            money = project.company_id or self.env.company
            values.append(
                {
                    "project_id": project.id,
                    "partner_id": project.partner_id.id,
                    "company_id": money.id,
                    "value": row["value"],
                    "baseline_median": days,
                    # weeks past the rule at the week's end
                    "score": ((week - row["oldest"]).days + 7 - days) / 7.0,
                    "reason": self.env._(
                        "Project %(project)s has %(value)s of approved time delivered and not "
                        "invoiced for more than %(days)s days (the billing rule) at the end of the "
                        "week of %(week)s: %(lines)s timesheet lines, the oldest of %(oldest)s.",
                        project=project.display_name,
                        value=self._money(row["value"], money),
                        days=days,
                        week=week,
                        lines=row["lines"],
                        oldest=row["oldest"],
                    ),
                }
            )
        return self._flag("wip_age", week, values)

    @api.model
    def _detect_slow_payment(self, week, company=None):
        """A customer whose invoices paid in the recent window took far longer to pay than
        their previous invoices."""
        settings = self._settings()
        rows = self._fetch(
            sql_anomaly.SLOW_PAYMENT,
            week,
            company,
            recent_days=int(settings["pay_recent_days"]),
            periods=int(settings["pay_invoices"]),
            floor=settings["pay_floor_days"],
        )
        partners = self.env["res.partner"].browse(row["partner_id"] for row in rows)
        invoices = self.env["account.move"]
        values = []
        for row, partner in zip(rows, partners, strict=True):
            values.append(
                {
                    "partner_id": partner.id,
                    # the company of the invoices compared
                    "company_id": invoices.browse(row["move_ids"][:1]).company_id.id,
                    "value": row["value"],
                    "baseline_median": row["median"],
                    "baseline_mad": row["mad"],
                    "baseline_weeks": row["n"],
                    "record_ids": row["move_ids"],
                    "score": self._score(
                        row["value"], row["median"], row["mad"], settings["pay_floor_days"]
                    ),
                    "reason": self.env._(
                        "%(partner)s took %(value)s days to pay the invoices paid in the "
                        "%(recent)s days to the week of %(week)s, against a median of "
                        "%(median)s days over their %(n)s invoices before (typical deviation "
                        "%(mad)s days).",
                        partner=partner.display_name,
                        value=round(row["value"], 1),
                        recent=int(settings["pay_recent_days"]),
                        week=week,
                        median=round(row["median"], 1),
                        n=row["n"],
                        mad=round(row["mad"], 1),
                    ),
                }
            )
        return self._flag("slow_payment", week, values)

    @api.model
    def _detect_sync_failures(self, day, company=None):
        """A backend whose share of failed jobs of the day jumped above its usual day."""
        settings = self._settings()
        rows = self._fetch(
            sql_anomaly.SYNC_FAILURES,
            day,
            company,
            periods=int(settings["fail_days"]),
            min_jobs=int(settings["fail_min_jobs"]),
            floor=settings["fail_floor_pct"],
        )
        backends = self.env["sync.backend"].browse(row["backend_id"] for row in rows)
        values = []
        for row, backend in zip(rows, backends, strict=True):
            values.append(
                {
                    "backend_id": backend.id,
                    "company_id": backend.company_id.id,
                    "value": row["value"],
                    "baseline_median": row["median"],
                    "baseline_mad": row["mad"],
                    "baseline_weeks": row["n"],
                    "score": self._score(
                        row["value"], row["median"], row["mad"], settings["fail_floor_pct"]
                    ),
                    "reason": self.env._(
                        "%(backend)s failed %(value)s %% of its %(jobs)s jobs on %(day)s, "
                        "against a median of %(median)s %% over the %(n)s days before with jobs "
                        "(typical deviation %(mad)s points).",
                        backend=backend.display_name,
                        value=round(row["value"], 1),
                        jobs=row["jobs"],
                        day=day,
                        median=round(row["median"], 1),
                        n=row["n"],
                        mad=round(row["mad"], 1),
                    ),
                }
            )
        return self._flag("sync_failures", day, values)

    @api.model
    def _cron_detect_daily(self):
        """Daily: yesterday's sync failure rates."""
        return self._detect_sync_failures(fields.Date.context_today(self) - timedelta(days=1))

    def action_open_records(self):
        """The records behind the flag, filtered as the rule read them."""
        self.ensure_one()
        View = self.env["sync.insight.view"]
        end = self.week + timedelta(days=6)
        if self.rule == "slow_payment":
            return View._action_records(
                "account.move", self.env._("Invoices"), [("id", "in", self.record_ids or [])]
            )
        if self.rule == "sync_failures":
            domain = [
                ("backend_id", "=", self.backend_id.id),
                ("state", "=", "failed"),
                ("done_at", ">=", self.week),
                ("done_at", "<", self.week + timedelta(days=1)),
            ]
            return View._action_records("sync.job", self.env._("Failed jobs"), domain)
        domain = [("project_id", "!=", False)]
        if self.rule == "weekly_hours":
            weeks = int(self._settings()["weeks"])
            domain += [
                ("employee_id", "=", self.employee_id.id),
                ("date", ">=", self.week - timedelta(days=7 * weeks)),
                ("date", "<=", end),
            ]
        elif self.rule == "wip_age":
            domain += [
                ("project_id", "=", self.project_id.id),
                ("so_line", "!=", False),
                "|",
                ("timesheet_invoice_id", "=", False),
                ("timesheet_invoice_id.state", "!=", "posted"),
                ("date", "<", end + timedelta(days=1 - int(self.baseline_median))),
            ]
        else:
            domain += [("project_id", "=", self.project_id.id), ("date", "<=", end)]
        name = self.env._("Timesheets of %s", self[SUBJECT_FIELD[self.rule]].display_name)
        return View._action_records("account.analytic.line", name, domain)


SUBJECT_FIELD = {"weekly_hours": "employee_id", "burn": "project_id", "wip_age": "project_id"}
