"""One Bulk API 2.0 load of BENCH_SF_RSS_ROWS accounts into res.partner through the engine's pull,
in a fresh `odoo-bin shell` (started by bench_salesforce.py, once per size): prints this Odoo
process' peak resident memory (VmHWM and getrusage ru_maxrss) before and after the load.
The fake runs in another process, so its memory is not counted."""

import os
import resource
import socket
import subprocess
import sys
import time

import odoo.addons.sync_salesforce
from odoo.addons.sync_salesforce.fake.server import SalesforceFake

ROWS = int(os.environ["BENCH_SF_RSS_ROWS"])
FAKE_MAIN = os.path.join(os.path.dirname(odoo.addons.sync_salesforce.__file__), "fake")
env = env  # noqa: F821  (given by odoo-bin shell)


def peak_kb():
    """(VmHWM, ru_maxrss) of this process in kB."""
    with open("/proc/self/status", encoding="ascii") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
fake = subprocess.Popen(
    [sys.executable, FAKE_MAIN, "--port", str(port), "--seed", "none", "--accounts", str(ROWS)],
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)
try:
    for _i in range(1200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    stub = SalesforceFake()
    backend = env["sync.backend"].create(
        {
            "name": f"bench rss {ROWS}",
            "kind": "salesforce",
            "base_url": f"http://127.0.0.1:{port}",
            "salesforce_auth": "client_credentials",
            "salesforce_consumer_key": stub.consumer_key,
            "salesforce_consumer_secret": stub.consumer_secret,
            "salesforce_bulk_threshold": 1,
            "salesforce_bulk_page_size": 10000,
            "salesforce_api_budget": 0,
        }
    )
    mapping = backend._salesforce_create_default_mappings().filtered(
        lambda m: m.remote_object == "Account"
    )
    mapping.match_ids.unlink()
    env.cr.commit()
    before = peak_kb()
    t0 = time.perf_counter()
    stats = backend.with_context(tracking_disable=True)._pull("Account")
    env.cr.commit()
    seconds = time.perf_counter() - t0
    after = peak_kb()
finally:
    fake.terminate()
    fake.wait(10)
assert stats["created"] == ROWS, stats
print(f"RSS {ROWS} {before[0]} {after[0]} {after[1]} {seconds:.1f}")
