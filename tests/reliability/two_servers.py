"""Two Odoo servers on one database (the way users scale out): a backlog drained by one server,
then the same backlog drained by two `odoo-bin` processes with cron threads together.

The backlog is TWO_SERVERS_N (20,000) no-op jobs (kind `reliability_noop`, batch size 1: the
runner's own work) plus TWO_SERVERS_RECORDS (500) `apply_record` jobs that each create one
partner from their payload (a job run twice would create a second partner or count a second
attempt).  Each server runs with `--max-cron-threads=2`: the engine's runner crons
(`ir_cron_sync_job_runner*`) are free to run on any server, claims use SKIP LOCKED.

Checks: every job done on attempt 1 (run once, never claimed twice), none failed, no exception,
one partner and one binding per remote record; prints the drain time of one server and of two.
Prints `RELIABILITY: two servers: ...` lines; exit status 1 on a violation.

    python tests/reliability/two_servers.py --db DB     (sync_core installed in DB)
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import benchlib

N = int(os.environ.get("TWO_SERVERS_N", "20000"))
RECORDS = int(os.environ.get("TWO_SERVERS_RECORDS", "500"))
TIMEOUT = int(os.environ.get("TWO_SERVERS_TIMEOUT", "600"))

SETUP = """
env = env  # noqa
backend = env["sync.backend"].create({"name": "two servers", "kind": "generic",
                                      "channel_capacity": 8})
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
print("SETUP", backend.id, mapping.id, job.channel_id.id, env.ref("sync_core.user_sync_bot").id)
"""


class Suite:
    def __init__(self, db):
        self.db = db
        self.conn = benchlib.connect(db)
        self.pg_postgres = benchlib.connect("postgres")
        self.checks = benchlib.Checks()
        self.servers = []

    def q(self, sql, *params):
        return benchlib.scalar(self.conn, sql, list(params))

    def setup(self):
        out = benchlib.run_shell(self.db, SETUP)
        self.backend, self.mapping, self.channel, self.bot = (
            int(x) for x in benchlib.shell_value(out, "SETUP")
        )

    def backlog(self, tag):
        """N no-op jobs and RECORDS record jobs, pending and due (what _enqueue stores)."""
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
        args = {"b": self.backend, "c": self.channel, "u": self.bot, "n": N, "r": RECORDS}
        args.update(m=self.mapping, tag=tag)
        benchlib.query(
            self.conn,
            f"INSERT INTO sync_job (name, kind, backend_id, {common})"
            f" SELECT 'no-op', 'reliability_noop', %(b)s, {values}"
            "   FROM generate_series(1, %(n)s) g RETURNING 1",
            args,
        )
        benchlib.query(
            self.conn,
            f"INSERT INTO sync_job (name, kind, backend_id, payload, identity_key, {common})"
            f" SELECT 'record', 'apply_record', %(b)s, jsonb_build_object('mapping_id', %(m)s,"
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

    def drain(self, servers, tag):
        self.backlog(tag)
        procs = [
            benchlib.OdooProcess(
                self.db,
                "--no-http",
                "--max-cron-threads=2",
                "--workers=0",
                "--log-level=warn",
                name=f"two-servers-{tag}-{i}",
            )
            for i in range(servers)
        ]
        self.servers += procs
        started = time.monotonic()
        try:
            while True:
                left = self.q("SELECT count(*) FROM sync_job WHERE state IN ('pending', 'started')")
                if not left:
                    break
                if time.monotonic() - started > TIMEOUT:
                    raise TimeoutError(f"{left} jobs left after {TIMEOUT} s")
                for proc in procs:
                    if not proc.alive():
                        raise RuntimeError(f"server {proc.pid} exited:\n{proc.tail()}")
                self.nudge()
                time.sleep(0.5)
        finally:
            for proc in procs:
                proc.stop()
        workers, elapsed = benchlib.query(
            self.conn,
            "SELECT count(DISTINCT worker), EXTRACT(EPOCH FROM max(done_at) - min(started_at))"
            " FROM sync_job WHERE name IN ('no-op', 'record')",
        )[0]
        elapsed = max(float(elapsed), 1.0)  # from the first claim to the last outcome
        self.verify(tag)
        total = N + RECORDS
        print(
            f"RELIABILITY: two servers: {servers} server(s) drained {total:,} jobs in"
            f" {elapsed:.1f} s ({total / elapsed:.0f} jobs/s, {workers} worker processes)",
            flush=True,
        )
        return elapsed

    def verify(self, tag):
        c = self.checks
        rows = benchlib.query(
            self.conn,
            "SELECT state, attempt, count(*) FROM sync_job WHERE name IN ('no-op', 'record')"
            " GROUP BY state, attempt ORDER BY 1, 2",
        )
        bad = [r for r in rows if r[0] != "done" or r[1] != 1]
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
            partners == names == bindings == RECORDS,
            f"{tag}: one partner and one binding per remote record",
            f"{partners} partners, {names} names, {bindings} bindings for {RECORDS} records",
        )
        exceptions = self.q(
            "SELECT count(*) FROM sync_exception WHERE backend_id = %s", self.backend
        )
        c.check(exceptions == 0, f"{tag}: no exception", f"{exceptions} exceptions")
        # the next phase starts from an empty queue
        benchlib.query(
            self.conn,
            "UPDATE sync_job SET name = name || ' ' || %s WHERE name IN ('no-op', 'record')"
            " RETURNING 1",
            [tag],
        )

    def close(self):
        for proc in self.servers:
            proc.stop()
            if not self.checks.failed:
                proc.cleanup()
            else:
                print(f"server log kept: {proc.log.name}")
        self.conn.close()
        self.pg_postgres.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    suite = Suite(parser.parse_args().db)
    try:
        suite.setup()
        one = suite.drain(1, "one")
        two = suite.drain(2, "two")
        print(
            f"RELIABILITY: two servers: drain time two servers vs one: {two:.1f} s vs"
            f" {one:.1f} s (speed-up {one / two:.2f}x), every job run once",
            flush=True,
        )
    finally:
        suite.close()
    print(f"\n{suite.checks.passed} passed, {suite.checks.failed} failed")
    return 1 if suite.checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
