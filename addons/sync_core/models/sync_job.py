import json
import logging
import os
import random
import socket
import time
import traceback
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError

from ..adapter import calls as adapter_calls
from ..adapter import counted_adapters
from ..exceptions import RateLimitedError, RetryableSyncError, SyncError
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

    # ----------------------------------------------------------------- runner
    @api.model
    def _cron_run_jobs(self, max_jobs=None):
        """Runner: recover dead jobs, then claim and run jobs until none is due, the cron's
        time budget ends or `max_jobs` ran.  Each job is committed on its own."""
        self._recover_dead_jobs()
        run = _Run(self)
        done = 0
        deadline = time.monotonic() + THROTTLE_WAIT_BUDGET
        try:
            while max_jobs is None or done < max_jobs:
                job, wait = self._claim_next_or_wait(run=run)
                if not job:
                    # due jobs held back only by a channel throttle: wait the few hundred ms
                    # it asks for instead of leaving them to the next cron tick
                    if wait and time.monotonic() + wait < deadline:
                        time.sleep(wait)
                        continue
                    break
                remaining_time = job._perform(run=run)
                done += len(job)
                if remaining_time <= 0:
                    # the cron's time slice is used up: tell the cron that due jobs remain,
                    # so that it runs again at once instead of at its next interval
                    run.more = True
                    break
        finally:
            run.finish()
        return done

    def _worker_name(self):
        return f"{socket.gethostname()}:{os.getpid()}"

    @api.model
    def _claim_next(self):
        """Claim due job(s) in a short transaction; return them started, or an empty set."""
        return self._claim_next_or_wait()[0]

    @api.model
    def _claim_next_or_wait(self, run=None):
        """(jobs, wait): claim one due job in a short transaction, or tell how many seconds
        the nearest throttled channel asks to wait.

        The transaction starts with the claim (a fresh snapshot): one statement picks the
        job (SKIP LOCKED), locks its channel row and counts the channel's running jobs; a
        second marks it started (attempt counted, worker advisory lock taken, channel
        stamped); one commit.  A conflict with another worker on the channel row
        (serialization failure, lock wait) rolls back the claim, which is tried again.

        For kinds with a batch size above one, due pending jobs with the same batch key
        (e.g. webhook re-fetches of one remote object) are claimed with it, up to the batch
        size, so that one worker runs them as one batch read and one page apply."""
        run = run or _Run(self)
        cr = self.env.cr
        for conflicts in range(MAX_CONFLICTS):
            try:
                return self._claim_once(run)
            except CONCURRENCY_ERRORS as exc:
                cr.rollback()
                run.timeouts = None  # a rollback undoes the session settings of the transaction
                _logger.debug("claim gave way to another worker: %s", exc)
                time.sleep(random.uniform(0, 0.01 * (conflicts + 1)))
        return self.browse(), 0.1

    @api.model
    def _claim_once(self, run):
        """One claim (see `_claim_next_or_wait`).  The scan of the pending index starts after
        the last job this runner pass claimed (`run.after`), and from the head of the queue
        at least once a second or when nothing is due after it: the head of the index holds
        the entries of the jobs claimed since the oldest open transaction (Odoo's cron keeps
        one open for each cron run) or the last vacuum, which every claim from the head
        reads through (measured: 750 buffers, 5-8 ms a claim after 6,000 jobs of a 20,000
        backlog, most of a no-op job's database time).  A more urgent job enqueued meanwhile
        (a lower priority number, or an earlier eta) waits at most that second."""
        cr = self.env.cr
        now = _precise_now()
        skipped_channels = [0]
        waits = []
        after = run.after if time.monotonic() - run.head_at < HEAD_SCAN_EVERY else None
        while True:
            if after is None:
                run.head_at = time.monotonic()
            cr.execute(
                """
                SELECT j.id, j.channel_id, j.kind, j.batch_key, c.id, c.capacity,
                       c.rate_per_second, c.blocked_until, c.last_start_at, r.running,
                       j.priority, j.eta
                  FROM (SELECT id, channel_id, kind, batch_key, priority, eta FROM sync_job
                         WHERE state = 'pending' AND eta <= %s
                           AND COALESCE(channel_id, 0) != ALL(%s)
                           AND (%s OR (priority, eta, id) > (%s, %s, %s))
                         ORDER BY priority, eta, id
                         LIMIT 1
                           FOR NO KEY UPDATE SKIP LOCKED) j
                  LEFT JOIN LATERAL (SELECT id, capacity, rate_per_second, blocked_until,
                                            last_start_at
                                       FROM sync_channel WHERE id = j.channel_id
                                        FOR NO KEY UPDATE) c ON TRUE
                  LEFT JOIN LATERAL (SELECT count(*) AS running FROM sync_job
                                      WHERE channel_id = j.channel_id
                                        AND state = 'started') r ON TRUE
                """,
                [now, skipped_channels, after is None, *(after or (0, now, 0))],
                log_exceptions=False,  # a conflict with another worker is retried
            )
            row = cr.fetchone()
            if not row and after is not None:
                after = None  # nothing due after the last claim: from the head
                continue
            if not row:
                run.commit()
                return self.browse(), min(waits, default=0)
            job_id, channel_id, kind, batch_key = row[:4]
            if channel_id and row[4]:
                admitted, wait = self._channel_admits_row(row[5:10], now)
                if not admitted:
                    skipped_channels.append(channel_id)
                    if wait:
                        waits.append(wait)
                    continue
            else:
                channel_id = None  # no channel (or deleted meanwhile): nothing to stamp
            job_ids = [job_id]
            info = run.kind(kind)
            if batch_key and info and info["batch_size"] > 1:
                job_ids += self._batch_companions(job_id, now, info["batch_size"])
            jobs = self._mark_started(job_ids, now, channel_id=channel_id, run=run)
            if row[10] is not None and row[11] is not None:
                run.after = (row[10], row[11], job_id)
            # _perform needs no read of the job for its kind, nor of its events
            run.claimed = (jobs.ids, kind, run.with_events)
            return jobs, 0

    @api.model
    def _mark_started(self, job_ids, now, channel_id=None, run=None):
        """Claimed (row-locked) pending jobs become started in one statement: worker lock,
        attempt counted, channel stamped (the throttle's last start; the row write also makes
        a concurrent claim on the channel conflict instead of over-admitting); committed."""
        cr = self.env.cr
        cr.execute(
            """
            WITH stamp AS (UPDATE sync_channel SET last_start_at = %s WHERE id = %s)
            UPDATE sync_job j
               SET state = 'started', attempt = COALESCE(attempt, 0) + 1, started_at = %s,
                   first_attempt_at = COALESCE(first_attempt_at, %s), progress_at = NULL,
                   progressed = FALSE, worker = %s, write_date = %s, write_uid = %s
             WHERE id = ANY(%s)
            RETURNING id, pg_advisory_lock(%s, id),
                      EXISTS (SELECT 1 FROM sync_event e
                               WHERE e.job_id = j.id AND e.state = 'queued')
            """,
            [
                now,
                channel_id or 0,
                now,
                now,
                self._worker_name(),
                now,
                self.env.uid,
                job_ids,
                LOCK_NAMESPACE,
            ],
            log_exceptions=False,
        )
        with_events = any(row[2] for row in cr.fetchall())
        if run:
            run.commit()
            run.with_events = with_events
        else:
            self._commit()
        jobs = self.browse(job_ids)
        jobs.invalidate_recordset()
        return jobs

    def _run_at_once(self):
        """Run this pending job now in the current transaction's thread (an operator's retry
        of one record), as the runner would: claimed with SKIP LOCKED if its channel admits
        it, run, committed.  Commits what the caller did first.  Returns False when it could
        not start (a worker has it, or its channel is full or throttled): it stays queued."""
        self.ensure_one()
        cr = self.env.cr
        self.env.flush_all()
        self._commit()
        now = _precise_now()
        cr.execute(
            "SELECT channel_id FROM sync_job WHERE id = %s AND state = 'pending'"
            " FOR NO KEY UPDATE SKIP LOCKED",
            [self.id],
        )
        row = cr.fetchone()
        if not row:
            return False
        if row[0] and not self._channel_admits(row[0], now)[0]:
            return False
        runner = self.env.ref("sync_core.ir_cron_sync_job_runner").sudo().user_id
        job = self._mark_started([self.id], now, channel_id=row[0])
        job.with_user(runner or self.env.user)._perform()
        self.invalidate_recordset()
        return True

    @api.model
    def _batch_companions(self, job_id, now, batch_size=None):
        """Due pending jobs that can run in one batch with `job_id` (same backend, kind and
        batch key), locked with SKIP LOCKED."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT j.backend_id, j.kind, j.batch_key, k.batch_size, COALESCE(j.dry_run, FALSE)
              FROM sync_job j JOIN sync_job_kind k ON k.code = j.kind
             WHERE j.id = %s
            """,
            [job_id],
        )
        row = cr.fetchone()
        if not row or not row[2] or (batch_size or row[3] or 1) <= 1:
            return []
        backend_id, kind, batch_key, _size, dry_run = row
        cr.execute(
            """
            SELECT id FROM sync_job
             WHERE state = 'pending' AND eta <= %s AND backend_id = %s AND kind = %s
               AND batch_key = %s AND COALESCE(dry_run, FALSE) = %s AND id != %s
             ORDER BY priority, eta, id
             LIMIT %s
             FOR NO KEY UPDATE SKIP LOCKED
            """,
            [now, backend_id, kind, batch_key, dry_run, job_id, (batch_size or row[3]) - 1],
        )
        return [r[0] for r in cr.fetchall()]

    @api.model
    def _channel_admits(self, channel_id, now):
        """(admitted, seconds to wait): capacity, throttle and rate-limit block of a channel
        (channel row locked, so two workers cannot both take the last free slot).  Stamps have
        microseconds: a throttle of several starts per second works.  The caller stamps the
        channel's last start when it starts the job (`_mark_started`)."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT capacity, rate_per_second, blocked_until, last_start_at,
                   (SELECT count(*) FROM sync_job WHERE channel_id = c.id AND state = 'started')
              FROM sync_channel c WHERE id = %s FOR NO KEY UPDATE
            """,
            [channel_id],
        )
        row = cr.fetchone()
        if not row:
            return True, 0
        return self._channel_admits_row(row, now)

    @api.model
    def _channel_admits_row(self, row, now):
        capacity, rate, blocked_until, last_start, running = row
        if blocked_until and blocked_until > now:
            self._wake_runner(blocked_until)
            return False, 0
        if rate and last_start:
            wait = 1.0 / rate - (now - last_start).total_seconds()
            if wait > 0:
                return False, wait
        if running >= max(capacity, 1):
            return False, 0
        return True, 0

    @api.model
    def _commit(self, processed=0):
        """Commit through the cron's progress API; returns the cron's remaining seconds."""
        return self.env["ir.cron"]._commit_progress(processed)

    def _perform(self, run=None):
        """Run claimed jobs (one, or a batch of one kind and batch key); commit their outcome;
        release their worker locks.  Returns the cron run's remaining time (seconds).

        The success path is one statement before the commit (`_record_done`; jobs with
        webhook events mark them first under a savepoint): the jobs done, their worker locks
        released (the rows stay locked by this transaction until it commits, so no recovery
        can take them for dead meanwhile), and whether an open exception may be fixed by them
        (then `_resolve_fixed_by`)."""
        own = run is None
        run = run or _Run(self, report_every=0)
        cr = self.env.cr
        unlocked = False
        try:
            claimed = run.claimed if run.claimed and run.claimed[0] == self.ids else None
            info = run.kind(claimed[1] if claimed else self[:1].kind)
            if not info:
                raise SyncError(f"unknown job kind {self[:1].kind}", category="validation")
            handler = getattr(self.env[info["model_name"]], info["method_name"])
            run.set_timeouts(info)
            with counted_adapters() as adapters:
                result = handler(self)
            if isinstance(result, dict) and "remote_calls" in result:
                # every call of the job, not only those of the adapter that built its result
                result["remote_calls"] = adapter_calls(adapters)
            self.env.flush_all()
            # not claimed by this run (a job run at once): it may have events
            rows, events, events_left = self._record_done(result, claimed[2] if claimed else True)
            unlocked = True
            self.invalidate_recordset()
            if events:
                self.env["sync.event"].browse(events).invalidate_recordset()
            if any(row[2] for row in rows):
                self.env["sync.exception"]._resolve_fixed_by(self)
            remaining = run.commit(len(self))
            if events_left:
                self._mark_events_processed(run)
            return remaining
        except Exception as exc:  # noqa: BLE001  every failure is recorded, none is lost
            trace = traceback.format_exc()
            cr.rollback()
            run.timeouts = None  # the rollback undid this transaction's session settings
            if unlocked:  # failed after its outcome statement (rare): the jobs are ours again
                for job_id in self.ids:
                    cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job_id])
                unlocked = False
            _logger.info("sync jobs %s failed: %s", self.ids, exc)
            for tries in range(1, 4):
                try:
                    for job in self:
                        job._on_failure(exc, trace)
                    return run.commit(len(self), force=True)
                except (ConcurrencyError, *CONCURRENCY_ERRORS) as again:
                    # e.g. a twin enqueued concurrently: recorded again on a fresh snapshot
                    _logger.info("sync jobs %s: failure recorded again (%s)", self.ids, again)
                    cr.rollback()
                    run.timeouts = None
                    self.invalidate_recordset()
                    time.sleep(random.uniform(0, 0.05 * tries))
                except Exception:  # the jobs stay started; recovery requeues them
                    _logger.exception("could not record the failure of sync jobs %s", self.ids)
                    break
            cr.rollback()
            run.timeouts = None
            return run.commit(force=True)
        finally:
            if not unlocked:
                for job_id in self.ids:
                    cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job_id])
            if own:
                run.finish()

    def _record_done(self, result, with_events):
        """The jobs' success outcome: done with their result, their queued events processed,
        their worker locks released, and whether an open exception may be fixed by them.
        Returns (rows (id, unlocked, fixable), event ids, events left to mark).

        Jobs without events: one statement.  Jobs with events mark them first, under a
        savepoint: a webhook redelivery that counted one of their events (its delivery count)
        after this transaction's snapshot makes that update fail to serialize, which no retry
        in this transaction can cure.  The savepoint is rolled back without an error in the
        log, the jobs' outcome is committed alone and the events are marked in a fresh
        transaction next (`_mark_events_processed`): the job's work is kept, not run again.
        The worker locks are released only by the outcome statement, after the savepoint:
        a failed statement must not have let them go (a rollback does not take back an
        advisory unlock, and another runner's recovery would take the job for dead)."""
        cr = self.env.cr
        now = fields.Datetime.now()
        events, events_left = [], False
        if with_events:
            try:
                with cr.savepoint(flush=False):
                    cr.execute(
                        "UPDATE sync_event SET state = 'processed', write_date = %s,"
                        " write_uid = %s WHERE job_id = ANY(%s) AND state = 'queued'"
                        " RETURNING id",
                        [now, self.env.uid, self.ids],
                        log_exceptions=False,  # a redelivery's conflict is handled below
                    )
                    events = [row[0] for row in cr.fetchall()]
            except CONCURRENCY_ERRORS as exc:
                _logger.debug("sync jobs %s: events marked after the outcome: %s", self.ids, exc)
                events_left = True
        cr.execute(
            """
            UPDATE sync_job j
               SET state = 'done', result = %s, done_at = %s, error = NULL,
                   traceback = NULL, conflict_count = 0, write_date = %s, write_uid = %s
             WHERE id = ANY(%s)
            RETURNING j.id, pg_advisory_unlock(%s, j.id),
                      NOT COALESCE(j.dry_run, FALSE) AND (
                          EXISTS (SELECT 1 FROM sync_exception x
                                   WHERE x.job_id = j.id AND x.state = 'open')
                          OR (j.identity_key IS NOT NULL AND EXISTS (
                              SELECT 1 FROM sync_exception x
                               WHERE x.backend_id = j.backend_id
                                 AND x.identity_key = j.identity_key
                                 AND x.state = 'open')))
            """,
            [
                result if isinstance(result, str) else json.dumps(result, default=str),
                now,
                now,
                self.env.uid,
                self.ids,
                LOCK_NAMESPACE,
            ],
        )
        return cr.fetchall(), events, events_left

    def _mark_events_processed(self, run=None):
        """Mark the queued events of these done jobs (of every done job when called on an
        empty recordset: what a crash between the two commits left) processed, in a
        transaction of its own: its fresh snapshot no longer conflicts with a redelivery that
        counted an event meanwhile, and a conflict with one still running is tried again.
        Never raises: events left queued behind a done job are marked by the runner's next
        recovery (`_recover_dead_jobs`)."""
        cr = self.env.cr
        where = "= ANY(%s)" if self else "IN (SELECT id FROM sync_job WHERE state = 'done')"
        for tries in range(1, 6):
            try:
                cr.execute(
                    "UPDATE sync_event SET state = 'processed', write_date = %s, write_uid = %s"
                    f" WHERE state = 'queued' AND job_id {where} RETURNING id",
                    [fields.Datetime.now(), self.env.uid, *([self.ids] if self else [])],
                    log_exceptions=False,  # a conflict with a redelivery is tried again
                )
                events = [row[0] for row in cr.fetchall()]
                if run:
                    run.commit()
                else:
                    self._commit()
                self.env["sync.event"].browse(events).invalidate_recordset()
                return events
            except CONCURRENCY_ERRORS as exc:
                failure = exc
            except Exception as exc:  # noqa: BLE001  the jobs are done: their outcome stays
                _logger.warning("sync jobs %s: events not marked: %s", self.ids, exc)
                failure = None
            cr.rollback()
            if run:
                run.timeouts = None  # the rollback undid this transaction's session settings
            if failure is None:
                break
            _logger.debug("sync jobs %s: events gave way (%s), try %s", self.ids, failure, tries)
            time.sleep(random.uniform(0, 0.05 * tries))
        _logger.info("sync jobs %s: queued events left to the next recovery", self.ids)
        return []

    def _set_db_timeouts(self, kind):
        """For the job's run, on the worker's session: a row lock is waited for at most the
        kind's lock wait, a statement runs at most the kind's timeout (0: no limit)."""
        self.env.cr.execute(
            "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s,"
            " false)",
            [f"{max(kind.lock_timeout, 0)}s", f"{max(kind.timeout, 0)}s"],
        )

    def _on_failure(self, exc, trace):
        """Retry later, or dead-letter to the exception queue."""
        self.ensure_one()
        now = fields.Datetime.now()
        retryable = getattr(exc, "retryable", not isinstance(exc, SyncError))
        message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
        vals = {"error": message, "traceback": trace}
        if isinstance(exc, CONCURRENCY_ERRORS) and self.conflict_count < MAX_CONFLICTS:
            # another transaction held what the job needed: give way, retry in a moment
            vals.update(
                attempt=max(self.attempt - 1, 0),
                conflict_count=self.conflict_count + 1,
                error=self.env._(
                    "Gave way to a concurrent transaction (%(what)s); retried shortly.",
                    what=exc.__class__.__name__,
                ),
                eta=now + timedelta(seconds=random.uniform(1, 5)),
            )
            self._back_to_pending(vals)
            self._wake_runner(vals["eta"])
            return
        vals["conflict_count"] = 0
        self.invalidate_recordset(["progressed"])  # committed by the attempt, if it was
        progressed = retryable and self.progressed
        if progressed and self._retry_window_ended(now):
            self._give_up(vals, exc, message)
            return
        if progressed:
            # attempts count failures in a row that saved nothing: this one moved the work on
            # (bounded by the kind's retry window), its streak starts again
            vals["attempt"] = 0
        attempt = 1 if progressed else self.attempt
        delay = self.kind_id._next_delay(attempt, retry_after=getattr(exc, "retry_after", None))
        if isinstance(exc, RateLimitedError):
            self._block_for_rate_limit(exc, now, delay)
            if exc.keep_attempt and exc.reset_at:
                # waiting for a quota is not a failure: the attempt is given back
                vals.update(attempt=max(self.attempt - 1, 0), eta=max(exc.reset_at, now))
                self._back_to_pending(vals)
                self._wake_runner(vals["eta"])
                return
        if retryable and (progressed or self.attempt < self.max_attempts):
            vals["eta"] = now + timedelta(seconds=delay)
            self._back_to_pending(vals)
            self._wake_runner(vals["eta"])
            return
        vals["state"] = "failed"
        self.write(vals)
        if not isinstance(exc, SyncError):
            wrapped = RetryableSyncError(message, pattern=exc.__class__.__name__)
            wrapped.category = "remote" if retryable else "validation"
            exc = wrapped
        self.env["sync.exception"]._open_for_job(self, exc)

    def _retry_window_ended(self, now):
        """Whether the job has been retried for longer than its kind's retry window since its
        first attempt (0: no window)."""
        self.ensure_one()
        window = self.kind_id.retry_window
        first = self.first_attempt_at
        return bool(window and first and first + timedelta(seconds=window) < now)

    def _give_up(self, vals, exc, message):
        """Dead-letter a job whose attempts each saved progress (so none counted) but that has
        not finished within its kind's retry window: failed, with an exception that says so."""
        hours = round(self.kind_id.retry_window / 3600, 1)
        text = self.env._(
            "Stopped after %(hours)s h of retries since its first attempt on %(first)s: each "
            "attempt saved progress, but the work did not finish within the job kind's retry "
            "window. Last error: %(error)s",
            hours=f"{hours:g}",
            first=fields.Datetime.to_string(self.first_attempt_at),
            error=message,
        )
        self.write({**vals, "state": "failed", "error": text})
        category = exc.category if isinstance(exc, SyncError) else "remote"
        self.env["sync.exception"]._open_for_job(
            self, SyncError(text, category=category, pattern="retry window ended")
        )

    def _block_for_rate_limit(self, exc, now, delay=None):
        """Block the job's channel (or, for an account-wide limit, every channel of its
        backend) until the remote's limit resets: its reset time, its Retry-After, or (a
        remote that says neither, e.g. Kantata's 429) the job's own retry `delay`, so the
        channel's other jobs do not keep knocking meanwhile."""
        until = exc.reset_at
        if not until and (exc.retry_after or delay):
            until = now + timedelta(seconds=exc.retry_after or delay)
        if not until:
            return
        channels = self.channel_id
        if exc.pause_backend:
            channels = (
                self.env["sync.channel"].sudo().search([("backend_id", "=", self.backend_id.id)])
            )
        channels.sudo()._block(until, exc.reason or self.env._("rate limited by the remote"))

    @api.model
    def _recover_dead_jobs(self):
        """Requeue started jobs whose worker died (its advisory lock is free), and stop hung
        ones: a job running longer than its kind's timeout (since it started, or since its
        last reported progress: `_note_progress`) has its worker's database session
        ended (its transaction rolls back, its lock goes) and is handled as dead.  A job whose
        lock is held within its timeout is running and is left alone.  Returns the recovered
        jobs."""
        cr = self.env.cr
        for tries in range(1, 6):
            try:
                cr.execute(
                    """
                    SELECT j.id, COALESCE(j.progress_at, j.started_at), COALESCE(k.timeout, 0)
                      FROM sync_job j LEFT JOIN sync_job_kind k ON k.code = j.kind
                     WHERE j.state = 'started'
                     ORDER BY j.id
                       FOR NO KEY UPDATE OF j SKIP LOCKED
                    """,
                    log_exceptions=False,  # a conflict with another runner is tried again
                )
                started = cr.fetchall()
                break
            except CONCURRENCY_ERRORS as exc:
                # a started job's row changed (another runner committed its outcome) after
                # this statement's snapshot: SKIP LOCKED skips only rows still locked
                cr.rollback()
                _logger.debug("recovery gave way to another runner (%s), try %s", exc, tries)
                time.sleep(random.uniform(0, 0.01 * tries))
        else:
            return self.browse()  # the next runner pass or the watchdog recovers them
        try:
            return self._recover_started(started)
        except (ConcurrencyError, *CONCURRENCY_ERRORS) as exc:
            # e.g. a twin of a dead job enqueued concurrently: the next runner pass (or the
            # watchdog) recovers them on a fresh snapshot
            _logger.info("recovery gave way (%s): left to the next pass", exc)
            cr.rollback()
            return self.browse()

    @api.model
    def _recover_started(self, started):
        """`_recover_dead_jobs` for the started jobs it locked: [(id, last sign, timeout)]."""
        now = fields.Datetime.now()
        dead, hung, stopped = [], [], set()
        for job_id, last_sign, timeout in started:
            if job_id not in stopped and timeout and last_sign:
                if last_sign + timedelta(seconds=timeout) < now:
                    stopped.update(self._stop_worker_of(job_id))
            if self._try_job_lock(job_id):
                (hung if job_id in stopped else dead).append(job_id)
        for job in self.browse(dead + hung):
            if job.id in hung:
                _logger.warning("sync job %s: hung on %s, stopped", job.id, job.worker)
                msg = self.env._(
                    "Stopped after running longer than its timeout (%(seconds)s s) on %(worker)s.",
                    seconds=job.kind_id.timeout,
                    worker=job.worker,
                )
                pattern = "job timed out"
            else:
                _logger.warning("sync job %s: worker %s died, requeuing", job.id, job.worker)
                msg = self.env._(
                    "Worker %(worker)s died while running this job.", worker=job.worker
                )
                pattern = "worker died"
            # the attempt counts only when it saved nothing (`_note_progress`), as in
            # `_on_failure`: a worker killed after committing pages starts its streak again
            if job.progressed and job._retry_window_ended(now):
                job._give_up({}, RetryableSyncError(msg, pattern=pattern), msg)
            elif job.attempt >= job.max_attempts and not job.progressed:
                job.write({"state": "failed", "error": msg})
                self.env["sync.exception"]._open_for_job(
                    job, RetryableSyncError(msg, pattern=pattern)
                )
            else:
                vals = {"eta": fields.Datetime.now(), "error": msg}
                if job.progressed:
                    vals["attempt"] = 0
                job._back_to_pending(vals)
        self._commit()
        # events a crash left queued between a done job's commit and theirs
        self.browse()._mark_events_processed()
        return self.browse(dead + hung)

    def _note_progress(self, saved=False):
        """A long job shows it is alive (its timeout restarts), in the commit of its work.
        `saved`: that commit keeps work a retry will not do again (a pull's pages and the
        watermark moved past them): a failure of this attempt then does not count as one."""
        if self.ids:
            self.env.cr.execute(
                "UPDATE sync_job SET progress_at = %s, progressed = progressed OR %s"
                " WHERE id = ANY(%s)",
                [_precise_now(), bool(saved), self.ids],
            )
            self.invalidate_recordset(["progress_at", "progressed"])

    @api.model
    def _cron_recover_jobs(self):
        """Watchdog cron (apart from the runner, which a hung job may hold): stop hung jobs,
        requeue dead ones, and wake the runner for them."""
        recovered = self._recover_dead_jobs()
        if recovered.filtered(lambda j: j.state == "pending"):
            self._wake_runner()
        return len(recovered)

    @api.model
    def _try_job_lock(self, job_id):
        """True when no live worker holds the job (its lock is taken until this commit)."""
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, job_id])
        return self.env.cr.fetchone()[0]

    @api.model
    def _stop_worker_of(self, job_id):
        """End the database session that holds the job's worker lock (waits up to 5 s for it
        to go): whatever that worker had not committed is rolled back, and it can commit
        nothing more.  Returns the ids of the jobs that session was running (a batch)."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT held.pid, array_agg(held.objid::integer)
              FROM pg_locks mine
              JOIN pg_locks held ON held.pid = mine.pid AND held.locktype = 'advisory'
                   AND held.classid = mine.classid AND held.objsubid = 2 AND held.granted
             WHERE mine.locktype = 'advisory' AND mine.classid = %s AND mine.objid = %s
               AND mine.objsubid = 2 AND mine.granted AND mine.pid != pg_backend_pid()
             GROUP BY held.pid
            """,
            [LOCK_NAMESPACE, job_id],
        )
        stopped = set()
        for pid, job_ids in cr.fetchall():
            cr.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            stopped.update(job_ids)
        return stopped

    def _back_to_pending(self, vals):
        """Make the job pending again.  If another pending job already carries its identity
        (new work for the same record arrived meanwhile), this one is superseded: cancelled,
        its events and open exceptions handed to that job, which re-reads the current state,
        so nothing is lost and nothing runs twice.  Returns the job that is pending."""
        self.ensure_one()
        twin = self.browse()
        if self.identity_key:
            twin = self.search(
                [*self._identity_domain(self.backend_id, self.identity_key), ("id", "!=", self.id)],
                limit=1,
            )
        if not twin:
            try:
                with expected_sql_errors(), self.env.cr.savepoint():
                    self.write({**vals, "state": "pending"})
                    self.flush_recordset()
                return self
            except psycopg2.errors.UniqueViolation:
                # a twin committed after our snapshot: this transaction cannot see it, so it
                # could not hand it this job's events and open exceptions (they would stay
                # behind on a cancelled job): a fresh snapshot can (callers retry)
                self.invalidate_recordset()
                raise ConcurrencyError(
                    f"a pending twin of sync job {self.id} was enqueued concurrently"
                ) from None
        note = self.env._(
            "Superseded by pending job %(twin)s with the same identity.", twin=twin.id
        )
        self.write(
            {
                "state": "cancelled",
                "result": note,
                **{k: v for k, v in vals.items() if k in ("error", "traceback")},
            }
        )
        if twin:
            twin._absorb(self.payload)  # e.g. merged ids this job carried and the twin lacks
            self.event_ids.write({"job_id": twin.id})
            self.exception_ids.filtered(lambda e: e.state == "open").write({"job_id": twin.id})
        return twin

    @api.model
    def _cron_gc(self):
        """Delete done and cancelled jobs older than their backend's retention."""
        total = 0
        backends = self.env["sync.backend"].with_context(active_test=False)
        for backend in backends.search([("job_retention_days", ">", 0)]):
            limit = fields.Datetime.now() - timedelta(days=max(backend.job_retention_days, 1))
            old = self.search(
                [
                    ("backend_id", "=", backend.id),
                    ("state", "in", ("done", "cancelled")),
                    ("write_date", "<", limit),
                ],
                limit=10000,
            )
            self.env["sync.event"].search([("job_id", "in", old.ids)]).unlink()
            total += len(old)
            old.unlink()
        return total

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
