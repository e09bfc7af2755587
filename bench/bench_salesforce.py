"""Salesforce account pull: REST (keyset SOQL) and Bulk API 2.0 against raw ORM speed, in one run
(run by bench/run.sh salesforce).

Prints the rates (records/s) of
- raw:  one `res.partner.create(vals_list)` of N records (the ceiling);
- REST: end-to-end pull of N accounts from the Salesforce fake over real HTTP (simple-salesforce
        query + nextRecordsUrl, pages of 200 applied by the engine);
- Bulk: the same through a Bulk 2.0 query job (CSV result pages of 10,000 rows);
their ratios to raw, the remote calls against the minimum, and the peak memory (tracemalloc) of
streaming a Bulk 2.0 result of 10 x BENCH_SF_BULK_ROWS rows against BENCH_SF_BULK_ROWS rows
(adapter only, no ORM; the fake runs in another process), and the peak RSS of the Odoo process
loading BENCH_SF_RSS_ROWS and 10x as many accounts end to end through a Bulk 2.0 pull, each in
a fresh `odoo-bin shell` (bench_salesforce_load.py; BENCH_SF_RSS_ROWS=0 skips it).
Executed inside `odoo-bin shell` (the variable `env` is given).
"""

import math
import os
import socket
import subprocess
import sys
import time
import tracemalloc

import odoo.addons.sync_salesforce
from odoo.addons.sync_salesforce.fake.server import SalesforceFake

N = int(os.environ.get("BENCH_N", "4000"))
BULK_ROWS = int(os.environ.get("BENCH_SF_BULK_ROWS", "10000"))  # memory: this vs 10x
RSS_ROWS = int(os.environ.get("BENCH_SF_RSS_ROWS", "10000"))  # peak RSS of a load: this vs 10x
PAGE = 200
BULK_PAGE = 10000
FAKE_MAIN = os.path.join(os.path.dirname(odoo.addons.sync_salesforce.__file__), "fake")
env = env  # noqa: F821  (given by odoo-bin shell)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ctx = {"tracking_disable": True}


def account(i, tag):
    return {
        "Name": f"{tag} {i:06d}",
        "Website": f"{tag.lower()}{i}.example",
        "Phone": f"+32 2 {i:06d}",
        "BillingCity": "Brussels",
    }


def raw_vals(i):
    values = account(i, "Raw")
    return {
        "name": values["Name"],
        "website": values["Website"],
        "phone": values["Phone"],
        "city": values["BillingCity"],
        "is_company": True,
    }


def backend_on(fake, name, threshold):
    backend = env["sync.backend"].create(
        {
            "name": name,
            "kind": "salesforce",
            "base_url": fake.base_url,
            "salesforce_auth": "client_credentials",
            "salesforce_consumer_key": fake.consumer_key,
            "salesforce_consumer_secret": fake.consumer_secret,
            "page_size": PAGE,
            "salesforce_bulk_threshold": threshold,
            "salesforce_bulk_page_size": BULK_PAGE,
            "salesforce_api_budget": 0,
        }
    )
    mapping = backend._salesforce_create_default_mappings().filtered(
        lambda m: m.remote_object == "Account"
    )
    mapping.match_ids.unlink()  # a fresh load: nothing to match, as for raw create
    return backend


# 1. raw batched create
t0 = time.perf_counter()
env["res.partner"].with_context(**ctx).create([raw_vals(i) for i in range(N)])
env.cr.commit()
raw = N / (time.perf_counter() - t0)

rates, calls = {}, {}
for label, threshold in (("REST", 0), ("Bulk", 1)):
    fake = SalesforceFake()
    fake.start()
    for i in range(N):
        fake.add("Account", account(i, label))
    backend = backend_on(fake, f"bench {label}", threshold)
    env.cr.commit()
    before = len(fake.log)
    t0 = time.perf_counter()
    stats = backend.with_context(**ctx)._pull("Account")
    env.cr.commit()
    rates[label] = N / (time.perf_counter() - t0)
    calls[label] = len(fake.log) - before
    assert stats["created"] == N, stats
    fake.stop()

# REST: login + ceil(N/2000) query responses (batchSize 2000, cut into pages of 200)
rest_min = 1 + math.ceil(N / 2000)
# Bulk: login + the REST probe (totalSize) + create + 2 polls + ceil(N/10000) result pages
bulk_min = 1 + 1 + 1 + 2 + math.ceil(N / BULK_PAGE)


def bulk_peak(rows):
    """Peak Python memory of this process while the adapter streams a Bulk 2.0 result of
    `rows` accounts from a fake running in another process."""
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, FAKE_MAIN, "--port", str(port), "--seed", "none", "--accounts", str(rows)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _i in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        stub = SalesforceFake()
        stub.base_url = url
        backend = backend_on(stub, f"bench mem {rows}", 1)
        adapter = backend._get_adapter()
        tracemalloc.start()
        count = 0
        for page in adapter.bulk_pages("Account", "SELECT Id, SystemModstamp, Name FROM Account"):
            count += len(page)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        fake.terminate()
        fake.wait(10)
    assert count == rows, count
    return peak


small, big = bulk_peak(BULK_ROWS), bulk_peak(10 * BULK_ROWS)
env.cr.rollback()


def load_rss(rows):
    """Peak RSS (kB) of a fresh Odoo shell that loads `rows` accounts through a Bulk 2.0 pull:
    (VmHWM before the load, VmHWM after, ru_maxrss after, seconds)."""
    script = os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(odoo.addons.sync_salesforce.__file__))),
        "bench",
        "bench_salesforce_load.py",
    )
    with open(script, encoding="utf-8") as stdin:
        out = subprocess.run(
            [sys.executable, *sys.argv],
            stdin=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, "BENCH_SF_RSS_ROWS": str(rows)},
            check=True,
        ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RSS "))
    _rss, _rows, before, after, maxrss, seconds = line.split()
    return int(before), int(after), int(maxrss), float(seconds)


rss = {rows: load_rss(rows) for rows in (RSS_ROWS, 10 * RSS_ROWS)} if RSS_ROWS else {}

print(f"records: {N}; REST page {PAGE}, Bulk result page {BULK_PAGE}")
print(f"raw create(vals_list):     {raw:8.0f} records/s")
for label in ("REST", "Bulk"):
    ratio = rates[label] / raw
    print(f"{label} pull end to end:     {rates[label]:8.0f} records/s   ratio to raw {ratio:5.2f}")
print(f"remote calls REST:         {calls['REST']} (minimum {rest_min})")
print(f"remote calls Bulk:         {calls['Bulk']} (minimum {bulk_min})")
print(
    f"Bulk streaming peak memory: {small / 1e6:.1f} MB for {BULK_ROWS} rows, {big / 1e6:.1f} MB "
    f"for {10 * BULK_ROWS} rows: ratio {big / small:.2f} (target <= 1.1)"
)
for rows, (before, after, maxrss, seconds) in rss.items():
    print(
        f"Bulk 2.0 load of {rows} rows: peak RSS {after / 1024:.0f} MB (ru_maxrss"
        f" {maxrss / 1024:.0f} MB; {before / 1024:.0f} MB before the pull), {seconds:.0f} s"
    )
if rss:
    small_rss, big_rss = rss[RSS_ROWS][1], rss[10 * RSS_ROWS][1]
    print(
        f"peak RSS {10 * RSS_ROWS} vs {RSS_ROWS} rows: ratio {big_rss / small_rss:.2f}"
        " (target <= 1.1)"
    )
