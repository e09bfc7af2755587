# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tour (headless Chromium): an admin creates a Dynamics 365 backend from the UI and
tests the connection; msal and requests talk to the Dataverse fake on a free port."""

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_dynamics import dataverse_adapter
from odoo.addons.sync_dynamics.fake import DataverseFake


@tagged("post_install", "-at_install")
class TestDynamicsTour(HttpCase):
    browser_size = "1440x900"

    def test_admin_configures_backend_and_tests_connection(self):
        fake = DataverseFake(tenant="contoso", client_id="tour-app-id",
                             client_secret="tour-app-secret")  # fmt: skip
        url = fake.start()
        self.addCleanup(fake.stop)
        self.addCleanup(dataverse_adapter.forget_tokens)
        self.env["ir.config_parameter"].set_param("sync_dynamics.tour_fake_url", url)
        self.start_tour("/odoo/action-sync_core.sync_backend_action",
                        "sync_dynamics_tour_configure_backend", login="admin")  # fmt: skip
        backend = self.env["sync.backend"].search([("name", "=", "Dynamics tour")])
        self.assertEqual((backend.kind, backend.base_url, backend.state), ("dynamics", url, "ok"))
        self.assertEqual(backend.sudo().dynamics_client_secret, "tour-app-secret")
        self.assertEqual(backend.dynamics_org_id, fake.org_id)
        for shown in (fake.org_id, "Contoso Sandbox", fake.user_id, "requests in 5 minutes"):
            self.assertIn(shown, backend.status_message)
        self.assertTrue(fake.count("WhoAmI", "GET"))
        self.assertTrue(fake.token_requests)
