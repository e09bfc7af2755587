# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models

from . import sql

PARAM = "sync_insight.anomaly_"
DEFAULTS = {
    "weeks": 8,
    "min_weeks": 4,
    "threshold": 3.5,
    "floor_hours": 2.0,
    "burn_weeks_left": 2.0,
    "burn_floor_ratio": 0.1,
    "wip_days": 60,
    "pay_recent_days": 28,
    "pay_invoices": 12,
    "pay_floor_days": 5.0,
    "fail_days": 14,
    "fail_min_jobs": 10,
    "fail_floor_pct": 5.0,
}
RULES = [
    ("weekly_hours", "Unusual weekly hours"),
    ("burn", "Project burning its backlog fast"),
    ("wip_age", "WIP past the billing rule"),
    ("slow_payment", "Customer paying slower"),
    ("sync_failures", "Sync failure rate jumped"),
]
# the record a rule is about
SUBJECT = {
    "weekly_hours": "employee_id",
    "burn": "project_id",
    "wip_age": "project_id",
    "slow_payment": "partner_id",
    "sync_failures": "backend_id",
}


class SyncInsightAnomaly(models.Model):
    """A deterministic flag on the figures (robust statistics on the median and MAD of the
    subject's previous periods, or a fixed rule such as the billing delay). It says in words
    what is unusual against which baseline, links the records and is routed to the subject's
    owner as an activity. The rules are in sync_insight_anomaly_rules.py."""

    _name = "sync.insight.anomaly"
    _description = "Delivery Anomaly"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "week desc, score desc, id desc"

    rule = fields.Selection(RULES, required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    employee_id = fields.Many2one("hr.employee", index=True, ondelete="cascade")
    project_id = fields.Many2one("project.project", index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, ondelete="cascade")
    backend_id = fields.Many2one("sync.backend", index=True, ondelete="cascade")
    week = fields.Date(
        string="Period", required=True, help="Monday of the week (the day, for sync failures)."
    )
    hours = fields.Float(string="Approved hours")
    value = fields.Float(help="The measure of the period (amount, days, % of failed jobs).")
    baseline_median = fields.Float(string="Usual period (median)")
    baseline_mad = fields.Float(string="Median absolute deviation")
    baseline_weeks = fields.Integer(string="Periods compared")
    score = fields.Float(help="Distance from the median in robust deviations (ranks the digest).")
    record_ids = fields.Json(help="Ids of the records behind the flag (e.g. the invoices).")
    reason = fields.Char(required=True)

    _unique_flag_subject = models.UniqueIndex(
        "(rule, week, COALESCE(employee_id, 0), COALESCE(project_id, 0),"
        " COALESCE(partner_id, 0), COALESCE(backend_id, 0))"
    )

    @api.depends("rule", "week", "employee_id", "project_id", "partner_id", "backend_id")
    def _compute_display_name(self):
        for anomaly in self:
            subject = anomaly[SUBJECT.get(anomaly.rule, "employee_id")]
            period = "day" if anomaly.rule == "sync_failures" else "week of"
            anomaly.display_name = f"{subject.display_name}, {period} {anomaly.week}"

    @api.model
    def _settings(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {key: float(get(PARAM + key) or default) for key, default in DEFAULTS.items()}

    @api.model
    def _score(self, value, median, mad, floor):
        return (value - (median or 0.0)) / max(1.4826 * (mad or 0.0), floor or 1.0)

    @api.model
    def _detect_weekly_hours(self, week, company=None):
        """Flags the week (a Monday) for every person it is unusual for; one flag per person
        and week (running again adds nothing). Returns the new flags."""
        settings = self._settings()
        rows = self._fetch(
            sql.WEEKLY_HOURS_OUTLIERS,
            week,
            company,
            weeks=int(settings["weeks"]),
            min_weeks=int(settings["min_weeks"]),
            floor=settings["floor_hours"],
        )
        employees = self.env["hr.employee"].browse(row["employee_id"] for row in rows)
        names = dict(zip(employees.ids, employees.mapped("name"), strict=True))
        companies = {e.id: e.company_id.id for e in employees}
        values = []
        for row in rows:
            hours, median, mad, weeks = row["hours"], row["median"], row["mad"], row["n"]
            values.append(
                {
                    "employee_id": row["employee_id"],
                    "company_id": companies[row["employee_id"]],
                    "hours": hours,
                    "value": hours,
                    "baseline_median": median,
                    "baseline_mad": mad,
                    "baseline_weeks": weeks,
                    "score": abs(self._score(hours, median, mad, settings["floor_hours"])),
                    "reason": self.env._(
                        "%(name)s has %(hours)s approved hours in the week of %(week)s, "
                        "%(direction)s than usual: %(median)s hours is their median week over "
                        "the %(weeks)s weeks before (typical deviation %(mad)s hours).",
                        name=names[row["employee_id"]],
                        hours=round(hours, 2),
                        week=week,
                        direction="more" if hours > median else "fewer",
                        median=round(median, 2),
                        weeks=weeks,
                        mad=round(mad, 2),
                    ),
                }
            )
        return self._flag("weekly_hours", week, values)

    @api.model
    def _fetch(self, query, week, company, **params):
        settings = self._settings()
        params = {
            "week": week,
            "company": company and company.id,
            "threshold": settings["threshold"],
            "periods": int(settings["weeks"]),
            "min_periods": int(settings["min_weeks"]),
            **params,
        }
        self.env.flush_all()
        self.env.cr.execute(query, params)
        return self.env.cr.dictfetchall()

    @api.model
    def _flag(self, rule, week, values):
        """Creates the flags of a rule and period not flagged yet (running again adds
        nothing: same data, same flags) and routes them. Returns the new flags."""
        subject = SUBJECT[rule]
        known = self.search(
            [
                ("rule", "=", rule),
                ("week", "=", week),
                (subject, "in", [v[subject] for v in values]),
            ]
        ).mapped(subject)
        flags = self.create(
            [
                {**vals, "rule": rule, "week": week}
                for vals in values
                if vals[subject] not in known.ids
            ]
        )
        flags._route()
        return flags

    def _owner(self):
        """Who acts on the flag: the person's manager, the project manager, the customer's
        salesperson (account owner); None: the exception assignee of the settings."""
        self.ensure_one()
        if self.rule == "weekly_hours":
            return self.employee_id.parent_id.user_id
        if self.rule == "burn":
            return self.project_id.user_id
        if self.rule == "wip_age":
            return self.project_id.user_id or self.project_id.partner_id.user_id
        if self.rule == "slow_payment":
            return self.partner_id.user_id
        return None  # sync failures: the backend's exception assignee

    def _route(self):
        """An activity for the owner (when a Sync user who can open the flag), else the Sync
        exception assignee of the settings, else the administrator; created in one batch."""
        fallback = self.env["ir.config_parameter"].sudo().get_param("sync_core.exception_user_id")
        fallback = self.env["res.users"].browse(int(fallback or 0)).exists()
        fallback = fallback or self.env.ref("base.user_admin")
        todo = self.env.ref("mail.mail_activity_data_todo")
        labels = dict(RULES)
        values = []
        for anomaly in self:
            owner = anomaly._owner()
            if not owner or not owner.has_group("sync_core.sync_core_group_user"):
                owner = fallback
            values.append(
                {
                    "res_model_id": self.env["ir.model"]._get_id(self._name),
                    "res_id": anomaly.id,
                    "activity_type_id": todo.id,
                    "summary": labels[anomaly.rule],
                    "note": anomaly.reason,
                    "user_id": owner.id,
                    "date_deadline": fields.Date.context_today(self),
                }
            )
        return self.env["mail.activity"].create(values)

    @api.model
    def _cron_detect(self):
        """Weekly: the last complete week, every weekly rule."""
        today = fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday() + 7)
        return self._detect_weekly_hours(monday) | self._detect_weekly(monday)

    def action_open_timesheets(self):
        self.ensure_one()
        return self.action_open_records()
