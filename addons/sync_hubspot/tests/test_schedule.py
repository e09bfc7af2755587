from datetime import timedelta

from odoo import fields

from .common import HubSpotCase


class TestSchedule(HubSpotCase):
    """The connector's own scheduled pull (deals, job kind hubspot_pull_deals) respects the
    per-object interval of sync_core."""

    def deal_pulls(self):
        self.env["sync.backend"]._cron_schedule_pulls()
        return self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "hubspot_pull_deals")]
        )

    def test_deals_interval(self):
        self.env["sync.job"].search([("backend_id", "=", self.backend.id)]).unlink()
        wm = self.backend._watermark("deals")
        wm.write(
            {"pull_interval": 60, "last_run_at": fields.Datetime.now() - timedelta(minutes=10)}
        )
        self.assertFalse(self.deal_pulls())
        wm.pull_interval = 5
        self.assertEqual(self.deal_pulls().payload, {"object": "deals"})
