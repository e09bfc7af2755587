# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import InsightCase


@tagged("post_install", "-at_install")
class TestDemoRefresh(InsightCase):
    def test_demo_run_refreshes_the_figures(self):
        """`make demo` ends with the figures refreshed: time logged after the last refresh is
        in Sync > Delivery when the first page opens (no fake running: no connector set-up)."""
        Delivery = self.env["sync.insight.delivery"]
        before = sum(Delivery.search([]).mapped("delivered"))
        self._time(self.project, 28, 2)
        self.assertEqual(sum(Delivery.search([]).mapped("delivered")), before, "stored figures")
        self.env["sync.backend"]._demo_run({}, budget=0)
        self.assertGreater(sum(Delivery.search([]).mapped("delivered")), before)
        self.assertTrue(self.env["sync.insight.view"]._figures_as_of())
