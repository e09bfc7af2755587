"""The job runner: the cron entry point that claims due jobs (SKIP LOCKED, channel throttles,
batches), performs them on the worker's session and records their success."""

import json
import logging
import os
import random
import socket
import time
import traceback

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError

from ..adapter import calls as adapter_calls
from ..adapter import counted_adapters
from ..exceptions import SyncError
from .sync_job import (
    CONCURRENCY_ERRORS,
    HEAD_SCAN_EVERY,
    LOCK_NAMESPACE,
    MAX_CONFLICTS,
    THROTTLE_WAIT_BUDGET,
    _precise_now,
    _Run,
)

# the job's log channel stays the one of sync_job (filters and muted test loggers name it)
_logger = logging.getLogger(__package__ + ".sync_job")


class SyncJob(models.Model):
    _inherit = "sync.job"

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
                       j.priority, j.eta, j.backend_id, COALESCE(j.dry_run, FALSE)
                  FROM (SELECT id, channel_id, kind, batch_key, priority, eta, backend_id,
                               dry_run
                          FROM sync_job
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
                job_ids += self._batch_companions(
                    job_id, now, info["batch_size"], key=(row[12], kind, batch_key, row[13])
                )
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
    def _batch_companions(self, job_id, now, batch_size=None, key=None):
        """Due pending jobs that can run in one batch with `job_id` (same backend, kind and
        batch key), locked with SKIP LOCKED, read in claim order from the batch index.
        `key`: (backend id, kind, batch key, dry run) of `job_id` when the claim read them."""
        cr = self.env.cr
        if key is None:
            cr.execute(
                """
                SELECT j.backend_id, j.kind, j.batch_key, COALESCE(j.dry_run, FALSE), k.batch_size
                  FROM sync_job j JOIN sync_job_kind k ON k.code = j.kind
                 WHERE j.id = %s
                """,
                [job_id],
            )
            row = cr.fetchone()
            if not row:
                return []
            key, batch_size = row[:4], batch_size or row[4]
        backend_id, kind, batch_key, dry_run = key
        if not batch_key or (batch_size or 1) <= 1:
            return []
        cr.execute(
            """
            SELECT id FROM sync_job
             WHERE state = 'pending' AND eta <= %s AND backend_id = %s AND kind = %s
               AND batch_key = %s AND COALESCE(dry_run, FALSE) = %s AND id != %s
             ORDER BY priority, eta, id
             LIMIT %s
             FOR NO KEY UPDATE SKIP LOCKED
            """,
            [now, backend_id, kind, batch_key, dry_run, job_id, batch_size - 1],
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
            # what the handler writes in a chatter is marked as the sync's (mail_message.py)
            job_ctx = {"sync_job_id": self[:1].id}
            handler = getattr(
                self.env[info["model_name"]].with_context(**job_ctx), info["method_name"]
            )
            run.set_timeouts(info)
            with counted_adapters() as adapters:
                result = handler(self.with_context(**job_ctx))
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
        # sensitive values masked as the ORM's write would (sync.masked.mixin)
        outcome = {"result": result if isinstance(result, str) else json.dumps(result, default=str)}
        self[:1]._sync_mask_vals(outcome, self[:1].backend_id.id)
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
                outcome["result"],
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
