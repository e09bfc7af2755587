"""Month-end burst: N approved PSA time entries pulled into timesheet lines, against a raw
`account.analytic.line.create(vals_list)` of the same lines, in one run (bench/run.sh psa).

The pull is the real path: the Kantata adapter over real HTTP to the Kantata fake (pages of
200, `include=user,story,workspace`), the engine's watermark pull, the PSA layer's approval
gate, people and project resolution, bindings.  Prints both rates, their ratio (target >= 0.9),
the ratio of CPU seconds (this thread + its PostgreSQL backend: on a shared machine the wall
time moves with the other processes' load) and the remote calls against the minimum
ceil(N/200).  BENCH_PROFILE=<prefix> writes cProfile files of both.  Executed inside
`odoo-bin shell` (`env` is given).
"""

import math
import os
import sys
import time
from datetime import date, timedelta

from odoo.addons.sync_psa_kantata.fake.server import KantataFake

sys.path.insert(0, os.path.join(os.environ.get("REPO_ROOT", os.getcwd()), "bench"))
from cpu_measure import Measure, cpu_ratio_line

N = int(os.environ.get("BENCH_PSA_N", "50000"))
PEOPLE = 50
PAGE = 200
env = env  # noqa: F821  (given by odoo-bin shell)
ctx = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}
PROFILE = os.environ.get("BENCH_PROFILE")

fake = KantataFake(token="bench")
base_url = fake.start()
customer = env["res.partner"].create({"name": "Bench customer", "is_company": True})
service = env["product.product"].create(
    {
        "name": "Bench consulting",
        "type": "service",
        "service_policy": "delivered_timesheet",
        "service_tracking": "project_only",
        "list_price": 100.0,
    }
)
order = env["sale.order"].create(
    {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": service.id})]}
)
order.action_confirm()
project = order.order_line.project_id
tag = int(time.time())
employees = env["hr.employee"].create(
    [
        {"name": f"Consultant {i}", "work_email": f"consultant{i}@bench{tag}.example"}
        for i in range(PEOPLE)
    ]
)
backend = env["sync.backend"].create(
    {
        "name": "bench",
        "kind": "kantata",
        "base_url": base_url,
        "kantata_access_token": "bench",
        "page_size": PAGE,
        "psa_event_feed": False,
    }
)
workspace = fake.add_workspace(project.name)
env["sync.binding"].create(
    {
        "backend_id": backend.id,
        "res_model": "project.project",
        "res_id": project.id,
        "remote_object": "projects",
        "external_id": workspace["id"],
    }
)
users = [fake.add_user(e.name, e.work_email) for e in employees]
env.cr.commit()
month = date.today().replace(day=1)


def day(i):
    return month + timedelta(days=i % 28)


# 1. raw create(vals_list) of the same lines
with Measure(env, "raw", PROFILE) as raw_m:
    Line = env["account.analytic.line"].with_context(**ctx)
    Line.create(
        [
            {
                "project_id": project.id,
                "employee_id": employees[i % PEOPLE].id,
                "date": day(i),
                "unit_amount": ((i % 16) + 1) * 15 / 60.0,
                "name": f"Raw work {i}",
            }
            for i in range(N)
        ]
    )
    env.cr.commit()
raw = N / raw_m.wall

# 2. the same lines as approved Kantata time entries, pulled end to end
for i in range(N):
    fake.add_time_entry(
        workspace["id"],
        users[i % PEOPLE]["id"],
        ((i % 16) + 1) * 15,
        date_performed=day(i).isoformat(),
        notes=f"PSA work {i}",
    )
job = env["sync.job"]._enqueue(
    backend, "psa_pull", payload={"object": "time_entries"}, identity_key="pull:time_entries"
)
env.cr.commit()
calls_before = len(fake.calls("GET"))
with Measure(env, "pull", PROFILE) as pull_m:
    stats = env["sync.psa"].with_context(**ctx)._job_psa_pull(job)
    env.cr.commit()
pull = N / pull_m.wall
calls = len(fake.calls("GET")) - calls_before
assert stats["created"] == N, stats
imported = env["account.analytic.line"].search_count([("psa_backend_id", "=", backend.id)])
assert imported == N, imported

print(f"time entries: {N} (people {PEOPLE}, page size {PAGE})")
print(f"raw create(vals_list):        {raw:8.0f} lines/s")
print(f"Kantata pull end to end:      {pull:8.0f} lines/s")
print(f"ratio pull / raw:             {pull / raw:8.2f}   (target >= 0.9)")
if cpu_ratio_line(raw_m, pull_m):
    print(cpu_ratio_line(raw_m, pull_m))
print(f"remote calls for the pull:    {calls} (minimum ceil(N/200) = {math.ceil(N / PAGE)})")
fake.stop()
