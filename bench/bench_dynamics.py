"""Dynamics 365 account pull against raw ORM speed, in one run (run by bench/run.sh dynamics).

- raw:  one `res.partner.create(vals_list)` of the same N records, measured before and after
        the pull (the faster of the two counts: a load spike cannot flatter the ratio);
- pull: end-to-end pull of N accounts (BENCH_DYNAMICS_N, default 4000) from the Dataverse fake
        over real HTTP through the real adapter (msal token, change tracking read with
        `odata.maxpagesize` pages and @odata.nextLink, the default accounts mapping applied by
        the engine, bindings, audit rows, watermark and delta link);
then a second pull through the kept delta link (nothing changed: one request).  Prints the
ratios by wall time and by CPU seconds (this thread's and its PostgreSQL backend's; the fake
serves from other threads) and the requests of each pull against the minimum
(ceil(N / maxpagesize) pages + the token, then the delta read).
Executed inside `odoo-bin shell` (the variable `env` is given).
"""

import math
import os
import time

from odoo.addons.sync_dynamics import dataverse_adapter
from odoo.addons.sync_dynamics.fake import DataverseFake

N = int(os.environ.get("BENCH_DYNAMICS_N", "4000"))
PAGE = int(os.environ.get("BENCH_DYNAMICS_PAGE", "1000"))  # odata.maxpagesize
TARGET = 0.85
env = env  # noqa: F821  (given by odoo-bin shell)
ctx = {"tracking_disable": True}


def columns(i, tag):
    return {
        "name": f"{tag} {i:06d}",
        "websiteurl": f"{tag.lower()}{i}.example",
        "telephone1": f"+32 2 {i:06d}",
        "emailaddress1": f"info@{tag.lower()}{i}.example",
        "address1_line1": f"Rue {i}",
        "address1_city": "Brussels",
        "address1_postalcode": "1000",
    }


def partner(i, tag):
    row = columns(i, tag)
    return {
        "name": row["name"], "website": row["websiteurl"], "phone": row["telephone1"],
        "email": row["emailaddress1"], "street": row["address1_line1"],
        "city": row["address1_city"], "zip": row["address1_postalcode"], "is_company": True,
    }  # fmt: skip


def cpu_now():
    """(this thread's CPU seconds, its PostgreSQL backend's CPU seconds or None)."""
    env.cr.execute("SELECT pg_backend_pid()")
    try:
        with open(f"/proc/{env.cr.fetchone()[0]}/stat") as fh:
            ticks = fh.read().rsplit(")", 1)[1].split()[11:13]
        pg = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pg = None
    return time.thread_time(), pg


def timed(work):
    """(wall seconds, CPU seconds or None) of `work()`, committed."""
    cpu0, t0 = cpu_now(), time.perf_counter()
    result = work()
    env.cr.commit()
    wall, cpu1 = time.perf_counter() - t0, cpu_now()
    cpu = None if cpu1[1] is None else (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    return wall, cpu, result


def raw_create(tag):
    return timed(lambda: env["res.partner"].with_context(**ctx).create(
        [partner(i, tag) for i in range(N)]))  # fmt: skip


fake = DataverseFake(tenant="bench", client_id="bench-app", client_secret="bench-secret")
url = fake.start()
for i in range(N):
    fake.add("accounts", columns(i, "Pull"))
backend = env["sync.backend"].create({
    "name": "bench dynamics", "kind": "dynamics", "base_url": url, "dynamics_authority": url,
    "dynamics_tenant": "bench", "dynamics_client_id": "bench-app",
    "dynamics_client_secret": "bench-secret", "page_size": PAGE, "timeout": 60,
})  # fmt: skip
mapping = backend.action_dynamics_create_default_mappings().filtered(
    lambda m: m.remote_object == "accounts"
)
mapping.match_ids.unlink()  # a fresh load: nothing to match, as for raw create
env.cr.commit()
dataverse_adapter.forget_tokens()

raw1 = raw_create("RawA")
before = len(fake.requests)
pull = timed(lambda: backend.with_context(**ctx)._pull("accounts"))
first_requests = fake.requests[before:]
raw2 = raw_create("RawB")
stats = pull[2]
assert stats.get("created") == N, stats
before = len(fake.requests)
delta = timed(lambda: backend.with_context(**ctx)._pull("accounts"))
delta_requests = fake.requests[before:]
fake.stop()

raw_wall, raw_cpu = min((raw1[0], raw1[1]), (raw2[0], raw2[1]))
minimum_first = math.ceil(N / PAGE) + 1  # pages + the token (msal's discovery aside)
token_calls = sum(1 for _m, p in first_requests if "/oauth2/" in p or "openid" in p)
print(f"accounts: {N}; odata.maxpagesize {PAGE}; load average {os.getloadavg()[0]:.2f}")
print(f"raw create(vals_list):  {N / raw_wall:8.0f} records/s ({raw_wall:.2f} s)")
print(f"Dynamics pull:          {N / pull[0]:8.0f} records/s ({pull[0]:.2f} s)   "
      f"ratio to raw {raw_wall / pull[0]:5.2f} (target >= {TARGET})")  # fmt: skip
if raw_cpu is not None and pull[1]:
    print(f"ratio by CPU seconds:   {raw_cpu / pull[1]:8.2f}   (raw {raw_cpu:.2f} s, "
          f"pull {pull[1]:.2f} s)")  # fmt: skip
print(
    f"requests, first pull:   {len(first_requests)} ({token_calls} to Entra ID: discovery + "
    f"token; minimum {minimum_first} = ceil(N/maxpagesize) {math.ceil(N / PAGE)} + token 1)"
)
print(
    f"requests, delta pull:   {len(delta_requests)} (minimum 1, token cached); "
    f"per pull cycle {len(first_requests) + len(delta_requests)} (minimum {minimum_first + 1})"
)
