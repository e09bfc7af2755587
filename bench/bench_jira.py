"""Month-end approval: N Tempo worklogs of approved periods pulled into timesheet lines, against
a raw `account.analytic.line.create(vals_list)` of the same lines, in one run (bench/run.sh
jira).

The pull is the real path: the Jira + Tempo adapter over real HTTP to the fake (Tempo worklog
pages, the worklogs' issues by enhanced JQL search, one approval read per person and period),
the engine's watermark pull, the PSA layer's approval gate, people and project resolution,
bindings.  Prints both rates, their ratio (target >= 0.8), the ratio of CPU seconds (this
thread + its PostgreSQL backend; the fake serves from its own thread, not counted) and the
remote calls against the minimum (worklog pages + approvals per person and period + periods +
issues + users).  BENCH_PROFILE=<prefix> writes cProfile files of both.  Executed inside
`odoo-bin shell` (`env` is given).
"""

import math
import os
import sys
import time
from datetime import date, timedelta

from odoo.addons.sync_jira.fake.server import JiraTempoFake, monday
from odoo.addons.sync_psa import psa

sys.path.insert(0, os.path.join(os.environ.get("REPO_ROOT", os.getcwd()), "bench"))
from cpu_measure import Measure, cpu_ratio_line

N = int(os.environ.get("BENCH_JIRA_N", "50000"))
PEOPLE = 50
PAGE = int(os.environ.get("BENCH_JIRA_PAGE", "1000"))
env = env  # noqa: F821  (given by odoo-bin shell)
ctx = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}
PROFILE = os.environ.get("BENCH_PROFILE")

fake = JiraTempoFake()
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
        "kind": "jira",
        "base_url": base_url,
        "tempo_url": f"{base_url}/4",
        "jira_email": fake.email,
        "jira_api_token": fake.api_token,
        "tempo_api_token": fake.tempo_token,
        "page_size": PAGE,
    }
)
jira_project = fake.add_project("BENCH", project.name)
issue = fake.add_issue(jira_project, "Month-end work")
env["sync.binding"].create(
    {
        "backend_id": backend.id,
        "res_model": "project.project",
        "res_id": project.id,
        "remote_object": psa.PROJECTS,
        "external_id": jira_project,
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

# 2. the same lines as Tempo worklogs whose periods were approved at month end
for i in range(N):
    fake.log(issue, users[i % PEOPLE], ((i % 16) + 1) * 900, day(i), description=f"Work {i}")
periods = {monday(day(i)) for i in range(28)}
for user in users:
    for start in periods:
        fake.approve(user, start)
job = env["sync.job"]._enqueue(
    backend, "psa_pull", payload={"object": psa.TIME}, identity_key=f"pull:{psa.TIME}"
)
env.cr.commit()
calls_before = len(fake.calls)
with Measure(env, "pull", PROFILE) as pull_m:
    stats = env["sync.psa"].with_context(**ctx)._job_psa_pull(job)
    env.cr.commit()
pull = N / pull_m.wall
calls = fake.calls[calls_before:]
assert stats["created"] == N, stats
imported = env["account.analytic.line"].search_count([("psa_backend_id", "=", backend.id)])
assert imported == N, imported

pages = math.ceil(N / PAGE)
approvals = PEOPLE * len(periods)
print(f"worklogs: {N} (people {PEOPLE}, periods {len(periods)}, Tempo page size {PAGE})")
print(f"raw create(vals_list):        {raw:8.0f} lines/s")
print(f"Jira + Tempo pull end to end: {pull:8.0f} lines/s")
print(f"ratio pull / raw:             {pull / raw:8.2f}   (target >= 0.8)")
if cpu_ratio_line(raw_m, pull_m):
    print(cpu_ratio_line(raw_m, pull_m))
print(
    f"remote calls for the pull:    {len(calls)} (worklog pages {pages}, approvals "
    f"{approvals} = people x periods, "
    f"{sum(1 for c in calls if 'timesheet-approvals' in c[1])} made)"
)
fake.stop()
