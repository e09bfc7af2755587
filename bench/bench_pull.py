"""Batch pull throughput against raw ORM speed, measured in one run (run by bench/run.sh).

Prints four rates (records/s) and their ratios:
- raw:        one `res.partner.create(vals_list)` of N records (the ceiling);
- pull:       end-to-end batch pull of N remote records over real HTTP from the generic fake
              (pages of 200, bindings, match rules, audit rows, watermark commits);
- per-record: the one-job-one-transaction-per-record pattern (a job per record, run by the
              runner), on N/4 records;
- batched:    the same webhook re-fetch jobs claimed 100 at a time by one worker.
Executed inside `odoo-bin shell` (the variable `env` is given).
"""

import math
import os
import time

from odoo.addons.sync_core.fake.server import GenericFake

N = int(os.environ.get("BENCH_N", "4000"))
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
backend = env["sync.backend"].create(
    {
        "name": "bench",
        "kind": "generic",
        "base_url": fake.base_url,
        "api_token": "bench",
        "page_size": PAGE,
        "channel_capacity": 1,
    }
)
env["sync.mapping"].create(
    {
        "name": "bench",
        "backend_id": backend.id,
        "remote_object": "customers",
        "res_model": "res.partner",
        "default_values": "{'is_company': True}",
        "line_ids": [
            (0, 0, {"remote_field": f, "odoo_field": f}) for f in ("name", "email", "phone")
        ]
        + [(0, 0, {"remote_field": "website", "odoo_field": "website", "owner": "latest"})],
        "match_ids": [(0, 0, {"remote_field": "email", "odoo_field": "email", "method": "iexact"})],
    }
)
env.cr.commit()


def raw_create(tag):
    """Records/s of one batched create(vals_list) of N partners, committed."""
    t0 = time.perf_counter()
    env["res.partner"].with_context(**ctx).create([vals(i, tag) for i in range(N)])
    env.cr.commit()
    return N / (time.perf_counter() - t0)


# 1. raw batched create (measured again after the pull: the faster of the two is the ceiling,
# so that a load spike during one of them cannot flatter the ratio)
raw_before = raw_create("Raw")

# 2. end-to-end batch pull
for i in range(N):
    fake.put("customers", remote(i, "Pull"))
calls_before = fake.count("GET")
t0 = time.perf_counter()
stats = backend.with_context(**ctx)._pull("customers")
env.cr.commit()
pull = N / (time.perf_counter() - t0)
calls = fake.count("GET") - calls_before
assert stats["created"] == N, stats
raw_after = raw_create("Raw2")
raw = max(raw_before, raw_after)

# 3. one job per record, one transaction per record (batching switched off: the anti-pattern)
# 4. the same jobs as webhooks leave them, run in batches of the kind's batch size (100)
M = max(N // 4, 50)
Job = env["sync.job"]
kind = env.ref("sync_core.job_kind_import_record")
rates = {}
for label, batch_size in (("per-record", 1), ("batched", 100)):
    kind.batch_size = batch_size
    ids = [fake.put("customers", remote(i, f"Job{batch_size}")) for i in range(M)]
    for ext in ids:
        Job._enqueue(
            backend,
            "import_record",
            {"object": "customers", "ids": [ext]},
            identity_key=f"import:customers:{ext}",
            batch_key="import:customers",
        )
    env.cr.commit()
    t0 = time.perf_counter()
    Job.with_context(**ctx)._cron_run_jobs()
    rates[label] = M / (time.perf_counter() - t0)
    done = Job.search_count(
        [
            ("state", "=", "done"),
            ("kind", "=", "import_record"),
            ("identity_key", "in", [f"import:customers:{e}" for e in ids]),
        ]
    )
    assert done == M, (label, done)
per_record = rates["per-record"]

print(f"records: pull {N}, per-record {M}; page size {PAGE}")
print(
    f"raw create(vals_list):       {raw:8.0f} records/s (best of {raw_before:.0f}, {raw_after:.0f})"
)
print(f"batch pull end to end:       {pull:8.0f} records/s")
print(f"one job per record:          {per_record:8.0f} records/s")
print(f"webhook jobs, batched:       {rates['batched']:8.0f} records/s")
print(f"ratio pull / raw:            {pull / raw:8.2f}   (target >= 0.85)")
print(f"ratio pull / per-record:     {pull / per_record:8.2f}   (target >= 5)")
print(f"remote calls for the pull:   {calls} (budget ceil(N/page)+2 = {math.ceil(N / PAGE) + 2})")
fake.stop()
