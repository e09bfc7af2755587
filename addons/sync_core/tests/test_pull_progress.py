"""Pull transactions and attempts: pages committed together with their watermark, and attempts
that count only when a job saved nothing, within its kind's retry window (issue 15 "Also",
issue 16 section 4).  The remote is the generic fake over HTTP, its faults injected per request.
"""

import json
from datetime import datetime, timedelta

from odoo import fields
from odoo.tools import mute_logger

from .common import SyncCase


class TestPullProgress(SyncCase):
    def setUp(self):
        super().setUp()
        # no lookback: each attempt goes on from the last page saved (with the default 300 s,
        # every attempt reads the seed again from its start: no progress, attempts count)
        self.backend._watermark("customers").lookback_seconds = 0
        self.kind = self.env.ref("sync_core.job_kind_pull")
        self.kind.write({"max_attempts": 2, "retry_pattern": "1:60", "jitter": 0.1})
        self.list_requests = 0
        self.failing = lambda n: False
        original = self.fake.dispatch

        def dispatch(request):
            if request.path.endswith("/objects/customers"):
                self.list_requests += 1
                if self.failing(self.list_requests):
                    self.fake.fail_next(1, status=502)
            return original(request)

        self.fake.dispatch = dispatch
        self.addCleanup(setattr, self.fake, "dispatch", original)

    def seed(self, count):
        start = datetime(2024, 1, 1)
        return [
            self.fake.put(
                "customers",
                {"name": f"Pulled {i:04d}", "email": f"p{i}@x{i}.test"},
                updated_at=start + timedelta(seconds=i),
            )
            for i in range(count)
        ]

    def pulled(self):
        return self.env["res.partner"].search_count([("name", "like", "Pulled ")])

    def exceptions(self):
        return self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])

    def bind_held_partner(self, external_id):
        """Bind the remote record `external_id` to the main company's partner (committed:
        another session can lock it); returns the partner."""
        partner = self.env.ref("base.main_partner")
        self.env["sync.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "remote_object": "customers",
                "external_id": external_id,
            }
        )
        return partner

    def pull_while_held(self, partner):
        """Run a pull while another transaction holds `partner`'s row; returns the job."""
        self.kind.lock_timeout = 1
        locker = self.registry.cursor()
        try:
            locker.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            with mute_logger("odoo.sql_db"):
                return self.pull()
        finally:
            locker.rollback()
            locker.close()

    def drive(self, job, runs):
        """Run the job again (made due) until it ends; [(state, attempt)] after each run."""
        seen = [(job.state, job.attempt)]
        for _run in range(runs):
            if job.state != "pending":
                break
            self.make_due(job)
            self.run_jobs()
            seen.append((job.state, job.attempt))
        return seen

    # ------------------------------------------------------------------ transactions
    def test_pages_are_committed_together_with_their_watermark(self):
        """Twelve pages of ten: committed on the time/page budget, not one commit a page."""
        self.backend.page_size = 10
        self.seed(120)
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.pulled(), 120)
        result = json.loads(job.result)
        self.assertEqual(result["pages"], 12)
        self.assertGreaterEqual(result["commits"], 1)
        self.assertLess(result["commits"], 12, "pages share their commits")
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1) + timedelta(seconds=119))

    def test_fault_commits_the_pages_applied_before_it(self):
        """The third page read fails: the two pages applied before it (held in the pull's
        transaction) are committed with the watermark past them, and the runner's rollback of
        the failed attempt takes nothing back."""
        self.seed(150)
        self.failing = lambda n: n == 3
        job = self.pull()
        self.assertEqual((job.state, job.attempt), ("pending", 0), "progress saved: not counted")
        self.assertIn("502", job.error)
        self.assertEqual(self.pulled(), 100)
        self.assertEqual(len(self.env["sync.binding"].search([])), 100)
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1) + timedelta(seconds=99))
        self.assertIn("502", wm.last_error)
        self.drive(job, 2)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.pulled(), 150)

    def test_apply_that_gives_way_keeps_the_pages_before_it(self):
        """Page 3 updates a partner another transaction holds: that page gives way (rolled back
        to its savepoint, no exception, attempt kept), pages 1 and 2 are committed.  Applied
        page by page (``sync_core.pull_apply_records`` 1): by default the three pages of 50
        are one apply, which gives way as a whole."""
        self.env["ir.config_parameter"].sudo().set_param("sync_core.pull_apply_records", 1)
        ids = self.seed(150)
        partner = self.bind_held_partner(ids[120])
        job = self.pull_while_held(partner)
        self.assertEqual((job.state, job.attempt, job.conflict_count), ("pending", 0, 1))
        self.assertEqual(self.pulled(), 100)
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1) + timedelta(seconds=99))
        self.assertFalse(self.exceptions())
        self.drive(job, 2)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.pulled(), 150, "the held partner renamed too")
        self.assertEqual(partner.name, "Pulled 0120")

    def test_pages_are_applied_together_up_to_the_apply_size(self):
        """Remote pages are applied once a pull holds ``sync_core.pull_apply_records``
        records (default 1,000).  With 100, pages of 50 go two by two: the apply of pages 3
        and 4 gives way to a partner another transaction holds, pages 1 and 2 (one apply) are
        committed; with the default, the five pages are one apply and nothing is."""
        ids = self.seed(250)
        partner = self.bind_held_partner(ids[120])
        for size, committed in ((100, 100), (False, 0)):
            self.env["ir.config_parameter"].sudo().set_param("sync_core.pull_apply_records", size)
            self.assertEqual(self.backend._pull_apply_records("customers"), size or 1000)
            with self.subTest(size=size):
                if not size:  # the same pull again, from its start
                    self.env["res.partner"].search([("name", "like", "Pulled ")]).unlink()
                    self.backend._watermark("customers").cursor_stamp = False
                    self.env["sync.binding"].search(
                        [("backend_id", "=", self.backend.id), ("res_id", "!=", partner.id)]
                    ).unlink()
                job = self.pull_while_held(partner)
                self.assertEqual((job.state, job.conflict_count), ("pending", 1))
                self.assertEqual(self.pulled(), committed)
                job.unlink()
        self.env["ir.config_parameter"].sudo().set_param("sync_core.pull_apply_records", "x")
        self.assertEqual(self.backend._pull_apply_records("customers"), 1000)

    # ------------------------------------------------------------------ attempts
    def test_pull_that_moves_forward_at_every_attempt_is_never_dead_lettered(self):
        """Six pages, every second page request fails: each attempt saves one page, then
        fails.  With two attempts allowed, the pull still ends done after seven runs."""
        self.seed(300)
        self.failing = lambda n: n % 2 == 0
        job = self.pull()
        seen = self.drive(job, 10)
        self.assertEqual(seen[-1][0], "done", job.error)
        self.assertEqual(len(seen), 7, seen)
        self.assertEqual(set(seen[:-1]), {("pending", 0)}, "no attempt counted")
        self.assertEqual(self.pulled(), 300)
        self.assertFalse(self.exceptions())

    def test_pull_that_never_moves_forward_dead_letters_after_max_attempts(self):
        self.seed(100)
        self.failing = lambda n: True
        job = self.pull()
        seen = self.drive(job, 5)
        self.assertEqual(seen, [("pending", 1), ("failed", 2)])
        self.assertEqual(self.pulled(), 0)
        self.assertEqual(len(self.exceptions()), 1)
        self.assertIn("502", self.exceptions().name)

    def test_progressing_pull_stops_after_its_retry_window(self):
        """Every attempt saves a page, but the job has been retried for longer than its kind's
        retry window: it stops, failed, with an exception that says why."""
        self.kind.retry_window = 3600
        self.seed(300)
        self.failing = lambda n: n % 2 == 0
        job = self.pull()
        self.assertEqual((job.state, job.attempt), ("pending", 0))
        first = job.first_attempt_at
        self.assertTrue(first)
        self.drive(job, 1)
        self.assertEqual((job.state, job.first_attempt_at), ("pending", first), "kept")
        # the retries have lasted two hours (the first attempt's stamp moved back)
        job.first_attempt_at = first - timedelta(hours=2)
        self.drive(job, 1)
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.pulled(), 148, "three pages saved, one per attempt")
        exc = self.exceptions()
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.pattern, "retry window ended")
        self.assertIn("Stopped after 1 h of retries", exc.name)
        self.assertIn("each attempt saved progress", exc.name)
        self.assertIn("502", exc.name)
        # an operator's retry starts the window again
        job.action_requeue()
        self.assertFalse(job.first_attempt_at)
        self.failing = lambda n: False
        self.drive(job, 1)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.pulled(), 300)

    def test_killed_worker_counts_an_attempt_only_without_progress(self):
        """Recovery of a job whose worker died: the attempt counts when it saved nothing; one
        that committed progress starts its streak again, even at its last attempt, until its
        retry window ends."""
        Job = self.env["sync.job"]
        saved, nothing, last, late = (
            Job._enqueue(self.backend, "import_record", {"object": "customers", "ids": [n]})
            for n in ("s1", "n1", "l1", "w1")
        )
        now = fields.Datetime.now()
        started = {"state": "started", "worker": "ghost:1", "first_attempt_at": now}
        saved.write({**started, "attempt": 1, "progressed": True})
        nothing.write({**started, "attempt": 1, "progressed": False})
        last.write({**started, "attempt": 5, "progressed": True})
        late.write(
            {**started, "attempt": 1, "progressed": True, "first_attempt_at": now - timedelta(2)}
        )
        self.env.flush_all()
        with self.worker_env() as env:
            recovered = env["sync.job"]._recover_dead_jobs()
        self.assertEqual(set(recovered.ids), {saved.id, nothing.id, last.id, late.id})
        self.assertEqual((saved.state, saved.attempt), ("pending", 0))
        self.assertEqual((nothing.state, nothing.attempt), ("pending", 1))
        self.assertEqual((last.state, last.attempt), ("pending", 0))
        self.assertEqual(late.state, "failed")
        self.assertIn("Stopped after 24 h of retries", late.error)
        self.assertIn("died while running", late.error)
        self.assertEqual(late.exception_ids.pattern, "retry window ended")
