# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models

from . import sql

PARAM = "sync_insight.anomaly_"
DEFAULTS = {"weeks": 8, "min_weeks": 4, "threshold": 3.5, "floor_hours": 2.0}


class SyncInsightAnomaly(models.Model):
    """A deterministic flag on the figures: a person's approved hours of a week far from
    their usual week (robust z-score on the median and MAD of their previous weeks). It says
    in words what is unusual against which baseline, and is routed as an activity."""

    _name = "sync.insight.anomaly"
    _description = "Delivery Anomaly"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "week desc, id desc"

    rule = fields.Selection([("weekly_hours", "Unusual weekly hours")], required=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    employee_id = fields.Many2one("hr.employee", required=True, index=True, ondelete="cascade")
    week = fields.Date(required=True, help="Monday of the week.")
    hours = fields.Float(string="Approved hours")
    baseline_median = fields.Float(string="Usual week (median hours)")
    baseline_mad = fields.Float(string="Median absolute deviation")
    baseline_weeks = fields.Integer(string="Weeks compared")
    reason = fields.Char(required=True)

    _unique_flag = models.UniqueIndex("(rule, employee_id, week)")

    @api.depends("employee_id", "week")
    def _compute_display_name(self):
        for anomaly in self:
            anomaly.display_name = f"{anomaly.employee_id.name}, week of {anomaly.week}"

    @api.model
    def _settings(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {key: float(get(PARAM + key) or default) for key, default in DEFAULTS.items()}

    @api.model
    def _detect_weekly_hours(self, week, company=None):
        """Flags the week (a Monday) for every person it is unusual for; one flag per person
        and week (running again adds nothing). Returns the new flags."""
        settings = self._settings()
        self.env.flush_all()
        self.env.cr.execute(
            sql.WEEKLY_HOURS_OUTLIERS,
            {
                "week": week,
                "weeks": int(settings["weeks"]),
                "min_weeks": int(settings["min_weeks"]),
                "threshold": settings["threshold"],
                "floor": settings["floor_hours"],
                "company": company and company.id,
            },
        )
        rows = self.env.cr.fetchall()
        known = self.search(
            [
                ("rule", "=", "weekly_hours"),
                ("week", "=", week),
                ("employee_id", "in", [row[0] for row in rows]),
            ]
        ).employee_id.ids
        employees = self.env["hr.employee"].browse(row[0] for row in rows)
        values = []
        for employee_id, hours, median, mad, weeks in rows:
            if employee_id in known:
                continue
            employee = employees.filtered(lambda e, eid=employee_id: e.id == eid)
            direction = "more" if hours > median else "fewer"
            values.append(
                {
                    "rule": "weekly_hours",
                    "company_id": employee.company_id.id,
                    "employee_id": employee_id,
                    "week": week,
                    "hours": hours,
                    "baseline_median": median,
                    "baseline_mad": mad,
                    "baseline_weeks": weeks,
                    "reason": self.env._(
                        "%(name)s has %(hours)s approved hours in the week of %(week)s, "
                        "%(direction)s than usual: %(median)s hours is their median week over "
                        "the %(weeks)s weeks before (typical deviation %(mad)s hours).",
                        name=employee.name,
                        hours=round(hours, 2),
                        week=week,
                        direction=direction,
                        median=round(median, 2),
                        weeks=weeks,
                        mad=round(mad, 2),
                    ),
                }
            )
        flags = self.create(values)
        flags._route()
        return flags

    def _route(self):
        """An activity for the person's manager (their user, when a Sync user who can open
        the flag), else the Sync exception assignee of the settings, else the administrator."""
        fallback = self.env["ir.config_parameter"].sudo().get_param("sync_core.exception_user_id")
        fallback = self.env["res.users"].browse(int(fallback or 0)).exists()
        fallback = fallback or self.env.ref("base.user_admin")
        for anomaly in self:
            owner = anomaly.employee_id.parent_id.user_id
            if not owner or not owner.has_group("sync_core.sync_core_group_user"):
                owner = fallback
            anomaly.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Unusual weekly hours"),
                note=anomaly.reason,
                user_id=owner.id,
            )

    @api.model
    def _cron_detect(self):
        """Weekly: the last complete week."""
        today = fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday() + 7)
        return self._detect_weekly_hours(monday)

    def action_open_timesheets(self):
        self.ensure_one()
        return self.env["sync.insight.view"]._action_records(
            "account.analytic.line",
            self.env._("Timesheets of %s", self.employee_id.name),
            [
                ("employee_id", "=", self.employee_id.id),
                ("project_id", "!=", False),
                ("date", ">=", self.week - timedelta(days=7 * int(self._settings()["weeks"]))),
                ("date", "<=", self.week + timedelta(days=6)),
            ],
        )
