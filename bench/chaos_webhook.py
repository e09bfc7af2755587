"""Chaos: an Odoo server SIGKILLed in the middle of a webhook burst loses no acknowledged event
and doubles nothing.

A GenericFake (sync_core's wire-level fake) serves CHAOS_HOOK_RECORDS customers on 127.0.0.1
from this process (its batch reads answer after CHAOS_HOOK_READ_DELAY s, so that re-fetch jobs
are in flight); a generic backend with a webhook secret and a mapping customers -> res.partner
points at it.  One Odoo server (threaded, HTTP on a free port, two cron threads: both runner
crons) receives CHAOS_HOOK_EVENTS distinct signed events (`/sync/generic/<token>`), a share of
them delivered twice, from CHAOS_HOOK_THREADS sender threads, and processes them (the events'
`import_record` jobs re-read the customers in batches and bind them) at the same time.  Once
CHAOS_HOOK_KILL_AT of the deliveries are acknowledged and a re-fetch job is running, the server
gets SIGKILL with requests in flight.  Then, as a vendor would:

1. right after the kill: every event acknowledged (HTTP 200) so far is in the inbox;
2. the senders keep going (their deliveries fail: the server is down) to the end of the plan;
3. the server is started again on the same port; every event the senders got no 200 for is
   delivered again until it is acknowledged;
4. the restarted server's runner recovers the killed job (its worker lock is free) and drains.

Checks: no acknowledged event lost; every event stored once, processed, linked to a done job
(no job pending, started or failed: none stuck); one partner, one binding and one `create`
audit row per remote record; delivery counts between the deliveries acknowledged and those
sent; no exception; the servers logged no ERROR and no traceback.  Prints `RELIABILITY: crash
mid-webhook-burst: ...`; exit status 1 on any violation.

    python bench/chaos_webhook.py --db DB     (sync_core installed in DB)
Environment: CHAOS_HOOK_EVENTS (1000), CHAOS_HOOK_RECORDS (600), CHAOS_HOOK_REDELIVER (0.2: share
of events a vendor delivers twice), CHAOS_HOOK_THREADS (6), CHAOS_HOOK_KILL_AT (0.4),
CHAOS_HOOK_READ_DELAY (0.3), CHAOS_HOOK_TIMEOUT (240).
"""

import hashlib
import hmac
import json
import os
import random
import sys
import threading
import time

import benchlib
import requests

EVENTS = int(os.environ.get("CHAOS_HOOK_EVENTS", "1000"))
RECORDS = int(os.environ.get("CHAOS_HOOK_RECORDS", "600"))
REDELIVER = float(os.environ.get("CHAOS_HOOK_REDELIVER", "0.2"))
THREADS = int(os.environ.get("CHAOS_HOOK_THREADS", "6"))
KILL_AT = float(os.environ.get("CHAOS_HOOK_KILL_AT", "0.4"))
READ_DELAY = float(os.environ.get("CHAOS_HOOK_READ_DELAY", "0.3"))
TIMEOUT = int(os.environ.get("CHAOS_HOOK_TIMEOUT", "240"))
SECRET = "chaos-webhook-secret"

SETUP = """
import os
env = env  # noqa
backend = env["sync.backend"].create({
    "name": "chaos webhooks", "kind": "generic", "base_url": os.environ["CHAOS_FAKE_URL"],
    "api_token": "chaos", "webhook_secret": os.environ["CHAOS_SECRET"], "channel_capacity": 2,
})
env["sync.mapping"].create({
    "name": "chaos webhook customers", "backend_id": backend.id, "remote_object": "customers",
    "res_model": "res.partner",
    "line_ids": [(0, 0, {"remote_field": f, "odoo_field": f}) for f in ("name", "email")],
})
env.ref("sync_core.ir_cron_sync_schedule_pulls").active = False
env.cr.commit()
print("CHAOS_SETUP", backend.id, backend.sudo().webhook_token)
"""


def sign(raw):
    """sync_core's generic scheme (signatures.sign_generic), re-implemented: this client
    imports nothing of the addon."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Sync-Timestamp": stamp, "X-Sync-Signature": digest}


class Vendor:
    """The remote system's webhook sender: deliveries from a few threads; an event counts as
    delivered once it got a 200 (the acknowledgement), else it is delivered again later."""

    def __init__(self, url, rng):
        self.url = url
        self.bodies = {}
        for i in range(EVENTS):
            item = {"event_id": f"hook-{i}", "object": "customers", "id": f"c{i % RECORDS}"}
            self.bodies[item["event_id"]] = json.dumps([item]).encode()
        self.plan = list(self.bodies) + rng.sample(list(self.bodies), int(EVENTS * REDELIVER))
        rng.shuffle(self.plan)
        self.lock = threading.Lock()
        self.sent = []  # (event id, status, time, error)
        self.acked = set()
        self.threads = []

    def post(self, session, event):
        raw = self.bodies[event]
        headers = {"Content-Type": "application/json", **sign(raw)}
        try:
            res = session.post(self.url, data=raw, headers=headers, timeout=60)
            status, error = res.status_code, "" if res.ok else res.text[:200]
        except requests.RequestException as exc:
            refused = "refused" if "Connection refused" in str(exc) else "cut"
            status, error = 0, f"{refused}: {type(exc).__name__}: {str(exc)[-160:]}"
        with self.lock:
            self.sent.append((event, status, time.monotonic(), error))
            if status == 200:
                self.acked.add(event)
        return status

    def send(self, events, threads=THREADS):
        """Deliver `events` (in order) from `threads` threads; returns at once (see busy)."""
        queue = list(events)
        position = [0]

        def sender():
            session = requests.Session()
            while True:
                with self.lock:
                    i = position[0]
                    position[0] += 1
                if i >= len(queue):
                    return
                self.post(session, queue[i])

        self.threads = [threading.Thread(target=sender) for _i in range(threads)]
        for thread in self.threads:
            thread.start()

    def busy(self):
        return any(t.is_alive() for t in self.threads)

    def acked_count(self):
        with self.lock:
            return sum(1 for s in self.sent if s[1] == 200)


class Chaos:
    def __init__(self, db):
        self.db = db
        self.conn = benchlib.connect(db)
        self.pg_postgres = benchlib.connect("postgres")
        self.checks = benchlib.Checks()
        self.fake = benchlib.load_generic_fake()(token="chaos")
        answer = self.fake.dispatch

        def slow_reads(request):  # the remote takes its time: re-fetch jobs are in flight
            if request.path.endswith("/batch/read"):
                time.sleep(READ_DELAY)
            return answer(request)

        self.fake.dispatch = slow_reads
        self.servers = []
        self.port = benchlib.free_port()

    def q(self, sql, *params):
        return benchlib.scalar(self.conn, sql, list(params))

    def start_server(self, label):
        server = benchlib.OdooProcess(
            self.db,
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            "--max-cron-threads=2",
            "--workers=0",
            "--log-level=info",
            "--log-handler=werkzeug:WARNING",
            f"--db_app_name=chaos-hook-{label}-{{pid}}",
            name=f"chaos-webhook-{label}",
        )
        server.app = f"chaos-hook-{label}-{server.pid}"
        self.servers.append(server)

        def healthy():
            if not server.alive():
                raise RuntimeError(f"server {server.pid} exited:\n{server.tail()}")
            try:
                return requests.get(f"http://127.0.0.1:{self.port}/web/health", timeout=2).ok
            except requests.RequestException:
                return False

        benchlib.wait_until(healthy, 120, 0.2, f"the Odoo server {label}")
        return server

    def nudge(self):
        benchlib.query(self.pg_postgres, "SELECT pg_notify('cron_trigger', %s)", [self.db])

    def jobs(self):
        return dict(
            benchlib.query(
                self.conn,
                "SELECT state, count(*) FROM sync_job WHERE backend_id = %s GROUP BY state",
                [self.backend],
            )
        )

    def run(self):
        url = self.fake.start()
        for i in range(RECORDS):
            self.fake.put(
                "customers", {"name": f"Hook {i:05d}", "email": f"h{i}@hook.example"}, f"c{i}"
            )
        out = benchlib.run_shell(self.db, SETUP, {"CHAOS_FAKE_URL": url, "CHAOS_SECRET": SECRET})
        backend, token = benchlib.shell_value(out, "CHAOS_SETUP")
        self.backend = int(backend)
        vendor = Vendor(f"http://127.0.0.1:{self.port}/sync/generic/{token}", random.Random(2))
        first = self.start_server("1")
        print(
            f"chaos webhooks: {EVENTS:,} events about {RECORDS:,} remote customers,"
            f" {len(vendor.plan):,} deliveries ({REDELIVER:.0%} of the events twice) from"
            f" {THREADS} threads to server pid {first.pid}; SIGKILL once {KILL_AT:.0%} are"
            " acknowledged and a re-fetch job runs",
            flush=True,
        )
        started = time.monotonic()
        vendor.send(vendor.plan)

        def kill_time():
            self.nudge()
            if not vendor.busy():
                raise RuntimeError("the burst ended before the kill point")
            running = self.q(
                "SELECT count(*) FROM sync_job WHERE backend_id = %s AND state = 'started'",
                self.backend,
            )
            return vendor.acked_count() >= KILL_AT * len(vendor.plan) and running

        benchlib.wait_until(kill_time, TIMEOUT, 0.02, "the kill point")
        first.kill9()
        killed_at = time.monotonic()
        with vendor.lock:
            acked_before = set(vendor.acked)
            sent_before = len(vendor.sent)
        benchlib.wait_until(
            lambda: not self.q(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", first.app
            ),
            30,
            0.05,
            "the killed server's sessions closed",
        )
        jobs_at_kill = self.jobs()
        stored = {
            r[0]
            for r in benchlib.query(
                self.conn,
                "SELECT dedup_key FROM sync_event WHERE backend_id = %s",
                [self.backend],
            )
        }
        lost = sorted(acked_before - stored)
        print(
            f"kill: SIGKILL to server pid {first.pid} after {killed_at - started:.1f} s, with"
            f" {len(acked_before):,} events acknowledged ({sent_before:,} deliveries answered),"
            f" {len(stored):,} events in the inbox, jobs {jobs_at_kill}",
            flush=True,
        )
        self.checks.check(
            not lost,
            "right after the kill: every acknowledged event is in the inbox",
            f"{len(lost)} acknowledged events missing: {lost[:5]}",
        )
        self.checks.check(
            jobs_at_kill.get("started", 0) > 0,
            "the kill left a re-fetch job started by a dead worker",
            f"jobs {jobs_at_kill}",
        )
        benchlib.wait_until(lambda: not vendor.busy(), TIMEOUT, 0.1, "the senders")
        failed = [s for s in vendor.sent if s[1] != 200]
        in_flight = [s for s in failed if s[3].startswith("cut:")]
        # the vendor's retries: every event without a 200, against the restarted server
        second = self.start_server("2")
        rounds = 0
        while True:
            missing = [e for e in vendor.bodies if e not in vendor.acked]
            if not missing or rounds >= 5:
                break
            rounds += 1
            vendor.send(missing)
            benchlib.wait_until(lambda: not vendor.busy(), TIMEOUT, 0.1, "the redeliveries")
        redelivered = len(vendor.sent) - len(vendor.plan)

        def drained():
            self.nudge()
            if not second.alive():
                raise RuntimeError(f"server {second.pid} exited:\n{second.tail()}")
            jobs = self.jobs()
            return not jobs.get("pending") and not jobs.get("started")

        try:
            benchlib.wait_until(drained, TIMEOUT, 0.5, "the jobs drained after the restart")
        except TimeoutError as exc:
            self.checks.check(False, "no job stuck after the restart", f"{exc}: {self.jobs()}")
        elapsed = time.monotonic() - started
        second.stop()
        self.verify(vendor, acked_before, failed, in_flight, redelivered, rounds, elapsed)

    def verify(self, vendor, acked_before, failed, in_flight, redelivered, rounds, elapsed):
        c, b = self.checks, self.backend
        missing = [e for e in vendor.bodies if e not in vendor.acked]
        c.check(
            not missing,
            "every event acknowledged in the end (redelivered after the restart)",
            f"{len(missing)} never acknowledged after {rounds} redelivery rounds",
        )
        events, keys, counted, processed, done = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT dedup_key), COALESCE(sum(delivery_count), 0),"
            "       count(*) FILTER (WHERE e.state = 'processed'),"
            "       count(*) FILTER (WHERE j.state = 'done')"
            "  FROM sync_event e LEFT JOIN sync_job j ON j.id = e.job_id"
            " WHERE e.backend_id = %s",
            [b],
        )[0]
        c.check(
            events == keys == EVENTS,
            "every event stored once (no event lost, none doubled)",
            f"{events} events, {keys} keys, {EVENTS} sent",
        )
        acked = sum(1 for s in vendor.sent if s[1] == 200)
        c.check(
            acked <= counted <= len(vendor.sent),
            "delivery counts between the deliveries acknowledged and those sent",
            f"{counted} counted; {acked} acknowledged, {len(vendor.sent)} sent",
        )
        c.check(
            processed == done == events,
            "every event processed by a done job",
            f"{processed} processed, {done} linked to a done job, of {events}",
        )
        jobs = self.jobs()
        c.check(
            set(jobs) <= {"done", "cancelled"},
            "no job pending, started or failed (none stuck)",
            f"jobs {jobs}",
        )
        recovered = self.q("SELECT count(*) FROM sync_job WHERE backend_id = %s AND attempt > 1", b)
        partners, names, bindings, bound_partners = benchlib.query(
            self.conn,
            "SELECT count(DISTINCT p.id), count(DISTINCT p.name), count(DISTINCT x.id),"
            "       count(DISTINCT x.res_id)"
            "  FROM res_partner p LEFT JOIN sync_binding x ON x.res_id = p.id"
            "   AND x.res_model = 'res.partner' AND x.backend_id = %s"
            " WHERE p.name LIKE 'Hook %%'",
            [b],
        )[0]
        c.check(
            partners == names == bindings == bound_partners == RECORDS,
            "one partner and one binding per remote record",
            f"{partners} partners ({names} names), {bindings} bindings for {RECORDS} records",
        )
        creates, records_once = benchlib.query(
            self.conn,
            "SELECT COALESCE(sum(n), 0), count(*) FILTER (WHERE n = 1) FROM ("
            " SELECT external_id, count(*) n FROM sync_audit WHERE backend_id = %s"
            " AND operation = 'create' GROUP BY external_id) s",
            [b],
        )[0]
        c.check(
            creates == records_once == RECORDS,
            "one 'create' audit row per record (applied once)",
            f"{creates} create rows, {records_once} records with exactly one",
        )
        exceptions = self.q("SELECT count(*) FROM sync_exception WHERE backend_id = %s", b)
        c.check(exceptions == 0, "no exception", f"{exceptions}")
        bad = []
        for server in self.servers:
            bad += benchlib.bad_log_lines(benchlib.log_while_running(server))
        c.check(not bad, "the servers logged no ERROR and no traceback", f"{bad[:3]}")
        print(
            f"figures: {EVENTS:,} events, {len(vendor.plan):,} deliveries planned,"
            f" {len(acked_before):,} events acknowledged before the kill, {len(failed):,}"
            f" deliveries failed ({len(in_flight)} cut in flight, the rest refused while the"
            f" server was down), {redelivered:,} redelivered in {rounds} round(s);"
            f" {recovered} job(s) recovered after the kill; {elapsed:.1f} s in all",
            flush=True,
        )
        self.figures = (len(acked_before), len(failed), len(in_flight), redelivered, recovered)

    def close(self):
        benchlib.close_suite(self, self.servers)


def main():
    chaos = Chaos(benchlib.suite_db())
    try:
        chaos.run()
    finally:
        chaos.close()
    print(f"\n{chaos.checks.passed} passed, {chaos.checks.failed} failed")
    acked, failed, in_flight, redelivered, recovered = getattr(chaos, "figures", (0,) * 5)
    print(
        f"RELIABILITY: crash mid-webhook-burst: SIGKILL with {acked:,} of {EVENTS:,} events"
        f" acknowledged, {failed:,} deliveries failed ({in_flight} in flight), {redelivered:,}"
        f" redelivered after the restart, {recovered} job(s) recovered: {chaos.checks.passed}"
        f" checks passed, {chaos.checks.failed} violations (no acknowledged event lost, every"
        " event applied once, no job stuck, no ERROR logged)",
        flush=True,
    )
    return 1 if chaos.checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
