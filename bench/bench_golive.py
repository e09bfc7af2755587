"""Go-live preview of N remote records against N existing partners (run by bench/run.sh golive).

Target of issue 20: 50,000 x 50,000 in < 60 s on 2 cores.  For each size of BENCH_GOLIVE_SIZES
(default 5000; BENCH_GOLIVE_N=<n> runs one size), in one database:
- N partners created (not measured): name, e-mail, VAT, reference, city; every 20th partner
  shares its VAT with the next one (ambiguous matches);
- N remote records served over real HTTP by the generic fake of sync_core, pages of 200, a
  backend with a contact mapping (name, e-mail, VAT, reference, city) and three match rules
  (VAT, e-mail, reference), mixed so that every outcome appears: matched by VAT, e-mail or
  reference, ambiguous, conflicting (renamed remotely), suspected duplicates (same name and
  city, new e-mail), new, rejected (no name);
- the preview (`sync.golive.preview.action_run_preview`) measured: wall and CPU seconds,
  the lines per outcome, and that no partner, binding or watermark was written.
BENCH_PROFILE=1 prints a cProfile of the preview at the last size.
Executed inside `odoo-bin shell` (the variable `env` is given).
"""

import cProfile
import os
import pstats
import time

from odoo.addons.sync_core.fake.server import GenericFake

if os.environ.get("BENCH_GOLIVE_N"):
    SIZES = [int(os.environ["BENCH_GOLIVE_N"])]
else:
    SIZES = [int(x) for x in os.environ.get("BENCH_GOLIVE_SIZES", "5000").split(",") if x]
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
TARGET = (50000, 60.0)  # records, seconds
env = env  # noqa: F821  (given by odoo-bin shell)


def partner_vals(i, tag):
    vat_of = i - 1 if i % 20 == 12 else i  # partners 20k+11 and 20k+12 share a VAT
    return {
        "name": f"{tag} Company {i:06d}",
        "email": f"info@{tag.lower()}{i}.example",
        "vat": f"BE{tag}{vat_of:08d}",
        "ref": f"{tag}-R{i}",
        "city": f"City {i % 500}",
        "is_company": True,
    }


def remote_data(i, tag):
    """The remote record i, of the outcome chosen by i % 20 (see the module docstring)."""
    p = partner_vals(i, tag)
    kind = i % 20
    if kind <= 7:  # matched by e-mail (40%)
        return {"name": p["name"], "email": p["email"], "city": p["city"]}
    if kind <= 10:  # matched by VAT (15%)
        return {"name": p["name"], "vat": p["vat"], "email": f"new{i}@vat.example"}
    if kind == 11:  # VAT shared by two partners: ambiguous (5%)
        return {"name": p["name"], "vat": p["vat"]}
    if kind <= 13:  # renamed remotely: conflict (10%)
        return {"name": f"{p['name']} renamed", "email": p["email"]}
    if kind == 14:  # same name and city, another e-mail: suspected duplicate (5%)
        return {"name": f"{p['name']} SA", "city": p["city"], "email": f"x{i}@dup.example"}
    if kind <= 17:  # new (15%)
        return {"name": f"{tag} Newco {i:06d}", "email": f"hello@{tag.lower()}new{i}.example"}
    if kind == 18:  # no name: rejected (5%)
        return {"email": f"anon{i}@nowhere.example"}
    return {"name": p["name"], "ref": p["ref"]}  # matched by reference (5%)


fake = GenericFake(token="bench")
fake.start()


def make_backend(tag):
    backend = env["sync.backend"].create(
        {
            "name": f"bench golive {tag}",
            "kind": "generic",
            "base_url": fake.base_url,
            "api_token": "bench",
            "page_size": 200,
        }
    )
    line = {"owner": "remote"}
    env["sync.mapping"].create(
        {
            "name": f"bench golive {tag}",
            "backend_id": backend.id,
            "remote_object": f"contacts{tag}",
            "res_model": "res.partner",
            "default_values": "{'is_company': True}",
            "line_ids": [
                (0, 0, {**line, "remote_field": f, "odoo_field": f})
                for f in ("name", "email", "vat", "ref", "city")
            ],
            "match_ids": [
                (0, 0, {"remote_field": "vat", "odoo_field": "vat", "sequence": 1}),
                (0, 0, {"remote_field": "email", "odoo_field": "email", "sequence": 2}),
                (
                    0,
                    0,
                    {"remote_field": "ref", "odoo_field": "ref", "method": "exact", "sequence": 3},
                ),
            ],
        }
    )
    env.cr.commit()
    return backend


def seed(n, tag):
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    for start in range(0, n, 5000):
        Partner.create([partner_vals(i, tag) for i in range(start, min(n, start + 5000))])
        env.cr.commit()
    env.cr.execute("ANALYZE res_partner")
    for i in range(n):
        fake.put(f"contacts{tag}", remote_data(i, tag), ext_id=f"{tag}-{i}")


def counts():
    env.cr.execute(
        "SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM sync_binding),"
        " (SELECT count(*) FROM sync_watermark)"
    )
    return env.cr.fetchone()


def cpu_seconds():
    """(Odoo thread, PostgreSQL backend) CPU seconds so far (the database runs here)."""
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read().rsplit(")", 1)[1].split()
        pg = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pg = 0.0
    return time.thread_time(), pg


def bench(n, profile):
    tag = f"G{n}"
    backend = make_backend(tag)
    t0 = time.perf_counter()
    seed(n, tag)
    seeded = time.perf_counter() - t0
    print(f"--- {n:,} remote records x {n:,} existing partners (seeded in {seeded:.0f} s)")
    preview = env["sync.golive.preview"].create({"backend_id": backend.id})
    env.cr.commit()
    before = counts()
    cpu0, t0, proc0 = cpu_seconds(), time.perf_counter(), time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    preview.action_run_preview()
    env.flush_all()
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - t0
    cpu1, proc = cpu_seconds(), time.process_time() - proc0
    env.cr.commit()
    env.cr.execute(
        "SELECT outcome, count(*) FROM sync_golive_preview_line WHERE preview_id = %s"
        " GROUP BY outcome ORDER BY outcome",
        [preview.id],
    )
    outcomes = dict(env.cr.fetchall())
    print(
        f"preview: {wall:.1f} s wall, {n / wall:.0f} records/s, CPU Odoo {cpu1[0] - cpu0[0]:.1f} s"
        f" + PostgreSQL {cpu1[1] - cpu0[1]:.1f} s; the Odoo process with the fake's threads:"
        f" {proc:.1f} s"
    )
    print(f"lines: {sum(outcomes.values()):,} {outcomes}")
    print(f"nothing written: {counts() == before} (partners, bindings, watermarks {counts()})")
    projected = wall * TARGET[0] / n
    print(
        f"projected to {TARGET[0]:,}: {projected:.0f} s (linear); target {TARGET[1]:.0f} s:"
        f" {'met' if projected < TARGET[1] else 'NOT met'} at this load"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


try:
    for size in SIZES:
        bench(size, PROFILE and size == SIZES[-1])
finally:
    fake.stop()
