"""Run every test of the project and close with one summary line.

Steps (each one can fail the run):
1. lint: ruff and the mandatory pylint-odoo checks over addons/;
2. the tests that need no database (`tests/`, plain pytest);
3. a fresh database copied from a cached template that holds the Odoo apps our addons depend on,
   then `odoo-bin -i <all our addons> --test-tags /sync_core,...`: the install itself (bad XML,
   failing module) and every at_install / post_install test of our addons, browser tours
   included (headless Chromium; a tour Odoo skips -- no browser, no websocket-client -- counts as
   failed; screenshots of a failing tour go to var/screenshots/<db>/screenshots/);
4. the long reliability suites (tests/reliability/, bench/chaos_kill.py, bench/chaos_webhook.py):
   scripts that drive real odoo-bin processes (SIGKILL mid-pull, SIGKILL mid-webhook-burst, two
   servers on one database draining 20,000 jobs and a webhook burst, a configuration promoted
   from one database to a second one with other ids), each on its own scratch database with
   sync_core installed.  SKIP_LONG=1 leaves them out.

Before it, the figures of the reliability and security suites (log lines `RELIABILITY: ...`)
are printed as one table.  The closing line is `N passed, N failed` (pytest and Odoo counts
together).  The run fails when anything failed, when an install failed, when zero tests ran, or
when an addon ran no test.
Called by `setup/test.sh` (make test), never directly by CI.
"""

import bisect
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid

REPO = os.environ["REPO_ROOT"]
ODOO_PATH = os.environ["ODOO_PATH"]
VENV = os.environ["VENV"]
PY = os.path.join(VENV, "bin", "python")
ADDONS = os.environ["SYNC_ADDONS"].split(",")
LOG_DIR = os.path.join(REPO, "var")

SUMMARY_RE = re.compile(
    r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database"
)
START_RE = re.compile(r"odoo\.addons\.(sync_\w+)\.tests\.\S+: Starting ")
# A test's start line with its time stamp: the time until the next start (or the summary) is
# the test's, summed per addon and per test class to print each suite's time.
TIMED_START_RE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*?odoo\.addons\.(sync_\w+)\.tests\.(\S+): "
    r"Starting (\w+)\.",
    re.M,
)
# What ends the last test before it: a module being loaded or installed, post-install tests
# starting, the summary.
END_RE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) .*"
    r"(?:odoo\.tests\.result: |odoo\.modules\.loading: |Starting post tests)",
    re.M,
)
# Generated webhook deliveries per connector in `make test` (webhook_suite.fuzz_examples): the
# suites' figure of 10,000 per connector costs about 200 s each on 2 cores, which several
# connectors cannot afford inside the 45-minute budget; `SYNC_FUZZ_EXAMPLES=10000 make test`
# (or the suite alone, see README) runs the full figure.
MAKE_TEST_FUZZ_EXAMPLES = "2500"
SKIP_RE = re.compile(r"odoo\.addons\.(sync_\w+)\.tests\.\S+: skipped (.*)")
PYTEST_RE = re.compile(r"(\d+) (passed|failed|error|errors)\b")
# One line per figure of the reliability and security suite (sync_core/tests/webhook_suite.py).
RELIABILITY_RE = re.compile(r"RELIABILITY: (\S+) (.+?): (.*?)\s*$", re.M)
# Long suites: (label, script, environment).  Sizes keep them under about 6 minutes each on
# 2 cores: one server, then two servers, each drain the 20,000 jobs with a webhook
# burst, so that their drain times compare the same backlog.
LONG_SUITES = [
    ("crash", "bench/chaos_kill.py", {"CHAOS_N": "4000", "CHAOS_N2": "1000"}),
    ("crash webhooks", "bench/chaos_webhook.py", {}),
    (
        "two servers",
        "tests/reliability/two_servers.py",
        {"TWO_SERVERS_N": "20000", "TWO_SERVERS_ONE_N": "20000"},
    ),
    # issue 20: export in one database, import with a diff, change, rollback in a second one
    # (copied from the first, then given other ids; the script drops it), about 2 minutes
    ("config two databases", "tests/reliability/config_two_databases.py", {}),
]
# Output of the Odoo tests and the long suites whose RELIABILITY lines make the final table.
FIGURE_TEXTS = []


def step(msg):
    print(f"\n== {msg}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, **kw)


def psql(sql, db="postgres"):
    return run(["psql", "-X", "-q", "-tA", "-d", db, "-c", sql], capture_output=True, text=True)


def odoo(*args, log_file=None):
    cmd = [
        PY,
        os.path.join(ODOO_PATH, "odoo-bin"),
        f"--addons-path={os.environ['ADDONS_PATH']}",
        f"--db_host={os.environ['PGHOST']}",
        f"--db_port={os.environ['PGPORT']}",
        f"--db_user={os.environ['PGUSER']}",
        "--stop-after-init",
        "--no-database-list",
        "--max-cron-threads=0",
        *args,
    ]
    if log_file is None:
        return run(cmd, capture_output=True, text=True)
    with open(log_file, "w") as fh:
        return run(cmd, stdout=fh, stderr=subprocess.STDOUT)


def lint():
    step("lint (ruff, ruff format, pylint-odoo mandatory checks)")
    dirs = [
        d for d in ("addons", "tests", "setup", "bench") if os.path.isdir(os.path.join(REPO, d))
    ]
    ruff = os.path.join(VENV, "bin", "ruff")
    pylint = [PY, "-m", "pylint", f"--rcfile={os.path.join(REPO, '.pylintrc-mandatory')}"]
    failed = 0
    for cmd in (
        [ruff, "check", *dirs],
        [ruff, "format", "--check", *dirs],
        [*pylint, *[os.path.join("addons", a) for a in ADDONS]],
    ):
        if run(cmd, cwd=REPO).returncode:
            print(f"FAILED: {' '.join(cmd[:4])} ...")
            failed += 1
    return failed


def pure_tests():
    step("tests without a database (tests/)")
    res = run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(res.stdout[-6000:])
    sys.stdout.write(res.stderr[-3000:])
    passed = failed = 0
    last = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    for num, word in PYTEST_RE.findall(last):
        if word == "passed":
            passed += int(num)
        else:
            failed += int(num)
    if res.returncode not in (0, 5) and not failed:
        failed = 1  # pytest crashed (collection error, usage error)
    return passed, failed


def dependencies():
    """The Odoo apps our addons depend on, outside our own addons (for the template)."""
    deps = set()
    for addon in ADDONS:
        with open(os.path.join(REPO, "addons", addon, "__manifest__.py")) as fh:
            manifest = eval(fh.read(), {})
        deps.update(d for d in manifest["depends"] if d not in ADDONS)
    return sorted(deps)


def template_db(deps):
    """A database holding the dependencies, built once per Odoo tree and dependency set."""
    key = hashlib.sha256(
        (
            ODOO_PATH + ",".join(deps) + str(os.path.getmtime(os.path.join(ODOO_PATH, "odoo")))
        ).encode()
    ).hexdigest()[:10]
    name = f"odoo_sync_tmpl_{key}"
    if psql(f"SELECT 1 FROM pg_database WHERE datname='{name}'").stdout.strip() == "1":
        return name
    step(f"building template database {name} ({', '.join(deps)})")
    building = name + "_building"
    run(["dropdb", "--if-exists", building])
    log = os.path.join(LOG_DIR, "template.log")
    t0 = time.time()
    res = odoo("-d", building, "-i", ",".join(deps), "--log-level=warn", log_file=log)
    if res.returncode:
        print(open(log).read()[-5000:])
        raise SystemExit(f"ERROR: installing Odoo's own apps {deps} failed (log: {log})")
    run(
        [
            "psql",
            "-X",
            "-q",
            "-d",
            "postgres",
            "-c",
            f'ALTER DATABASE "{building}" RENAME TO "{name}"',
        ]
    )
    print(f"template ready in {time.time() - t0:.0f}s")
    return name


def odoo_tests():
    deps = dependencies()
    tmpl = template_db(deps)
    db = f"odoo_sync_test_{uuid.uuid4().hex[:8]}"
    step(f"installing {', '.join(ADDONS)} in fresh database {db} and running their tests")
    res = run(["createdb", "-T", tmpl, db])
    if res.returncode:
        raise SystemExit(f"ERROR: createdb -T {tmpl} {db} failed")
    log = os.path.join(LOG_DIR, "odoo-tests.log")
    os.environ.setdefault("SYNC_FUZZ_EXAMPLES", MAKE_TEST_FUZZ_EXAMPLES)
    print(f"generated webhook deliveries per connector: {os.environ['SYNC_FUZZ_EXAMPLES']}")
    t0 = time.time()
    try:
        res = odoo(
            "-d",
            db,
            "-i",
            ",".join(ADDONS),
            "--test-enable",
            "--test-tags",
            ",".join(f"/{a}" for a in ADDONS),
            "--http-port=0",
            "--http-interface=127.0.0.1",
            "--log-level=test",
            f"--screenshots={os.path.join(LOG_DIR, 'screenshots')}",
            log_file=log,
        )
    finally:
        if not os.environ.get("KEEP_TEST_DB"):
            run(["dropdb", "--if-exists", db])
    text = open(log, errors="replace").read()
    per_addon = {}
    for addon in START_RE.findall(text):
        per_addon[addon] = per_addon.get(addon, 0) + 1
    problems = []
    for line in text.splitlines():
        if re.search(r" (ERROR|CRITICAL) ", line) or line.startswith(("FAIL:", "ERROR:")):
            problems.append(line)
    if problems:
        print("\n".join(problems[:80]))
    skipped = SKIP_RE.findall(text)
    if skipped:
        print("ERROR: skipped tests (tours need Chromium and websocket-client):")
        print("\n".join(f"  {addon}: {why}" for addon, why in skipped))
    match = SUMMARY_RE.findall(text)
    print(f"odoo-bin exited {res.returncode} after {time.time() - t0:.0f}s (log: {log})")
    for addon in ADDONS:
        print(f"  {addon}: {per_addon.get(addon, 0)} tests")
    if not match:
        print(text[-4000:])
        print("ERROR: odoo-bin printed no test summary (install failed?)")
        return 0, 1
    failures, errors, total = (int(x) for x in match[-1])
    failed = failures + errors
    if res.returncode and not failed:
        print(f"ERROR: odoo-bin exited {res.returncode} (install or load failure)")
        failed = 1
    missing = [a for a in ADDONS if not per_addon.get(a)]
    if missing:
        print(f"ERROR: no test ran in {', '.join(missing)}")
        failed += len(missing)
    failed += len(skipped)
    FIGURE_TEXTS.append(text)
    suite_times(text)
    return max(total - failures - errors - len(skipped), 0), failed


def _stamp(day_time, millis):
    return time.mktime(time.strptime(day_time, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


def suite_times(text):
    """Each addon's test time and the ten slowest test classes, from the log's time stamps."""
    starts = [
        (_stamp(d, ms), addon, f"{addon}.{module.rsplit('.', 1)[-1]}.{cls}")
        for d, ms, addon, module, cls in TIMED_START_RE.findall(text)
    ]
    if not starts:
        return
    bounds = sorted([t for t, _a, _c in starts] + [_stamp(d, ms) for d, ms in END_RE.findall(text)])
    stops = [bounds[min(bisect.bisect_right(bounds, t0), len(bounds) - 1)] for t0, _a, _c in starts]
    per_addon, per_class = {}, {}
    for (t0, addon, cls), t1 in zip(starts, stops, strict=True):
        spent = max(t1 - t0, 0)
        per_addon[addon] = per_addon.get(addon, 0) + spent
        per_class[cls] = per_class.get(cls, 0) + spent
    step("time per test suite (addon), then the ten slowest test classes")
    for addon in ADDONS:
        print(f"  {addon:<20} {per_addon.get(addon, 0):7.0f} s")
    for cls, spent in sorted(per_class.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {cls:<60} {spent:6.0f} s")


def reliability_table(text):
    """The figures the reliability and security suites logged, as one table."""
    rows = RELIABILITY_RE.findall(text)
    step("reliability and security figures")
    if not rows:
        print("(no figure logged)")
        return
    width = max(len(f"{suite} {subject}") for suite, subject, _ in rows)
    for suite, subject, figures in rows:
        print(f"  {f'{suite} {subject}':<{width}}  {figures}")


def long_suites():
    """Each long suite on its own scratch database (sync_core installed once, then copied);
    a suite passes when its script exits 0."""
    tmpl = template_db(dependencies())
    base = f"odoo_sync_long_{uuid.uuid4().hex[:8]}"
    step(f"long reliability suites (scratch database {base})")
    if run(["createdb", "-T", tmpl, base]).returncode:
        raise SystemExit(f"ERROR: createdb -T {tmpl} {base} failed")
    passed = failed = 0
    try:
        res = odoo("-d", base, "-i", "sync_core", "--log-level=warn", "--http-port=0")
        if res.returncode:
            print(res.stdout[-3000:], res.stderr[-3000:])
            return 0, 1
        for label, script, extra in LONG_SUITES:
            db = f"{base}_{passed + failed}"
            run(["createdb", "-T", base, db])
            t0 = time.time()
            # its own process group: on a timeout the Odoo servers it started die with it
            proc = subprocess.Popen(
                [PY, os.path.join(REPO, script), "--db", db],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env={**os.environ, **extra},
                start_new_session=True,
            )
            try:
                out, _err = proc.communicate(timeout=900)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, _err = proc.communicate()
                out, code = (out or "") + "\nTIMEOUT after 900 s", 1
            finally:
                run(["dropdb", "--if-exists", db])
            FIGURE_TEXTS.append(out)
            with open(os.path.join(LOG_DIR, f"long-{label.replace(' ', '_')}.log"), "w") as fh:
                fh.write(out)
            shown = [ln for ln in out.splitlines() if ln.startswith(("FAIL", "RELIABILITY"))]
            print("\n".join(shown[-20:]))
            print(f"  {label}: exit {code} after {time.time() - t0:.0f}s")
            if code:
                print(out[-3000:])
                failed += 1
            else:
                passed += 1
    finally:
        run(["dropdb", "--if-exists", base])
    return passed, failed


def main():
    os.makedirs(LOG_DIR, exist_ok=True)
    t0 = time.time()
    lint_failed = 0 if os.environ.get("SKIP_LINT") else lint()
    p1, f1 = pure_tests()
    p2, f2 = odoo_tests()
    p3, f3 = (0, 0) if os.environ.get("SKIP_LONG") else long_suites()
    passed, failed = p1 + p2 + p3, f1 + f2 + f3 + lint_failed
    reliability_table("\n".join(FIGURE_TEXTS))
    step(f"done in {time.time() - t0:.0f}s")
    if passed + failed == 0:
        print("ERROR: no test ran")
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
