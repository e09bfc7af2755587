"""Delivery figures at scale (bench/run.sh insight): N timesheet lines (default 1,000,000)
over 2,000 projects of 200 customers and 500 employees across 24 months, generated in SQL;
times the figures a leader opens, each one `_read_group` on sync_insight's views: utilization
per month, delivery per customer and project, the whole company's totals, pipeline next to
backlog, the dashboard's cards, after the full build of the summaries (timed too), then the
incremental refresh after 1,000 lines of one month are edited (and after a day passes: the WIP
age months) and the figures read again, and, apart from the figures, the weekly anomaly rules
(a cron, not a page). BENCH_INSIGHT_N may list sizes (200000,1000000). Executed inside
`odoo-bin shell`; everything is rolled back."""

import os
import time
from datetime import date, timedelta

SIZES = [int(n) for n in os.environ.get("BENCH_INSIGHT_N", "1000000").split(",")]
env = env  # noqa: F821  (given by odoo-bin shell)
cr = env.cr
company = env.company
timings = {}


def timed(name, model, domain, groupby, aggregates):
    env[model].invalidate_model()
    t1 = time.perf_counter()
    rows = env[model]._read_group(domain, groupby, aggregates)
    timings[name] = (round(time.perf_counter() - t1, 2), len(rows))


def generate(n):
    customers = env["res.partner"].create(
        [{"name": f"Bench customer {i}", "is_company": True} for i in range(200)]
    )
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
        {
            "partner_id": customers[0].id,
            "order_line": [(0, 0, {"product_id": service.id, "product_uom_qty": 10000})],
        }
    )
    order.action_confirm()
    projects = env["project.project"].create(
        [{"name": f"Bench project {i}", "partner_id": customers[i % 200].id} for i in range(2000)]
    )
    employees = env["hr.employee"].create([{"name": f"Bench person {i}"} for i in range(500)])
    env.flush_all()
    cr.execute(
        """
        INSERT INTO account_analytic_line (name, date, amount, unit_amount, company_id, project_id,
            employee_id, so_line, timesheet_invoice_type, account_id)
        SELECT 'bench', %(start)s::date + (i %% 730), -60, 2.0, %(company)s,
               (%(projects)s::int[])[1 + i %% 2000], (%(employees)s::int[])[1 + i %% 500],
               CASE WHEN i %% 5 <> 0 THEN %(so_line)s END,
               CASE WHEN i %% 5 <> 0 THEN 'billable_time' ELSE 'non_billable' END,
               %(account)s
          FROM generate_series(1, %(n)s) i
        """,
        {
            "start": date(2025, 1, 1),
            "company": company.id,
            "projects": projects.ids,
            "employees": employees.ids,
            "so_line": order.order_line.id,
            "account": order.order_line.project_id.account_id.id,
            "n": n,
        },
    )
    cr.execute("ANALYZE")


def read_figures():
    timings.clear()
    in_company = [("company_id", "=", company.id)]
    timed(
        "utilization per month",
        "sync.insight.utilization",
        in_company,
        ["month:month"],
        ["billable_hours:sum", "capacity_hours:sum", "utilization:sum"],
    )
    timed(
        "delivery per customer and project",
        "sync.insight.delivery",
        in_company,
        ["partner_id", "project_id"],
        ["delivered:sum", "invoiced:sum", "wip:sum", "backlog:sum", "cost:sum", "margin_pct:sum"],
    )
    timed(
        "delivery totals",
        "sync.insight.delivery",
        in_company,
        [],
        ["delivered:sum", "wip:sum", "margin_pct:sum"],
    )
    timed(
        "pipeline and backlog per month",
        "sync.insight.pipeline",
        in_company,
        ["kind", "month:month"],
        ["weighted:sum"],
    )
    timed("dashboard cards", "sync.insight.card", in_company, ["card"], ["value:sum"])
    for name, (seconds, rows) in timings.items():
        print(f"  {name}: {seconds} s ({rows} rows)")
    print(f"  all figures: {sum(s for s, _r in timings.values()):.2f} s")


def refresh(label, **kwargs):
    t1 = time.perf_counter()
    done = env["sync.insight.view"]._refresh_summaries(**kwargs)
    seconds = time.perf_counter() - t1
    months = {
        name.split(".")[-1]: "all" if m is None else [str(x)[:7] for x in m]
        for name, m in done.items()
    }
    print(f"{label}: {seconds:.2f} s (months recomputed: {months})")


def bench(n):
    t0 = time.perf_counter()
    generate(n)
    generated = time.perf_counter() - t0
    print(f"generated {n} timesheet lines, 2000 projects, 500 employees in {generated:.1f} s")
    refresh("full build of both summaries (every month stale)")
    read_figures()
    # 1,000 lines of one month edited (raw SQL: the triggers log the month all the same)
    cr.execute(
        """UPDATE account_analytic_line SET unit_amount = unit_amount + 1 WHERE id IN (
               SELECT id FROM account_analytic_line
                WHERE name = 'bench' AND date >= '2026-06-01' AND date < '2026-07-01' LIMIT 1000)"""
    )
    refresh("incremental refresh after 1,000 lines of June 2026 edited")
    read_figures()
    refresh("incremental refresh with nothing changed")
    env["ir.config_parameter"].set_param(
        "sync_insight.aged_on", str(date.today() - timedelta(days=1))
    )
    refresh("first refresh of a new day (months crossing a WIP age limit)")
    refresh("full rebuild (Rebuild menu)", full=True)
    Anomaly = env["sync.insight.anomaly"]
    t1 = time.perf_counter()
    flags = Anomaly
    for rule in ("_detect_weekly_hours", "_detect_burn", "_detect_wip_age"):
        flags |= getattr(Anomaly, rule)(date(2026, 12, 21))
    detected = time.perf_counter() - t1
    print(
        f"weekly anomaly rules on the lines (hours, burn, WIP age; cron): {detected:.2f} s "
        f"({len(flags)} flags and activities created)"
    )


for size in SIZES:
    print(f"load average before: {os.getloadavg()}")
    bench(size)
    cr.rollback()
