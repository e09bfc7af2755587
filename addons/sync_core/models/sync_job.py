import json
import logging
import time
import uuid
from datetime import UTC, datetime

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError

from ..payloads import merge_payload
from ..readable import readable_result
from ..sqllog import expected_sql_errors
from .sync_binding import record_display_name

_logger = logging.getLogger(__name__)

# Seconds a runner may spend waiting for throttled channels within one cron run.
THROTTLE_WAIT_BUDGET = 30
# Namespace of the session-level advisory locks that prove a job's worker is alive.
LOCK_NAMESPACE = 0x5C0B
# What PostgreSQL does to one of two concurrent transactions that conflict: the job gives way
# and is retried shortly, without spending an attempt or opening an exception.
CONCURRENCY_ERRORS = (
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
)
# The runner crons: Odoo runs one cron record on one thread at a time, over all servers.
RUNNER_CRONS = ("sync_core.ir_cron_sync_job_runner", "sync_core.ir_cron_sync_job_runner_2")
# Seconds between two claims that scan the pending jobs from the head of the queue (the others
# start after the last job claimed: see `_claim_once`).
HEAD_SCAN_EVERY = 1.0
# Conflicts in a row after which a job's conflicts count as failures (no endless loop).
MAX_CONFLICTS = 20
STATES = [
    ("pending", "Pending"),
    ("started", "Started"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class SyncJob(models.Model):
    """A unit of sync work, run by the `ir.cron` runner (no extra process).

    Life: pending -> started (claimed with SKIP LOCKED, attempt counted, worker lock taken)
    -> done | pending again (retryable error, eta from the kind's pattern) | failed (permanent
    error or last attempt: an exception record is opened).  While a job runs, its worker holds a
    session-level PostgreSQL advisory lock on the job id: a started job whose lock can be taken
    has a dead worker and is requeued; a job whose lock is held is running and is never touched.
    """

    _name = "sync.job"
    _description = "Sync Job"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, default="/")
    kind = fields.Char(required=True, index=True, readonly=True)
    kind_id = fields.Many2one("sync.job.kind", string="Job kind", compute="_compute_kind_id")
    backend_id = fields.Many2one("sync.backend", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    channel_id = fields.Many2one("sync.channel", index=True, ondelete="set null", readonly=True)
    identity_key = fields.Char(
        readonly=True, help="At most one pending job per backend carries a given identity."
    )
    batch_key = fields.Char(
        readonly=True,
        help="Pending jobs of one kind with the same batch key may run together as one batch.",
    )
    payload = fields.Json(readonly=True)
    payload_text = fields.Text(
        compute="_compute_payload_text", inverse="_inverse_payload_text", string="Payload (JSON)"
    )
    # not tracked: a message per state change would double the cost of every job; the chatter
    # keeps what people do (payload edits, retries)
    state = fields.Selection(STATES, default="pending", required=True, index=True)
    priority = fields.Integer(default=10)
    eta = fields.Datetime(default=fields.Datetime.now, required=True, index=True)
    attempt = fields.Integer(default=0, readonly=True)
    max_attempts = fields.Integer(default=5)
    correlation_id = fields.Char(readonly=True, default=lambda self: uuid.uuid4().hex, index=True)
    dry_run = fields.Boolean(readonly=True)
    res_model = fields.Char(string="Record model", readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", readonly=True)
    result = fields.Text(readonly=True)
    result_text = fields.Text(string="Outcome", compute="_compute_result_text")
    subject = fields.Char(
        string="Record", compute="_compute_subject", help="The record(s) this job is about."
    )
    error = fields.Text(readonly=True)
    traceback = fields.Text(readonly=True, groups="sync_core.sync_core_group_manager")
    started_at = fields.Datetime(readonly=True)
    first_attempt_at = fields.Datetime(
        readonly=True,
        help="When the job first started; its kind's retry window counts from here (an "
        "operator's retry starts it again).",
    )
    progress_at = fields.Datetime(
        readonly=True,
        help="Last progress a long job reported (e.g. a pull's applied page): its kind's "
        "timeout counts from here.",
    )
    progressed = fields.Boolean(
        readonly=True,
        help="The current attempt saved progress that a retry does not redo (a pull committed "
        "pages and moved its watermark): if it fails, the failure does not count as an "
        "attempt.",
    )
    conflict_count = fields.Integer(
        readonly=True,
        help="Runs that gave way to a concurrent transaction (lock wait, serialization "
        "failure, deadlock) since the last attempt that counted.",
    )
    done_at = fields.Datetime(readonly=True)
    worker = fields.Char(readonly=True)
    event_ids = fields.One2many("sync.event", "job_id", readonly=True)
    exception_ids = fields.One2many("sync.exception", "job_id", readonly=True)

    _identity_pending_uniq = models.UniqueIndex(
        "(backend_id, identity_key) WHERE identity_key IS NOT NULL AND state = 'pending'"
    )
    _claim_idx = models.Index("(priority, eta, id) WHERE state = 'pending'")
    # a batch's companions (`_batch_companions`: same backend, kind and batch key, in claim
    # order) read from here: without it each claim of a batch read and sorted every pending
    # job of the key (13 ms a batch of 100 at 4,000 pending webhook jobs, growing with the
    # backlog); jobs without a batch key (most) are not in it
    _batch_idx = models.Index(
        "(backend_id, kind, batch_key, priority, eta, id)"
        " WHERE state = 'pending' AND batch_key IS NOT NULL"
    )
    # the channel capacity count and the dead-job scan read only started jobs
    _started_idx = models.Index("(channel_id) WHERE state = 'started'")

    def _compute_kind_id(self):
        kinds = {k.code: k for k in self.env["sync.job.kind"].sudo().search([])}
        for job in self:
            job.kind_id = kinds.get(job.kind, False)

    def _subject_refs(self):
        """(remote object, [remote ids], Odoo model, [Odoo ids]) this job is about, read
        from its payload.  Connectors override it for payloads of their own kinds."""
        self.ensure_one()
        payload = self.payload if isinstance(self.payload, dict) else {}
        remote_object, ids, res_model, res_ids = payload.get("object"), payload.get("ids"), None, []
        mapping = self.env["sync.mapping"]
        if payload.get("mapping_id"):
            mapping = mapping.sudo().browse(payload["mapping_id"]).exists()
        if isinstance(payload.get("record"), dict):  # one record as an operator left it
            remote_object, ids = mapping.remote_object, [payload["record"].get("id")]
        if payload.get("res_ids"):  # export
            remote_object, res_model, res_ids = (
                mapping.remote_object,
                mapping.res_model,
                payload["res_ids"],
            )
        if self.res_model and self.res_id:
            res_model, res_ids = self.res_model, [self.res_id]
        ids = [str(i) for i in ids or [] if i not in (None, "")]
        return remote_object or None, ids, res_model, list(res_ids or [])

    @api.depends("payload", "kind", "res_model", "res_id")
    def _compute_subject(self):
        refs = {job.id: job._subject_refs() for job in self}
        singles = {
            (job.backend_id.id, ref[0], ref[1][0])
            for job in self
            for ref in [refs[job.id]]
            if len(ref[1]) == 1 and ref[0] and not ref[3]
        }
        bound = {}
        if singles:
            bindings = (
                self.env["sync.binding"]
                .sudo()
                .search(
                    [
                        ("backend_id", "in", list({b for b, _o, _i in singles})),
                        ("external_id", "in", list({i for _b, _o, i in singles})),
                    ]
                )
            )
            for binding in bindings:
                bound[binding.backend_id.id, binding.remote_object, binding.external_id] = binding
        for job in self:
            remote_object, ids, res_model, res_ids = refs[job.id]
            name = False
            if res_model and len(res_ids) == 1:
                name = record_display_name(self.env, res_model, res_ids[0])
            elif len(ids) == 1:
                binding = bound.get((job.backend_id.id, remote_object, ids[0]))
                name = binding and record_display_name(self.env, binding.res_model, binding.res_id)
            if ids:
                more = f" +{len(ids) - 1}" if len(ids) > 1 else ""
                text = f"{remote_object or ''} {ids[0]}{more}".strip()
            elif len(res_ids) > 1:
                text = self.env._(
                    "%(object)s: %(count)s records",
                    object=remote_object or res_model,
                    count=len(res_ids),
                )
            elif remote_object:
                text = self.env._("%(object)s changed since the last pull", object=remote_object)
            else:
                text = ""
            if name:
                text = f"{text} ({name})" if text else name
            job.subject = text or False

    @api.depends("name", "kind", "subject")
    def _compute_display_name(self):
        for job in self:
            label = job.kind_id.name or job.kind or job.name
            job.display_name = f"{label}: {job.subject}" if job.subject else (job.name or label)

    @api.depends("result")
    def _compute_result_text(self):
        for job in self:
            text = readable_result(job.result)
            if job.result and not text:
                text = self.env._("The job reported no figures.")
            job.result_text = text

    @api.depends("payload")
    def _compute_payload_text(self):
        for job in self:
            job.payload_text = json.dumps(job.payload, indent=2, sort_keys=True, default=str)

    def _inverse_payload_text(self):
        for job in self:
            job._set_payload_from_text(job.payload_text)

    def _set_payload_from_text(self, text):
        """Operator edit of the payload: validated, and the previous payload kept in chatter."""
        self.ensure_one()
        try:
            new = json.loads(text or "null")
        except ValueError as exc:
            raise UserError(self.env._("The payload is not valid JSON: %(err)s", err=exc)) from exc
        if new != self.payload:
            previous = json.dumps(self.payload, sort_keys=True, default=str)
            self.message_post(
                body=self.env._(
                    "Payload edited by %(user)s. Previous payload: %(old)s",
                    user=self.env.user.name,
                    old=previous[:20000],
                )
            )
            self.sudo().payload = new

    # ----------------------------------------------------------------- enqueue
    @api.model
    def _enqueue(self, backend, kind, payload=None, identity_key=None, **values):
        """Create a pending job, or return the pending job that has the same identity with
        the new work added to its payload (`_absorb`: e.g. the merged ids of a merge event).

        Atomic: the partial unique index on (backend, identity) decides between two concurrent
        enqueues.  The loser gets an empty recordset when the winner's job is not visible in
        its snapshot: either way there is exactly one job.  Wakes the runner cron.
        """
        kind_rec = self.env["sync.job.kind"].sudo().search([("code", "=", kind)], limit=1)
        if not kind_rec:
            raise UserError(self.env._("Unknown job kind %(kind)s", kind=kind))
        vals = {
            "name": values.pop("name", None) or f"{kind_rec.name}: {backend.name}",
            "kind": kind,
            "backend_id": backend.id,
            "channel_id": self.env["sync.channel"]._for(backend, kind).id,
            "payload": payload,
            "identity_key": identity_key,
            "priority": kind_rec.priority,
            "max_attempts": kind_rec.max_attempts,
            **values,
        }
        Job = self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        if identity_key:
            existing = Job.search(self._identity_domain(backend, identity_key), limit=1)
            if existing:
                existing._absorb(payload)
                return existing
            failed = Job._failed_twin(backend, kind, identity_key, vals)
            if failed:
                revived = failed._revive(payload)
                if revived:
                    self._wake_runner(revived.eta)
                return revived
            try:
                with expected_sql_errors(), self.env.cr.savepoint():
                    job = Job.create(vals)
                    self.env.flush_all()
            except psycopg2.errors.UniqueViolation:
                # A concurrent transaction committed the same pending job after our snapshot
                # was taken (REPEATABLE READ: we cannot read it).  The work is enqueued once.
                _logger.debug("job %s already enqueued concurrently", identity_key)
                return Job.browse()
        else:
            job = Job.create(vals)
        self._wake_runner(job.eta)
        return job

    def _absorb(self, payload):
        """Add new work to this pending job's payload (`merge_payload`: lists united), under
        a row lock.  Two concurrent deliveries cannot lose each other's work: the second one
        waits for the first and, its snapshot being stale, fails with a serialization error
        that Odoo's request retry (or the job runner's retry) runs again on a fresh snapshot.
        Returns False when the job is no longer pending in this transaction."""
        self.ensure_one()
        if merge_payload(self.payload, payload) == self.payload:
            # nothing new (the usual case: the same record again): no lock, no conflict;
            # payloads only grow, so a concurrent merge keeps this work too
            return True
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "SELECT payload FROM sync_job WHERE id = %s AND state = 'pending' FOR NO KEY UPDATE",
            [self.id],
            log_exceptions=False,  # a serialization failure is retried, not a bad query
        )
        row = cr.fetchone()
        if not row:
            return False
        merged = merge_payload(row[0], payload)
        if merged != row[0]:
            cr.execute(
                "UPDATE sync_job SET payload = %s::jsonb, write_date = now() at time zone 'UTC'"
                " WHERE id = %s",
                [json.dumps(merged), self.id],
            )
            self.invalidate_recordset(["payload", "write_date"])
            self.modified(["payload"])  # the stored search fields follow the new ids
        return True

    @api.model
    def _failed_twin(self, backend, kind, identity_key, vals):
        """The failed job of the same work (backend, kind, identity, dry run or not), if any:
        new work for it (the next scheduled pull of a deal that keeps failing, a webhook of
        the record) retries that job instead of adding a job per pull beside it."""
        return self.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", kind),
                ("identity_key", "=", identity_key),
                ("state", "=", "failed"),
                ("dry_run", "=", bool(vals.get("dry_run"))),
            ],
            order="id desc",
            limit=1,
        )

    def _revive(self, payload):
        """Make this failed job pending again for new work (a fresh attempt budget, due now;
        the new payload, with the lists of the failed one united into it: what failed is
        not the current state of the work): one problem stays one job, retried; the
        exception it opened counts the next failure as an occurrence.  Returns the pending
        job (empty when a twin was enqueued concurrently: the work is enqueued once)."""
        self.ensure_one()
        try:
            job = self._back_to_pending(
                {"eta": fields.Datetime.now(), "attempt": 0, "conflict_count": 0}
            )
        except ConcurrencyError:
            _logger.debug("job %s already enqueued concurrently", self.identity_key)
            return self.browse()
        if job and payload is not None:
            merged = merge_payload(payload, job.payload)
            if merged != job.payload:
                job.payload = merged  # the row is ours: back to pending in this transaction
        return job

    @api.model
    def _identity_domain(self, backend, identity_key):
        return [
            ("backend_id", "=", backend.id),
            ("identity_key", "=", identity_key),
            ("state", "=", "pending"),
        ]

    @api.model
    def _wake_runner(self, eta=None):
        """Trigger the runner crons (two records: two cron threads may drain side by side)."""
        at = eta if eta and eta > fields.Datetime.now() else None
        for xmlid in RUNNER_CRONS:
            cron = self.env.ref(xmlid, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger(at)

    # ----------------------------------------------------------------- actions
    def action_requeue(self):
        """Retry now (operator action); the attempt budget restarts."""
        for job in self.filtered(lambda j: j.state in ("failed", "cancelled", "pending")):
            job._back_to_pending(
                {"eta": fields.Datetime.now(), "attempt": 0, "first_attempt_at": False}
            )
        self._wake_runner()
        return True

    def action_cancel(self):
        self.filtered(lambda j: j.state in ("pending", "failed")).write({"state": "cancelled"})
        return True

    def action_run_now(self):
        """Run pending jobs in this request (manager convenience)."""
        self.filtered(lambda j: j.state == "pending").write({"eta": fields.Datetime.now()})
        self._wake_runner()
        return True


def _precise_now():
    """Naive UTC now with microseconds (fields.Datetime.now() drops them)."""
    return datetime.now(UTC).replace(tzinfo=None)


class _Run:
    """What one runner pass keeps between its jobs: the job kinds it met (read once per pass:
    an edited kind applies from the next pass), the timeouts set on the worker's session
    (set again only when a kind needs others; reset at the end), and the jobs done that the
    cron's progress row has not counted yet (written at most every `report_every` seconds,
    in a commit of the run: a progress write per job would cost a statement per job)."""

    def __init__(self, model, report_every=1.0):
        self.model = model
        self.kinds = {}
        self.claimed = None
        self.after = None  # (priority, eta, id) of the last job claimed: the next scan's start
        self.head_at = 0.0  # when a claim last scanned from the head of the queue
        self.with_events = True  # whether the jobs just claimed have queued events
        self.more = False
        self.timeouts = None
        self.timeouts_set = False
        self.unreported = 0
        self.report_every = report_every
        self.reported_at = time.monotonic()

    def kind(self, code):
        if code not in self.kinds:
            cr = self.model.env.cr
            cr.execute(
                "SELECT id, model_name, method_name, COALESCE(timeout, 0),"
                " COALESCE(lock_timeout, 0), COALESCE(batch_size, 1)"
                " FROM sync_job_kind WHERE code = %s AND active ORDER BY id LIMIT 1",
                [code],
            )
            row = cr.fetchone()
            self.kinds[code] = row and dict(
                zip(
                    ("id", "model_name", "method_name", "timeout", "lock_timeout", "batch_size"),
                    row,
                    strict=True,
                )
            )
        return self.kinds[code]

    def set_timeouts(self, info):
        """A row lock is waited for at most the kind's lock wait, a statement runs at most
        the kind's timeout (0: no limit), on the worker's session."""
        wanted = (f"{max(info['lock_timeout'], 0)}s", f"{max(info['timeout'], 0)}s")
        if wanted != self.timeouts:
            self.model.env.cr.execute(
                "SELECT set_config('lock_timeout', %s, false),"
                " set_config('statement_timeout', %s, false)",
                list(wanted),
            )
            self.timeouts = wanted
            self.timeouts_set = True

    def commit(self, processed=0, force=False):
        """Commit; report the jobs done to the cron's progress now and then.  Returns the
        cron run's remaining seconds."""
        env = self.model.env
        self.unreported += processed
        now = time.monotonic()
        if env.context.get("ir_cron_progress_id") and (
            force or (self.unreported and now - self.reported_at >= self.report_every)
        ):
            count, self.unreported, self.reported_at = self.unreported, 0, now
            return env["ir.cron"]._commit_progress(count)
        env.cr.commit()
        end = env.context.get("cron_end_time")
        return max(end - now, 0) if end else float("inf")

    def finish(self):
        """Report the jobs done to the cron (and the due jobs left when its time slice ended:
        the cron then runs again at once), and give the session its default timeouts back."""
        env = self.model.env
        if self.more and env.context.get("ir_cron_progress_id"):
            env.cr.execute(
                "SELECT count(*) FROM sync_job WHERE state = 'pending' AND eta <= %s",
                [_precise_now()],
            )
            due = env.cr.fetchone()[0]
            count, self.unreported = self.unreported, 0
            env["ir.cron"]._commit_progress(count, remaining=due)
        elif self.unreported and env.context.get("ir_cron_progress_id"):
            self.commit(force=True)
        if self.timeouts_set:
            env.cr.execute("RESET lock_timeout")
            env.cr.execute("RESET statement_timeout")
            env.cr.commit()  # a rolled-back RESET would keep the settings
            self.timeouts = None
