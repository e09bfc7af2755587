from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import SyncCase


class TestGroups(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "sync_u", groups="sync_core.sync_core_group_user")
        cls.operator = new_test_user(cls.env, "sync_o", groups="sync_core.sync_core_group_operator")
        cls.manager = new_test_user(cls.env, "sync_m", groups="sync_core.sync_core_group_manager")
        cls.portal = new_test_user(cls.env, "sync_p", groups="base.group_portal")
        cls.exc = cls.env["sync.exception"]._open(
            cls.backend, Exception("boom"), remote_object="customers", external_id="e1"
        )

    def test_user_reads_only(self):
        backend = self.backend.with_user(self.user)
        self.assertEqual(backend.name, "Generic test")
        with self.assertRaises(AccessError):
            backend.write({"name": "x"})
        with self.assertRaises(AccessError):
            self.exc.with_user(self.user).write({"state": "ignored"})
        with self.assertRaises(AccessError):
            backend.read(["api_token"])

    def test_operator_works_exceptions_without_credentials(self):
        exc = self.exc.with_user(self.operator)
        exc.action_ignore("duplicate test data")
        self.assertEqual(exc.state, "ignored")
        with self.assertRaises(AccessError):
            self.backend.with_user(self.operator).read(["webhook_secret"])
        with self.assertRaises(AccessError):
            self.backend.with_user(self.operator).write({"base_url": "http://evil"})
        with self.assertRaises(AccessError):
            self.mapping.with_user(self.operator).write({"name": "x"})

    def test_manager_configures(self):
        backend = self.backend.with_user(self.manager)
        self.assertEqual(backend.api_token, "secret-token")
        backend.write({"api_token": "rotated"})
        self.mapping.with_user(self.manager).line_ids[:1].owner = "odoo"

    def test_portal_gets_nothing(self):
        for model in ("sync.backend", "sync.job", "sync.exception", "sync.event", "sync.audit"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.portal).search([])

    def test_multi_company_rule(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        user = new_test_user(
            self.env,
            "sync_c2",
            groups="sync_core.sync_core_group_manager",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(self.env["sync.backend"].with_user(user).search([]))


@tagged("-at_install", "post_install")
class TestCredentialsOverRpc(HttpCase):
    def test_operator_cannot_read_credentials_over_rpc(self):
        backend = self.env["sync.backend"].create(
            {"name": "RPC", "kind": "generic", "api_token": "tok-123", "webhook_secret": "s-1"}
        )
        new_test_user(
            self.env, "rpc_op", password="rpc_op_pw1!", groups="sync_core.sync_core_group_operator"
        )
        self.authenticate("rpc_op", "rpc_op_pw1!")

        def call(method, args, kwargs=None):
            return self.make_jsonrpc_request(
                f"/web/dataset/call_kw/sync.backend/{method}",
                {"model": "sync.backend", "method": method, "args": args, "kwargs": kwargs or {}},
            )

        rows = call("read", [[backend.id], ["name"]])
        self.assertEqual(rows[0]["name"], "RPC")
        for field in ("api_token", "webhook_secret", "webhook_token"):
            with self.assertRaises(JsonRpcException):
                call("read", [[backend.id], [field]])
        rows = call("search_read", [[["id", "=", backend.id]]], {"fields": []})
        self.assertNotIn("api_token", rows[0])
        self.assertNotIn("tok-123", str(rows))
