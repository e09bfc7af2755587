"""Wall and CPU seconds of a block of a bench run inside `odoo-bin shell` (bench_psa.py,
bench_jira.py): the CPU of the Odoo thread and of its cursor's PostgreSQL backend, read from
/proc as bench_pull.py reads them.  On a shared machine the wall time moves with the other
processes' load; the CPU time much less.  The benches import it from REPO_ROOT/bench
(exported by setup/env.sh)."""

import cProfile
import os
import time


def cpu_seconds(env):
    """(Odoo, PostgreSQL) CPU seconds used so far by this thread (a fake serves from other
    threads) and by the cursor's PostgreSQL backend (None when it cannot be read)."""
    env.cr.execute("SELECT pg_backend_pid()")
    pid = env.cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return time.thread_time(), None
    return time.thread_time(), (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Measure:
    """Wall and CPU seconds of a block: `cpu` is the total (None when PostgreSQL's share is
    unreadable), `odoo_cpu` and `pg_cpu` its parts.  With `profile` (a path prefix), the block
    is profiled into <profile>.<name>.prof."""

    def __init__(self, env, name, profile=None):
        self.env, self.name, self.profile = env, name, profile
        self.profiler = cProfile.Profile() if profile else None

    def __enter__(self):
        self.cpu0 = cpu_seconds(self.env)
        self.t0 = time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc):
        if self.profiler:
            self.profiler.disable()
        self.wall = time.perf_counter() - self.t0
        cpu1 = cpu_seconds(self.env)
        self.odoo_cpu = cpu1[0] - self.cpu0[0]
        self.pg_cpu = cpu1[1] - self.cpu0[1] if cpu1[1] is not None else None
        self.cpu = self.odoo_cpu + self.pg_cpu if self.pg_cpu is not None else None
        if self.profiler:
            self.profiler.dump_stats(f"{self.profile}.{self.name}.prof")


def cpu_ratio_line(raw, pull):
    """The line the benches print for the ratio of CPU seconds (raw / pull), or ''."""
    if not (raw.cpu and pull.cpu):
        return ""
    return (
        f"ratio by CPU seconds:         {raw.cpu / pull.cpu:8.2f}   (raw {raw.cpu:.2f} s ="
        f" {raw.odoo_cpu:.2f} Odoo + {raw.pg_cpu:.2f} PostgreSQL, pull {pull.cpu:.2f} s ="
        f" {pull.odoo_cpu:.2f} + {pull.pg_cpu:.2f})"
    )
