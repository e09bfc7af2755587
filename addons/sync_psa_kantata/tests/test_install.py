# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_installed_beside_the_neutral_layer(self):
        module = self.env["ir.module.module"].search([("name", "=", "sync_psa_kantata")])
        self.assertEqual(module.state, "installed")
        self.assertIn("sync_psa", module.dependencies_id.mapped("name"))
        self.assertIn("kantata", self.env["sync.backend"]._psa_kinds())
        kinds = dict(self.env["sync.backend"]._fields["kind"].selection)
        self.assertEqual(kinds["kantata"], "Kantata OX (PSA)")
