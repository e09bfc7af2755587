# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from ast import literal_eval

from odoo.tests import tagged

from .common import HubSpotCase


@tagged("post_install", "-at_install")
class TestBackendRole(HubSpotCase):
    def test_hubspot_is_a_crm(self):
        """A CRM takes part in quote to order: its backend form shows the tab."""
        self.assertEqual(self.backend.system_role, "crm")
        action = self.env.ref("sync_sale.sync_sale_backend_action")
        self.assertIn(self.backend, self.env["sync.backend"].search(literal_eval(action.domain)))
