# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The PSA backend declares itself a PSA: no Quote to order tab (a PSA makes no orders), and
its health names the time and expenses that never arrived."""

from ast import literal_eval

from lxml import etree

from odoo.tests import tagged

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestBackendRole(PsaCase):
    def test_psa_role_hides_quote_to_order(self):
        self.assertEqual(self.backend.system_role, "psa")
        Backend = self.env["sync.backend"]
        self.assertIn(self.backend, Backend.search([("system_role", "=", "psa")]))
        self.assertNotIn(self.backend, Backend.search([("system_role", "=", "crm")]))
        arch = Backend.get_views([(False, "form")])["views"]["form"]["arch"]
        page = etree.fromstring(arch).xpath("//page[@name='sale']")[0]
        self.assertEqual(page.get("invisible"), "system_role != 'crm'")
        # the Deals to orders list lists CRMs only
        action = self.env.ref("sync_sale.sync_sale_backend_action")
        self.assertNotIn(self.backend, Backend.search(literal_eval(action.domain)))

    def test_health_names_time_and_expenses_never_received(self):
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.health, "amber")
        self.assertIn("Never pulled: Expenses, Time entries", self.backend.health_reason)
        self.entry(60)
        self.pull()
        self.pull("expenses")  # Kantata has none
        self.backend.invalidate_recordset()
        self.assertNotIn("Time entries", self.backend.health_reason)
        self.assertIn(
            "Pulled, but not one record received yet: Expenses", self.backend.health_reason
        )
