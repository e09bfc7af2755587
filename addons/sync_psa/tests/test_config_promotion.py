import json

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPsaConfigPromotion(TransactionCase):
    """The default expense product moves by its reference, never by id."""

    def test_expense_product_by_reference(self):
        product = self.env["product.product"].create(
            {"name": "Travel", "default_code": "EXP-TRAVEL-PROMO"}
        )
        Backend = self.env["sync.backend"]
        sandbox = Backend.create({"name": "Sandbox", "kind": "generic", "base_url": "http://x"})
        sandbox.psa_expense_product_id = product
        doc = json.loads(sandbox._config_dump())
        self.assertEqual(
            doc["backend"]["settings"]["psa_expense_product_id"],
            {"default_code": "EXP-TRAVEL-PROMO"},
        )
        production = Backend.create({"name": "Prod", "kind": "generic", "base_url": "http://y"})
        self.assertIn(
            "~ Backend settings: Default expense product (empty) -> [EXP-TRAVEL-PROMO] Travel",
            production._config_diff(doc),
        )
        production._config_apply(doc, "promotion")
        self.assertEqual(production.psa_expense_product_id, product)
        doc["backend"]["settings"]["psa_expense_product_id"] = {"default_code": "NOPE-1"}
        self.assertEqual(
            production._config_problems(doc),
            ["Backend settings: psa_expense_product_id NOPE-1 not found in this database."],
        )
