"""Helpers shared by the benchmarks and long suites that drive real Odoo processes (bench_webhook,
chaos_kill, chaos_webhook, tests/reliability/two_servers).

Plain Python run from the project's virtualenv; the environment comes from setup/env.sh
(ODOO_PATH, ADDONS_PATH, PGHOST, PGPORT, PGUSER, REPO_ROOT are exported there).  Every process
started here is stopped here, by its PID.
"""

import argparse
import importlib.util
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

REPO_ROOT = Path(os.environ.get("REPO_ROOT") or Path(__file__).resolve().parent.parent)
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo-19.0"))
ADDONS_PATH = os.environ.get(
    "ADDONS_PATH", f"{ODOO_PATH}/odoo/addons,{ODOO_PATH}/addons,{REPO_ROOT}/addons"
)


def odoo_cmd(*args, shell=False):
    """odoo-bin [shell] with the project's addons path and database settings."""
    cmd = [sys.executable, str(ODOO_PATH / "odoo-bin")]
    if shell:
        cmd.append("shell")
    cmd += [
        f"--addons-path={ADDONS_PATH}",
        f"--db_host={os.environ.get('PGHOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('PGPORT', '5432')}",
        f"--db_user={os.environ.get('PGUSER', 'root')}",
    ]
    return cmd + list(args)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooProcess:
    """An Odoo server (or, with `script`, an `odoo-bin shell` running that script) started as a
    subprocess; its output goes to a temporary file."""

    def __init__(self, db, *args, name="odoo", script=None):
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        if script is None:
            cmd = odoo_cmd("-d", db, f"--db-filter=^{db}$", *args)
        else:
            cmd = odoo_cmd("-d", db, "--no-http", *args, shell=True)
        self.proc = subprocess.Popen(
            cmd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL if script is None else subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid
        if script is not None:
            self.proc.stdin.write(script)
            self.proc.stdin.close()

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        """SIGKILL: no handler, no cleanup, no rollback by the process itself."""
        os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        """Graceful stop (SIGTERM), SIGKILL after 30 s if it does not end."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.log.close()

    def tail(self, lines=40):
        try:
            return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cleanup(self):
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def run_shell(db, script, extra_env=None, timeout=300):
    """Run a script inside `odoo-bin shell` (variable `env` given); return its stdout."""
    res = subprocess.run(
        odoo_cmd("-d", db, "--no-http", "--log-level=warn", shell=True),
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(extra_env or {})},
        check=False,
    )
    if res.returncode != 0 or "Traceback" in res.stderr:
        sys.stderr.write(res.stdout[-4000:] + res.stderr[-4000:])
        raise RuntimeError(f"odoo shell failed (exit {res.returncode})")
    return res.stdout


def shell_value(output, tag):
    """The words after `tag` on the line of shell output that starts with it."""
    for line in output.splitlines():
        if line == tag or line.startswith(tag + " "):
            return line[len(tag) + 1 :].split()
    raise RuntimeError(f"no {tag} line in the shell output:\n{output[-2000:]}")


def connect(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def query(conn, sql, params=None):
    with conn.cursor() as cr:
        cr.execute(sql, params or [])
        return cr.fetchall()


def scalar(conn, sql, params=None):
    return query(conn, sql, params)[0][0]


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def load_generic_fake():
    """GenericFake from addons/sync_core/fake/server.py (it imports nothing of Odoo), loaded by
    path so that this process does not import the addon's Odoo models."""
    path = REPO_ROOT / "addons" / "sync_core" / "fake" / "server.py"
    spec = importlib.util.spec_from_file_location("sync_core_generic_fake", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GenericFake


class Checks:
    """PASS/FAIL lines; `failed` tells the exit status."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, label, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'}  {label}{': ' + detail if detail else ''}", flush=True)
        return ok


# What a server logged while it ran that an operator would chase: an ERROR or CRITICAL line, a
# traceback, PostgreSQL's "bad query".
BAD_LOG_RE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) .*|^Traceback .*|.*bad query.*", re.M)


def log_while_running(proc):
    """The process's log up to Odoo's own shutdown (after SIGTERM, its shutdown can race its
    cron threads: pool errors that say nothing of the suite)."""
    text = Path(proc.log.name).read_text(errors="replace")
    return text.split("odoo.service.server: Initiating shutdown")[0]


def bad_log_lines(text):
    return [m.group(0)[:200] for m in BAD_LOG_RE.finditer(text)]


def suite_db():
    """The --db argument of a long suite (the fake's access log kept quiet)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    return parser.parse_args().db


def close_suite(suite, procs, noun="server"):
    """Stop a long suite's Odoo processes (their logs removed, or kept when a check failed),
    its fake and its connections."""
    for proc in procs:
        proc.stop()
        if not suite.checks.failed:
            proc.cleanup()
        else:
            print(f"{noun} log kept: {proc.log.name}")
    suite.fake.stop()
    suite.conn.close()
    suite.pg_postgres.close()
