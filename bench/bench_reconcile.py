"""Reconciliation at scale: N PSA time entries (staged as a run's PSA pages are) against N
timesheet lines, classified by sync_reconcile's set-based SQL (bench/run.sh reconcile).

Both sides are generated in SQL (generate_series): 1% of the entries have other hours in the
PSA, 1% are missing in Odoo, 1% of the lines were typed again in Odoo without a PSA entry
(duplicates), 1% of the lines have no PSA record left (orphans), 2% are old and not invoiced
(leakage), so every category query has work.  Times the classification (scope table + every
category's INSERT ... SELECT) and the figures; prints seconds per 10,000 lines (target < 1 s).
Executed inside `odoo-bin shell` (`env` is given); everything is rolled back.
"""

import os
import time
from datetime import timedelta

from odoo import fields

from odoo.addons.sync_reconcile.models import sql

N = int(os.environ.get("BENCH_RECONCILE_N", "100000"))
env = env  # noqa: F821  (given by odoo-bin shell)
cr = env.cr

customer = env["res.partner"].create({"name": "Bench customer", "is_company": True})
service = env["product.product"].create(
    {
        "name": "Bench consulting",
        "type": "service",
        "service_policy": "delivered_timesheet",
        "service_tracking": "project_only",
        "list_price": 150.0,
    }
)
order = env["sale.order"].create(
    {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": service.id})]}
)
order.action_confirm()
so_line = order.order_line
project = so_line.project_id
employee = env["hr.employee"].create({"name": "Bench consultant"})
backend = env["sync.backend"].create(
    {"name": "bench", "kind": "kantata", "base_url": "http://127.0.0.1:9", "timeout": 1}
)
env["sync.binding"].create(
    {
        "backend_id": backend.id,
        "res_model": "project.project",
        "res_id": project.id,
        "remote_object": "projects",
        "external_id": "W1",
    }
)
today = fields.Date.context_today(env["sync.reconcile.run"])
run = env["sync.reconcile.run"].create(
    {
        "backend_id": backend.id,
        "date_from": today - timedelta(days=365),
        "date_to": today,
        "check_drift": False,
    }
)
env.flush_all()
params = run._params()

t0 = time.perf_counter()
cr.execute(
    """
    INSERT INTO account_analytic_line (name, date, amount, unit_amount, company_id, project_id,
        employee_id, so_line, psa_backend_id, psa_entry_id, psa_approved, psa_bill_rate_cents,
        account_id)
    SELECT 'bench ' || i,
           %(today)s - CASE WHEN i %% 50 = 11 THEN 40 + i %% 20 ELSE i %% 25 END, -80, 1.0,
           %(company)s, %(project)s,
           %(employee)s, %(so_line)s, CASE WHEN i %% 100 = 7 THEN NULL ELSE %(backend)s END,
           CASE WHEN i %% 100 = 7 THEN NULL ELSE 'T' || i END, true, 15000, %(account)s
      FROM generate_series(1, %(n)s) i
     WHERE i %% 100 <> 3
    UNION ALL
    SELECT 'bench twin ' || i, %(today)s - i %% 25, -80, 1.0, %(company)s, %(project)s,
           %(employee)s, %(so_line)s, NULL, NULL, false, 0, %(account)s
      FROM generate_series(1, %(n)s) i
     WHERE i %% 100 = 7
    """,
    {
        "today": today,
        "company": backend.company_id.id,
        "project": project.id,
        "employee": employee.id,
        "so_line": so_line.id,
        "backend": backend.id,
        "account": project.account_id.id,
        "n": N,
    },
)
cr.execute("ANALYZE account_analytic_line")
generated_odoo = time.perf_counter() - t0
cr.execute(sql.CREATE_STAGE)
t0 = time.perf_counter()
# the PSA's pages, copied into the staging table 200 rows a statement as a run does
page = 200
for start in range(1, N + 1, page):
    ids = range(start, min(start + page, N + 1))
    cols = [[] for _c in sql.STAGE_COLUMNS]
    for i in ids:
        if i % 100 == 9:  # deleted in the PSA: orphans in Odoo
            continue
        row = (
            "time",
            f"T{i}",
            "approved",
            "W1",
            "U1",
            str(today - timedelta(days=40 + i % 20 if i % 50 == 11 else i % 25)),
            90 if i % 100 == 5 else 60,
            0,
            15000,
            "USD",
            True,
        )
        for col, value in zip(cols, row, strict=True):
            col.append(value)
    cr.execute(sql.INSERT_STAGE, cols)
staged = time.perf_counter() - t0

t0 = time.perf_counter()
cr.execute(sql.RESOLVE_STAGE, params)
cr.execute(sql.CREATE_SCOPE, params)
scope = time.perf_counter() - t0
counts, timings = {}, {}
for category in sql.CLASSIFY:
    t1 = time.perf_counter()
    cr.execute(sql.insert_lines(category), params)
    counts[category] = cr.rowcount
    timings[category] = round(time.perf_counter() - t1, 3)
classify = time.perf_counter() - t0
t0 = time.perf_counter()
cr.execute(sql.FIGURES, params)
figures = time.perf_counter() - t0

per_10k = classify / (N / 10000)
print(f"reconcile bench: {N} PSA time entries against {N} timesheet lines")
print(f"  generating the Odoo lines in SQL: {generated_odoo:.2f} s")
print(f"  staging the PSA pages ({page} rows a statement): {staged:.2f} s")
print(f"  classification (scope + {len(counts)} category queries): {classify:.2f} s")
print(f"  figures per project and month: {figures:.2f} s")
print(f"  of which scope and staging resolution: {scope:.2f} s; per category: {timings}")
print(f"  differences: {counts}")
print(f"  classification per 10,000 lines: {per_10k:.3f} s (target < 1 s)")
cr.rollback()
