import json

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSaleConfigPromotion(TransactionCase):
    """Legal entities and stage tables move with a backend's configuration, by natural keys."""

    def _backend(self, name):
        return self.env["sync.backend"].create(
            {"name": name, "kind": "generic", "base_url": "http://127.0.0.1:9"}
        )

    def test_legal_entities_and_stages(self):
        sandbox = self._backend("Sandbox")
        company = self.env["res.company"].create({"name": "Promo Entity BV"})
        stage = self.env.ref("crm.stage_lead3")
        self.env["sync.sale.company"].create(
            {"backend_id": sandbox.id, "remote_value": "BV", "company_id": company.id}
        )
        self.env["sync.sale.stage"].create(
            {"backend_id": sandbox.id, "remote_stage": "proposal", "stage_id": stage.id}
        )
        sandbox.sale_confirm_orders = True
        doc = json.loads(sandbox._config_dump())
        self.assertEqual(doc["legal_entities"]["BV"]["company_id"], {"name": "Promo Entity BV"})
        self.assertEqual(doc["stage_table"]["proposal"]["stage_id"], {"xmlid": "crm.stage_lead3"})
        self.assertIn("sync_sale", doc["addons"])

        production = self._backend("Production")
        self.assertIn("+ Stage table proposal: added", production._config_diff(doc))
        production._config_apply(doc, "promotion")
        self.assertEqual(production.sale_company_ids.company_id, company)
        self.assertEqual(production.sale_stage_ids.stage_id, stage)
        self.assertTrue(production.sale_confirm_orders)

        doc["stage_table"]["won"] = {"remote_stage": "won", "stage_id": {"xmlid": "crm.nope"}}
        doc["legal_entities"]["GMBH"] = {
            "remote_value": "GMBH", "company_id": {"name": "No Such GmbH"},
        }  # fmt: skip
        problems = production._config_problems(doc)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("company_id No Such GmbH not found", problems[0])
        self.assertIn("stage_id crm.nope not found", problems[1])
        count = self.env["sync.sale.stage"].search_count([])
        with self.assertRaises(UserError):
            production._config_apply(doc, "bad")
        self.assertEqual(self.env["sync.sale.stage"].search_count([]), count)
