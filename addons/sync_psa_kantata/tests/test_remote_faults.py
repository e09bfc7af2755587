# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Remote faults (issue 11, section 2 item 4) for Kantata OX: a pull of approved time (time
entries -> timesheet lines) and the change feed (subscribed events -> batched re-reads)
against an account that answers about 20% of the API requests with a seeded random fault in
Kantata's shapes (``{"errors": [{"type", "message"}]}``: 429 with and without Retry-After,
500/502/503, timeouts, reset connections, JSON cut short) and expires the OAuth access token
once (401, a new one by the client credentials grant); the runner is driven pass by pass
(sync_core's `RemoteFaultsMixin`)."""

import time
from datetime import timedelta

from odoo import fields
from odoo.tools import mute_logger

from odoo.addons.sync_core.exceptions import RateLimitedError
from odoo.addons.sync_core.tests.remote_faults import TRANSIENT_KINDS, RemoteFaultsMixin

from .common import PsaCase

PULLED, FED = 100, 100
FAULT_KINDS = [
    {"kind": "status", "status": 429, "retry_after": 30},
    {"kind": "status", "status": 429},  # Kantata's own: no Retry-After
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 503},
    *TRANSIENT_KINDS,
]
# Remote requests per record: a page of the pull reads 20 entries (with their users and
# stories), the feed 200 events a page, a re-read job 2 entries; each fault costs one more
# request (a 502/503 of a GET up to 2 more: the adapter's urllib3 retries), 5 attempts at most.
MAX_REQUESTS_PER_RECORD = 3


class TestRemoteFaults(RemoteFaultsMixin, PsaCase):
    def setUp(self):
        super().setUp()
        root = self.fake.base_url.removesuffix("/api/v1")
        self.backend.write(
            {
                "kantata_auth": "client_credentials",
                "kantata_client_id": self.fake.client_id,
                "kantata_client_secret": self.fake.client_secret,
                "kantata_token_url": f"{root}/oauth/token",
                "timeout": 1,
                "page_size": 20,
            }
        )
        # feed changes re-read in batches of 2: many reads to fault
        self.env.ref("sync_psa.job_kind_psa_import").batch_size = 2

    def lines(self, entries):
        return self.env["account.analytic.line"].search(
            [
                ("psa_backend_id", "=", self.backend.id),
                ("psa_entry_id", "in", [e["id"] for e in entries]),
            ]
        )

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_core.adapter",
    )
    def test_transient_faults_all_synced(self):
        started = time.monotonic()
        pulled = [self.entry(30 + n % 4 * 15, notes=f"pulled {n}") for n in range(PULLED)]
        self.fake.random_faults(0.2, FAULT_KINDS, seed=11, path_contains="/api/v1/")
        requests_before = self.fake.requests
        self.fake.faults_injected.clear()
        self.enqueue("psa_pull", {"object": "time_entries"}, "pull:time_entries")
        passes, blocked = self.drive()
        # the change feed: entries logged and approved in Kantata since the feed was last
        # read; the access token expired meanwhile (401 -> a new one from the token endpoint)
        self.backend._watermark("subscribed_events").cursor_stamp = (
            fields.Datetime.now() - timedelta(hours=1)
        )
        fed = [self.entry(60, notes=f"fed {n}") for n in range(FED)]
        self.fake.expire_access_tokens()
        self.enqueue("psa_events", {}, "psa:events")
        more = self.drive()
        passes, blocked = passes + more[0], blocked + more[1]
        self.fake.clear_faults()
        elapsed = time.monotonic() - started

        entries = pulled + fed
        lines = self.lines(entries)
        self.assertEqual(
            sorted(lines.mapped("psa_entry_id")), sorted(e["id"] for e in entries), "once each"
        )
        for entry, line in ((e, self.line_of(e)) for e in entries):
            self.assertEqual(line.unit_amount, entry["time_in_minutes"] / 60)
        bindings = self.env["sync.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "account.analytic.line"),
                ("external_id", "in", [e["id"] for e in entries]),
            ]
        )
        self.assertEqual(len(bindings), len(entries))
        jobs = self.fault_jobs().filtered(lambda j: j.kind != "export")
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertLessEqual(max(jobs.mapped("attempt")), min(jobs.mapped("max_attempts")))
        self.assertTrue(jobs.filtered(lambda j: j.attempt > 1), "the faults made jobs retry")
        self.assertGreater(blocked, 0, "a 429 blocked the channel")
        self.assertFalse(self.open_exceptions(), "every fault was transient")
        requests = self.fake.requests - requests_before
        self.assert_fault_mix(requests, ("429", "500", "502", "503", "timeout", "reset"))
        self.assertIn("malformed", self.fake.faults_injected)
        unauthorized = self.fake.statuses[401]
        refreshes = len(self.fake.calls("POST", "/oauth/token"))
        self.assertEqual(refreshes, 1, "the new token outlived the jobs that failed after it")
        self.assertEqual(unauthorized, 1)
        per_record = requests / len(entries)
        self.assertLessEqual(per_record, MAX_REQUESTS_PER_RECORD)
        self.fault_figures(
            "kantata",
            f"time entries ({PULLED} by the approved-time pull, {FED} by the change feed "
            "and its batched re-reads)",
            len(entries),
            len(lines),
            requests,
            jobs,
            f"expired token: {unauthorized} 401 -> {refreshes} token requests",
            f"channel blocked {blocked}x",
            f"{passes} runner passes, {elapsed:.1f} s",
        )

    def test_retry_after_is_not_slept_inline(self):
        """urllib3's Retry slept any Retry-After of a 429 or 503 inline (a 429 with 30 s held
        the worker 60 s over two retries, the channel open to the other jobs)."""
        adapter = self.backend._get_adapter()
        self.fake.add_fault("status", 1, path_contains="/time_entries", status=429, retry_after=30)
        started = time.monotonic()
        with self.assertRaises(RateLimitedError) as caught:
            adapter.read_batch("time_entries", ["1"])
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(caught.exception.retry_after, 30)
        self.assertEqual(self.fake.faults_injected["429"], 1, "one request, no inline retry")

    @mute_logger("odoo.addons.sync_core.models.sync_job", "odoo.addons.sync_core.adapter")
    def test_expired_token_fetched_again_once_and_kept_when_the_job_fails(self):
        """A 401 for an expired client-credentials token was a permanent authentication
        error (every job dead-lettered); now the token is fetched again once, and kept when
        the job then fails on something else (no second 401, no second token request)."""
        entry = self.entry(60)
        self.fake.expire_access_tokens()
        # the call re-sent with the new token fails: the job's transaction is rolled back
        self.fake.add_fault("status", 1, path_contains="/time_entries", status=500)
        self.fake.add_fault("status", 1, path_contains="/time_entries", status=500)
        job = self.enqueue(
            "psa_import",
            {"object": "time_entries", "ids": [entry["id"]]},
            f"psa:import:time_entries:{entry['id']}",
        )
        self.drive()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(job.attempt, 3)
        self.assertTrue(self.line_of(entry))
        self.assertEqual(len(self.fake.calls("POST", "/oauth/token")), 1)
        self.assertEqual(self.fake.statuses[401], 1)

    @mute_logger("odoo.addons.sync_core.models.sync_job")
    def test_long_feed_commits_page_by_page(self):
        """A fault on a later page of a long change feed rolled back every page read before
        it (events, re-read jobs, cursor) and counted an attempt: a feed longer than a few
        pages under faults was dead-lettered.  Now each page is committed with the cursor
        moved past it, and a failure after a saved page is not an attempt."""
        wm = self.backend._watermark("subscribed_events")
        wm.cursor_stamp = fields.Datetime.now() - timedelta(hours=1)
        for n in range(250):  # events a minute apart, for 25 minutes
            if n % 10 == 0:
                self.fake.advance(minutes=1)
            self.entry(60, notes=f"logged {n}")
        self.fake.add_fault("status", 1, path_contains="/subscribed_events", status=500, skip=1)
        # the retry is due an hour later: on a loaded machine the 250 re-reads the first page
        # enqueues can outlast a short delay and run the retry inside the same drain
        self.env.ref("sync_psa.job_kind_psa_events").write({"retry_pattern": "1:3600"})
        job = self.enqueue("psa_events", {}, "psa:events")
        self.run_jobs()
        self.assertEqual((job.state, job.attempt), ("pending", 0), job.error)
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 200, "the first page is kept")
        self.assertGreater(wm.cursor_stamp, fields.Datetime.now())  # the fake's clock is ahead
        job.eta = job.create_date
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 250, "each event stored once")
        self.assertEqual(set(events.mapped("object_name")), {"time_entries"})

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_core.adapter",
    )
    def test_one_record_always_failing_one_exception_after_last_attempt(self):
        fine = [self.entry(60) for _n in range(3)]
        broken = self.entry(45)
        for entry in fine:
            self.enqueue(
                "psa_import",
                {"object": "time_entries", "ids": [entry["id"]]},
                f"psa:import:time_entries:{entry['id']}",
            )
        self.drive()
        self.fake.fail_next(500, count=1000, method="GET", path="/time_entries")
        job = self.enqueue(
            "psa_import",
            {"object": "time_entries", "ids": [broken["id"]]},
            f"psa:import:time_entries:{broken['id']}",
        )
        exceptions = self.always_failing(job, lambda: len(self.fake.calls("GET", "/time_entries")))
        self.assertEqual(exceptions.job_id, job)
        for entry in fine:
            self.assertTrue(self.line_of(entry))
        self.assertFalse(self.line_of(broken))
