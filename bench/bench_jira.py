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

import cProfile
import math
import os
import time
from datetime import date, timedelta

from odoo.addons.sync_jira.fake.server import JiraTempoFake, monday
from odoo.addons.sync_psa import psa

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


def cpu_seconds():
    """(Odoo, PostgreSQL) CPU seconds used so far by this thread (the fake serves from other
    threads) and by this cursor's PostgreSQL backend (/proc, as bench_pull.py reads them; None
    when the database's share cannot be read)."""
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return time.thread_time(), None
    return time.thread_time(), (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Measure:
    """Wall and CPU seconds of a block (`cpu` None when PostgreSQL's share is unreadable);
    with BENCH_PROFILE=<prefix>, the block is profiled into <prefix>.<name>.prof."""

    def __init__(self, name):
        self.name = name
        self.profiler = cProfile.Profile() if PROFILE else None

    def __enter__(self):
        self.cpu0 = cpu_seconds()
        self.t0 = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc):
        if self.profiler:
            self.profiler.disable()
        self.wall = time.perf_counter() - self.t0
        cpu1 = cpu_seconds()
        self.odoo_cpu = cpu1[0] - self.cpu0[0]
        self.pg_cpu = cpu1[1] - self.cpu0[1] if cpu1[1] is not None else None
        self.cpu = self.odoo_cpu + self.pg_cpu if self.pg_cpu is not None else None
        if self.profiler:
            self.profiler.dump_stats(f"{PROFILE}.{self.name}.prof")


# 1. raw create(vals_list) of the same lines
with Measure("raw") as raw_m:
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
with Measure("pull") as pull_m:
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
if raw_m.cpu and pull_m.cpu:
    print(
        f"ratio by CPU seconds:         {raw_m.cpu / pull_m.cpu:8.2f}   (raw {raw_m.cpu:.2f} s ="
        f" {raw_m.odoo_cpu:.2f} Odoo + {raw_m.pg_cpu:.2f} PostgreSQL, pull {pull_m.cpu:.2f} s ="
        f" {pull_m.odoo_cpu:.2f} + {pull_m.pg_cpu:.2f})"
    )
print(
    f"remote calls for the pull:    {len(calls)} (worklog pages {pages}, approvals "
    f"{approvals} = people x periods, "
    f"{sum(1 for c in calls if 'timesheet-approvals' in c[1])} made)"
)
fake.stop()
