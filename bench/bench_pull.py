"""Batch pull throughput against raw ORM speed, measured in one run (run by bench/run.sh).

For each size of BENCH_SIZES (default 4000,10000; BENCH_N=<n> runs one size), in one database:
- raw:        one `res.partner.create(vals_list)` of N records (the ceiling), measured before
              and after the pull: the faster of the two counts, so that a load spike during
              one of them cannot flatter the ratio;
- pull:       end-to-end batch pull of N remote records over real HTTP from the generic fake
              (pages of 200, bindings, match rules, audit rows, watermark commits), a backend
              of its own per size;
then once, at the first size:
- per-record: the one-job-one-transaction-per-record pattern (a job per record, run by the
              runner), on N/4 records;
- batched:    webhook re-fetch jobs (one per record, as webhooks leave them) claimed 100 at a
              time by one worker, on N records, against a raw create measured right after
              (wall ratio, and CPU ratio against that raw create).
BENCH_PROFILE=1 prints a cProfile of the pull at the last size.
Executed inside `odoo-bin shell` (the variable `env` is given).
"""

import cProfile
import math
import os
import pstats
import time

from odoo.addons.sync_core.fake.server import GenericFake

if os.environ.get("BENCH_N"):
    SIZES = [int(os.environ["BENCH_N"])]
else:
    SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "4000,10000").split(",") if x.strip()]
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
JOBS = os.environ.get("BENCH_JOBS", "1") == "1"  # 0: the pull only
PAGE = 200
env = env  # noqa: F821  (given by odoo-bin shell)
ctx = {"tracking_disable": True}


def vals(i, tag):
    return {
        "name": f"{tag} {i:06d}",
        "email": f"user{i}@{tag.lower()}{i}.example",
        "phone": f"+32 2 {i:06d}",
        "website": f"{tag.lower()}{i}.example",
        "is_company": True,
    }


def remote(i, tag):
    v = vals(i, tag)
    return {"name": v["name"], "email": v["email"], "phone": v["phone"], "website": v["website"]}


fake = GenericFake(token="bench")
fake.start()


def make_backend(label, remote_object):
    backend = env["sync.backend"].create(
        {
            "name": f"bench {label}",
            "kind": "generic",
            "base_url": fake.base_url,
            "api_token": "bench",
            "page_size": PAGE,
            "channel_capacity": 1,
        }
    )
    env["sync.mapping"].create(
        {
            "name": f"bench {label}",
            "backend_id": backend.id,
            "remote_object": remote_object,
            "res_model": "res.partner",
            "default_values": "{'is_company': True}",
            "line_ids": [
                (0, 0, {"remote_field": f, "odoo_field": f}) for f in ("name", "email", "phone")
            ]
            + [(0, 0, {"remote_field": "website", "odoo_field": "website", "owner": "latest"})],
            "match_ids": [
                (0, 0, {"remote_field": "email", "odoo_field": "email", "method": "iexact"})
            ],
        }
    )
    env.cr.commit()
    return backend


def cpu_seconds():
    """(Odoo, PostgreSQL) CPU seconds used so far by this thread (the fake serves from other
    threads) and by this cursor's PostgreSQL backend (read from /proc: the database runs on
    this machine; None when it cannot be read).  On a shared machine the wall time moves with
    the other processes' load; the CPU time much less."""
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return time.thread_time(), None
    return time.thread_time(), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Measure:
    """Wall and CPU seconds of a block (CPU: see `cpu_seconds`): `cpu` is the total, None
    when the database's share cannot be read; `odoo_cpu` and `pg_cpu` its two parts."""

    def __enter__(self):
        self.cpu0 = cpu_seconds()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        cpu1 = cpu_seconds()
        self.odoo_cpu = cpu1[0] - self.cpu0[0]
        self.pg_cpu = cpu1[1] - self.cpu0[1] if cpu1[1] is not None else None
        self.cpu = self.odoo_cpu + self.pg_cpu if self.pg_cpu is not None else None


def raw_create(n, tag, profile=False):
    """(records/s, CPU seconds) of one batched create(vals_list) of n partners, committed."""
    profiler = cProfile.Profile() if profile else None
    with Measure() as measure:
        if profiler:
            profiler.enable()
        env["res.partner"].with_context(**ctx).create([vals(i, tag) for i in range(n)])
        env.cr.commit()
        if profiler:
            profiler.disable()
    if profiler:
        print_profile(profiler, f"raw create of {n}")
    return n / measure.wall, measure


def print_profile(profiler, label):
    print(f"=== profile: {label}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def pull(n, label, profile=False):
    """(records/s, remote calls) of the batch pull of n new remote records."""
    remote_object = f"customers{label}"
    backend = make_backend(label, remote_object)
    for i in range(n):
        fake.put(remote_object, remote(i, f"Pull{label}"))
    calls_before = fake.count("GET")
    profiler = cProfile.Profile() if profile else None
    with Measure() as measure:
        if profiler:
            profiler.enable()
        stats = backend.with_context(**ctx)._pull(remote_object)
        env.cr.commit()
        if profiler:
            profiler.disable()
    assert stats["created"] == n, stats
    if profiler:
        print_profile(profiler, f"pull of {n}")
    return n / measure.wall, measure, fake.count("GET") - calls_before, stats


results = []
for n in SIZES:
    raw_before, raw_m1 = raw_create(n, f"Raw{n}a", profile=PROFILE and n == SIZES[-1])
    rate, pull_m, calls, stats = pull(n, str(n), profile=PROFILE and n == SIZES[-1])
    raw_after, raw_m2 = raw_create(n, f"Raw{n}b")
    raw_m = min((raw_m1, raw_m2), key=lambda m: m.cpu if m.cpu is not None else m.wall)
    results.append(
        {
            "n": n,
            "raw": max(raw_before, raw_after),
            "raw_rates": (raw_before, raw_after),
            "pull": rate,
            "calls": calls,
            "stats": stats,
            "cpu_ratio": raw_m.cpu / pull_m.cpu if raw_m.cpu and pull_m.cpu else None,
            "cpu": (raw_m, pull_m),
        }
    )


def job_rates(m_single, m_batched):
    """Records/s of webhook re-fetch jobs (one per record, as webhooks leave them) run by the
    runner: one transaction per record (batching switched off: the anti-pattern), then in
    batches of the kind's batch size (100)."""
    Job = env["sync.job"]
    kind = env.ref("sync_core.job_kind_import_record")
    backend = make_backend("jobs", "customers")
    rates = {}
    for label, batch_size, m in (("per-record", 1, m_single), ("batched", 100, m_batched)):
        kind.batch_size = batch_size
        ids = [fake.put("customers", remote(i, f"Job{batch_size}")) for i in range(m)]
        for ext in ids:
            Job._enqueue(
                backend,
                "import_record",
                {"object": "customers", "ids": [ext]},
                identity_key=f"import:customers:{ext}",
                batch_key="import:customers",
            )
        env.cr.commit()
        with Measure() as measure:
            Job.with_context(**ctx)._cron_run_jobs()
        rates[label] = m / measure.wall
        rates[f"{label} cpu"] = measure
        done = Job.search_count(
            [
                ("state", "=", "done"),
                ("kind", "=", "import_record"),
                ("identity_key", "in", [f"import:customers:{e}" for e in ids]),
            ]
        )
        assert done == m, (label, done)
    return rates


print(f"page size {PAGE}; sizes {', '.join(map(str, SIZES))}")
for r in results:
    n = r["n"]
    print(f"--- {n} records")
    print(
        f"raw create(vals_list):       {r['raw']:8.0f} records/s"
        f" (best of {r['raw_rates'][0]:.0f}, {r['raw_rates'][1]:.0f})"
    )
    print(
        f"batch pull end to end:       {r['pull']:8.0f} records/s ({r['stats']['commits']} commits)"
    )
    print(f"ratio pull / raw:            {r['pull'] / r['raw']:8.2f}   (target >= 0.85)")
    if r["cpu_ratio"]:
        raw_m, pull_m = r["cpu"]
        print(
            f"ratio by CPU seconds:        {r['cpu_ratio']:8.2f}   (raw {raw_m.cpu:.2f} s ="
            f" {raw_m.odoo_cpu:.2f} Odoo + {raw_m.pg_cpu:.2f} PostgreSQL, pull"
            f" {pull_m.cpu:.2f} s = {pull_m.odoo_cpu:.2f} + {pull_m.pg_cpu:.2f})"
        )
    print(
        f"remote calls for the pull:   {r['calls']}"
        f" (budget ceil(N/page)+2 = {math.ceil(n / PAGE) + 2})"
    )
if JOBS:
    m_single, m_batched = max(SIZES[0] // 4, 50), SIZES[0]
    rates = job_rates(m_single, m_batched)
    raw_jobs, raw_jobs_m = raw_create(m_batched, "RawJobs")
    best_raw = max(raw_jobs, results[0]["raw"])
    print(f"--- webhook re-fetch jobs ({m_single} one per record, {m_batched} batched)")
    print(f"one job per record:          {rates['per-record']:8.0f} records/s")
    print(f"webhook jobs, batched:       {rates['batched']:8.0f} records/s")
    print(f"raw create right after:      {raw_jobs:8.0f} records/s")
    print(
        f"ratio batched jobs / raw:    {rates['batched'] / best_raw:8.2f}"
        "   (target >= 0.7; raw: the best of this one and the first size's)"
    )
    jobs_m = rates["batched cpu"]
    if jobs_m.cpu and raw_jobs_m.cpu:
        print(
            f"ratio by CPU seconds:        {raw_jobs_m.cpu / jobs_m.cpu:8.2f}   (raw right after"
            f" {raw_jobs_m.cpu:.2f} s = {raw_jobs_m.odoo_cpu:.2f} Odoo + {raw_jobs_m.pg_cpu:.2f}"
            f" PostgreSQL, batched jobs {jobs_m.cpu:.2f} s = {jobs_m.odoo_cpu:.2f} +"
            f" {jobs_m.pg_cpu:.2f})"
        )
    print(
        f"ratio pull / per-record:     {results[0]['pull'] / rates['per-record']:8.2f}"
        "   (target >= 5)"
    )
fake.stop()
