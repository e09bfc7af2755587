"""Chaos: a worker killed with SIGKILL in the middle of a batch pull loses and doubles nothing
(run by `bash bench/run.sh chaos`).

A GenericFake (sync_core's wire-level fake) serves N customers on 127.0.0.1 from this process; a
generic backend + mapping customers -> res.partner (page size 200, no match rule: idempotency
rests on bindings alone) points at it; one `pull` job is enqueued.  A worker (a real Odoo server
with one cron thread, woken by NOTIFY cron_trigger; or with CHAOS_MODE=shell an `odoo-bin shell`
calling `_cron_run_jobs()`) runs the job runner; once a given share of the records is committed
it gets SIGKILL while a page is in flight (pages are committed together, about a second of them
at a time, with the watermark past them: the kill lands in a transaction holding uncommitted
pages).  The job must then be `started` with a dead worker (its advisory lock free); the next
worker's recovery requeues it and resumes from the watermark; each kill came after the attempt
had committed pages (saved progress), so no kill counts as an attempt.  After the last worker
finished the job, every remote record must exist exactly once in Odoo, with its binding and one
`create` audit row, the right data, no exception; the job done on attempt 1; no worker logged
an ERROR or a traceback.

Scenario 2 (CHAOS_REENQUEUE=1, default): while a killed pull job is still `started`, the pull
scheduler enqueues the same pull again (`_cron_schedule_pulls`, as its 5-minute cron would);
an unrelated job is queued too; the next worker must recover, finish the pull once and run
the other job: the runner must not get stuck.

    python bench/chaos_kill.py --db DB     (sync_core installed in DB)
Scenario 3 (CHAOS_RETRY_TWIN=1, off by default: it waits on a slow fake): no kill; a webhook
re-fetch job fails with a retryable 503 while a new event for the same record enqueued its twin.

Environment: CHAOS_N (20000), CHAOS_KILLS (0.25,0.6: kill when that share is committed),
CHAOS_MODE (cron | shell), CHAOS_REENQUEUE (1), CHAOS_N2 (2000 records for scenario 2),
CHAOS_RETRY_TWIN (0).
"""

import os
import re
import sys
import time

import benchlib

N = int(os.environ.get("CHAOS_N", "20000"))
KILLS = [float(x) for x in os.environ.get("CHAOS_KILLS", "0.25,0.6").split(",") if x.strip()]
MODE = os.environ.get("CHAOS_MODE", "cron")
REENQUEUE = os.environ.get("CHAOS_REENQUEUE", "1") == "1"
RETRY_TWIN = os.environ.get("CHAOS_RETRY_TWIN", "0") == "1"
N2 = int(os.environ.get("CHAOS_N2", "2000"))
PAGE = 200
LOCK_NAMESPACE = 0x5C0B  # sync_core.models.sync_job.LOCK_NAMESPACE
# what a worker must never log (Odoo's own shutdown after SIGTERM is left out)
RUN_TIMEOUT = 170
STALL = 30
# Odoo's ir_cron logs "Job 'X' (id) timed out" at ERROR, and skips that run, when the last three
# runs of a cron never ended (CONSECUTIVE_TIMEOUT_FOR_FAILURE).  This suite ends three runs of
# the runner cron itself: two SIGKILLs in scenario 1 and one in scenario 2 (a final worker,
# stopped once its job is done, may leave a fourth run unended).  That line is Odoo reporting
# the suite's kills, expected here; it is counted and shown, and any other ERROR still fails.
CRON_TIMED_OUT = re.compile(r"odoo\.addons\.base\.models\.ir_cron: Job '[^']*' \(\d+\) timed out")

SETUP = """
import os
env = env  # noqa
backend = env["sync.backend"].create({
    "name": "chaos", "kind": "generic", "base_url": os.environ["CHAOS_FAKE_URL"],
    "api_token": "chaos", "page_size": %(page)d, "channel_capacity": 1,
})
env["sync.mapping"].create({
    "name": "chaos customers", "backend_id": backend.id, "remote_object": "customers",
    "res_model": "res.partner", "default_values": "{'is_company': True}",
    "line_ids": [(0, 0, {"remote_field": f, "odoo_field": f}) for f in ("name", "email", "phone")],
})
# the 5-minute pull scheduler stays out of scenario 1 (scenario 2 calls it on purpose)
env.ref("sync_core.ir_cron_sync_schedule_pulls").active = False
job = env["sync.job"]._enqueue(
    backend, "pull", payload={"object": "customers"}, identity_key="pull:customers"
)
env.cr.commit()
print("CHAOS_SETUP", backend.id, job.id)
""" % {"page": PAGE}

# a webhook-style re-fetch of one record, unrelated to the pull
OTHER_JOB = """
import os
rid = os.environ.get("CHAOS_RECORD", "1")
backend = env["sync.backend"].search([("name", "=", "chaos")])
other = env["sync.job"]._enqueue(
    backend, "import_record", {"object": "customers", "ids": [rid]},
    identity_key=f"import:customers:{rid}",
)
env.cr.commit()
print("CHAOS_OTHER", other.id)
"""

# CHAOS_MODE=shell: one worker = one odoo-bin shell running the runner as the cron would.
WORKER = """
env = env  # noqa
Job = env["sync.job"].with_user(env.ref("sync_core.user_sync_bot"))
ran = Job._cron_run_jobs()
env.cr.commit()
print("CHAOS_RAN", ran)
"""

SCHEDULE = """
env = env  # noqa
# the object's pull is due at every scheduler run (per-object interval of one minute)
env["sync.watermark"].search([("object_name", "=", "customers")]).pull_interval = 1
env["sync.backend"].with_user(env.ref("sync_core.user_sync_bot"))._cron_schedule_pulls()
env.cr.commit()
pending = env["sync.job"].search([("kind", "=", "pull"), ("state", "=", "pending")])
print("CHAOS_SCHEDULED", *pending.ids)
"""


def record(i, tag="Chaos"):
    return {"name": f"{tag} {i:06d}", "email": f"c{i}@{tag.lower()}.example", "phone": f"+1 {i}"}


class Run:
    def __init__(self, db):
        self.db = db
        self.conn = benchlib.connect(db)
        self.checks = benchlib.Checks()
        self.fake = benchlib.load_generic_fake()(token="chaos")
        self.workers = []
        self.pg_postgres = benchlib.connect("postgres")
        self.nudged = 0.0

    # ------------------------------------------------------------------ helpers
    def q(self, sql, *params):
        return benchlib.scalar(self.conn, sql, list(params))

    def job(self, job_id):
        return benchlib.query(
            self.conn,
            "SELECT state, attempt, worker, COALESCE(error, '') FROM sync_job WHERE id = %s",
            [job_id],
        )[0]

    def bound(self):
        return self.q("SELECT count(*) FROM sync_binding WHERE backend_id = %s", self.backend_id)

    def start_worker(self, label):
        app = f"--db_app_name=chaos-{label}-{{pid}}"
        if MODE == "shell":
            worker = benchlib.OdooProcess(
                self.db, "--log-level=warn", app, name=f"chaos-{label}", script=WORKER
            )
        else:
            worker = benchlib.OdooProcess(
                self.db,
                "--no-http",
                "--max-cron-threads=1",
                "--workers=0",
                "--log-level=info",
                app,
                name=f"chaos-{label}",
            )
        worker.app = f"chaos-{label}-{worker.pid}"
        self.workers.append(worker)
        return worker

    def nudge(self):
        """Wake the worker's cron thread, at most once a second.  Cron threads LISTEN on
        cron_trigger in the `postgres` database (ir.cron._trigger notifies there too, but the
        job was enqueued before this worker was listening)."""
        if MODE == "cron" and time.monotonic() - self.nudged > 1.0:
            benchlib.query(self.pg_postgres, "SELECT pg_notify('cron_trigger', %s)", [self.db])
            self.nudged = time.monotonic()

    def sessions_of(self, worker):
        return self.q(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", worker.app
        )

    def job_session(self, job_id):
        """(state, ms in transaction, xid) of the session that holds the job's worker lock;
        a transaction id is assigned once the transaction has written a row."""
        rows = benchlib.query(
            self.conn,
            "SELECT a.state, COALESCE(EXTRACT(EPOCH FROM now() - a.xact_start) * 1000, -1),"
            "       a.backend_xid::text"
            "  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s"
            "   AND l.objsubid = 2 AND l.granted",
            [LOCK_NAMESPACE, job_id],
        )
        return rows[0] if rows else None

    def lock_held(self, job_id):
        return self.q(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
            " AND objid = %s AND objsubid = 2 AND granted",
            LOCK_NAMESPACE,
            job_id,
        )

    def wait_job(self, worker, job_id, predicate, what, timeout=RUN_TIMEOUT):
        def ready():
            alive = worker.alive()
            self.nudge()
            if predicate(self.job(job_id)):
                return True
            if not alive:
                raise RuntimeError(f"worker {worker.pid} exited:\n{worker.tail()}")
            return False

        return benchlib.wait_until(ready, timeout, 0.05, what)

    def kill_mid_batch(self, job_id, label, attempt, share):
        """Start a worker, wait until `share` of the records is committed, SIGKILL it."""
        worker = self.start_worker(label)
        self.wait_job(
            worker,
            job_id,
            lambda j: j[0] == "started" and j[1] == attempt,
            f"job {job_id} started on attempt {attempt}",
        )
        target = int(N * share)
        benchlib.wait_until(
            lambda: self.bound() >= target, RUN_TIMEOUT, 0.02, f"{target} records committed"
        )
        # kill while a page is in flight: the job's transaction open, with uncommitted writes
        session = benchlib.wait_until(
            lambda: (s := self.job_session(job_id)) and s[1] >= 20 and s[2] and s,
            10,
            0.002,
            "the job's session inside a writing transaction",
        )
        committed = self.bound()
        worker.kill9()
        print(
            f"kill {label}: SIGKILL to worker pid {worker.pid} on attempt {attempt} with"
            f" {committed} of {N} records committed; the job's session was '{session[0]}'"
            f" in a transaction open for {session[1]:.0f} ms that had written rows"
            f" (xid {session[2]}): a page in flight",
            flush=True,
        )
        # PostgreSQL ends the dead worker's sessions (and their locks) when it sees the sockets
        # closed; the job stays 'started'
        benchlib.wait_until(lambda: not self.sessions_of(worker), 30, 0.05, "sessions closed")
        state, att, who, _err = self.job(job_id)
        partners = self.q("SELECT count(*) FROM res_partner WHERE name LIKE 'Chaos %%'")
        bindings = self.bound()
        audits = self.q("SELECT count(*) FROM sync_audit WHERE backend_id = %s", self.backend_id)
        self.checks.check(
            state == "started" and who.endswith(f":{worker.pid}") and not self.lock_held(job_id),
            f"kill {label}: job left 'started' by a dead worker (lock free)",
            f"state {state}, attempt {att}, worker {who}",
        )
        self.checks.check(
            partners == bindings == audits and 0 < bindings < N,
            f"kill {label}: committed state consistent (in-flight page rolled back)",
            f"partners {partners}, bindings {bindings}, audit rows {audits}",
        )
        return worker

    def finish(self, job_ids, label):
        """Start a worker and wait until every job of `job_ids` ended (done, failed, or cancelled
        as superseded by a pending twin); give up
        when nothing moved (job states, committed records) for STALL seconds."""
        worker = self.start_worker(label)
        started = last_change = time.monotonic()
        last = None
        try:
            while True:
                alive = worker.alive()
                self.nudge()
                states = [self.job(j) for j in job_ids]
                if all(st[0] in ("done", "failed", "cancelled") for st in states):
                    break
                now = time.monotonic()
                snapshot = (tuple(st[:2] for st in states), self.bound())
                if snapshot != last:
                    last, last_change = snapshot, now
                problem = (
                    (not alive and "the worker exited")
                    or (now - last_change > STALL and f"nothing moved for {STALL} s")
                    or (now - started > RUN_TIMEOUT and f"not done after {RUN_TIMEOUT} s")
                )
                if problem:
                    print(f"{label}: {problem}; jobs (state, attempt): {snapshot[0]}")
                    errors = [ln for ln in worker.tail(400).splitlines() if "ERROR" in ln]
                    for line in errors[-3:]:
                        print(f"  worker log: {line[:300]}")
                    return False
                time.sleep(0.1)
        finally:
            worker.stop()  # a live cron worker would run the next scenario's jobs at once
        print(f"{label}: worker pid {worker.pid} finished in {time.monotonic() - started:.1f} s")
        return True

    # ------------------------------------------------------------------ scenario 1
    def scenario_kill(self):
        base_url = self.fake.start()
        for i in range(N):
            self.fake.put("customers", record(i))
        self.expected = {
            rid: rec["data"]["name"] for rid, rec in self.fake.objects["customers"].items()
        }
        out = benchlib.run_shell(self.db, SETUP, {"CHAOS_FAKE_URL": base_url})
        self.backend_id, job_id = (int(x) for x in benchlib.shell_value(out, "CHAOS_SETUP"))
        print(
            f"chaos: {N} remote customers on the fake {base_url}, page {PAGE}, worker mode"
            f" {MODE}; SIGKILL at {', '.join(f'{k:.0%}' for k in KILLS)} committed",
            flush=True,
        )
        started = time.monotonic()
        for n, share in enumerate(KILLS, start=1):
            # a killed attempt that had saved progress is not counted: every attempt is the 1st
            self.kill_mid_batch(job_id, str(n), 1, share)
        finished = self.finish([job_id], "final")
        elapsed = time.monotonic() - started
        gets = self.fake.count("GET")
        self.verify(job_id, finished, elapsed, gets)

    def verify(self, job_id, finished, elapsed, gets):
        c, b = self.checks, self.backend_id
        state, attempt, _who, error = self.job(job_id)
        c.check(
            finished and state == "done" and attempt == 1,
            "job done on attempt 1 (each kill came after saved progress: none counted)",
            f"state {state}, attempt {attempt}{', error ' + error[:200] if error else ''}",
        )
        partners, names = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT name) FROM res_partner WHERE name LIKE 'Chaos %%'",
        )[0]
        c.check(
            partners == N and names == N,
            "partners created == N, no duplicate name",
            f"{partners} partners, {names} distinct names, N = {N}",
        )
        bindings, ext_ids, res_ids = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT external_id), count(DISTINCT res_id)"
            " FROM sync_binding WHERE backend_id = %s",
            [b],
        )[0]
        c.check(
            bindings == ext_ids == res_ids == N,
            "bindings == N (one per remote id, one per partner)",
            f"{bindings} bindings, {ext_ids} remote ids, {res_ids} partners",
        )
        orphans = self.q(
            "SELECT count(*) FROM sync_binding x LEFT JOIN res_partner p ON p.id = x.res_id"
            " WHERE x.backend_id = %s AND p.id IS NULL",
            b,
        )
        unbound = self.q(
            "SELECT count(*) FROM res_partner p WHERE p.name LIKE 'Chaos %%' AND NOT EXISTS ("
            " SELECT 1 FROM sync_binding x WHERE x.backend_id = %s AND x.res_model = 'res.partner'"
            " AND x.res_id = p.id)",
            b,
        )
        c.check(
            orphans == 0 and unbound == 0,
            "no binding without partner, no partner without binding",
            f"{orphans} / {unbound}",
        )
        rows = benchlib.query(
            self.conn,
            "SELECT x.external_id, p.name FROM sync_binding x JOIN res_partner p ON p.id = x.res_id"
            " WHERE x.backend_id = %s",
            [b],
        )
        wrong = sum(1 for ext, name in rows if self.expected.get(ext) != name)
        c.check(
            wrong == 0 and len(rows) == len(self.expected),
            "every remote record bound to the partner with its data",
            f"{len(rows) - wrong} right, {wrong} wrong, {len(self.expected) - len(rows)} missing",
        )
        audit = dict(
            benchlib.query(
                self.conn,
                "SELECT operation, count(*) FROM sync_audit WHERE backend_id = %s GROUP BY 1",
                [b],
            )
        )
        per_record = benchlib.query(
            self.conn,
            "SELECT count(*) FROM (SELECT external_id FROM sync_audit WHERE backend_id = %s"
            " AND operation = 'create' GROUP BY external_id HAVING count(*) = 1) s",
            [b],
        )[0][0]
        c.check(
            audit == {"create": N} and per_record == N,
            "audit: exactly one 'create' row per record, nothing else",
            f"{audit}, records with one create {per_record}",
        )
        exceptions = self.q("SELECT count(*) FROM sync_exception WHERE backend_id = %s", b)
        c.check(exceptions == 0, "no sync.exception opened", f"{exceptions}")
        last = max(
            self.fake.objects["customers"].values(), key=lambda r: (r["updated_at"], r["id"])
        )
        cursor_id, success = benchlib.query(
            self.conn,
            "SELECT cursor_id, last_success_at IS NOT NULL FROM sync_watermark"
            " WHERE backend_id = %s AND object_name = 'customers'",
            [b],
        )[0]
        c.check(
            cursor_id == last["id"] and success,
            "watermark at the last remote record, last success set",
            f"cursor id {cursor_id}, last remote id {last['id']}",
        )
        print(
            f"figures: {N} records, {len(KILLS)} SIGKILLs, {len(KILLS) + 1} runs, {gets} GET"
            f" pages read from the fake (one clean pull: {N // PAGE + 1}), {elapsed:.1f} s from"
            " the first worker start to done (worker start-ups included)",
            flush=True,
        )

    # ------------------------------------------------------------------ scenario 2
    def scenario_reenqueue(self):
        """Kill a pull, let the scheduler enqueue the same pull while the dead one is still
        'started', then let a worker recover: both jobs must end, all records applied once."""
        ids = [self.fake.put("customers", record(i, "Again")) for i in range(N2)]
        out = benchlib.run_shell(self.db, SCHEDULE)
        (first,) = (int(x) for x in benchlib.shell_value(out, "CHAOS_SCHEDULED"))
        print(f"\nscenario 2: {N2} new remote records, scheduled pull job {first}", flush=True)
        base = self.bound()
        worker = self.start_worker("s2")
        self.wait_job(worker, first, lambda j: j[0] == "started", f"job {first} started")
        benchlib.wait_until(
            lambda: self.bound() >= base + 1, RUN_TIMEOUT, 0.01, "a first page committed"
        )
        committed = self.bound() - base
        worker.kill9()
        benchlib.wait_until(lambda: not self.sessions_of(worker), 30, 0.05, "sessions closed")
        print(f"kill s2: SIGKILL to worker pid {worker.pid} with {committed} of {N2} committed")
        out = benchlib.run_shell(self.db, SCHEDULE + OTHER_JOB)
        pending = [int(x) for x in benchlib.shell_value(out, "CHAOS_SCHEDULED")]
        second = pending[0] if pending else None
        (other,) = (int(x) for x in benchlib.shell_value(out, "CHAOS_OTHER"))
        print(
            f"the pull scheduler enqueued the same pull again while job {first} is"
            f" '{self.job(first)[0]}': job {second}; an unrelated webhook re-fetch job {other}",
            flush=True,
        )
        jobs = [j for j in (first, second, other) if j]
        finished = self.finish(jobs, "s2-final")
        j1, j2, j3 = self.job(first), self.job(second) if second else None, self.job(other)
        bound_again = self.q(
            "SELECT count(*) FROM sync_binding WHERE backend_id = %s AND external_id = ANY(%s)",
            self.backend_id,
            ids,
        )
        again = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT name) FROM res_partner WHERE name LIKE 'Again %%'",
        )[0]
        ended = ("done", "cancelled")
        self.checks.check(
            finished
            and j1[0] in ended
            and (j2 is None or j2[0] in ended)
            and "done" in (j1[0], j2 and j2[0]),
            "scenario 2: the killed job and its re-enqueued twin both end (runner not stuck)",
            f"job {first}: {j1[0]} attempt {j1[1]} {j1[3][:120]!r}; job {second}:"
            f" {j2[0] if j2 else '-'}",
        )
        self.checks.check(
            j3[0] == "done",
            "scenario 2: an unrelated job queued meanwhile runs too",
            f"job {other}: {j3[0]}",
        )
        self.checks.check(
            again == (N2, N2) and bound_again == N2,
            "scenario 2: every new record once",
            f"partners {again[0]} ({again[1]} distinct), bindings {bound_again}, N2 = {N2}",
        )

    # ------------------------------------------------------------------ scenario 3
    def scenario_retry_twin(self):
        """No kill: a webhook re-fetch job fails with a retryable remote error (503) while a new
        event for the same record enqueued its twin; the failed job cannot go back to pending
        beside its twin.  Both must end, the record applied, and the runner keep running."""
        cancelled = benchlib.query(
            self.conn,
            "UPDATE sync_job SET state = 'cancelled' WHERE backend_id = %s"
            " AND state IN ('pending', 'started') RETURNING id",
            [self.backend_id],
        )
        rid = next(iter(self.expected))
        env = {"CHAOS_RECORD": rid}
        (first,) = (
            int(x)
            for x in benchlib.shell_value(
                benchlib.run_shell(self.db, OTHER_JOB, env), "CHAOS_OTHER"
            )
        )
        print(
            f"\nscenario 3: (jobs left by earlier scenarios cancelled: {[r[0] for r in cancelled]})"
            f" re-fetch job {first} for record {rid}; the remote answers its batch read with 503"
            " after 12 s",
            flush=True,
        )
        self.fake.fail_next(1, status=503, sleep=12, path="batch/read")
        worker = self.start_worker("s3")
        try:
            self.wait_job(worker, first, lambda j: j[0] == "started", f"job {first} started")
            out = benchlib.run_shell(self.db, OTHER_JOB, env)
            (second,) = (int(x) for x in benchlib.shell_value(out, "CHAOS_OTHER"))
            print(f"a new event for record {rid} meanwhile: job {second} {self.job(second)[0]}")
            benchlib.wait_until(
                lambda: self.fake.count("POST", "batch/read") >= 1, 60, 0.2, "the 503"
            )
            time.sleep(13)
            out = benchlib.run_shell(self.db, OTHER_JOB, {"CHAOS_RECORD": "3"})
            (other,) = (int(x) for x in benchlib.shell_value(out, "CHAOS_OTHER"))
        finally:
            worker.stop()
        finished = self.finish([first, second, other], "s3-final")
        j1, j2, j3 = self.job(first), self.job(second), self.job(other)
        self.checks.check(
            finished and {j1[0], j2[0]} <= {"done", "cancelled"} and "done" in (j1[0], j2[0]),
            "scenario 3: the failed job and its twin both end, the record re-fetched",
            f"job {first}: {j1[0]} attempt {j1[1]} {j1[3][:100]!r}; job {second}: {j2[0]}",
        )
        self.checks.check(
            j3[0] == "done", "scenario 3: an unrelated job runs too", f"job {other}: {j3[0]}"
        )

    def check_logs(self):
        """The workers (killed ones up to their kill) logged no ERROR, no traceback."""
        bad = []
        for worker in self.workers:
            worker.stop()
            bad += benchlib.bad_log_lines(benchlib.log_while_running(worker))
        killed_runs = [line for line in bad if CRON_TIMED_OUT.search(line)]
        bad = [line for line in bad if not CRON_TIMED_OUT.search(line)]
        self.checks.check(
            not bad,
            "the workers logged no ERROR and no traceback (beyond Odoo's report of the cron "
            "runs this suite killed)",
            f"{len(bad)}: {bad[:3]}; Odoo's 'timed out' report of killed cron runs: "
            f"{len(killed_runs)}",
        )

    def close(self):
        benchlib.close_suite(self, self.workers, "worker")


def main():
    run = Run(benchlib.suite_db())
    try:
        run.scenario_kill()
        if REENQUEUE:
            run.scenario_reenqueue()
        if RETRY_TWIN:
            run.scenario_retry_twin()
        run.check_logs()
    finally:
        run.close()
    print(f"\n{run.checks.passed} passed, {run.checks.failed} failed")
    print(
        f"RELIABILITY: crash mid-pull: SIGKILL x{len(KILLS)} ({N:,} records"
        f"{', re-enqueue while dead' if REENQUEUE else ''}): {run.checks.passed} checks"
        f" passed, {run.checks.failed} violations (applied once, no job stuck, watermark"
        " not ahead, no ERROR logged)",
        flush=True,
    )
    return 1 if run.checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
