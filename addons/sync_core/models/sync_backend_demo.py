"""The sandbox demo (`make demo`): each connector's set-up, then the job runner until what the
demo shows is there, before Odoo serves its first page."""

import time

from odoo import api, fields, models
from odoo.modules import module as odoo_module

# What follows the set-up, in this order, each step followed by the job runner:
# "sync": what the set-up's jobs made possible (a PSA reads the time logged on the workspaces
# that the CRM's won deals created); "check": controls over what arrived (a reconciliation run).
DEMO_STEPS = ("sync", "check")
# Seconds the demo's jobs may take in all (a delayed pull, a channel throttle are waited for).
DEMO_BUDGET = 90
# addon name -> the sync.backend method that makes its sandbox backend on the fake at a URL
# (idempotent): connectors add theirs, the demo calls them in this order
DEMO_SETUPS = {}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _demo_run(self, fake_urls, budget=DEMO_BUDGET):
        """`make demo` before it serves: `_demo_setup(fake_urls)` (each connector's sandbox
        backend on its fake), then the steps of `DEMO_STEPS` (`_demo_step`), the job runner
        run after each as the scheduler runs it, until no job is due within `budget` seconds.
        Returns {step: jobs that ended}."""
        deadline = time.monotonic() + budget
        self._demo_setup(fake_urls)
        ended = {"setup": self._demo_drain(deadline)}
        for step in DEMO_STEPS:
            self._demo_step(step)
            ended[step] = self._demo_drain(deadline)
        return ended

    @api.model
    def _demo_setup(self, fake_urls):
        """Each connector's sandbox backend wired to its fake (`DEMO_SETUPS`), for the fakes
        that run.  fake_urls: {addon name: base URL of its fake}.  Idempotent."""
        for addon, method in DEMO_SETUPS.items():
            if fake_urls.get(addon) and hasattr(self, method):
                getattr(self, method)(fake_urls[addon])
        return True

    @api.model
    def _demo_backend(self, values):
        """The sandbox backend of `values` (its kind and base URL) made by an earlier demo,
        else a new one."""
        domain = [("kind", "=", values["kind"]), ("base_url", "=", values["base_url"])]
        found = self.search([*domain, ("sandbox", "=", True)], limit=1)
        return found or self.create({**values, "sandbox": True})

    @api.model
    def _demo_step(self, step):
        """Connectors' hook: do (or enqueue) their part of demo step `step` (`DEMO_STEPS`)."""
        return True

    @api.model
    def _demo_drain(self, deadline):
        """Run the job runner cron until no job is due before `deadline` (time.monotonic());
        a job due soon (a delayed pull, a throttled or blocked channel) is waited for.  Returns
        how many jobs ended (done or failed)."""
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        Job = self.env["sync.job"].sudo()
        ended = Job.search_count([("state", "in", ("done", "failed"))])
        while True:
            # the runner claims and runs jobs in transactions of its own: what the demo wrote
            # so far must be committed for it to see (a test shares one cursor: no commit)
            if not odoo_module.current_test:
                self.env["ir.cron"]._commit_progress()  # outside a cron: a commit
            cron.method_direct_trigger()
            self.env.invalidate_all()
            pending = Job.search([("state", "=", "pending")], order="eta, id")
            if not pending:
                break
            now = fields.Datetime.now()
            starts = [
                max(filter(None, (job.eta, job.channel_id.blocked_until)), default=now)
                for job in pending
            ]
            wait = max((min(starts) - now).total_seconds(), 0.2)
            if time.monotonic() + wait > deadline:
                break
            time.sleep(min(wait, 2.0))
        return Job.search_count([("state", "in", ("done", "failed"))]) - ended
