from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_installed_with_dependencies(self):
        module = self.env["ir.module.module"].search([("name", "=", "sync_salesforce")])
        self.assertEqual(module.state, "installed")
        deps = module.dependencies_id.mapped("name")
        for dep in deps:
            dep_mod = self.env["ir.module.module"].search([("name", "=", dep)])
            self.assertEqual(dep_mod.state, "installed", dep)
        self.assertIn("sync_core", deps)

    def test_sync_user_cannot_configure_backends(self):
        user = new_test_user(
            self.env, "sync_reader_sync_salesforce", groups="sync_core.sync_core_group_user"
        )
        backends = self.env["sync.backend"].with_user(user)
        self.assertTrue(backends.has_access("read"))
        with self.assertRaises(AccessError):
            backends.create({"name": "not allowed"})
