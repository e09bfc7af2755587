# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from .common import InsightCase


@tagged("post_install", "-at_install")
class TestDeliveryTour(HttpCase, InsightCase):
    def test_wip_drill_down_tour(self):
        """Sync > Delivery > Delivery figures, list, September's Acme row: WIP 800, then its
        timesheets (the planted month of InsightCase, figures refreshed in setUpClass)."""
        self.start_tour("/odoo", "sync_insight_tour_wip_drill_down", login="admin")

    def test_dashboard_tour(self):
        """Sync > Delivery > Dashboard: the cards, then the WIP card opens the figures."""
        self.start_tour(
            "/odoo/action-sync_insight.sync_insight_card_action",
            "sync_insight_tour_dashboard",
            login="admin",
        )
