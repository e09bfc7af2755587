"""Two Odoo servers on one database (the way users scale out): a backlog of jobs and a webhook
burst drained by two `odoo-bin` processes with cron threads together, after a smaller backlog
drained by one server (the comparison).

Each phase's backlog: no-op jobs (kind `reliability_noop`, batch size 1: the runner's own work),
TWO_SERVERS_RECORDS `apply_record` jobs that each create one partner from their payload (a job
run twice would create a second partner or count a second attempt), and, delivered over HTTP
to the servers WHILE they drain it, a webhook burst: TWO_SERVERS_EVENTS distinct events of the
generic webhook (`/sync/generic/<token>`, signed) about TWO_SERVERS_EVENT_RECORDS remote
customers (some records get two events: the second joins the first's pending job), each event
delivered TWO_SERVERS_COPIES times from TWO_SERVERS_THREADS sender threads to both servers,
half of them with their copies sent at the same instant to different servers.  The events'
`import_record` jobs re-read the customers from sync_core's generic fake (served by this
process) and bind them.  The two-server phase has TWO_SERVERS_N jobs in all (no-op jobs fill
up to it); the one-server phase TWO_SERVERS_ONE_N (its burst scaled down alike).  Each server
has cron threads for the engine's two runner crons (`ir_cron_sync_job_runner*`; one server
runs both in two cron threads, two servers one each: Odoo runs a cron record on one thread at a
time over all servers), which run on any server; claims use SKIP LOCKED.

Checks per phase: every job done on attempt 1 (run once, never claimed twice), none failed,
no exception; one partner and one binding per remote record (apply and webhook); every event
stored once, processed, linked to a done job, its delivery count = the deliveries acknowledged;
every delivery answered 200; every server ran jobs; the servers logged no ERROR and no
traceback while they ran.  Prints the drain
time of one server and of two.  Prints `RELIABILITY: two servers ...` lines; exit status 1 on a
violation.

    python tests/reliability/two_servers.py --db DB     (sync_core installed in DB)
"""

import hashlib
import hmac
import json
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import benchlib

N = int(os.environ.get("TWO_SERVERS_N", "20000"))
ONE_N = int(os.environ.get("TWO_SERVERS_ONE_N", str(N)))
RECORDS = int(os.environ.get("TWO_SERVERS_RECORDS", "1000"))
EVENTS = int(os.environ.get("TWO_SERVERS_EVENTS", "500"))
EVENT_RECORDS = int(os.environ.get("TWO_SERVERS_EVENT_RECORDS", "400"))
COPIES = int(os.environ.get("TWO_SERVERS_COPIES", "3"))
THREADS = int(os.environ.get("TWO_SERVERS_THREADS", "6"))
TIMEOUT = int(os.environ.get("TWO_SERVERS_TIMEOUT", "600"))
SECRET = "two-servers-webhook-secret"
# what a server must never log in this suite

SETUP = """
import os
env = env  # noqa
backend = env["sync.backend"].create({
    "name": "two servers", "kind": "generic", "channel_capacity": 8,
    "base_url": os.environ["TWO_SERVERS_FAKE_URL"], "api_token": "two-servers",
    "webhook_secret": os.environ["TWO_SERVERS_SECRET"],
})
mapping = env["sync.mapping"].create({
    "name": "two servers customers", "backend_id": backend.id, "remote_object": "customers",
    "res_model": "res.partner",
    "line_ids": [(0, 0, {"remote_field": f, "odoo_field": f}) for f in ("name", "email")],
})
env["sync.job.kind"].create({"name": "Reliability no-op", "code": "reliability_noop",
                             "model_name": "sync.backend", "method_name": "_job_noop"})
env.ref("sync_core.ir_cron_sync_schedule_pulls").active = False
job = env["sync.job"]._enqueue(backend, "reliability_noop")
job.state = "cancelled"
env.cr.commit()
print("SETUP", backend.id, mapping.id, job.channel_id.id, env.ref("sync_core.user_sync_bot").id,
      backend.sudo().webhook_token)
"""


def sign(raw):
    """sync_core's generic scheme (signatures.sign_generic), re-implemented: this client
    imports nothing of the addon, the servers verify with their own code."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Sync-Timestamp": stamp, "X-Sync-Signature": digest}


def sizes(total):
    """(no-op jobs, record jobs, events, event records) of a phase of `total` jobs: the burst and
    the record jobs scaled with the phase, no-op jobs fill up to the total (each event's record
    costs at most one job)."""
    share = total / N
    records = round(RECORDS * share)
    events = max(round(EVENTS * share), 1)
    event_records = max(min(round(EVENT_RECORDS * share), events), 1)
    return total - records - events, records, events, event_records


class Burst:
    """Webhook deliveries sent by a few threads to the servers while they drain: each event
    delivered COPIES times; half the events have their copies queued side by side (taken by
    several threads at once, sent to different servers), the rest spread over the burst."""

    def __init__(self, urls, tag, events, event_records, rng):
        self.urls = urls
        self.bodies = {}
        for i in range(events):
            rid = f"w{tag}-{i % event_records}"
            item = {"event_id": f"ev-{tag}-{i}", "object": "customers", "id": rid}
            self.bodies[item["event_id"]] = json.dumps([item]).encode()
        ids = list(self.bodies)
        rng.shuffle(ids)
        together, spread = ids[: len(ids) // 2], ids[len(ids) // 2 :]
        plan = [[e] * COPIES for e in together]
        rng.shuffle(plan)
        loose = [e for e in spread for _copy in range(COPIES)]
        rng.shuffle(loose)
        self.plan = []
        for group in plan:  # interleave: groups of simultaneous copies among spread ones
            self.plan.extend(group)
            self.plan.extend(loose[:COPIES])
            loose = loose[COPIES:]
        self.plan.extend(loose)
        self.results = []  # (event id, url, status, answer)
        self.lock = threading.Lock()
        self.next = 0
        self.started = self.ended = None
        self.threads = []

    def start(self):
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self.sender, args=(n,)) for n in range(THREADS)]
        for thread in self.threads:
            thread.start()

    def sender(self, n):
        session = requests.Session()
        while True:
            with self.lock:
                i, self.next = self.next, self.next + 1
            if i >= len(self.plan):
                return
            event = self.plan[i]
            url = self.urls[(i + n) % len(self.urls)]
            raw = self.bodies[event]
            headers = {"Content-Type": "application/json", **sign(raw)}
            try:
                res = session.post(url, data=raw, headers=headers, timeout=120)
                status, answer = res.status_code, res.text[:300]
            except requests.RequestException as exc:
                status, answer = 0, str(exc)[:300]
            with self.lock:
                self.results.append((event, url, status, answer))

    def done(self):
        if any(t.is_alive() for t in self.threads):
            return False
        if self.ended is None:
            self.ended = time.monotonic()
        return True


class Suite:
    def __init__(self, db):
        self.db = db
        self.conn = benchlib.connect(db)
        self.pg_postgres = benchlib.connect("postgres")
        self.checks = benchlib.Checks()
        self.servers = []
        self.fake = benchlib.load_generic_fake()(token="two-servers")
        self.rng = random.Random(8)
        self.totals = {}

    def q(self, sql, *params):
        return benchlib.scalar(self.conn, sql, list(params))

    def setup(self):
        url = self.fake.start()
        for tag in ("one", "two"):
            _noop, _rec, _events, event_records = sizes(ONE_N if tag == "one" else N)
            for i in range(event_records):
                self.fake.put(
                    "customers",
                    {"name": f"Hook {tag} {i}", "email": f"h{i}@{tag}.example"},
                    ext_id=f"w{tag}-{i}",
                )
        out = benchlib.run_shell(
            self.db, SETUP, {"TWO_SERVERS_FAKE_URL": url, "TWO_SERVERS_SECRET": SECRET}
        )
        values = benchlib.shell_value(out, "SETUP")
        self.backend, self.mapping, self.channel, self.bot = (int(x) for x in values[:4])
        self.token = values[4]

    def backlog(self, tag, noops, records):
        """`noops` no-op jobs and `records` record jobs, pending and due (what _enqueue
        stores)."""
        common = (
            "company_id, channel_id, state, priority, eta, attempt, max_attempts,"
            " correlation_id, create_uid, write_uid, create_date, write_date"
        )
        values = (
            "(SELECT company_id FROM sync_backend WHERE id = %(b)s), %(c)s, 'pending', 10,"
            " now() at time zone 'UTC' - interval '1 second', 0, 5,"
            " md5(g::text || random()::text), %(u)s, %(u)s, now() at time zone 'UTC',"
            " now() at time zone 'UTC'"
        )
        args = {"b": self.backend, "c": self.channel, "u": self.bot, "n": noops, "r": records}
        args.update(m=self.mapping, tag=tag)
        benchlib.query(
            self.conn,
            f"INSERT INTO sync_job (name, kind, backend_id, {common})"
            f" SELECT 'no-op ' || %(tag)s, 'reliability_noop', %(b)s, {values}"
            "   FROM generate_series(1, %(n)s) g RETURNING 1",
            args,
        )
        benchlib.query(
            self.conn,
            f"INSERT INTO sync_job (name, kind, backend_id, payload, identity_key, {common})"
            f" SELECT 'record ' || %(tag)s, 'apply_record', %(b)s, jsonb_build_object("
            "        'mapping_id', %(m)s,"
            "        'record', jsonb_build_object('id', %(tag)s || g, 'data', jsonb_build_object("
            "        'name', 'Two ' || %(tag)s || ' ' || g,"
            "        'email', 'r' || g || '@' || %(tag)s || '.example'))),"
            f"        'apply:' || %(tag)s || g, {values}"
            "   FROM generate_series(1, %(r)s) g RETURNING 1",
            args,
        )
        with self.conn.cursor() as cr:
            cr.execute("ANALYZE sync_job")

    def nudge(self):
        benchlib.query(self.pg_postgres, "SELECT pg_notify('cron_trigger', %s)", [self.db])

    def phase_jobs(self, tag):
        """SQL condition on sync_job: the jobs of a phase (backlog and webhook re-fetches)."""
        return (
            f"(name IN ('no-op {tag}', 'record {tag}') OR (kind = 'import_record'"
            f" AND identity_key LIKE 'import:customers:w{tag}-%%'))"
        )

    def drain(self, servers, tag, total):
        noops, records, events, event_records = sizes(total)
        self.backlog(tag, noops, records)
        ports = [benchlib.free_port() for _i in range(servers)]
        procs = [
            benchlib.OdooProcess(
                self.db,
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                # two runner crons in both phases: one server runs both in its two cron
                # threads, two servers one each (Odoo runs a cron on one thread at a time)
                f"--max-cron-threads={2 // servers}",
                "--workers=0",
                "--log-level=info",
                "--log-handler=werkzeug:WARNING",
                name=f"two-servers-{tag}-{i}",
            )
            for i, port in enumerate(ports)
        ]
        self.servers += procs
        urls = [f"http://127.0.0.1:{port}/sync/generic/{self.token}" for port in ports]
        burst = Burst(urls, tag, events, event_records, self.rng)
        started = time.monotonic()
        left_at_burst_end = None
        try:
            while True:
                self.nudge()
                if burst.started is None and all(self.healthy(port) for port in ports):
                    burst.start()
                left = self.q("SELECT count(*) FROM sync_job WHERE state IN ('pending', 'started')")
                if burst.started and burst.done():
                    if left_at_burst_end is None:
                        left_at_burst_end = left
                    if not left:
                        break
                if time.monotonic() - started > TIMEOUT:
                    raise TimeoutError(f"{left} jobs left after {TIMEOUT} s")
                for proc in procs:
                    if not proc.alive():
                        raise RuntimeError(f"server {proc.pid} exited:\n{proc.tail()}")
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.stop()
        jobs = self.phase_jobs(tag)
        count, workers, elapsed = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT worker),"
            f" EXTRACT(EPOCH FROM max(done_at) - min(started_at)) FROM sync_job WHERE {jobs}",
        )[0]
        elapsed = max(float(elapsed), 1.0)  # from the first claim to the last outcome
        self.verify(tag, records, burst, event_records, procs)
        self.checks.check(
            workers == servers,
            f"{tag}: every server ran jobs",
            f"{workers} worker processes for {servers} servers",
        )
        print(
            f"RELIABILITY: two servers: {servers} server(s) drained {count:,} jobs"
            f" ({noops:,} no-op, {records:,} record, {count - noops - records:,} webhook"
            f" re-fetch) in {elapsed:.1f} s ({count / elapsed:.0f} jobs/s, {workers} worker"
            f" processes); webhook burst {len(burst.results):,} deliveries of {events:,} events"
            f" in {burst.ended - burst.started:.1f} s, {left_at_burst_end:,} jobs still queued"
            " when it ended",
            flush=True,
        )
        self.totals[tag] = (count, elapsed)
        return count, elapsed

    def healthy(self, port):
        try:
            return requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok
        except requests.RequestException:
            return False

    def verify(self, tag, records, burst, event_records, procs):
        c = self.checks
        jobs = self.phase_jobs(tag)
        rows = benchlib.query(
            self.conn,
            f"SELECT kind, state, attempt, count(*) FROM sync_job WHERE {jobs}"
            " GROUP BY kind, state, attempt ORDER BY 1, 2, 3",
        )
        bad = [r for r in rows if r[1] != "done" or r[2] != 1]
        c.check(not bad, f"{tag}: every job done on attempt 1 (claimed and run once)", str(rows))
        partners, names = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT name) FROM res_partner WHERE name LIKE %s",
            [f"Two {tag} %"],
        )[0]
        bindings = self.q(
            "SELECT count(*) FROM sync_binding WHERE backend_id = %s AND external_id LIKE %s",
            self.backend,
            f"{tag}%",
        )
        c.check(
            partners == names == bindings == records,
            f"{tag}: one partner and one binding per remote record",
            f"{partners} partners, {names} names, {bindings} bindings for {records} records",
        )
        # the webhook burst
        statuses = {}
        for _event, _url, status, _answer in burst.results:
            statuses[status] = statuses.get(status, 0) + 1
        failed = [r for r in burst.results if r[2] != 200]
        c.check(
            not failed and len(burst.results) == len(burst.plan),
            f"{tag}: every webhook delivery answered 200",
            f"{statuses}; first failures: {failed[:3]}",
        )
        answers = [json.loads(r[3]) for r in burst.results if r[2] == 200]
        stored = sum(a.get("stored", 0) for a in answers)
        duplicates = sum(a.get("duplicates", 0) for a in answers)
        events, keys, deliveries, processed, linked = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT dedup_key), COALESCE(sum(delivery_count), 0),"
            "       count(*) FILTER (WHERE e.state = 'processed'),"
            "       count(*) FILTER (WHERE j.state = 'done')"
            "  FROM sync_event e LEFT JOIN sync_job j ON j.id = e.job_id"
            " WHERE e.backend_id = %s AND e.dedup_key LIKE %s",
            [self.backend, f"ev-{tag}-%"],
        )[0]
        want = len(burst.bodies)
        c.check(
            events == keys == want and stored == want and duplicates == len(answers) - want,
            f"{tag}: every event stored once, the other deliveries counted as duplicates",
            f"{events} events ({keys} keys) for {want} sent; answers: {stored} stored,"
            f" {duplicates} duplicates of {len(answers)}",
        )
        c.check(
            deliveries == len(answers),
            f"{tag}: delivery counts = deliveries acknowledged",
            f"{deliveries} counted, {len(answers)} acknowledged",
        )
        c.check(
            processed == linked == events,
            f"{tag}: every event processed by a done job",
            f"{processed} processed, {linked} linked to a done job, of {events}",
        )
        hooked, hook_names, hook_bindings, hook_partners = benchlib.query(
            self.conn,
            "SELECT count(*), count(DISTINCT p.name), count(DISTINCT x.id), count(DISTINCT p.id)"
            "  FROM res_partner p LEFT JOIN sync_binding x ON x.res_id = p.id"
            "   AND x.res_model = 'res.partner' AND x.backend_id = %s"
            " WHERE p.name LIKE %s",
            [self.backend, f"Hook {tag} %"],
        )[0]
        c.check(
            hooked == hook_names == hook_bindings == hook_partners == event_records,
            f"{tag}: one partner and one binding per webhook record",
            f"{hook_partners} partners ({hook_names} names), {hook_bindings} bindings for"
            f" {event_records} records",
        )
        exceptions = self.q(
            "SELECT count(*) FROM sync_exception WHERE backend_id = %s", self.backend
        )
        c.check(exceptions == 0, f"{tag}: no exception", f"{exceptions} exceptions")
        bad_lines, retried, gave_way = [], 0, 0
        for proc in procs:
            text = benchlib.log_while_running(proc)
            bad_lines += benchlib.bad_log_lines(text)
            retried += text.count("tries left, try again")
            gave_way += len(re.findall(r"sync jobs \[[\d, ]+\] failed: could not serialize", text))
        c.check(
            not bad_lines,
            f"{tag}: the servers logged no ERROR and no traceback",
            f"{len(bad_lines)} lines, first: {bad_lines[:3]}",
        )
        print(
            f"{tag}: {retried} webhook requests retried by Odoo after a serialization failure"
            f" (INFO), {gave_way} job runs gave way to a concurrent transaction",
            flush=True,
        )
        self.conflicts = (retried, gave_way)

    def close(self):
        benchlib.close_suite(self, self.servers)


def main():
    suite = Suite(benchlib.suite_db())
    try:
        suite.setup()
        one_jobs, one = suite.drain(1, "one", ONE_N)
        two_jobs, two = suite.drain(2, "two", N)
        if one_jobs == two_jobs:
            compare = f"{two:.1f} s vs {one:.1f} s (speed-up {one / two:.2f}x)"
        else:  # a smaller one-server backlog keeps the suite short: compare rates
            compare = (
                f"{two_jobs:,} jobs in {two:.1f} s vs {one_jobs:,} jobs in {one:.1f} s;"
                f" {two_jobs / two:.0f} vs {one_jobs / one:.0f} jobs/s (speed-up"
                f" {(two_jobs / two) / (one_jobs / one):.2f}x; one server at its rate would take"
                f" {two_jobs / (one_jobs / one):.0f} s for {two_jobs:,})"
            )
        print(
            f"RELIABILITY: two servers: drain time two servers vs one: {compare};"
            f" {suite.checks.passed} checks passed, {suite.checks.failed} violations (jobs run"
            " once, events stored once, no duplicate partner or binding, no ERROR logged)",
            flush=True,
        )
    finally:
        suite.close()
    print(f"\n{suite.checks.passed} passed, {suite.checks.failed} failed")
    return 1 if suite.checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
