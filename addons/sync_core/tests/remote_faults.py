"""Remote faults suite (issue 11, section 2 item 4), shared by the connectors.

A connector's test case mixes in `RemoteFaultsMixin` (with its own case: backend, fake) and
drives the job runner pass by pass while its fake (sync_core's `fake.faults.FaultInjector`)
answers about 20% of the requests with seeded random faults in the vendor's shapes: between
passes the pending jobs and the blocked channels are made due now instead of sleeping, and the
passes that found a channel blocked are counted.  `figures(...)` builds the figure line, logged
as ``RELIABILITY: faults <connector>: <figures>`` (collected by setup/run_tests.py);
`always_failing(...)` runs one job whose remote call always fails and checks that it ends with
exactly one exception, after its last attempt.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import fields
from odoo.tests.common import _super_send

_logger = logging.getLogger(__name__)

# The transient fault kinds every remote gets (a connector adds its vendor's shapes).
TRANSIENT_KINDS = [
    {"kind": "timeout", "seconds": 1.5},  # the backends' timeout is 1 s
    {"kind": "reset"},
    {"kind": "malformed"},
]


class RemoteFaultsMixin:
    """Needs ``self.backend`` and ``self.fake`` (a `FaultInjector`)."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """The remote's timeouts are the point here: requests to the local fake keep the
        adapter's timeout (Odoo's tests raise any timeout under 10 s to 10 s)."""
        if urlsplit(r.url).hostname in ("127.0.0.1", "localhost"):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def fault_jobs(self):
        return self.env["sync.job"].search([("backend_id", "=", self.backend.id)])

    def open_exceptions(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )

    def drive(self, passes=80):
        """Run the job runner until no job of the backend is pending; between passes the
        pending jobs and the blocked channels are made due now.  Returns (passes, blocked
        channel sightings)."""
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        blocked = 0
        for done in range(1, passes + 1):
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.env.invalidate_all()
            now = fields.Datetime.now()
            channels = self.env["sync.channel"].search([("backend_id", "=", self.backend.id)])
            throttled = channels.filtered(
                lambda c, now=now: c.blocked_until and c.blocked_until > now
            )
            blocked += len(throttled)
            throttled.write({"blocked_until": False, "last_start_at": False})
            pending = self.fault_jobs().filtered(lambda j: j.state == "pending")
            if not pending:
                return done, blocked
            pending.write({"eta": now - timedelta(seconds=1)})
        self.fail(f"jobs still pending after {passes} passes: {self.fault_jobs().mapped('state')}")

    def assert_fault_mix(self, requests, expected):
        """At least 10% of the requests were faults, and every kind of `expected` happened."""
        faults = self.fake.faults_injected
        self.assertGreaterEqual(sum(faults.values()) / requests, 0.1, dict(faults))
        for kind in expected:
            self.assertIn(kind, faults)
        return faults

    def fault_figures(self, connector, subject, records, synced, requests, jobs, *extra):
        """Log and return the figure line: records synced / total, max attempt, requests per
        record, exceptions (and `extra` texts: channel blocks, token renewals ...)."""
        faults = self.fake.faults_injected
        count = sum(faults.values())
        max_attempt = max(jobs.mapped("attempt"))
        parts = [
            f"{synced}/{records} {subject} synced ({synced / records:.0%})",
            f"{requests} remote requests of which {count} faults ({count / requests:.0%}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(faults.items()))
            + ")",
            f"{len(jobs.filtered(lambda j: j.attempt > 1))} of {len(jobs)} jobs retried",
            f"max attempt {max_attempt}/{min(jobs.mapped('max_attempts'))}",
            f"{requests / records:.2f} requests per record",
            *extra,
            f"{len(self.open_exceptions())} open exceptions",
        ]
        line = ", ".join(parts)
        _logger.info("RELIABILITY: faults %s: %s", connector, line)
        return line

    def always_failing(self, job, calls, per_attempt=1):
        """Run `job` (its remote call always fails) pass by pass until it leaves pending.
        `calls()` counts its remote calls.  Checks: failed after exactly max_attempts attempts,
        no exception before the last one and exactly one after it, `per_attempt` calls per
        attempt (an adapter that sends a failed read again at once makes more than one)."""
        before = calls()
        seen = []
        cron = self.env.ref("sync_core.ir_cron_sync_job_runner")
        for _pass in range(job.max_attempts + 2):
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
            self.env.invalidate_all()
            seen.append((job.attempt, job.state, len(self.open_exceptions())))
            if job.state != "pending":
                break
            job.eta = fields.Datetime.now() - timedelta(seconds=1)
            self.env["sync.channel"].search([("backend_id", "=", self.backend.id)]).write(
                {"blocked_until": False, "last_start_at": False}
            )
        self.assertEqual(job.state, "failed", seen)
        self.assertEqual(job.attempt, job.max_attempts)
        self.assertEqual([n for _a, _s, n in seen[:-1]], [0] * (len(seen) - 1), seen)
        exceptions = self.open_exceptions()
        self.assertEqual(len(exceptions), 1, exceptions.mapped("name"))
        self.assertEqual(calls() - before, job.max_attempts * per_attempt)
        return exceptions
