import math
from datetime import datetime, timedelta

from .common import SyncCase


class TestPull(SyncCase):
    def seed(self, count, start=None):
        start = start or datetime(2024, 1, 1)
        return [
            self.fake.put(
                "customers",
                {"name": f"Pulled {i:04d}", "email": f"p{i}@x{i}.test"},
                updated_at=start + timedelta(seconds=i),
            )
            for i in range(count)
        ]

    def test_pull_applies_everything_in_few_calls(self):
        self.seed(120)
        before = self.fake.count("GET", "/objects/customers")
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        self.assertGreaterEqual(job.progress_at, job.started_at, "each page shows progress")
        calls = self.fake.count("GET", "/objects/customers") - before
        self.assertLessEqual(calls, math.ceil(120 / 50) + 2)
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 120)
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1) + timedelta(seconds=119))
        self.assertTrue(wm.last_success_at)

    def test_overlap_does_not_duplicate(self):
        self.seed(30)
        self.pull()
        wm = self.backend.watermark_ids
        wm.lookback_seconds = 3600  # the whole set is read again
        self.fake.put("customers", {"name": "Late one"}, updated_at=datetime(2024, 1, 1, 0, 0, 10))
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 30)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Late one")]), 1)
        self.assertIn('"identical": 30', job.result)

    def test_dry_run_moves_nothing(self):
        self.seed(5)
        job = self.pull(dry_run=True)
        self.assertEqual(job.state, "done", job.error)
        self.assertFalse(self.env["res.partner"].search([("name", "like", "Pulled ")]))
        self.assertFalse(self.env["sync.binding"].search([("backend_id", "=", self.backend.id)]))
        self.assertFalse(self.backend.watermark_ids.cursor_stamp)
        self.assertIn('"created": 5', job.result)
        self.assertIn("Pulled 0003", job.result, "the dry run shows what would change")

    def test_second_pull_of_same_object_stops(self):
        wm = self.backend._watermark("customers")
        other = self.registry.cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [0x5C0C, wm.id])
            self.seed(3)
            job = self.pull()
            self.assertEqual(job.state, "done")
            self.assertIn("already running", job.result)
            self.assertFalse(self.env["res.partner"].search([("name", "like", "Pulled ")]))
        finally:
            other.execute("SELECT pg_advisory_unlock(%s, %s)", [0x5C0C, wm.id])
            other.close()

    def test_failure_mid_pull_keeps_applied_pages(self):
        self.seed(120)
        # page 1 is served, page 2 fails: the watermark stays after page 1
        original = self.fake.dispatch
        served = []

        def flaky(request):
            if request.path.endswith("/objects/customers"):
                served.append(1)
                if len(served) == 2:
                    self.fake.fail_next(1, status=502)
            return original(request)

        self.fake.dispatch = flaky
        try:
            job = self.pull()
        finally:
            self.fake.dispatch = original
        self.assertEqual(job.state, "pending")
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 50)
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1) + timedelta(seconds=49))
        self.make_due(job)
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 120)

    def test_failures_that_saved_pages_do_not_use_up_attempts(self):
        """Every second page request fails: each attempt saves a page and its watermark, then
        fails.  Attempts count failures in a row without progress, so the pull ends done
        (it was dead-lettered after max_attempts attempts that each made progress)."""
        self.seed(120)  # pages of 50, 50, 20, one second apart
        self.env.ref("sync_core.job_kind_pull").write({"max_attempts": 2})
        # no lookback: each attempt goes on from the last page saved (with the default 300 s,
        # every attempt reads the seed again from its start: no progress, attempts count)
        self.backend._watermark("customers").lookback_seconds = 0
        original = self.fake.dispatch
        served = []

        def flaky(request):
            if request.path.endswith("/objects/customers"):
                served.append(1)
                if len(served) % 2 == 0:
                    self.fake.fail_next(1, status=502)
            return original(request)

        self.fake.dispatch = flaky
        try:
            job = self.pull()
            attempts = []
            for _run in range(4):
                attempts.append((job.state, job.attempt))
                if job.state != "pending":
                    break
                self.make_due(job)
                self.run_jobs()
        finally:
            self.fake.dispatch = original
        self.assertEqual(attempts[:2], [("pending", 0), ("pending", 0)], "progress, no count")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 120)
        # a failure that saves nothing still counts
        self.fake.fail_next(1, status=502)
        job = self.pull()
        self.assertEqual((job.state, job.attempt), ("pending", 1))

    def test_bad_record_becomes_one_exception(self):
        self.seed(4)
        self.fake.put(
            "customers", {"name": "Nowhere Inc", "country": "QQ"}, updated_at=datetime(2024, 1, 2)
        )
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Pulled ")]), 4)
        exc = self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.category, "missing_reference")
        self.assertIn("QQ", exc.name)
