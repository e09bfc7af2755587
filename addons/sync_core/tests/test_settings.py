from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSettings(TransactionCase):
    """Settings > Sync: defaults of new backends and exceptions, and the pull schedule."""

    def test_settings_apply(self):
        lead = new_test_user(self.env, "finance_lead", groups="sync_core.sync_core_group_operator")
        backend = self.env["sync.backend"].create({"name": "Before", "kind": "generic"})
        self.assertEqual(backend.job_retention_days, 30)
        unassigned = self.env["sync.exception"].create(
            {"name": "Before", "category": "validation", "backend_id": backend.id}
        )
        self.assertFalse(unassigned.user_id)
        settings = self.env["res.config.settings"].create(
            {
                "sync_job_retention_days": 7,
                "sync_exception_user_id": lead.id,
                "sync_pull_interval": 15,
            }
        )
        settings.execute()
        self.assertEqual(
            self.env["sync.backend"]
            .create({"name": "After", "kind": "generic"})
            .job_retention_days,
            7,
        )
        exc = self.env["sync.exception"].create(
            {"name": "After", "category": "validation", "backend_id": backend.id}
        )
        self.assertEqual(exc.user_id, lead)
        cron = self.env.ref("sync_core.ir_cron_sync_schedule_pulls")
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
        self.assertEqual(self.env["res.config.settings"].create({}).sync_pull_interval, 15)
        # an archived assignee is not given new exceptions
        lead.active = False
        exc = self.env["sync.exception"].create(
            {"name": "Later", "category": "validation", "backend_id": backend.id}
        )
        self.assertFalse(exc.user_id)
