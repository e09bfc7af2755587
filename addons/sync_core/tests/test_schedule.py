from datetime import timedelta

from odoo import fields
from odoo.tests import Form

from .common import SyncCase


class TestSchedule(SyncCase):
    """Per-object pull interval: the scheduling cron enqueues a pull of an object only when its
    interval (empty: the global one of Settings > Sync) has elapsed since its last run."""

    def setUp(self):
        super().setUp()
        self.env["sync.job"].search([("backend_id", "=", self.backend.id)]).unlink()
        self.wm = self.backend._watermark("customers")
        self.wm.last_run_at = fields.Datetime.now() - timedelta(minutes=10)
        self.cron = self.env.ref("sync_core.ir_cron_sync_schedule_pulls")

    def scheduled_pulls(self):
        self.env["sync.backend"]._cron_schedule_pulls()
        return self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "pull")]
        )

    def test_interval_not_elapsed_not_enqueued(self):
        self.wm.pull_interval = 60
        self.assertFalse(self.scheduled_pulls())

    def test_interval_elapsed_enqueued(self):
        self.wm.pull_interval = 5
        jobs = self.scheduled_pulls()
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.payload, {"object": "customers"})

    def test_never_run_is_due(self):
        self.wm.write({"pull_interval": 600, "last_run_at": False})
        self.assertEqual(len(self.scheduled_pulls()), 1)

    def test_empty_interval_follows_global(self):
        self.wm.pull_interval = 0
        self.cron.write({"interval_number": 1, "interval_type": "hours"})
        self.assertEqual(self.env["sync.backend"]._global_pull_interval(), 60)
        self.assertFalse(self.scheduled_pulls())
        self.env["res.config.settings"].create({"sync_pull_interval": 5}).execute()
        self.assertEqual(len(self.scheduled_pulls()), 1)

    def test_manual_pull_not_held_back(self):
        self.wm.pull_interval = 60
        self.backend.action_pull("customers")
        self.assertEqual(
            len(self.env["sync.job"].search([("backend_id", "=", self.backend.id)])), 1
        )

    def test_interval_set_on_backend_form(self):
        with Form(self.backend) as form, form.watermark_ids.edit(0) as line:
            self.assertEqual(line.object_name, "customers")
            line.pull_interval = 60
        self.assertEqual(self.wm.pull_interval, 60)
        self.assertFalse(self.scheduled_pulls())
