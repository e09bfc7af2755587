"""What follows a job's failure and a worker's death: retry or dead-letter, rate-limit blocks,
recovery of jobs whose worker died, and the cron that deletes old jobs."""

import logging
import random
import time
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError

from ..exceptions import RateLimitedError, RetryableSyncError, SyncError
from ..sqllog import expected_sql_errors
from .sync_job import (
    CONCURRENCY_ERRORS,
    LOCK_NAMESPACE,
    MAX_CONFLICTS,
    _precise_now,
)

# the job's log channel stays the one of sync_job (filters and muted test loggers name it)
_logger = logging.getLogger(__package__ + ".sync_job")


class SyncJob(models.Model):
    _inherit = "sync.job"

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
