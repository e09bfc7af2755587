"""Runner cost: the engine's own overhead per job, one worker draining unbatched no-op jobs
(run by `bash bench/run.sh runner`, inside `odoo-bin shell`; the variable `env` is given).

A job kind `bench_noop` runs `sync.backend._job_noop` (does nothing), batch size 1: what is
measured is the runner alone (claim with SKIP LOCKED, attempt counted, worker advisory lock,
channel admission, timeouts, outcome committed, exceptions resolved, events marked).  The
runner runs as its cron does: as the cron's user, with the cron progress context, so that each
commit also writes the cron's progress row.

1. drain RUNNER_N (5000) jobs: ms per job;
2. the per-job cost at a backlog of 1k, 10k and 50k pending jobs (RUNNER_BACKLOGS): jobs are
   inserted by SQL (the backlog), then RUNNER_SAMPLE (1000) of them are drained and timed;
   earlier done jobs stay in the table (no GC), as at month end;
3. RUNNER_PROFILE=1: cProfile of a 1000-job drain, top functions by cumulative time.
Prints `RELIABILITY: runner cost: ...` lines.
"""

import cProfile
import os
import pstats
import time

N = int(os.environ.get("RUNNER_N", "5000"))
SAMPLE = int(os.environ.get("RUNNER_SAMPLE", "1000"))
BACKLOGS = [int(x) for x in os.environ.get("RUNNER_BACKLOGS", "1000,10000,50000").split(",") if x]
PROFILE = os.environ.get("RUNNER_PROFILE") == "1"
env = env  # noqa: F821  (given by odoo-bin shell)

cron = env.ref("sync_core.ir_cron_sync_job_runner")
bot = cron.user_id
backend = env["sync.backend"].create({"name": "runner bench", "kind": "generic"})
env["sync.job.kind"].create(
    {
        "name": "Bench no-op",
        "code": "bench_noop",
        "model_name": "sync.backend",
        "method_name": "_job_noop",
        "batch_size": 1,
    }
)
first = env["sync.job"]._enqueue(backend, "bench_noop")  # creates the backend's channel
channel_id = first.channel_id.id
env.cr.commit()


def backlog(count):
    """`count` pending no-op jobs, inserted in one statement (what _enqueue would store)."""
    env.cr.execute(
        """
        INSERT INTO sync_job (name, kind, backend_id, company_id, channel_id, state, priority,
                              eta, attempt, max_attempts, correlation_id, create_uid,
                              write_uid, create_date, write_date)
        SELECT 'Bench no-op', 'bench_noop', %s, %s, %s, 'pending', 10,
               now() at time zone 'UTC' - interval '1 second', 0, 5, md5(g::text || random()::text),
               %s, %s, now() at time zone 'UTC', now() at time zone 'UTC'
          FROM generate_series(1, %s) g
        """,
        [backend.id, backend.company_id.id, channel_id, bot.id, bot.id, count],
    )
    env.cr.execute("ANALYZE sync_job")
    env.cr.commit()


def pending():
    env.cr.execute("SELECT count(*) FROM sync_job WHERE state = 'pending'")
    return env.cr.fetchone()[0]


def drain(count):
    """Run `count` jobs as the runner cron does; seconds per job (SQL statements and
    commits per job are printed)."""
    progress = env["ir.cron.progress"].sudo().create({"cron_id": cron.id, "remaining": 0})
    env.cr.commit()
    Job = (
        env["sync.job"]
        .with_user(bot)
        .with_context(
            ir_cron_progress_id=progress.id,
            cron_id=cron.id,
            cron_end_time=time.monotonic() + 3600,
        )
    )
    env.invalidate_all()
    env.cr.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    commits = env.cr.fetchone()[0]
    statements = env.cr.sql_log_count
    t0, cpu0 = time.perf_counter(), time.process_time()
    ran = Job._cron_run_jobs(max_jobs=count)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert ran == count, (ran, count)
    statements = env.cr.sql_log_count - statements
    env.cr.execute("SELECT pg_stat_clear_snapshot()")
    env.cr.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
    commits = env.cr.fetchone()[0] - commits
    print(
        f"  drained {count}: {statements / count:.1f} statements and about"
        f" {commits / count:.1f} commits per job (commits of the whole database),"
        f" {cpu / count * 1000:.2f} ms of Odoo CPU per job",
        flush=True,
    )
    return elapsed / count


env.cr.execute("DELETE FROM sync_job")
env.cr.commit()
backlog(N)
per_job = drain(N)
env.cr.execute("SELECT count(*), min(attempt), max(attempt) FROM sync_job WHERE state = 'done'")
done, amin, amax = env.cr.fetchone()
assert done == N and amin == amax == 1, (done, amin, amax)
print(
    f"RELIABILITY: runner cost: {per_job * 1000:.1f} ms per job, one worker draining {N:,}"
    f" unbatched no-op jobs ({1 / per_job:.0f} jobs/s)",
    flush=True,
)

if PROFILE:
    backlog(SAMPLE)
    prof = cProfile.Profile()
    prof.enable()
    drain(SAMPLE)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)

figures = []
for size in BACKLOGS:
    missing = size - pending()
    if missing > 0:
        backlog(missing)
    env.cr.execute("SELECT count(*) FROM sync_job")
    total = env.cr.fetchone()[0]
    per_job = drain(min(SAMPLE, size))
    figures.append(f"{size // 1000}k: {per_job * 1000:.1f}")
    print(
        f"RELIABILITY: runner cost at {size:,} pending: {per_job * 1000:.1f} ms per job"
        f" ({total:,} jobs in the table)",
        flush=True,
    )
print(f"RELIABILITY: runner cost by backlog (ms per job): {', '.join(figures)}")

# the claim and the channel count must read an index, whatever the backlog
env.cr.execute(
    """EXPLAIN SELECT id FROM sync_job
        WHERE state = 'pending' AND eta <= now() at time zone 'UTC'
          AND COALESCE(channel_id, 0) != ALL(ARRAY[0])
        ORDER BY priority, eta, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"""
)
print("claim plan:", " / ".join(r[0].strip() for r in env.cr.fetchall()))
env.cr.execute(
    "EXPLAIN SELECT count(*) FROM sync_job WHERE channel_id = %s AND state = 'started'",
    [channel_id],
)
print("channel count plan:", " / ".join(r[0].strip() for r in env.cr.fetchall()))
