# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSaleSyncSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create({"name": "CRM", "kind": "generic"})
        cls.other = cls.env["res.company"].create({"name": "Elsewhere Ltd"})
        cls.row = cls.env["sync.sale.company"].create(
            {"backend_id": cls.backend.id, "remote_value": "ELSE", "company_id": cls.other.id}
        )
        cls.partner = cls.env["res.partner"].create({"name": "Bound customer"})
        cls.env["sync.binding"].create(
            {
                "backend_id": cls.backend.id,
                "res_model": "res.partner",
                "res_id": cls.partner.id,
                "remote_object": "companies",
                "external_id": "C1",
            }
        )
        cls.sync_user = new_test_user(
            cls.env, "q2o_sync_user", groups="base.group_user,sync_core.sync_core_group_user"
        )
        cls.plain_user = new_test_user(cls.env, "q2o_plain_user", groups="base.group_user")

    def test_legal_entities_read_by_sync_users_written_by_managers(self):
        row = self.row.with_user(self.sync_user)
        self.assertEqual(row.remote_value, "ELSE")
        with self.assertRaises(AccessError):
            row.remote_value = "OTHER"
        with self.assertRaises(AccessError):
            self.row.with_user(self.plain_user).read(["remote_value"])

    def test_a_row_allows_the_sync_bot_in_its_company(self):
        bot = self.env.ref("sync_core.user_sync_bot")
        self.assertIn(self.other, bot.company_ids)

    def test_remote_button_for_sync_users_only(self):
        self.assertEqual(self.partner.with_user(self.sync_user).sync_binding_count, 1)
        action = self.partner.with_user(self.sync_user).action_open_sync_bindings()
        bindings = self.env["sync.binding"].with_user(self.sync_user).search(action["domain"])
        self.assertEqual(bindings.external_id, "C1")
        with self.assertRaises(AccessError):
            _count = self.partner.with_user(self.plain_user).sync_binding_count
