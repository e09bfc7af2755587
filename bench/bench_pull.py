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
              time by one worker, on N records, against a raw create measured right after.
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


def raw_create(n, tag):
    """Records/s of one batched create(vals_list) of n partners, committed."""
    t0 = time.perf_counter()
    env["res.partner"].with_context(**ctx).create([vals(i, tag) for i in range(n)])
    env.cr.commit()
    return n / (time.perf_counter() - t0)


def pull(n, label, profile=False):
    """(records/s, remote calls) of the batch pull of n new remote records."""
    remote_object = f"customers{label}"
    backend = make_backend(label, remote_object)
    for i in range(n):
        fake.put(remote_object, remote(i, f"Pull{label}"))
    calls_before = fake.count("GET")
    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    stats = backend.with_context(**ctx)._pull(remote_object)
    env.cr.commit()
    if profiler:
        profiler.disable()
    rate = n / (time.perf_counter() - t0)
    assert stats["created"] == n, stats
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return rate, fake.count("GET") - calls_before, stats


results = []
for n in SIZES:
    raw_before = raw_create(n, f"Raw{n}a")
    rate, calls, stats = pull(n, str(n), profile=PROFILE and n == SIZES[-1])
    raw_after = raw_create(n, f"Raw{n}b")
    results.append((n, max(raw_before, raw_after), raw_before, raw_after, rate, calls, stats))

# one job per record, one transaction per record (batching switched off: the anti-pattern),
# then webhook re-fetch jobs as webhooks leave them (one per record), run in batches of the
# kind's batch size (100)
Job = env["sync.job"]
kind = env.ref("sync_core.job_kind_import_record")
jobs_backend = make_backend("jobs", "customers")
rates = {}
for label, batch_size, m in (("per-record", 1, max(SIZES[0] // 4, 50)), ("batched", 100, SIZES[0])):
    kind.batch_size = batch_size
    ids = [fake.put("customers", remote(i, f"Job{batch_size}")) for i in range(m)]
    for ext in ids:
        Job._enqueue(
            jobs_backend,
            "import_record",
            {"object": "customers", "ids": [ext]},
            identity_key=f"import:customers:{ext}",
            batch_key="import:customers",
        )
    env.cr.commit()
    t0 = time.perf_counter()
    Job.with_context(**ctx)._cron_run_jobs()
    rates[label] = m / (time.perf_counter() - t0)
    done = Job.search_count(
        [
            ("state", "=", "done"),
            ("kind", "=", "import_record"),
            ("identity_key", "in", [f"import:customers:{e}" for e in ids]),
        ]
    )
    assert done == m, (label, done)
raw_jobs = raw_create(SIZES[0], "RawJobs")
per_record = rates["per-record"]

print(f"page size {PAGE}; sizes {', '.join(map(str, SIZES))}")
for n, raw, raw_before, raw_after, rate, calls, stats in results:
    print(f"--- {n} records")
    print(
        f"raw create(vals_list):       {raw:8.0f} records/s"
        f" (best of {raw_before:.0f}, {raw_after:.0f})"
    )
    print(
        f"batch pull end to end:       {rate:8.0f} records/s ({stats.get('commits', '?')} commits)"
    )
    print(f"ratio pull / raw:            {rate / raw:8.2f}   (target >= 0.85)")
    print(
        f"remote calls for the pull:   {calls} (budget ceil(N/page)+2 = {math.ceil(n / PAGE) + 2})"
    )
print(f"--- jobs ({SIZES[0] // 4} one per record, {SIZES[0]} batched)")
print(f"one job per record:          {per_record:8.0f} records/s")
print(f"webhook jobs, batched:       {rates['batched']:8.0f} records/s")
print(f"raw create right after:      {raw_jobs:8.0f} records/s")
print(
    f"ratio batched jobs / raw:    {rates['batched'] / max(raw_jobs, results[0][1]):8.2f}"
    "   (target >= 0.7; raw: the best of this one and the first size's)"
)
print(f"ratio pull / per-record:     {results[0][4] / per_record:8.2f}   (target >= 5)")
fake.stop()
