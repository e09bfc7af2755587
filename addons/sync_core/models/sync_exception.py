import hashlib
import json
import logging

import psycopg2
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..exceptions import CATEGORIES, FIX_KINDS
from ..sqllog import expected_sql_errors
from ..ui import notification_then_reload
from .sync_binding import record_display_name

_logger = logging.getLogger(__name__)


class SyncException(models.Model):
    """One business problem for a finance or ops user to resolve (not one stack trace).

    One problem = one open exception: (backend, category, affected remote record -- or the
    job identity when the error names none --, cause pattern) is its `problem_key`, unique
    among open exceptions (partial unique index).  Seeing the problem again counts an
    occurrence and links the latest job; a later successful run for the same record resolves
    it once.  Exceptions are also grouped by pattern (same backend, category and cause).
    Actions: retry, the fix of its kind (create/choose a missing product, link a record, open
    both sides of a conflict), edit the raw payload then retry (operators), ignore with a
    reason, assign.
    """

    _name = "sync.exception"
    _description = "Sync Exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "sync.record.mixin"]
    _order = "state, last_seen_at desc, id desc"

    name = fields.Char(string="Problem", required=True, tracking=True)
    category = fields.Selection(CATEGORIES, required=True, index=True, tracking=True)
    pattern_key = fields.Char(index=True, readonly=True)
    pattern = fields.Char(readonly=True, help="The cause shared by exceptions of one group.")
    problem_key = fields.Char(
        readonly=True,
        copy=False,
        help="Backend, category, affected record and cause: at most one open exception per "
        "problem.",
    )
    identity_key = fields.Char(
        string="Job identity", readonly=True, help="Identity of the job the problem came from."
    )
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    job_id = fields.Many2one(
        "sync.job", string="Latest job", index=True, ondelete="set null", readonly=True
    )
    event_id = fields.Many2one("sync.event", ondelete="set null", readonly=True)
    mapping_id = fields.Many2one("sync.mapping", ondelete="set null", readonly=True)
    remote_object = fields.Char(string="Remote object", readonly=True)
    external_id = fields.Char(string="Remote id", readonly=True, index=True)
    remote_url = fields.Char(
        string="Remote record", compute="_compute_remote_url", help="The record in the remote app."
    )
    res_model = fields.Char(string="Affected model", readonly=True)
    res_id = fields.Many2oneReference(string="Affected record id", model_field="res_model")
    record_name = fields.Char(compute="_compute_record_name", string="Affected record")
    affected_html = fields.Html(
        string="Affected records", compute="_compute_affected_html", sanitize=False
    )
    affected_record_model = fields.Char(
        string="Kind of the Odoo record",
        compute="_compute_affected_html",
        help="What the problem's own Odoo record is (e.g. Sales Order), when there is one.",
    )
    fix_kind = fields.Selection(FIX_KINDS, readonly=True)
    fix_data = fields.Json(readonly=True)
    fix_missing_key = fields.Char(
        compute="_compute_fix_status", help="First key (e.g. SKU) still without an Odoo record."
    )
    fix_status = fields.Text(string="How to fix", compute="_compute_fix_status")
    fix_can_create = fields.Boolean(
        compute="_compute_fix_status",
        help="The current user may create the missing record (e.g. Products: Create).",
    )
    payload_text = fields.Text(
        string="Raw payload (JSON)",
        help="Technical: the job's input as JSON. Edit only if you know the remote format, "
        "then Retry.",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        tracking=True,
        index=True,
        default=lambda self: self._default_user_id(),
    )
    # not tracked (an empty reason read "None -> ..."): the state change's message says it
    reason = fields.Text(string="Resolution / ignore reason")
    occurrences = fields.Integer(string="Times seen", default=1, readonly=True)
    first_seen_at = fields.Datetime(string="First seen", default=fields.Datetime.now, readonly=True)
    last_seen_at = fields.Datetime(
        string="Last seen", default=fields.Datetime.now, readonly=True, index=True
    )
    technical_detail = fields.Text(readonly=True, groups="sync_core.sync_core_group_manager")

    _problem_open_uniq = models.UniqueIndex(
        "(problem_key) WHERE state = 'open' AND problem_key IS NOT NULL",
        "This problem already has an open exception.",
    )

    @api.depends("backend_id", "remote_object", "external_id")
    def _compute_remote_url(self):
        for exc in self:
            exc.remote_url = exc._remote_url(exc.remote_object, exc.external_id)

    def _affected_rows(self):
        """(label, Odoo model, Odoo id, remote object, remote id) of every affected record:
        the exception's own, then the related remote records of its fix data (their Odoo
        counterpart found through the bindings)."""
        self.ensure_one()
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        rows = [(self.env._("Record"), self.res_model, self.res_id, None, None)]
        if self.external_id:
            res_model, res_id = self.res_model, self.res_id
            if not (res_model and res_id) and self.remote_object:
                # e.g. the deal, once a retry made its order: the record it is bound to now
                binding = self._main_binding(
                    Binding.search(
                        [
                            ("backend_id", "=", self.backend_id.id),
                            ("remote_object", "=", self.remote_object),
                            ("external_id", "=", self.external_id),
                        ],
                        order="active desc, id desc",
                        limit=10,
                    )
                )
                res_model, res_id = binding.res_model, binding.res_id
            rows = [(self.env._("Record"), res_model, res_id, self.remote_object, self.external_id)]
        for item in (self.fix_data or {}).get("related") or []:
            if not isinstance(item, list | tuple) or len(item) < 2:
                continue
            remote_object, external_id = str(item[0]), str(item[1])
            label = str(item[2]) if len(item) > 2 else remote_object
            binding = Binding.search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("remote_object", "=", remote_object),
                    ("external_id", "=", external_id),
                ],
                limit=1,
            )
            rows.append((label, binding.res_model, binding.res_id, remote_object, external_id))
        return rows

    @api.model
    def _main_binding(self, bindings):
        """Of the Odoo records bound to one remote record (active first, newest first), the
        one a problem about it points at; a workflow binding several (e.g. an order and its
        project) says which."""
        return bindings[:1]

    @api.model
    def _default_user_id(self):
        """Settings > Sync: who new exceptions are assigned to (nobody if unset)."""
        value = self.env["ir.config_parameter"].sudo().get_param("sync_core.exception_user_id")
        user = self.env["res.users"].sudo().browse(int(value)).exists() if value else None
        return user.id if user and user.active else False

    @api.depends("res_model", "res_id", "remote_object", "external_id", "fix_data")
    def _compute_affected_html(self):
        for exc in self:
            items = []
            rows = exc._affected_rows()
            for label, model, res_id, remote_object, external_id in rows:
                parts = []
                name = record_display_name(self.env, model, res_id)
                if name:
                    parts.append(
                        Markup('Odoo: <a href="/odoo/%s/%s">%s</a>') % (model, res_id, name)
                    )
                elif remote_object:
                    parts.append(escape(self.env._("Odoo: not imported yet")))
                if remote_object and external_id:
                    url = exc.backend_id._remote_record_url(remote_object, external_id)
                    text = f"{exc.backend_id.name}: {remote_object} {external_id}"
                    parts.append(
                        Markup('<a href="%s" target="_blank" rel="noopener">%s</a>') % (url, text)
                        if url
                        else escape(text)
                    )
                if parts:
                    items.append(
                        Markup("<li><b>%s</b>: %s</li>") % (label, Markup(" &#8212; ").join(parts))
                    )
            exc.affected_html = (
                Markup("<ul class='mb-0'>%s</ul>") % Markup("").join(items) if items else False
            )
            _label, model, res_id, _obj, _ext = rows[0]
            exc.affected_record_model = (
                self.env["ir.model"]._get(model).name if model in self.env and res_id else False
            )

    @api.depends("fix_kind", "fix_data", "state")
    @api.depends_context("uid")
    def _compute_fix_status(self):
        for exc in self:
            exc.fix_missing_key = False
            exc.fix_status = False
            data = exc.fix_data or {}
            model = data.get("model") or "product.product"
            exc.fix_can_create = model in self.env and self.env[model].has_access("create")
            if exc.fix_kind == "missing_product":
                lines = []
                notes = {i.get("key"): i.get("note") for i in data.get("missing") or []}
                for key, record in exc._fix_missing_records():
                    if record:
                        lines.append(
                            self.env._(
                                "%(key)s: now %(name)s, press Retry.",
                                key=key,
                                name=record.display_name,
                            )
                        )
                    else:
                        exc.fix_missing_key = exc.fix_missing_key or key
                        lines.append(
                            self.env._(
                                "%(key)s: no product with this Internal Reference. Create it, "
                                "or choose an existing product for it, then Retry.",
                                key=key,
                            )
                            if exc.fix_can_create
                            else self.env._(
                                "%(key)s: no product with this Internal Reference. Choose an "
                                "existing product for it, or ask someone allowed to create "
                                "products (Products: Create) to create it, then Retry.",
                                key=key,
                            )
                        )
                        if notes.get(key) and exc.fix_can_create:
                            lines.append(f"{key}: {notes[key]}")
                if data.get("hint"):
                    lines.append(data["hint"])
                exc.fix_status = "\n".join(lines)
            elif exc.fix_kind == "missing_record":
                exc.fix_status = self.env._(
                    "Link the remote record to the existing Odoo record it stands for, or create "
                    "that record in Odoo, then Retry."
                )
            elif exc.fix_kind == "conflict":
                exc.fix_status = self.env._(
                    "Both sides disagree: open the Odoo record and the remote record, correct "
                    "the one that is wrong, then Retry or Ignore with a reason."
                )
            elif data.get("hint"):
                exc.fix_status = data["hint"]

    def _fix_missing_records(self):
        """[(key, Odoo record or empty)] for the missing keys of a missing-product fix."""
        self.ensure_one()
        data = self.fix_data or {}
        model, key_field = data.get("model") or "product.product", data.get("key_field")
        if model not in self.env or not key_field:
            return []
        Model = self.env[model].sudo()
        result = []
        for item in data.get("missing") or []:
            key = item.get("key")
            record = Model.search([(key_field, "=", key)], limit=1) if key else Model
            result.append((key, record))
        return result

    @api.constrains("payload_text")
    def _check_payload_text(self):
        for exc in self:
            try:
                json.loads(exc.payload_text or "null")
            except ValueError as err:
                raise ValidationError(
                    self.env._("The raw payload is not valid JSON: %(err)s", err=str(err))
                ) from err

    @api.model
    def _pattern_key(self, backend, category, pattern):
        raw = f"{backend.id}|{category}|{pattern}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    @api.model
    def _problem_key(self, backend_id, category, subject, pattern):
        """Key of one problem (False when nothing identifies its subject)."""
        if not subject:
            return False
        raw = f"{backend_id}|{category}|{subject}|{(pattern or '')[:250]}"
        return hashlib.sha1(raw.encode()).hexdigest()

    @api.model
    def _problem_subject(self, vals):
        """What the problem is about: the remote record, else the job identity, else the Odoo
        record, else the job.  None: nothing identifies it (a new exception each time)."""
        if vals.get("external_id"):
            return f"remote:{vals.get('remote_object') or ''}:{vals['external_id']}"
        if vals.get("identity_key"):
            return f"job:{vals['identity_key']}"
        if vals.get("res_model") and vals.get("res_id"):
            return f"record:{vals['res_model']}:{vals['res_id']}"
        if vals.get("job_id"):
            return f"job-id:{vals['job_id']}"
        return None

    @api.model
    def _open(self, backend, exc, **vals):
        """Open the exception of one problem, or count it again (occurrences, last seen,
        latest job).  Atomic: the partial unique index on the open problem key decides between
        two concurrent openers."""
        category = getattr(exc, "category", "remote")
        pattern = getattr(exc, "pattern", None) or str(exc)
        message = getattr(exc, "message", None) or str(exc)
        for attr in ("res_model", "res_id", "remote_object", "external_id"):
            if getattr(exc, attr, None) and not vals.get(attr):
                vals[attr] = getattr(exc, attr)
        if getattr(exc, "fix_kind", None):
            vals["fix_kind"] = exc.fix_kind
            vals["fix_data"] = exc.fix_data or {}
        elif category == "conflict":
            vals["fix_kind"] = "conflict"
        self._complete_from_binding(backend, vals)
        problem_key = self._problem_key(backend.id, category, self._problem_subject(vals), pattern)
        common = {
            "name": message[:500],
            "category": category,
            "pattern": pattern[:250],
            "pattern_key": self._pattern_key(backend, category, pattern),
            "problem_key": problem_key,
            "last_seen_at": fields.Datetime.now(),
            "technical_detail": vals.pop("technical_detail", False),
        }
        Exc = self.sudo()
        existing = (
            Exc.search([("problem_key", "=", problem_key), ("state", "=", "open")], limit=1)
            if problem_key
            else Exc
        )
        if not existing and vals.get("job_id"):
            # the same job failing again for the same cause (e.g. an operator's retry of a
            # page record): that exception, whatever key it was opened under
            existing = Exc.search(
                [
                    ("job_id", "=", vals["job_id"]),
                    ("state", "=", "open"),
                    ("category", "=", category),
                    ("pattern", "=", pattern[:250]),
                ],
                limit=1,
            )
            if existing:
                common.pop("problem_key")
        if existing:
            existing._supersede_job(vals.get("job_id"))
            update = {k: v for k, v in vals.items() if v or k in ("fix_kind", "fix_data")}
            existing.write({**update, **common, "occurrences": existing.occurrences + 1})
            return existing
        create_vals = {"backend_id": backend.id, **vals, **common}
        if not problem_key:
            return Exc.create(create_vals)
        try:
            with expected_sql_errors(), self.env.cr.savepoint():
                created = Exc.create(create_vals)
                created.flush_recordset()
            return created
        except psycopg2.errors.UniqueViolation:
            # A concurrent transaction opened the same problem after our snapshot was taken:
            # it is open once; this occurrence stays recorded on its job.
            _logger.info("sync exception %s opened concurrently", pattern)
            return Exc.browse()

    @api.model
    def _complete_from_binding(self, backend, vals):
        """Both sides of the affected record: the remote record of a bound Odoo record, or
        the Odoo record of a bound remote record."""
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        if vals.get("res_model") and vals.get("res_id") and not vals.get("external_id"):
            binding = Binding.search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", vals["res_model"]),
                    ("res_id", "=", vals["res_id"]),
                ],
                limit=1,
            )
            if binding:
                vals.update(remote_object=binding.remote_object, external_id=binding.external_id)
        elif vals.get("external_id") and not vals.get("res_model"):
            domain = [("backend_id", "=", backend.id), ("external_id", "=", vals["external_id"])]
            if vals.get("remote_object"):
                domain.append(("remote_object", "=", vals["remote_object"]))
            binding = Binding.search(domain, limit=1)
            if binding:
                vals.update(res_model=binding.res_model, res_id=binding.res_id)

    def _supersede_job(self, new_job_id):
        """The problem was seen again by another job: the failed job that saw it before is
        cancelled as superseded (one failed job per open problem, the latest)."""
        old = self.job_id
        if new_job_id and old and old.id != new_job_id and old.state == "failed":
            old.sudo().write(
                {
                    "state": "cancelled",
                    "result": self.env._(
                        "Superseded by job %(job)s: same problem (exception %(exc)s).",
                        job=new_job_id,
                        exc=self.id,
                    ),
                }
            )

    @api.model
    def _open_for_job(self, job, exc):
        opened = self._open(
            job.backend_id,
            exc,
            job_id=job.id,
            identity_key=job.identity_key or False,
            payload_text=json.dumps(job.payload, indent=2, sort_keys=True, default=str),
            res_model=job.res_model or False,
            res_id=job.res_id or False,
            technical_detail=job.sudo().traceback or job.error,
        )
        if opened and not job.partner_name:
            # the job is found by the customer its failure touches (e.g. a new deal's company)
            customer = opened._affected_customer()
            if customer:
                job._refresh_search_refs(customer)
        if opened:
            # the record's work now fails for another cause (e.g. one of two missing products
            # was created): the problems it had before are gone
            same_work = [("job_id", "=", job.id)]
            if job.identity_key:
                same_work = [
                    "|",
                    *same_work,
                    "&",
                    ("backend_id", "=", job.backend_id.id),
                    ("identity_key", "=", job.identity_key),
                ]
            before = self.sudo().search(
                [*same_work, ("state", "=", "open"), ("id", "!=", opened.id)]
            )
            before._mark_resolved(
                self.env._(
                    "The work now fails for another cause: see exception %(exc)s.", exc=opened.id
                ),
                by_job=job,
                job_result=self.env._("Superseded by job %(job)s.", job=job.id),
            )
        return opened

    def _affected_customer(self):
        """The customer of the first affected record that has one (a partner, an order...)."""
        self.ensure_one()
        Job = self.env["sync.job"]
        for _label, res_model, res_id, _obj, _ext in self._affected_rows():
            customer = Job._customer_of(res_model, [res_id])
            if customer:
                return customer
        return self.env["res.partner"]

    @api.model
    def _open_for_record(self, mapping, rec, exc, job=None):
        """A remote record that could not be applied (the rest of its page was)."""
        return self._open(
            mapping.backend_id,
            exc,
            job_id=False,
            mapping_id=mapping.id,
            remote_object=mapping.remote_object,
            external_id=rec["id"],
            payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
            technical_detail=f"job {job.id if job else '-'}: {exc!r}",
        )

    @api.model
    def _resolve_fixed_by(self, jobs):
        """Jobs that succeeded: the open problems of their records (linked to them, or to
        their identity) are fixed, once."""
        jobs = jobs.filtered(lambda j: not j.dry_run)
        if not jobs:
            return self.browse()
        # a record of a page is resolved when it is applied (_resolve_applied), not because
        # the job that carried it ran: the page apply refuses a bad record without failing
        domain = [
            ("state", "=", "open"),
            ("mapping_id", "=", False),
            "|",
            ("job_id", "in", jobs.ids),
        ]
        keys = [(j.backend_id.id, j.identity_key) for j in jobs if j.identity_key]
        identity_domain = [("id", "=", 0)]
        for backend_id, key in keys:
            identity_domain = [
                "|",
                "&",
                ("backend_id", "=", backend_id),
                ("identity_key", "=", key),
                *identity_domain,
            ]
        fixed = self.sudo().search(domain + identity_domain)
        for exc in fixed:
            by = exc.job_id if exc.job_id in jobs else jobs[:1]
            exc._mark_resolved(
                self.env._("Job %(job)s succeeded.", job=by.id) if by else "", by_job=by
            )
        return fixed

    @api.model
    def _resolve_applied(self, mapping, external_ids, job=None):
        """Remote records of a mapping that were applied: their open problems are fixed."""
        if not external_ids:
            return self.browse()
        fixed = self.sudo().search(
            [
                ("backend_id", "=", mapping.backend_id.id),
                ("remote_object", "=", mapping.remote_object),
                ("external_id", "in", list(external_ids)),
                ("state", "=", "open"),
            ]
        )
        fixed._mark_resolved(
            self.env._("The record was applied by job %(job)s.", job=job.id if job else "-"),
            by_job=job,
        )
        return fixed

    def _mark_resolved(self, reason, by_job=None, job_result=None):
        """Resolved once; the failed job of the problem, when another job fixed (or
        superseded) it, is cancelled (it no longer counts as failed)."""
        for exc in self:
            old = exc.job_id
            if by_job and old and old != by_job and old.state == "failed":
                old.sudo().write(
                    {
                        "state": "cancelled",
                        "result": job_result or self.env._("Fixed by job %(job)s.", job=by_job.id),
                    }
                )
        self._with_reason_message(reason)
        self.write({"state": "resolved", "reason": reason})

    def _with_reason_message(self, reason):
        """The chatter message of the coming state change says why (its body), beside the
        tracked "Open -> Resolved"."""
        if reason:
            self._track_set_log_message(Markup("<p>%s</p>") % reason)

    # ------------------------------------------------------------------ actions
    def _payload(self):
        self.ensure_one()
        try:
            return json.loads(self.payload_text or "null")
        except ValueError as exc:
            raise UserError(
                self.env._("The payload is not valid JSON: %(err)s", err=str(exc))
            ) from exc

    def _requeue(self):
        """Re-enqueue the work with the payload as the operator left it; returns the jobs."""
        jobs = self.env["sync.job"]
        for exc in self:
            payload = exc._payload()
            if exc.mapping_id and isinstance(payload, dict) and payload.get("id"):
                # a record of a page: apply that one record as the operator left it
                job_payload = {"mapping_id": exc.mapping_id.id, "record": payload}
                job = self.env["sync.job"]._enqueue(
                    exc.backend_id,
                    "apply_record",
                    payload=job_payload,
                    identity_key=f"apply:{exc.mapping_id.id}:{payload['id']}",
                )
                if job and job.payload != job_payload:  # a pending one, with an older payload
                    job._set_payload_from_text(json.dumps(job_payload))
                exc.job_id = job
            elif exc.job_id:
                if payload != exc.job_id.payload:
                    exc.job_id._set_payload_from_text(exc.payload_text)
                exc.job_id.action_requeue()
            elif job := exc._enqueue_reread():
                exc.job_id = job
            else:
                raise UserError(self.env._("Nothing to retry for %(name)s.", name=exc.name))
            exc.message_post(body=self.env._("Retried by %(user)s.", user=self.env.user.name))
            jobs |= exc.job_id
        return jobs

    def _enqueue_reread(self):
        """A problem about one remote record: re-read its current state, the way a webhook
        event of that record would (the backend's ``_webhook_job_values``)."""
        self.ensure_one()
        if not (self.remote_object and self.external_id):
            return self.env["sync.job"]
        values = self.backend_id._webhook_job_values(
            {
                "dedup_key": f"retry:{self.id}",
                "event_type": "retry",
                "object_name": self.remote_object,
                "external_id": self.external_id,
                "payload": {},
            }
        )
        if not values:
            return self.env["sync.job"]
        return self.env["sync.job"]._enqueue(self.backend_id, values.pop("kind"), **values)

    def action_retry(self):
        """Retry, and say what happened in a notification; the view reloads after it.

        A retry of one record's problem from the form (context `sync_retry_now`) runs its job
        at once (it is small: one record) and tells whether it worked or still fails and why;
        other retries (lists, pulls, a job a worker holds or a full channel) are queued."""
        jobs = self._requeue()
        job = jobs[:1]
        ran = False
        if (
            self.env.context.get("sync_retry_now")
            and len(self) == 1
            and len(jobs) == 1
            and job.state == "pending"
            and (self.external_id or self.res_id)
        ):
            ran = job._run_at_once()
            self.invalidate_recordset()
        if not ran:
            title = self.env._("Retry queued")
            message = self.env._(
                "%(count)s job(s) queued; they run within a minute. Reload to see the outcome.",
                count=len(jobs),
            )
            kind = "info"
        elif self.state == "resolved":
            title = self.env._("Retry succeeded")
            message = self.env._("The problem is resolved.")
            kind = "success"
        elif job.state in ("done", "failed"):
            # failed, or done while the record itself was refused again (a page record)
            title = self.env._("Still failing")
            message = (job.error if job.state == "failed" else "") or self.name
            kind = "danger"
        else:
            title = self.env._("Failed again, retried automatically")
            message = self.env._(
                "%(error)s (next attempt at %(eta)s UTC)", error=job.error or "", eta=job.eta
            )
            kind = "warning"
        return notification_then_reload(title, message, kind)

    # ------------------------------------------------------------------ fixes by kind
    def action_fix_create_record(self):
        """Missing product (or other record keyed by a code): open its form in a dialog,
        prefilled with what the remote knows (e.g. SKU as Internal Reference, the line's name
        and price).  Once saved, Retry."""
        self.ensure_one()
        data = self.fix_data or {}
        model = data.get("model") or "product.product"
        key = self.fix_missing_key
        if not key:
            raise UserError(self.env._("Nothing is missing any more: press Retry."))
        item = next(i for i in data.get("missing") or [] if i.get("key") == key)
        context = {
            f"default_{k}": v
            for k, v in (item.get("values") or {}).items()
            if v or isinstance(v, bool)  # e.g. Purchase unticked
        }
        name = self.env._("Create %(key)s", key=key)
        if item.get("label"):
            name = self.env._("Create %(key)s (%(label)s)", key=key, label=item["label"])
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def action_fix_use_existing(self, res_id, key=None):
        """Missing product: an existing record stands for the remote key (e.g. SKU).  The
        match is by that one field (the product's Internal Reference): it is set to the key;
        a previous value is kept in the chatter.  Then the work is retried (queued)."""
        self.ensure_one()
        data = self.fix_data or {}
        model, key_field = data.get("model") or "product.product", data.get("key_field")
        key = key or self.fix_missing_key
        if not key or not key_field or model not in self.env:
            raise UserError(self.env._("This exception has no missing record to choose."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record does not exist."))
        if self.env[model].search_count([(key_field, "=", key), ("id", "!=", record.id)]):
            raise UserError(self.env._("Another record already has %(key)s: press Retry.", key=key))
        previous = record[key_field]
        record.write({key_field: key})
        self.message_post(
            body=self.env._(
                "%(rec)s now stands for %(key)s (was %(old)s), by %(user)s.",
                rec=record.display_name,
                key=key,
                old=previous or "-",
                user=self.env.user.name,
            )
        )
        self.invalidate_recordset(["fix_missing_key", "fix_status"])
        if self.fix_missing_key:
            return True  # more keys missing: fix them first
        return self.action_retry()

    def action_open_odoo_record(self):
        """The Odoo record of the problem: its own, else the one its remote record is bound to
        now (e.g. the order a retry made from the deal)."""
        self.ensure_one()
        _label, res_model, res_id, _obj, _ext = self._affected_rows()[0]
        if not res_model or not res_id:
            raise UserError(self.env._("No Odoo record is known for this problem."))
        return {
            "type": "ir.actions.act_window",
            "res_model": res_model,
            "res_id": res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_open_remote_record(self):
        self.ensure_one()
        if not self.remote_url:
            raise UserError(self.env._("The remote record has no address."))
        return {"type": "ir.actions.act_url", "url": self.remote_url, "target": "new"}

    def action_ignore(self, reason=None):
        reason = reason or self.env.context.get("ignore_reason")
        if not reason:
            raise UserError(self.env._("Give a reason to ignore an exception."))
        self._with_reason_message(
            self.env._("Ignored by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
        )
        self.write({"state": "ignored", "reason": reason})
        self.job_id.filtered(lambda j: j.state in ("failed", "pending")).action_cancel()
        return True

    def action_reopen(self):
        self.write({"state": "open"})
        return True

    def _link_target(self):
        """(Odoo model, remote object, remote id) that "Link to record" binds: the missing
        record named by the fix data, else the exception's own remote record."""
        self.ensure_one()
        data = self.fix_data or {}
        if self.fix_kind == "missing_record" and data.get("external_id"):
            return data.get("model"), data.get("remote_object"), str(data["external_id"])
        return (
            self.mapping_id.res_model or self.res_model or False,
            self.remote_object,
            self.external_id,
        )

    def action_link_record(self, res_id):
        """Bind the remote record to an existing Odoo record, then retry."""
        self.ensure_one()
        model, remote_object, external_id = self._link_target()
        if not model or not external_id:
            raise UserError(self.env._("This exception is not about one remote record."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record does not exist."))
        self.env["sync.binding"]._bind(
            self.backend_id, record, external_id, remote_object, last_sync_at=False
        )
        if self.fix_kind != "missing_record":
            self.write({"res_model": model, "res_id": record.id})
        self.message_post(
            body=self.env._(
                "Linked to %(rec)s by %(user)s.", rec=record.display_name, user=self.env.user.name
            )
        )
        return self.action_retry()

    def action_assign(self, user):
        """Assign to a user (record or id, e.g. over JSON-RPC) and schedule a to-do activity."""
        if isinstance(user, int):
            user = self.env["res.users"].browse(user).exists()
        if not user:
            raise UserError(self.env._("Choose the user to assign."))
        for exc in self:
            exc.user_id = user
            exc.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("Resolve sync exception"),
                note=exc.name,
            )
        return True
