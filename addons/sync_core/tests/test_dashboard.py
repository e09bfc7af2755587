from datetime import datetime, timedelta

from .common import SyncCase


class TestDashboardAndDryRun(SyncCase):
    def test_health_figures(self):
        Job = self.env["sync.job"]
        pending = Job._enqueue(self.backend, "import_record", {"object": "customers", "ids": ["1"]})
        failed = Job._enqueue(self.backend, "import_record", {"object": "nope", "ids": ["2"]})
        failed.write({"state": "failed"})
        self.env["sync.exception"]._open(
            self.backend, Exception("x"), remote_object="customers", external_id="9"
        )
        wm = self.backend._watermark("customers")
        wm.last_success_at = datetime.now() - timedelta(hours=3)
        self.env.flush_all()
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.queue_depth, 1)
        self.assertEqual(self.backend.failed_24h, 1)
        self.assertEqual(self.backend.exception_open_count, 1)
        self.assertIn("Remote error: 1", self.backend.exception_summary)
        self.assertAlmostEqual(self.backend.sync_age_hours, 3, delta=0.1)
        self.assertGreaterEqual(self.backend.oldest_pending_minutes, 0)
        self.assertTrue(pending)
        # the card's figures open the lists they count
        Job = self.env["sync.job"]
        self.assertEqual(Job.search(self.backend.action_open_queue()["domain"]), pending)
        self.assertEqual(Job.search(self.backend.action_open_failed_jobs()["domain"]), failed)

    def test_event_dry_run_writes_nothing(self):
        ext = self.fake.put("customers", {"name": "Dry event"})
        event = self.env["sync.event"].create(
            {
                "backend_id": self.backend.id,
                "dedup_key": "dry-1",
                "object_name": "customers",
                "external_id": ext,
                "body": "{}",
                "state": "processed",
            }
        )
        event.action_dry_run()
        job = self.env["sync.job"].search([("dry_run", "=", True)])
        self.assertEqual(len(job), 1)
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertIn("Dry event", job.result)
        self.assertFalse(self.binding_of(ext))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Dry event")]))

    def test_full_resync_from_date(self):
        wm = self.backend._watermark("customers")
        wm.cursor_stamp = datetime(2025, 1, 1)
        self.fake.put("customers", {"name": "Old but missed"}, updated_at=datetime(2023, 6, 1))
        wizard = self.env["sync.watermark.resync"].create(
            {"watermark_id": wm.id, "since": datetime(2023, 1, 1)}
        )
        wizard.action_confirm()
        self.run_jobs()
        self.assertTrue(self.env["res.partner"].search([("name", "=", "Old but missed")]))
