import json

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.sync_core.fake.server import GenericFake
from odoo.addons.sync_core.signatures import sign_generic


@tagged("-at_install", "post_install")
class TestOverHttpAndRpc(HttpCase):
    """The engine driven only through HTTP and JSON-RPC, as an outside system would."""

    def rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_configure_receive_fail_fix_retry(self):
        fake = GenericFake(token="rpc-token")
        fake.start()
        self.addCleanup(fake.stop)
        new_test_user(
            self.env, "rpc_mgr", password="rpc_mgr_pw1!", groups="sync_core.sync_core_group_manager"
        )
        operator = new_test_user(
            self.env,
            "rpc_opr",
            password="rpc_opr_pw1!",
            groups="sync_core.sync_core_group_operator",
        )
        self.authenticate("rpc_mgr", "rpc_mgr_pw1!")
        backend_id = self.rpc(
            "sync.backend",
            "create",
            {
                "name": "Outside",
                "kind": "generic",
                "base_url": fake.base_url,
                "api_token": "rpc-token",
                "webhook_secret": "rpc-secret",
            },
        )
        self.rpc(
            "sync.mapping",
            "create",
            {
                "name": "Customers",
                "backend_id": backend_id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "line_ids": [
                    [0, 0, {"remote_field": "name", "odoo_field": "name"}],
                    [
                        0,
                        0,
                        {
                            "remote_field": "country",
                            "odoo_field": "country_id",
                            "transform": "ref:country_code",
                        },
                    ],
                ],
            },
        )
        token = self.rpc("sync.backend", "read", [backend_id], ["webhook_token"])[0][
            "webhook_token"
        ]
        ext = fake.put("customers", {"name": "Outside Co", "country": "XX"})
        body = json.dumps([{"eventId": 77, "objectType": "customers", "objectId": ext}]).encode()
        res = self.url_open(
            f"/sync/generic/{token}",
            data=body,
            headers={"Content-Type": "application/json", **sign_generic("rpc-secret", body)},
        )
        self.assertEqual(res.status_code, 200, res.text)
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()

        self.authenticate("rpc_opr", "rpc_opr_pw1!")
        excs = self.rpc(
            "sync.exception",
            "search_read",
            [["state", "=", "open"]],
            fields=["name", "category", "payload_text"],
        )
        self.assertEqual(len(excs), 1)
        self.assertEqual(excs[0]["category"], "missing_reference")
        self.assertIn("XX", excs[0]["name"])
        payload = json.loads(excs[0]["payload_text"])
        payload["data"]["country"] = "BE"
        self.rpc("sync.exception", "write", [excs[0]["id"]], {"payload_text": json.dumps(payload)})
        self.rpc("sync.exception", "action_assign", [excs[0]["id"]], operator.id)
        self.rpc("sync.exception", "action_retry", [excs[0]["id"]])
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        state = self.rpc("sync.exception", "read", [excs[0]["id"]], ["state", "user_id"])[0]
        self.assertEqual(state["state"], "resolved")
        self.assertEqual(state["user_id"][0], operator.id)
        partner = self.env["res.partner"].search([("name", "=", "Outside Co")])
        self.assertEqual(partner.country_id.code, "BE")
        with self.assertRaises(JsonRpcException):
            self.rpc("sync.backend", "read", [backend_id], ["api_token"])
