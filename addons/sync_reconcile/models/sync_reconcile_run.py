# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A reconciliation run: what the PSA says now (approved time and expenses of a period, read
in pages into a staging table) against the Odoo records bound to it and the invoices that
billed them, classified in set-based SQL; each difference is one sync_core exception."""

import logging
import time
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import SyncError

from .. import reconcile
from . import sql
from .sync_exception import CATEGORY, RUN_CLOSES
from .sync_reconcile_line import DRIFT_MODELS

_logger = logging.getLogger(__name__)

OBJECTS = {"time": "time_entries", "expense": "expenses"}


class SyncReconcileRun(models.Model):
    _name = "sync.reconcile.run"
    _description = "Reconciliation Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    partner_id = fields.Many2one("res.partner", string="Customer")
    project_id = fields.Many2one("project.project")
    check_drift = fields.Boolean(default=True, help="Compare bound master data too.")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("done", "Done"),
            ("empty", "Nothing compared"),
            ("failed", "Failed"),
        ],
        default="draft",
        help="Nothing compared: the run found no record to compare (see why on the run); it "
        "says nothing about differences.",
    )
    empty_reason = fields.Char(
        string="Nothing compared", readonly=True, help="Why the run had nothing to compare."
    )
    run_at = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)
    classify_duration = fields.Float(string="Classification (s)", readonly=True)
    staged_count = fields.Integer(string="PSA records read", readonly=True)
    odoo_count = fields.Integer(string="Odoo records compared", readonly=True)
    drift_compared = fields.Integer(string="Bound records compared", readonly=True)
    remote_calls = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    line_ids = fields.One2many("sync.reconcile.line", "run_id", string="Differences")
    warning_ids = fields.One2many("sync.reconcile.warning", "run_id", string="Early warnings")
    figure_ids = fields.One2many("sync.reconcile.figure", "run_id", string="Figures")
    difference_count = fields.Integer(readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        help="Currency of the run's amounts: the currency of its differences and figures (the "
        "company's when it has none); amounts in another currency are listed apart.",
    )
    difference_amount = fields.Monetary(readonly=True)
    resolved_count = fields.Integer(
        string="Closed exceptions", readonly=True, help="Differences no longer found."
    )
    mail_id = fields.Many2one("mail.mail", string="Control report mail", readonly=True)
    summary = fields.Json(
        readonly=True,
        help="{category: {count, amount}} of the differences, and 'total' (the same figures as "
        "the control report; for API readers).",
    )

    @api.depends("backend_id", "date_from", "date_to")
    def _compute_name(self):
        for run in self:
            run.name = (
                f"REC/{run.id or 'new'} {run.backend_id.name or ''} {run.date_from}..{run.date_to}"
            )

    # ------------------------------------------------------------------ cron, actions
    @api.model
    def _cron_reconcile(self):
        """Daily: every PSA backend, its reconcile window up to today, and every other backend
        that maps partners, projects or employees (master data drift only); the control report
        is mailed."""
        today = fields.Date.context_today(self)
        Backend = self.env["sync.backend"]
        mapped = self.env["sync.mapping"].search([("res_model", "in", DRIFT_MODELS)]).backend_id
        for backend in Backend.search([("system_role", "=", "psa")]) | mapped:
            run = self.create(
                {
                    "backend_id": backend.id,
                    "date_from": today - timedelta(days=backend.reconcile_window_days or 90),
                    "date_to": today,
                }
            )
            try:
                with self.env.cr.savepoint():
                    if run._execute():
                        run._send_report()
            except Exception as exc:  # one backend must not stop the others
                _logger.exception("reconciliation of %s failed", backend.name)
                run.write({"state": "failed", "error": str(exc)})
            self.env["ir.cron"]._commit_progress(1)
        return True

    def action_run(self):
        for run in self:
            run._execute()
        return True

    def action_send_report(self):
        for run in self:
            run._send_report()
        return True

    def action_open_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "sync.reconcile.line",
            "view_mode": "list,pivot,graph,form",
            "domain": [("run_id", "=", self.id)],
        }

    # ------------------------------------------------------------------ the run
    def _params(self):
        return {
            "run": self.id,
            "backend": self.backend_id.id,
            "company": self.company_id.id,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "project": self.project_id.id or None,
            "partner": self.partner_id.id or None,
            "today": fields.Date.context_today(self),
            "leakage_days": self.backend_id.reconcile_leakage_days or 0,
            "currency": self.company_id.currency_id.name,
            "currency_id": self.company_id.currency_id.id,
        }

    def _is_psa(self):
        return self.backend_id.system_role == "psa"

    def _execute(self):
        """Stage, classify, open/count/close exceptions, figures, early warnings."""
        self.ensure_one()
        start = time.perf_counter()
        # run again: what this run found before counts as found earlier (closed if gone now)
        previous = self.line_ids.exception_id
        self.line_ids.unlink()
        self.warning_ids.unlink()
        self.figure_ids.unlink()
        params = self._params()
        figures = {"staged_count": 0, "odoo_count": 0, "drift_compared": 0}
        try:
            with self.env.cr.savepoint():
                adapter = self.backend_id._get_adapter()
                counts = {}
                classify = 0
                if self._is_psa():
                    classify = self._compare_period(adapter, params, counts, figures)
                if self._checks_drift():
                    counts["drift"], figures["drift_compared"] = self._drift(adapter)
        except SyncError as exc:
            self.write({"state": "failed", "error": exc.message, "run_at": fields.Datetime.now()})
            _logger.warning("reconciliation %s failed: %s", self.id, exc.message)
            return False
        self.env.flush_all()
        self.env.cr.execute(sql.LINE_CURRENCIES, params)
        self.env.invalidate_all()
        resolved = self._sync_exceptions(previous)
        empty_reason = self._nothing_compared(figures)
        currency = self._run_currency()
        rows, (count, amounts) = self._category_totals()
        self.write(
            {
                **figures,
                # a PSA run that compared no billing but some master data is done (its
                # report still says the billing part compared nothing)
                "state": "empty" if empty_reason and not figures["drift_compared"] else "done",
                "empty_reason": empty_reason or False,
                "currency_id": currency.id,
                "summary": self._summary(rows, count, amounts, currency),
                "error": False,
                "run_at": fields.Datetime.now(),
                "remote_calls": getattr(adapter, "calls", 0),
                "difference_count": count,
                "difference_amount": amounts.get(currency.name, 0.0),
                "resolved_count": resolved,
                "classify_duration": classify,
                "duration": time.perf_counter() - start,
            }
        )
        _logger.info("reconciliation %s: %s differences (%s)", self.name, count, counts)
        return True

    def _compare_period(self, adapter, params, counts, figures):
        """The PSA's approved time and expenses of the period against Odoo's: staged,
        classified (into `counts`), figures and early warnings.  Returns the seconds the
        classification took; `figures` gets the records read and compared."""
        self.env.cr.execute(sql.CREATE_STAGE)
        staged = self._stage_period(adapter)
        self.env.flush_all()
        self.env.cr.execute(sql.RESOLVE_STAGE, params)
        self.env.cr.execute(sql.CREATE_SCOPE, params)
        staged += self._stage_unlisted(adapter, params)
        classify_start = time.perf_counter()
        counts.update(self._classify(params))
        classify = time.perf_counter() - classify_start
        self.env.cr.execute(sql.COUNT_SCOPE)
        figures["odoo_count"] = self.env.cr.fetchone()[0]
        figures["staged_count"] = staged
        self.env.cr.execute(sql.FIGURES, params)
        self._early_warnings(params)
        return classify

    def _checks_drift(self):
        """Drift is a property of the whole backend: only runs without a customer or project
        compare master data."""
        return bool(self.check_drift and not self.project_id and not self.partner_id)

    # ------------------------------------------------------------------ staging
    def _stage_rows(self, kind, records):
        """Copy one page of canonical PSA records into the staging table: one statement."""
        if not records:
            return 0
        columns = [[] for _c in sql.STAGE_COLUMNS]
        for rec in records:
            data = rec.get("data") or {}
            approved = not rec.get("archived") and bool(data.get("approved"))
            values = (
                kind,
                str(rec["id"]),
                "approved" if approved else "unapproved",
                str(data.get("project_ref") or ""),
                str((data.get("person") or {}).get("id") or ""),
                data.get("date") or None,
                int(data.get("minutes") or 0),
                int(data.get("amount_cents") or 0),
                data.get("bill_rate_cents"),
                (data.get("currency") or "").upper(),
                bool(data.get("billable")),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        self.env.cr.execute(sql.INSERT_STAGE, columns)
        return len(records)

    def _stage_period(self, adapter):
        """What the PSA approves for the period, page by page: the adapter's approved time of
        the period, and its expenses of the period (approval read from each one)."""
        count = 0
        for page in adapter.iter_approved_time(self.date_from, self.date_to):
            count += self._stage_rows("time", page)
        for page in adapter.iter_expenses_between(self.date_from, self.date_to):
            page = [r for r in page if (r.get("data") or {}).get("approved")]
            count += self._stage_rows("expense", page)
        return count

    def _stage_unlisted(self, adapter, params):
        """Odoo records whose PSA record the period's list did not show (unapproved, deleted,
        or moved out of the period): read by id; the ones still missing are deleted."""
        self.env.cr.execute(sql.UNSTAGED_IDS)
        wanted = {}
        for kind, entry_id in self.env.cr.fetchall():
            wanted.setdefault(kind, []).append(entry_id)
        count = 0
        for kind, ids in wanted.items():
            records = adapter.read_batch(OBJECTS[kind], ids)
            count += self._stage_rows(kind, records)
        if count:
            self.env.cr.execute(sql.RESOLVE_STAGE, params)
        return count

    # ------------------------------------------------------------------ classification
    def _classify(self, params):
        counts = {}
        for category in sql.CLASSIFY:
            self.env.cr.execute(sql.insert_lines(category), params)
            counts[category] = self.env.cr.rowcount
        return counts

    # ------------------------------------------------------------------ early warnings
    def _early_warnings(self, params):
        self.env.cr.execute(sql.PROJECT_UNBILLED)
        unbilled = {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}
        if not unbilled:
            return
        self.env.cr.execute(sql.PROJECT_HISTORY, {**params, "projects": list(unbilled)})
        history = {}
        for project_id, date, amount in self.env.cr.fetchall():
            history.setdefault(project_id, []).append((date, amount or 0.0))
        today = params["today"]
        values = []
        for project_id, (oldest, amount) in unbilled.items():
            invoices = history.get(project_id, [])
            rhythm = reconcile.billing_rhythm([d for d, _a in invoices], [a for _d, a in invoices])
            age = (today - oldest).days
            reason = reconcile.slowdown(rhythm, age, amount or 0.0)
            if reason:
                values.append(
                    {
                        "run_id": self.id,
                        "project_id": project_id,
                        "unbilled_amount": amount,
                        "unbilled_age_days": age,
                        "usual_interval_days": rhythm[0],
                        "usual_invoice_amount": rhythm[1],
                        "reason": reason,
                    }
                )
        self.env["sync.reconcile.warning"].create(values)

    # ------------------------------------------------------------------ master data drift
    def _drift(self, adapter):
        """Bound records of the backend's mappings: the remote's current values against Odoo's
        on the mapped fields.  A difference the sync explains is left alone: a remote-owned
        field whose remote record changed after the last applied version (the next pull
        brings it), an Odoo-owned field whose record changed after the last sync or has an
        export waiting (the outbox sends it).  What is left was edited outside the rules.
        Returns (differences, bound records compared)."""
        return self.env["sync.reconcile.line"]._drift_lines(self, adapter)

    # ------------------------------------------------------------------ exceptions
    def _sync_exceptions(self, previous=None):
        """Each difference is one open exception (found again: counted again; its age is the
        exception's first seen); exceptions of earlier runs in this run's scope whose
        difference is no longer found close themselves.  Returns how many closed."""
        Exception_ = self.env["sync.exception"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        backend = self.backend_id
        seen = Exception_.browse()
        ignored = {
            e.problem_key: e
            for e in Exception_.sudo().search(
                [
                    ("backend_id", "=", backend.id),
                    ("category", "=", CATEGORY),
                    ("state", "=", "ignored"),
                    ("problem_key", "!=", False),
                ]
            )
        }
        for line in self.line_ids:
            key = line._problem_key()
            if key in ignored:  # a known difference someone chose to ignore stays ignored
                line.exception_id = ignored[key]
                continue
            exc = SyncError(
                line._business_message(),
                category=CATEGORY,
                pattern=f"reconciliation: {line.category}",
                res_model=line.res_model or None,
                res_id=line.res_id or None,
                remote_object=line.remote_object or None,
                external_id=line.entry_id or None,
                fix_kind="conflict",
            )
            exception = Exception_._open(backend, exc)
            if not exception:  # opened concurrently: find it
                exception = Exception_.search(
                    [
                        ("problem_key", "!=", False),
                        ("state", "=", "open"),
                        ("name", "=", exc.message),
                    ],
                    limit=1,
                )
            line.exception_id = exception
            seen |= exception
        stale = self._stale_exceptions(seen)
        if previous:
            stale |= previous.filtered(
                lambda e: e.state == "open" and e.category == CATEGORY and e not in seen
            )
        stale.with_context(**{RUN_CLOSES: True})._mark_resolved(
            self.env._("Reconciliation %(run)s no longer finds this difference.", run=self.name)
        )
        return len(stale)

    def _stale_exceptions(self, seen):
        """Open reconciliation exceptions of the backend that an earlier run in this run's
        scope (period, project, customer) found and this one did not."""
        self.env["sync.reconcile.line"].flush_model()
        self.env.cr.execute(
            """
            SELECT DISTINCT e.id FROM sync_exception e
              JOIN sync_reconcile_line l ON l.exception_id = e.id AND l.run_id <> %(run)s
             WHERE e.backend_id = %(backend)s AND e.category = %(category)s AND e.state = 'open'
               AND NOT (e.id = ANY(%(seen)s))
               AND (l.category = 'drift' AND %(drift)s
                    OR l.category <> 'drift' AND l.date BETWEEN %(date_from)s AND %(date_to)s
                       AND (%(project)s::int IS NULL OR l.project_id = %(project)s)
                       AND (%(partner)s::int IS NULL OR l.partner_id = %(partner)s))
            """,
            {
                **self._params(),
                "category": CATEGORY,
                "seen": seen.ids,
                "drift": self._checks_drift(),
            },
        )
        return self.env["sync.exception"].browse([r[0] for r in self.env.cr.fetchall()])
