"""Webhook inbox under load, against a real Odoo HTTP server (run by `bash bench/run.sh webhook`).

Starts `odoo-bin` (threaded, --workers=0, no cron thread: nothing runs the jobs) on a free
127.0.0.1 port, creates a generic backend over JSON-RPC as admin, then POSTs signed webhooks
(`X-Sync-Timestamp` / `X-Sync-Signature`, HMAC-SHA256 of "<ts>.<body>") to
/sync/generic/<token> from a few client threads, in rounds, with ~10% redeliveries of event ids
acknowledged in earlier rounds.  Prints per round the ack latency (p50/p95/p99), requests/s and
the RSS of the Odoo process; then checks in the database that every event was stored once,
redeliveries only counted, one pending job per record, no business record written, no HTTP
error; and that a forged signature and a stale timestamp get 401 with nothing stored.  Two
probes fire 8 requests at the same instant: one event delivered 8 times (stored once, counted
8 times) and 8 events of one record (8 events, one job, each event linked to it).

    python bench/bench_webhook.py --db DB     (sync_core installed in DB)
Environment: BENCH_WEBHOOK_ROUNDS (3), BENCH_WEBHOOK_N (1000 requests per round),
BENCH_WEBHOOK_THREADS (4), BENCH_WEBHOOK_RECORDS (1500 distinct remote record ids).
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time

import benchlib
import psutil
import requests

ROUNDS = int(os.environ.get("BENCH_WEBHOOK_ROUNDS", "3"))
PER_ROUND = int(os.environ.get("BENCH_WEBHOOK_N", "1000"))
THREADS = int(os.environ.get("BENCH_WEBHOOK_THREADS", "4"))
RECORDS = int(os.environ.get("BENCH_WEBHOOK_RECORDS", "1500"))
REDELIVERY = 0.10
WARMUP = 100
MIB = 1024 * 1024


def sign(secret, raw, timestamp=None):
    """The generic scheme of sync_core.signatures.sign_generic, re-implemented so that this
    client imports nothing of the addon (the server verifies with its own code)."""
    stamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Sync-Timestamp": stamp, "X-Sync-Signature": digest}


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Client:
    def __init__(self, base, token, secret):
        self.url = f"{base}/sync/generic/{token}"
        self.secret = secret
        self.local = threading.local()

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, raw, secret=None, timestamp=None):
        headers = {
            "Content-Type": "application/json",
            **sign(secret or self.secret, raw, timestamp),
        }
        started = time.perf_counter()
        res = self.session().post(self.url, data=raw, headers=headers, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000.0
        try:
            body = res.json()
        except ValueError:
            body = {"raw": res.text[:200]}
        return res.status_code, body, elapsed


def run_batch(client, bodies, threads):
    """POST every body once, `threads` at a time; returns [(status, body, ms)] in input order."""
    results = [None] * len(bodies)
    index = iter(range(len(bodies)))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(index, None)
            if i is None:
                return
            try:
                results[i] = client.post(bodies[i])
            except requests.RequestException as exc:
                results[i] = (0, {"error": str(exc)}, 0.0)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def jsonrpc(base, service, method, *args):
    res = requests.post(
        f"{base}/jsonrpc",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"service": service, "method": method, "args": list(args)},
        },
        timeout=60,
    ).json()
    if res.get("error"):
        raise RuntimeError(json.dumps(res["error"])[:2000])
    return res["result"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    db = parser.parse_args().db
    rng = random.Random(19)
    checks = benchlib.Checks()
    conn = benchlib.connect(db)
    partners_before = benchlib.scalar(conn, "SELECT count(*) FROM res_partner")

    port = benchlib.free_port()
    base = f"http://127.0.0.1:{port}"
    server = benchlib.OdooProcess(
        db,
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--max-cron-threads=0",
        "--workers=0",
        "--log-level=warn",
        name="bench-webhook",
    )
    try:
        benchlib.wait_until(
            lambda: _health(base) or not server.alive(), 120, 0.5, "the Odoo HTTP server"
        )
        if not server.alive():
            raise RuntimeError("Odoo server exited:\n" + server.tail())
        return run(db, base, server, conn, rng, checks, partners_before)
    except Exception:
        sys.stderr.write("--- Odoo server log (tail) ---\n" + server.tail() + "\n")
        raise
    finally:
        server.stop()
        server.cleanup()
        conn.close()


def _health(base):
    try:
        return requests.get(f"{base}/web/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def run(db, base, server, conn, rng, checks, partners_before):
    secret = secrets.token_hex(16)
    uid = jsonrpc(base, "common", "login", db, "admin", "admin")

    def execute(model, method, *args):
        return jsonrpc(base, "object", "execute_kw", db, uid, "admin", model, method, list(args))

    backend_id = execute(
        "sync.backend",
        "create",
        {"name": "webhook bench", "kind": "generic", "webhook_secret": secret},
    )
    execute(
        "sync.mapping",
        "create",
        {
            "name": "bench customers",
            "backend_id": backend_id,
            "remote_object": "customers",
            "res_model": "res.partner",
            "line_ids": [[0, 0, {"remote_field": "name", "odoo_field": "name"}]],
        },
    )
    token = execute("sync.backend", "read", [backend_id], ["webhook_token"])[0]["webhook_token"]
    client = Client(base, token, secret)
    proc = psutil.Process(server.pid)
    load_start = os.getloadavg()

    bodies = {}  # event id -> raw body (a redelivery sends the same bytes)
    record_of = {}  # event id -> remote record id
    deliveries = {}  # event id -> accepted deliveries
    acked = []  # event ids acknowledged in earlier rounds
    totals = {"requests": 0, "errors": 0, "stored": 0, "duplicates": 0, "redeliveries": 0}

    def new_event(tag):
        ev_id = f"ev-{tag}-{secrets.token_hex(6)}"
        rec = str(rng.randrange(1, RECORDS + 1))
        item = {"event_id": ev_id, "object": "customers", "id": rec, "type": "updated"}
        bodies[ev_id] = json.dumps([item]).encode()
        record_of[ev_id] = rec
        return ev_id

    def play(event_ids, threads):
        results = run_batch(client, [bodies[e] for e in event_ids], threads)
        for ev_id, (status, body, _ms) in zip(event_ids, results, strict=True):
            totals["requests"] += 1
            if status != 200:
                totals["errors"] += 1
                print(f"  HTTP {status} for {ev_id}: {body}", file=sys.stderr)
                continue
            deliveries[ev_id] = deliveries.get(ev_id, 0) + 1
            totals["stored"] += body.get("stored", 0)
            totals["duplicates"] += body.get("duplicates", 0)
        return results

    # warm-up: the first requests load the routing map, caches and the registry's code paths
    warm = [new_event("warm") for _ in range(WARMUP)]
    play(warm, THREADS)
    acked.extend(warm)
    rss_warm = proc.memory_info().rss
    print(
        f"webhook bench: {ROUNDS} rounds x {PER_ROUND} requests (1 event each), {THREADS} client"
        f" threads, ~{REDELIVERY:.0%} redeliveries, {RECORDS} remote record ids;"
        f" Odoo {base} --workers=0 --max-cron-threads=0 (pid {server.pid})",
        flush=True,
    )
    print(f"after {WARMUP} warm-up requests: RSS {rss_warm / MIB:.1f} MiB", flush=True)
    all_ms, rss_rounds, rates = [], [], []
    by_kind = {"first": [], "pending": [], "redelivery": []}
    seen = {record_of[e] for e in warm}
    for rnd in range(1, ROUNDS + 1):
        plan, kinds = [], []
        for _i in range(PER_ROUND):
            if rng.random() < REDELIVERY:
                plan.append(rng.choice(acked))
                kinds.append("redelivery")
                totals["redeliveries"] += 1
            else:
                plan.append(new_event(f"r{rnd}"))
                rec = record_of[plan[-1]]
                kinds.append("pending" if rec in seen else "first")
                seen.add(rec)
        started = time.perf_counter()
        results = play(plan, THREADS)
        wall = time.perf_counter() - started
        ms = [r[2] for r in results if r[0] == 200]
        all_ms.extend(ms)
        for kind, res in zip(kinds, results, strict=True):
            if res[0] == 200:
                by_kind[kind].append(res[2])
        rss = proc.memory_info().rss
        rss_rounds.append(rss)
        rates.append(len(plan) / wall)
        acked.extend(e for e in plan if e.startswith(f"ev-r{rnd}-") and e in deliveries)
        print(
            f"round {rnd}: {len(plan)} requests in {wall:5.2f} s = {len(plan) / wall:6.0f} req/s;"
            f" ack p50 {pct(ms, 50):6.2f} ms  p95 {pct(ms, 95):6.2f} ms  p99 {pct(ms, 99):6.2f} ms;"
            f"  RSS {rss / MIB:7.1f} MiB",
            flush=True,
        )
    # sequential latency (one client, no queueing in the server): the cost of one ack, beside
    # the cost of an Odoo request that does nothing (no database) and of one that only looks
    # the token up (unknown token: 404) on this machine now
    seq = [new_event("seq") for _ in range(200)]
    seq_ms = [r[2] for r in play(seq, 1) if r[0] == 200]
    health_ms = [_timed(client.session().get, f"{base}/web/health") for _ in range(200)]
    nobody = Client(base, "x" * 32, secret)
    unknown = [nobody.post(b"[]") for _ in range(200)]
    unknown_ms = [r[2] for r in unknown]

    # security: forged signature and stale timestamp -> 401, nothing stored
    forged_id, stale_id = new_event("forged"), new_event("stale")
    forged = client.post(bodies[forged_id], secret="not-the-secret")
    stale = client.post(bodies[stale_id], timestamp=time.time() - 3600)

    # probes at the same instant (outside the counted traffic: record ids "probe-...")
    dup_raw = json.dumps([{"event_id": "probe-dup", "object": "customers", "id": "probe-1"}])
    dup = burst(client, [dup_raw.encode()] * 8)
    twins = [
        json.dumps([{"event_id": f"probe-twin-{i}", "object": "customers", "id": "probe-2"}])
        for i in range(8)
    ]
    twin = burst(client, [t.encode() for t in twins])
    rss_end = proc.memory_info().rss
    load_end = os.getloadavg()

    # ------------------------------------------------------------------ verification
    def q(sql, *params):
        return benchlib.scalar(conn, sql, [backend_id, *params])

    traffic = " AND dedup_key NOT LIKE 'probe-%%'"
    n_events = q("SELECT count(*) FROM sync_event WHERE backend_id = %s" + traffic)
    n_delivered = sum(deliveries.values())
    sum_count = q(
        "SELECT COALESCE(sum(delivery_count), 0) FROM sync_event WHERE backend_id = %s" + traffic
    )
    records = {record_of[e] for e in deliveries}
    jobs = " AND kind = 'import_record' AND identity_key NOT LIKE 'import:customers:probe-%%'"
    n_jobs = q("SELECT count(*) FROM sync_job WHERE backend_id = %s" + jobs)
    n_pending = q(
        "SELECT count(*) FROM sync_job WHERE backend_id = %s AND state = 'pending'"
        " AND attempt = 0" + jobs
    )
    n_queued = q(
        "SELECT count(*) FROM sync_event WHERE backend_id = %s AND state = 'queued'" + traffic
    )
    n_unlinked = q(
        "SELECT count(*) FROM sync_event WHERE backend_id = %s AND job_id IS NULL" + traffic
    )
    bot = benchlib.scalar(
        conn,
        "SELECT res_id FROM ir_model_data WHERE module = 'sync_core' AND name = 'user_sync_bot'",
    )
    n_by_bot = q("SELECT count(*) FROM sync_event WHERE backend_id = %s AND create_uid = %s", bot)
    n_all_events = q("SELECT count(*) FROM sync_event WHERE backend_id = %s")
    partners_after = benchlib.scalar(conn, "SELECT count(*) FROM res_partner")
    n_bindings = q("SELECT count(*) FROM sync_binding WHERE backend_id = %s")
    n_audits = q("SELECT count(*) FROM sync_audit WHERE backend_id = %s")
    refused = q(
        "SELECT count(*) FROM sync_event WHERE backend_id = %s AND dedup_key IN (%s, %s)",
        forged_id,
        stale_id,
    )
    dup_rows, dup_count = benchlib.query(
        conn,
        "SELECT count(*), COALESCE(sum(delivery_count), 0) FROM sync_event"
        " WHERE backend_id = %s AND dedup_key = 'probe-dup'",
        [backend_id],
    )[0]
    twin_rows, twin_linked, twin_jobs = benchlib.query(
        conn,
        "SELECT count(*), count(job_id), (SELECT count(*) FROM sync_job WHERE backend_id = %s"
        "   AND identity_key = 'import:customers:probe-2')"
        "  FROM sync_event WHERE backend_id = %s AND dedup_key LIKE 'probe-twin-%%'",
        [backend_id, backend_id],
    )[0]

    rss_growth = rss_rounds[-1] - rss_rounds[0]
    print()
    print(
        f"ack latency, {len(all_ms)} requests from {THREADS} threads:"
        f" p50 {pct(all_ms, 50):.2f} ms, p95 {pct(all_ms, 95):.2f} ms,"
        f" p99 {pct(all_ms, 99):.2f} ms, max {max(all_ms):.2f} ms"
    )
    print(
        "  by event, p50 (p95): first event of a record, which creates its job"
        f" {pct(by_kind['first'], 50):.1f} ({pct(by_kind['first'], 95):.1f}) ms, x"
        f"{len(by_kind['first'])}; event of a record whose job is pending"
        f" {pct(by_kind['pending'], 50):.1f} ({pct(by_kind['pending'], 95):.1f}) ms, x"
        f"{len(by_kind['pending'])}; redelivery {pct(by_kind['redelivery'], 50):.1f}"
        f" ({pct(by_kind['redelivery'], 95):.1f}) ms, x{len(by_kind['redelivery'])}"
    )
    print(
        f"ack latency, {len(seq_ms)} sequential requests: p50 {pct(seq_ms, 50):.2f} ms,"
        f" p95 {pct(seq_ms, 95):.2f} ms, p99 {pct(seq_ms, 99):.2f} ms"
    )
    print(
        f"  same server, sequential: GET /web/health (no database) p50 {pct(health_ms, 50):.2f} ms;"
        f" POST to an unknown token (token lookup, 404) p50 {pct(unknown_ms, 50):.2f} ms"
    )
    print(
        f"throughput: {statistics.mean(rates):.0f} req/s on average over the rounds"
        f" ({', '.join(f'{r:.0f}' for r in rates)}), {THREADS} client threads"
    )
    print(
        "memory (RSS of the Odoo process): after warm-up "
        f"{rss_warm / MIB:.1f} MiB, after rounds "
        + ", ".join(f"{r / MIB:.1f}" for r in rss_rounds)
        + f" MiB, at the end {rss_end / MIB:.1f} MiB; round 1 -> {ROUNDS}:"
        f" {rss_growth / MIB:+.1f} MiB for {PER_ROUND * (ROUNDS - 1)} more requests"
    )
    print(
        f"requests {totals['requests']} accepted-path (+200 unknown token, +2 refused,"
        f" +16 probes), HTTP errors {totals['errors']}, redeliveries sent"
        f" {totals['redeliveries']}; answers: stored {totals['stored']}, duplicates"
        f" {totals['duplicates']}"
    )
    print(
        f"events stored {n_events} for {len(deliveries)} distinct event ids; import jobs"
        f" {n_jobs} for {len(records)} distinct records; events not linked to their job"
        f" {n_unlinked}"
    )
    print(
        "machine load (1/5/15 min) at start "
        + "/".join(f"{x:.2f}" for x in load_start)
        + ", at end "
        + "/".join(f"{x:.2f}" for x in load_end)
        + f" on {os.cpu_count()} cores (the client threads run on the same machine)"
    )
    print()
    checks.check(totals["errors"] == 0, "zero HTTP errors", f"{totals['errors']}")
    checks.check(
        n_events == len(deliveries),
        "events stored == distinct event ids (redeliveries not stored twice)",
        f"{n_events} == {len(deliveries)}",
    )
    checks.check(
        sum_count == n_delivered,
        "sum(delivery_count) == accepted deliveries",
        f"{sum_count} == {n_delivered}",
    )
    checks.check(
        totals["duplicates"] == totals["redeliveries"] and totals["stored"] == len(deliveries),
        "answers: stored == distinct events, duplicates == redeliveries",
        f"{totals['stored']}, {totals['duplicates']} == {totals['redeliveries']}",
    )
    checks.check(
        n_jobs == len(records),
        "jobs enqueued: one per distinct record (events of a record share the pending job)",
        f"{n_jobs} == {len(records)}",
    )
    checks.check(
        n_pending == n_jobs,
        "no job ran in the request (all pending, attempt 0)",
        f"{n_pending} / {n_jobs}",
    )
    checks.check(n_queued == n_events, "every event queued", f"{n_queued} / {n_events}")
    checks.check(
        partners_after == partners_before and n_bindings == 0 and n_audits == 0,
        "no business write in the request (partners, bindings, audit rows unchanged)",
        f"partners {partners_before} -> {partners_after}, bindings {n_bindings},"
        f" audit rows {n_audits}",
    )
    checks.check(
        n_by_bot == n_all_events,
        "events written as the technical user Sync Bot, not the superuser",
        f"{n_by_bot} / {n_all_events}",
    )
    checks.check(
        forged[0] == 401 and stale[0] == 401 and refused == 0,
        "forged signature and stale timestamp refused with 401, nothing stored",
        f"forged {forged[0]} {forged[1].get('reason')!r}, stale {stale[0]}"
        f" {stale[1].get('reason')!r}, stored {refused}",
    )
    limit = max(8 * MIB, rss_rounds[0] // 20)
    checks.check(
        rss_growth <= limit,
        f"memory flat: RSS growth round 1 -> {ROUNDS} <= {limit / MIB:.0f} MiB",
        f"{rss_growth / MIB:+.1f} MiB",
    )
    dup_ok = [r for r in dup if r[0] == 200]
    dup_stored = sum(r[1].get("stored", 0) for r in dup_ok)
    checks.check(
        len(dup_ok) == 8 and dup_rows == 1 and dup_stored == 1,
        "probe: one new event delivered 8 times at the same instant is stored once",
        f"HTTP 200 x{len(dup_ok)}, rows {dup_rows}, answered stored {dup_stored}",
    )
    checks.check(
        dup_count == 8,
        "probe: ... and its delivery_count is 8",
        f"{dup_count}",
    )
    checks.check(
        sum(1 for r in twin if r[0] == 200) == 8 and twin_rows == 8 and twin_jobs == 1,
        "probe: 8 events of one record at the same instant: 8 events, one job",
        f"events {twin_rows}, jobs {twin_jobs}",
    )
    checks.check(
        twin_linked == twin_rows,
        "probe: ... each event linked to that job (set 'processed' when it is done)",
        f"{twin_linked} of {twin_rows} linked",
    )
    print(f"\n{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


def _timed(fn, *args):
    started = time.perf_counter()
    fn(*args, timeout=30)
    return (time.perf_counter() - started) * 1000.0


def burst(client, bodies):
    """POST the bodies from as many threads released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)

    def one(i):
        barrier.wait()
        results[i] = client.post(bodies[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


if __name__ == "__main__":
    sys.exit(main())
