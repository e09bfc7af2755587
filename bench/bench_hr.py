"""Full HR load: N employees with their job fields (department, location, manager, job title,
employment status) and their compensation table pulled from BambooHR into hr.employee, against
a raw `hr.employee.create(vals_list)` of the same employees (same fields, the hourly cost
included) in the same run (bench/run.sh hr).

The pull is the real path: the BambooHR adapter over real HTTP to the BambooHR fake (the custom
report: every employee in one request; the changed compensation table: every row in one
request), sync_hr's batched employee apply (departments and locations set-wise, one
create(vals_list) per batch, managers after the page, bindings and audit rows batched) and its
compensation apply (cost rate history, hourly cost).  Prints wall and CPU-second ratios (target
>= 0.8) and the requests against the minimum.  Executed inside `odoo-bin shell` (`env` is
given).  BENCH_HR_N (default 10000), BENCH_HR_PROFILE=1 for a cProfile of the pull.
"""

import cProfile
import os
import pstats
import sys
import time

from odoo.addons.sync_bamboohr.fake.server import BambooHRFake

sys.path.insert(0, os.path.join(os.environ.get("REPO_ROOT", os.getcwd()), "bench"))
from cpu_measure import Measure  # the benches' shared wall/CPU measure

N = int(os.environ.get("BENCH_HR_N", "10000"))
PROFILE = os.environ.get("BENCH_HR_PROFILE") == "1"
DEPARTMENTS = [f"Department {d}" for d in range(25)]
LOCATIONS = [f"Office {c}" for c in range(6)]
SPAN = 8  # employees per manager
env = env  # noqa: F821  (given by odoo-bin shell)
ctx = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}
tag = int(time.time())


def person(i):
    """The i-th employee (0-based; BambooHR id i + 1): a manager every SPAN employees."""
    manager = None if i < SPAN else str((i // SPAN) // SPAN * SPAN + 1)
    return {
        "first": f"First{i}",
        "last": f"Last{i}",
        "job_title": f"Consultant {i % 7}",
        "department": DEPARTMENTS[i % len(DEPARTMENTS)],
        "location": LOCATIONS[i % len(LOCATIONS)],
        "manager": manager,
        "salary": 40000 + (i % 50) * 1000,
    }


company = env.company
calendar = company.resource_calendar_id
weekly = (calendar.hours_per_week or calendar.hours_per_day * 5) if calendar else 40.0

# 1. raw create(vals_list) of the same employees (departments and locations made beforehand)
Department = env["hr.department"].with_context(**ctx)
departments = {
    name: Department.create({"name": f"{name} raw{tag}", "company_id": company.id}).id
    for name in DEPARTMENTS
}
Location = env["hr.work.location"]
locations = {
    name: Location.create(
        {"name": f"{name} raw{tag}", "company_id": company.id, "address_id": company.partner_id.id}
    ).id
    for name in LOCATIONS
}
env.cr.commit()
with Measure(env, "raw") as raw_m:
    env["hr.employee"].with_context(**ctx).create(
        [
            {
                "name": f"{p['first']} {p['last']}",
                "work_email": f"raw{i}.{tag}@bench.example",
                "job_title": p["job_title"],
                "department_id": departments[p["department"]],
                "work_location_id": locations[p["location"]],
                "employee_type": "employee",
                "company_id": company.id,
                "hourly_cost": round(p["salary"] / (weekly * 52), 4),
            }
            for i, p in enumerate(person(i) for i in range(N))
        ]
    )
    env.cr.commit()

# 2. the same employees in BambooHR, pulled end to end
fake = BambooHRFake(company="bench", api_key="bench-key")
base_url = fake.start()
for i in range(N):
    p = person(i)
    emp = fake.add_employee(
        p["first"], p["last"], f"pull{i}.{tag}@bench.example", job_title=p["job_title"],
        department=p["department"], location=p["location"], manager_id=p["manager"],
    )  # fmt: skip
    fake.add_compensation(emp["id"], "2025-01-01", p["salary"], paid_per="Year")
backend = env["sync.backend"].create(
    {
        "name": f"bench hr {tag}",
        "kind": "bamboohr",
        "base_url": base_url,
        "bamboohr_company": "bench",
        "bamboohr_api_key": "bench-key",
        "page_size": 1000,
    }
)
job = env["sync.job"]._enqueue(backend, "hr_pull", identity_key="hr:pull")
env.cr.commit()
fake.calls.clear()
profiler = cProfile.Profile(time.thread_time) if PROFILE else None  # CPU seconds
with Measure(env, "pull") as pull_m:
    if profiler:
        profiler.enable()
    stats = env["sync.hr"].with_context(**ctx)._job_hr_pull(job)
    env.cr.commit()
    if profiler:
        profiler.disable()
requests = sum(fake.calls.values())
assert stats["created"] == N, stats
assert stats["cost_rates"] == N, stats
bound = env["sync.binding"].search_count(
    [("backend_id", "=", backend.id), ("res_model", "=", "hr.employee")]
)
assert bound == N, bound
Employee = env["hr.employee"].with_context(active_test=False)
pulled = Employee.search([("work_email", "=like", f"pull%.{tag}@bench.example")])
assert len(pulled) == N, len(pulled)
assert all(pulled.mapped("hourly_cost")), "an employee without hourly cost"
managed = pulled.filtered("parent_id")
assert len(managed) == N - SPAN, len(managed)
if profiler:
    ps = pstats.Stats(profiler)
    ps.sort_stats("cumulative").print_stats(90)
    ps.sort_stats("tottime").print_stats(25)

raw_rate, pull_rate = N / raw_m.wall, N / pull_m.wall
print(f"employees: {N} (+ {N} compensation rows, {len(DEPARTMENTS)} departments, page 1000)")
print(f"raw create(vals_list):        {raw_rate:8.0f} employees/s ({raw_m.wall:.2f} s)")
print(f"BambooHR pull end to end:     {pull_rate:8.0f} employees/s ({pull_m.wall:.2f} s)")
print(f"ratio by wall time:           {pull_rate / raw_rate:8.2f}   (target >= 0.8)")
if raw_m.cpu and pull_m.cpu:
    print(
        f"ratio by CPU seconds:         {raw_m.cpu / pull_m.cpu:8.2f}   (raw {raw_m.cpu:.2f} s ="
        f" {raw_m.odoo_cpu:.2f} Odoo + {raw_m.pg_cpu:.2f} PostgreSQL, pull {pull_m.cpu:.2f} s"
        f" = {pull_m.odoo_cpu:.2f} + {pull_m.pg_cpu:.2f})"
    )
print(f"requests for the pull:        {requests} {dict(fake.calls)} (minimum 2: the report and")
print("                              the changed compensation table)")
fake.stop()
