# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""`make demo`: the delivery figures are stored summaries (refreshed hourly); the demo refreshes
them once its syncs ended, so Sync > Delivery shows the demo's time, orders and opportunities
when the first page opens."""

from odoo import api, models


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _demo_run(self, fake_urls, **kwargs):
        ended = super()._demo_run(fake_urls, **kwargs)
        self.env["sync.insight.view"]._refresh_figures()
        return ended
