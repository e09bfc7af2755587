import contextlib
import threading
import time
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sync_core.models.sync_job import LOCK_NAMESPACE, _Run

from .common import SyncCase


class TestJobs(SyncCase):
    def test_enqueue_same_identity_gives_one_job(self):
        Job = self.env["sync.job"]
        job1 = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": ["1"]},
            identity_key="import:customers:1",
        )
        job2 = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": ["1"]},
            identity_key="import:customers:1",
        )
        self.assertEqual(job1, job2)
        job1.state = "done"
        job3 = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": ["1"]},
            identity_key="import:customers:1",
        )
        self.assertNotEqual(job3, job1, "a finished job does not absorb new work")

    def test_new_work_joins_the_pending_job(self):
        """New ids for a pending identity (e.g. the merged records of a merge event) are added
        to the pending job's payload, not dropped."""
        Job = self.env["sync.job"]
        key = "import:customers:1"
        job = Job._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["1"]}, identity_key=key
        )
        again = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": ["1", "2"]},
            identity_key=key,
        )
        self.assertEqual(again, job)
        self.assertEqual(job.payload, {"object": "customers", "ids": ["1", "2"]})
        Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": ["3", "2"], "hint": "x"},
            identity_key=key,
        )
        self.assertEqual(job.payload, {"object": "customers", "ids": ["1", "2", "3"], "hint": "x"})

    def test_batch_claim_takes_only_jobs_of_its_key(self):
        """A batch claim takes the due pending jobs of the same backend, kind, batch key and
        dry-run flag, in claim order, up to the kind's batch size; none of another key, of a
        dry run, of another backend, or not yet due."""
        self.env.ref("sync_core.job_kind_import_record").batch_size = 3
        other = self.env["sync.backend"].create(
            {"name": "Other", "kind": "generic", "base_url": self.fake.base_url}
        )
        Job = self.env["sync.job"]

        def enqueue(backend, ext, key="import:customers", **values):
            return Job._enqueue(
                backend,
                "import_record",
                {"object": "customers", "ids": [ext]},
                identity_key=f"import:customers:{ext}",
                batch_key=key,
                **values,
            )

        same = [
            enqueue(self.backend, self.fake.put("customers", {"name": f"Batch {i}"}))
            for i in range(4)
        ]
        strangers = (
            enqueue(self.backend, "b", key="import:other")
            | enqueue(self.backend, "d", dry_run=True)
            | enqueue(other, "o")
            | enqueue(self.backend, "later", eta=fields.Datetime.now() + timedelta(hours=1))
        )
        with self.worker_env() as env:
            claimed = env["sync.job"]._claim_next()
            self.assertEqual(claimed.ids, [job.id for job in same[:3]], "claim order, size 3")
            claimed._perform()
        self.assertEqual(set(Job.browse([job.id for job in same[:3]]).mapped("state")), {"done"})
        self.assertEqual(self.fake.count("POST", "batch/read"), 1, "one read for the batch")
        self.assertEqual(same[3].state, "pending")
        self.assertEqual(set(strangers.mapped("state")), {"pending"})

    def test_job_runs_and_applies(self):
        ext = self.fake.put("customers", {"name": "Runner Ltd", "email": "a@runner.test"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(job.attempt, 1)
        self.assertEqual(self.partner_of(ext).name, "Runner Ltd")

    def test_dead_worker_job_requeued_once_and_completes_once(self):
        ext = self.fake.put("customers", {"name": "Killed Mid Run"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        # a worker claimed it (attempt counted) and died: no worker lock is held
        job.write({"state": "started", "attempt": 1, "worker": "ghost:1"})
        with self.worker_env() as env:
            recovered = env["sync.job"]._recover_dead_jobs()
            self.assertEqual(recovered.ids, job.ids)
            self.assertFalse(env["sync.job"]._recover_dead_jobs(), "requeued once")
        self.assertEqual(job.state, "pending")
        self.run_jobs()
        self.assertEqual(job.state, "done")
        self.assertEqual(job.attempt, 2)
        partners = self.env["res.partner"].search([("name", "=", "Killed Mid Run")])
        self.assertEqual(len(partners), 1, "applied exactly once")

    def test_running_job_is_never_requeued(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["x"]}
        )
        job.write({"state": "started", "attempt": 1, "worker": "alive:1"})
        self.env.flush_all()
        # the live worker: another connection holding the job's lock
        other = self.registry.cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job.id])
            with self.worker_env() as env:
                self.assertFalse(env["sync.job"]._recover_dead_jobs())
            self.assertEqual(job.state, "started")
        finally:
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job.id])
            other.close()

    def test_hung_jobs_are_stopped(self):
        """A job running longer than its kind's timeout is hung: its worker's session is
        ended, and the job requeued (attempt counted) or, after its last attempt,
        dead-lettered.  A job within its timeout is left alone."""
        self.env.ref("sync_core.job_kind_import_record").timeout = 60
        Job = self.env["sync.job"]
        now = fields.Datetime.now()
        hung, last, fresh, busy = (
            Job._enqueue(self.backend, "import_record", {"object": "customers", "ids": [n]})
            for n in ("h1", "h2", "f1", "b1")
        )
        hour_ago = now - timedelta(hours=1)
        hung.write({"state": "started", "attempt": 1, "started_at": hour_ago})
        last.write({"state": "started", "attempt": 5, "started_at": hour_ago})
        fresh.write({"state": "started", "attempt": 1, "started_at": now})
        # long, but it reported progress a moment ago (e.g. a pull's page)
        busy.write({"state": "started", "attempt": 1, "started_at": hour_ago})
        busy._note_progress()
        (hung | last | fresh | busy).write({"worker": "stuck:1"})
        self.env.flush_all()
        stuck, alive = self.registry.cursor(), self.registry.cursor()
        try:
            for job in hung | last:  # one worker running a batch of two, stuck
                stuck.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job.id])
            for job in fresh | busy:
                alive.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job.id])
            # the watchdog cron (the runner itself may be held by the hung job)
            with self.enter_registry_test_mode():
                self.env.ref("sync_core.ir_cron_sync_job_watchdog").method_direct_trigger()
            self.env.invalidate_all()
            with self.assertRaises(psycopg2.Error), mute_logger("odoo.sql_db"):
                stuck.execute("SELECT 1")  # its session was ended: it can commit nothing
            self.assertEqual((hung.state, hung.attempt), ("pending", 1))
            self.assertIn("longer than its timeout (60 s)", hung.error)
            self.assertEqual(last.state, "failed")
            self.assertEqual(last.exception_ids.pattern, "job timed out")
            self.assertEqual(fresh.state, "started", "a job within its timeout runs on")
            self.assertEqual(busy.state, "started", "a job that shows progress runs on")
        finally:
            alive.execute("SELECT pg_advisory_unlock_all()")
            alive.close()
            with contextlib.suppress(psycopg2.Error):
                stuck.close()

    def test_retry_then_dead_letter(self):
        ext = self.fake.put("customers", {"name": "Flaky"})
        kind = self.env.ref("sync_core.job_kind_import_record")
        kind.write({"max_attempts": 2, "retry_pattern": "1:30", "jitter": 0.1})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.fake.fail_next(1, status=503, path="/batch/read")
        self.run_jobs()
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.attempt, 1)
        delay = (job.eta - job.started_at).total_seconds()
        self.assertTrue(27 - 1 <= delay <= 33 + 1, delay)
        self.assertIn("503", job.error)
        self.make_due(job)
        self.fake.fail_next(1, status=500, path="/batch/read")
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        exc = job.exception_ids
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.category, "remote")
        self.assertEqual(exc.state, "open")

    def test_rate_limit_blocks_channel(self):
        ext = self.fake.put("customers", {"name": "Limited"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.fake.fail_next(1, status=429, retry_after=120, path="/batch/read")
        self.run_jobs()
        self.assertEqual(job.state, "pending")
        self.assertGreaterEqual((job.eta - job.started_at).total_seconds(), 119)
        self.assertTrue(job.channel_id.blocked_until)
        other = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        self.assertEqual(other.state, "pending", "a blocked channel starts nothing")

    def test_rate_limit_without_retry_after_blocks_channel_for_the_retry_delay(self):
        """A 429 that says no Retry-After (Kantata's) left the channel open: every other job
        of the channel went on knocking at the rate-limited remote."""
        ext = self.fake.put("customers", {"name": "Limited"})
        self.env.ref("sync_core.job_kind_import_record").write(
            {"retry_pattern": "1:30", "jitter": 0.1}
        )
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.fake.fail_next(1, status=429, path="/batch/read")
        self.run_jobs()
        self.assertEqual(job.state, "pending")
        self.assertTrue(job.channel_id.blocked_until)
        self.assertAlmostEqual(job.channel_id.blocked_until, job.eta, delta=timedelta(seconds=2))
        self.assertGreater(job.channel_id.blocked_until, job.started_at + timedelta(seconds=25))

    def test_server_unavailable_retry_after_is_honoured(self):
        ext = self.fake.put("customers", {"name": "Busy"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.fake.fail_next(1, status=503, retry_after=600, path="/batch/read")
        self.run_jobs()
        self.assertEqual(job.state, "pending")
        self.assertGreaterEqual((job.eta - job.started_at).total_seconds(), 599)

    def test_refreshed_credentials_are_kept_and_followed(self):
        """A refreshed token is stored apart from the job's transaction when the row is
        committed (here it is not: the test created it, so it is written with this
        transaction), and this process follows old -> new tokens, never a token it did not
        replace."""
        Backend = self.env["sync.backend"]
        Backend._forget_replaced_credentials()
        self.addCleanup(Backend._forget_replaced_credentials)
        self.backend.api_token = "old"
        self.backend._store_credentials({"api_token": "new"}, "api_token", replaced="old")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.api_token, "new")
        self.backend._store_credentials({"api_token": "newer"}, "api_token", replaced="new")
        self.assertEqual(self.backend._fresh_credentials("api_token", "old")["api_token"], "newer")
        self.assertEqual(self.backend._fresh_credentials("api_token", "typed by a user"), {})
        # a token that comes back (re-entered, or issued again) is current again
        self.backend._store_credentials({"api_token": "old"}, "api_token", replaced="newer")
        self.assertEqual(self.backend._fresh_credentials("api_token", "old"), {})
        self.assertEqual(self.backend._fresh_credentials("api_token", "new")["api_token"], "old")

    def test_permanent_error_goes_straight_to_exception(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "no_such_object", "ids": ["1"]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertEqual(job.attempt, 1)
        self.assertEqual(job.exception_ids.category, "validation")
        self.assertIn("no active mapping", job.exception_ids.name)

    def test_channel_capacity(self):
        channel = self.env["sync.channel"]._for(self.backend, "import_record")
        channel.capacity = 1
        busy = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["1"]}
        )
        busy.state = "started"
        waiting = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["2"]}
        )
        # keep `busy` alive so that recovery leaves it alone
        other = self.registry.cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, busy.id])
            self.run_jobs()
        finally:
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, busy.id])
            other.close()
        self.assertEqual(waiting.state, "pending")

    def test_gc_removes_old_done_jobs(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "export", {"mapping_id": 0, "res_ids": []}
        )
        job.state = "done"
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sync_job SET write_date = now() - interval '60 days' WHERE id = %s", [job.id]
        )
        self.env.invalidate_all()
        self.assertEqual(self.env["sync.job"]._cron_gc(), 1)
        self.assertFalse(job.exists())


@tagged("-at_install", "post_install")
class TestConcurrentEnqueue(SyncCase):
    def test_two_cursors_one_job(self):
        """Two transactions enqueue the same identity at the same time: one job."""
        with self.registry.cursor() as cr0:
            env0 = api.Environment(cr0, SUPERUSER_ID, {"tracking_disable": True})
            backend_id = env0["sync.backend"].create({"name": "concurrency", "kind": "generic"}).id
        results = {}
        try:
            cr1, cr2 = self.registry.cursor(), self.registry.cursor()
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            b1, b2 = (
                env1["sync.backend"].browse(backend_id),
                env2["sync.backend"].browse(backend_id),
            )
            results["first"] = (
                env1["sync.job"]
                ._enqueue(b1, "import_record", {"ids": ["1"]}, identity_key="same")
                .id
            )

            def second():
                results["second"] = (
                    env2["sync.job"]
                    ._enqueue(b2, "import_record", {"ids": ["1"]}, identity_key="same")
                    .id
                )
                cr2.commit()

            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)  # the second insert now waits on the unique index
            cr1.commit()
            thread.join(10)
            self.assertFalse(thread.is_alive())
            cr1.close()
            cr2.close()
            self.assertTrue(results["first"])
            self.assertIn(results["second"], (results["first"], False))
            with self.registry.cursor() as cr3:
                cr3.execute(
                    "SELECT count(*) FROM sync_job WHERE backend_id = %s AND identity_key = 'same'",
                    [backend_id],
                )
                self.assertEqual(cr3.fetchone()[0], 1)
        finally:
            with self.registry.cursor() as cr4:
                cr4.execute("DELETE FROM sync_job WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_channel WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_backend WHERE id = %s", [backend_id])


@tagged("-at_install", "post_install")
class TestConcurrentAbsorb(SyncCase):
    def test_two_cursors_add_ids_to_one_pending_job(self):
        """Two transactions add different ids to the same pending job at the same time: the
        second waits for the first, fails to serialize, and Odoo's retry (as for a webhook
        request) adds its ids on a fresh snapshot: no id is lost."""
        key = "import:customers:100"

        def enqueue(env, ids):
            backend = env["sync.backend"].browse(backend_id)
            payload = {"object": "customers", "ids": ids}
            return env["sync.job"]._enqueue(backend, "import_record", payload, identity_key=key).id

        with self.registry.cursor() as cr0:
            env0 = api.Environment(cr0, SUPERUSER_ID, {"tracking_disable": True})
            backend_id = env0["sync.backend"].create({"name": "absorb", "kind": "generic"}).id
            job_id = enqueue(env0, ["100"])
        results = {}
        try:
            cr1, cr2 = self.registry.cursor(), self.registry.cursor()
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            env2.cr.execute("SELECT 1 FROM sync_job WHERE id = %s", [job_id])  # snapshot now
            results["first"] = enqueue(env1, ["100", "101"])

            def second():
                # what Odoo's request retry (odoo.service.model.retrying) does
                for _try in range(5):
                    try:
                        results["second"] = enqueue(env2, ["100", "102"])
                        cr2.commit()
                        return
                    except psycopg2.errors.SerializationFailure:
                        results["retried"] = results.get("retried", 0) + 1
                        cr2.rollback()
                        env2.invalidate_all()

            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)  # the second one now waits on the job's row lock
            cr1.commit()
            thread.join(30)
            self.assertFalse(thread.is_alive())
            cr1.close()
            cr2.close()
            self.assertEqual(results["first"], job_id)
            self.assertEqual(results["second"], job_id)
            self.assertEqual(results.get("retried"), 1, "the second one waited, then retried")
            with self.registry.cursor() as cr3:
                cr3.execute(
                    "SELECT payload FROM sync_job WHERE backend_id = %s AND identity_key = %s",
                    [backend_id, key],
                )
                rows = cr3.fetchall()
            self.assertEqual(len(rows), 1)
            self.assertEqual(sorted(rows[0][0]["ids"]), ["100", "101", "102"])
        finally:
            with self.registry.cursor() as cr4:
                cr4.execute("DELETE FROM sync_job WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_channel WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_backend WHERE id = %s", [backend_id])


@tagged("-at_install", "post_install")
class TestOutcomeMeetsRedelivery(SyncCase):
    def test_redelivery_during_the_run_keeps_the_outcome(self):
        """A webhook redelivery counts the job's event (another transaction, committed) after
        the runner's transaction took its snapshot: the outcome statement cannot update that
        event.  The job is done anyway (its work kept, not run again, its attempt 1), the
        event marked processed in a fresh transaction, and nothing logged as a bad query."""
        with self.registry.cursor() as cr0:
            env0 = api.Environment(cr0, SUPERUSER_ID, {"tracking_disable": True})
            backend = env0["sync.backend"].create({"name": "redelivery", "kind": "generic"})
            backend_id = backend.id
            job = env0["sync.job"]._enqueue(
                backend,
                "import_record",
                {"ids": ["7"]},
                identity_key="import:customers:7",
            )
            event = env0["sync.event"].create(
                {"backend_id": backend_id, "dedup_key": "ev-7", "state": "queued", "job_id": job.id}
            )
            job_id, event_id = job.id, event.id
        try:
            with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
                env1 = api.Environment(cr1, SUPERUSER_ID, {})
                run_job = env1["sync.job"].browse(job_id)
                run_job._mark_started([job_id], fields.Datetime.now())
                cr1.execute("SELECT 1 FROM sync_job WHERE id = %s", [job_id])  # the run's snapshot
                cr2.execute(
                    "UPDATE sync_event SET delivery_count = delivery_count + 1 WHERE id = %s",
                    [event_id],
                )
                cr2.commit()
                with self.assertNoLogs("odoo.sql_db", "ERROR"):
                    rows, events, events_left = run_job._record_done("ok", True)
                self.assertTrue(events_left, "the event could not be updated in this snapshot")
                self.assertEqual(events, [])
                self.assertEqual([row[:2] for row in rows], [(job_id, True)], "lock released")
                cr1.commit()
                self.assertEqual(run_job._mark_events_processed(), [event_id])
            with self.registry.cursor() as cr3:
                cr3.execute("SELECT state, attempt FROM sync_job WHERE id = %s", [job_id])
                self.assertEqual(cr3.fetchone(), ("done", 1))
                cr3.execute(
                    "SELECT state, delivery_count FROM sync_event WHERE id = %s", [event_id]
                )
                self.assertEqual(cr3.fetchone(), ("processed", 2))
                cr3.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
                    " AND objid = %s AND objsubid = 2",
                    [LOCK_NAMESPACE, job_id],
                )
                self.assertEqual(cr3.fetchone()[0], 0, "worker lock released")
        finally:
            with self.registry.cursor() as cr4:
                cr4.execute("DELETE FROM sync_event WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_job WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_channel WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_backend WHERE id = %s", [backend_id])

    def test_dead_job_whose_twin_commits_after_the_recovery_snapshot(self):
        """A dead job's twin (new work for the same record) is committed after the recovery's
        snapshot: the recovery cannot see it, so it gives way instead of cancelling the dead
        job with its events left behind; the next recovery hands them to the twin."""
        key = "import:customers:9"
        with self.registry.cursor() as cr0:
            env0 = api.Environment(cr0, SUPERUSER_ID, {"tracking_disable": True})
            backend = env0["sync.backend"].create({"name": "twin", "kind": "generic"})
            backend_id = backend.id
            job = env0["sync.job"]._enqueue(backend, "import_record", {"ids": ["9"]}, key)
            event = env0["sync.event"].create(
                {"backend_id": backend_id, "dedup_key": "ev-9", "state": "queued", "job_id": job.id}
            )
            job.write({"state": "started", "attempt": 1, "worker": "ghost:1"})
            job_id, event_id = job.id, event.id
        try:
            with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
                env1 = api.Environment(cr1, SUPERUSER_ID, {})
                cr1.execute("SELECT 1 FROM sync_job WHERE id = %s", [job_id])  # snapshot
                env2 = api.Environment(cr2, SUPERUSER_ID, {})
                twin = env2["sync.job"]._enqueue(
                    env2["sync.backend"].browse(backend_id), "import_record", {"ids": ["9"]}, key
                )
                cr2.commit()
                self.assertFalse(env1["sync.job"]._recover_dead_jobs(), "gave way")
                self.assertEqual(env1["sync.job"]._recover_dead_jobs().ids, [job_id])
                twin_id = twin.id
            with self.registry.cursor() as cr3:
                cr3.execute("SELECT state FROM sync_job WHERE id = %s", [job_id])
                self.assertEqual(cr3.fetchone()[0], "cancelled")
                cr3.execute("SELECT job_id, state FROM sync_event WHERE id = %s", [event_id])
                self.assertEqual(cr3.fetchone(), (twin_id, "queued"), "handed to the twin")
        finally:
            with self.registry.cursor() as cr4:
                cr4.execute("DELETE FROM sync_event WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_job WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_channel WHERE backend_id = %s", [backend_id])
                cr4.execute("DELETE FROM sync_backend WHERE id = %s", [backend_id])

    def test_recovery_marks_events_a_crash_left_queued(self):
        """A crash between the job's commit and its events' leaves them queued behind a done
        job: the runner's recovery marks them processed."""
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"ids": ["8"]}, identity_key="import:customers:8"
        )
        event = self.env["sync.event"].create(
            {
                "backend_id": self.backend.id,
                "dedup_key": "ev-8",
                "state": "queued",
                "job_id": job.id,
            }
        )
        job.state = "done"
        self.env.flush_all()
        with self.worker_env() as env:
            env["sync.job"]._recover_dead_jobs()
        self.assertEqual(event.state, "processed")


class TestLockWait(SyncCase):
    def test_job_gives_way_to_a_lock_without_exception(self):
        """A job that waits too long for a row another transaction holds gives way: retried
        shortly, its attempt kept, no exception for anyone; it completes once the row is
        free."""
        self.env.ref("sync_core.job_kind_import_record").lock_timeout = 1
        partner = self.env.ref("base.main_partner")  # committed: another session can lock it
        ext = self.fake.put("customers", {"name": "Main (remote)"})
        self.env["sync.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "remote_object": "customers",
                "external_id": ext,
            }
        )
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        locker = self.registry.cursor()
        try:
            locker.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            with mute_logger("odoo.sql_db"):
                self.run_jobs()
        finally:
            locker.rollback()
            locker.close()
        self.assertEqual(job.state, "pending")
        self.assertEqual((job.attempt, job.conflict_count), (0, 1))
        self.assertIn("concurrent transaction", job.error)
        self.assertLess(job.eta, fields.Datetime.now() + timedelta(seconds=10))
        self.assertFalse(self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]))
        self.make_due(job)
        self.run_jobs()
        self.assertEqual((job.state, job.attempt, job.conflict_count), ("done", 1, 0), job.error)
        self.assertEqual(partner.name, "Main (remote)")
        self.assertFalse(self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]))


class TestRateLimitHeaders(SyncCase):
    def test_remote_rate_limit_feeds_the_channel(self):
        ext = self.fake.put("customers", {"name": "Throttled"})
        self.fake.rate_limit = (10, 0, 10)  # 10 per 10 s, none left
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        channel = job.channel_id
        self.assertAlmostEqual(channel.rate_per_second, 0.9)
        self.assertTrue(channel.blocked_until)
        waiting = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        self.assertEqual(waiting.state, "pending", "nothing starts until the remote's window")


class TestThrottle(SyncCase):
    def test_throttle_spaces_starts_within_one_run(self):
        channel = self.env["sync.channel"]._for(self.backend, "import_record")
        channel.rate_per_second = 5
        ids = [self.fake.put("customers", {"name": f"Spaced {i}"}) for i in range(3)]
        jobs = self.env["sync.job"]
        for ext in ids:
            jobs |= jobs._enqueue(
                self.backend, "import_record", {"object": "customers", "ids": [ext]}
            )
        started = time.monotonic()
        self.run_jobs()
        elapsed = time.monotonic() - started
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertGreaterEqual(elapsed, 0.35, "two gaps of 1/5 s between the three starts")
        starts = sorted(jobs.mapped("started_at"))
        self.assertEqual(len(starts), 3)


class TestSupersede(SyncCase):
    def test_failed_job_with_pending_twin_is_superseded(self):
        """A remote 5xx while a new event for the same record queued a twin: the failing job
        hands over to the twin; the runner keeps going."""
        ext = self.fake.put("customers", {"name": "Twin"})
        merged = self.fake.put("customers", {"name": "Merged into Twin"})
        Job = self.env["sync.job"]
        first = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": [ext, merged]},
            identity_key=f"import:customers:{ext}",
        )
        event = self.env["sync.event"].create(
            {
                "backend_id": self.backend.id,
                "dedup_key": "t1",
                "job_id": first.id,
                "state": "queued",
            }
        )
        # the runner claims `first`; meanwhile the twin arrives; then the remote fails
        with self.worker_env() as env:
            claimed = env["sync.job"]._claim_next()
            self.assertEqual(claimed.id, first.id)
            twin = env["sync.job"]._enqueue(
                claimed.backend_id,
                "import_record",
                {"object": "customers", "ids": [ext]},
                identity_key=f"import:customers:{ext}",
            )
            self.assertNotEqual(twin.id, first.id)
            env.cr.commit()  # the twin comes from another transaction, committed
            self.fake.fail_next(1, status=503, path="/batch/read")
            claimed._perform()
        self.assertEqual(first.state, "cancelled")
        self.assertIn("Superseded", first.result)
        self.assertEqual(event.job_id.id, twin.id)
        twin = Job.browse(twin.id)
        self.assertEqual(twin.payload["ids"], [ext, merged], "the twin takes over every id")
        self.run_jobs()
        self.assertEqual(twin.state, "done", twin.error)
        self.assertEqual(self.partner_of(ext).name, "Twin")
        self.assertEqual(self.partner_of(merged).name, "Merged into Twin")

    def test_dead_job_with_pending_twin_is_superseded(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "pull", {"object": "customers"}, identity_key="pull:customers"
        )
        job.write({"state": "started", "attempt": 1, "worker": "ghost:2"})
        twin = self.env["sync.job"]._enqueue(
            self.backend, "pull", {"object": "customers"}, identity_key="pull:customers"
        )
        self.assertNotEqual(twin, job)
        other = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["x"]}
        )
        with self.worker_env() as env:
            env["sync.job"]._recover_dead_jobs()
        self.assertEqual(job.state, "cancelled")
        self.assertEqual(twin.state, "pending")
        self.run_jobs()
        self.assertEqual(twin.state, "done", twin.error)
        self.assertEqual(other.state, "done", "the runner is not stuck")


class TestClaimOrder(SyncCase):
    def test_claims_start_after_the_last_one_and_from_the_head_every_second(self):
        """Within a runner pass a claim scans the queue from after the last job it claimed;
        a more urgent job enqueued meanwhile is claimed by the next scan from the head (at
        least once a second), or as soon as nothing is due after the last claim."""
        Job = self.env["sync.job"]

        def enqueue(key, priority):
            job = Job._enqueue(
                self.backend,
                "apply_record",
                {"mapping_id": self.mapping.id, "record": {"id": key, "data": {"name": key}}},
                identity_key=f"order:{key}",
            )
            job.priority = priority
            self.make_due(job)
            return job

        first, second, third = (enqueue(f"q{i}", 10) for i in range(3))
        first.channel_id.capacity = 10  # the claimed jobs stay started
        claimed = []
        with self.worker_env() as env:
            run = _Run(env["sync.job"])

            def claim():
                jobs, _wait = env["sync.job"]._claim_next_or_wait(run=run)
                claimed.extend(jobs.ids)
                return jobs.id

            self.assertEqual(claim(), first.id)
            urgent = enqueue("urgent", 1)
            self.env.flush_all()
            self.assertEqual(claim(), second.id, "from after the last claim")
            run.head_at -= 2  # a second later: from the head
            self.assertEqual(claim(), urgent.id)
            self.assertEqual(claim(), third.id)
            late = enqueue("late", 1)
            self.env.flush_all()
            self.assertEqual(claim(), late.id, "nothing due after the last claim: from the head")
            self.assertFalse(claim())
            for job_id in claimed:
                env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job_id])


class TestRunnerSlice(SyncCase):
    def test_slice_that_ends_with_due_jobs_left_reports_them(self):
        """The cron's time slice ends while jobs are due: the runner reports them as remaining
        (the cron then runs again at once), instead of "fully done" (next run a minute
        later); the jobs it ran are counted once."""
        kind = self.env.ref("sync_core.job_kind_apply_record")
        jobs = self.env["sync.job"]
        for i in range(3):
            jobs |= jobs._enqueue(
                self.backend,
                kind.code,
                {
                    "mapping_id": self.mapping.id,
                    "record": {"id": f"s{i}", "data": {"name": f"S{i}"}},
                },
                identity_key=f"slice:{i}",
            )
        self.make_due(jobs)
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0})
        self.env.flush_all()
        with self.worker_env() as env:
            Job = env["sync.job"].with_context(
                ir_cron_progress_id=progress.id, cron_id=cron.id, cron_end_time=time.monotonic()
            )
            ran = Job._cron_run_jobs()
        self.assertEqual(ran, 1, "the slice was used up after the first job")
        self.assertEqual(sorted(jobs.mapped("state")), ["done", "pending", "pending"])
        self.assertEqual((progress.done, progress.remaining), (1, 2))
