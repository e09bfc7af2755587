# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.sync_core.exceptions import missing_product_fix


@tagged("post_install", "-at_install")
class TestAffected(TransactionCase):
    """ "Who is affected": the customer, order, project and invoice behind each exception,
    through the bindings and the order <-> project <-> invoice relations; exceptions found by
    customer; the missing-product fix offered by what the user may do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["sync.backend"].create({"name": "CRM", "kind": "generic"})
        cls.customer = cls.env["res.partner"].create({"name": "Initech", "is_company": True})
        service = cls.env["product.product"].create(
            {
                "name": "Implementation",
                "type": "service",
                "service_tracking": "project_only",
                "invoice_policy": "order",
                "list_price": 1000.0,
            }
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [(0, 0, {"product_id": service.id, "product_uom_qty": 1})],
            }
        )
        cls.order.action_confirm()
        cls.invoice = cls.order._create_invoices()
        Binding = cls.env["sync.binding"]
        for model, res_id, obj, ext in (
            ("res.partner", cls.customer.id, "companies", "C1"),
            ("sale.order", cls.order.id, "deals", "D1"),
        ):
            Binding.create(
                {
                    "backend_id": cls.backend.id,
                    "res_model": model,
                    "res_id": res_id,
                    "remote_object": obj,
                    "external_id": ext,
                }
            )

    def exception(self, **vals):
        return self.env["sync.exception"].create(
            {"name": "Problem", "category": "conflict", "backend_id": self.backend.id, **vals}
        )

    def affected(self, exc):
        return self.env["sync.affected"].search([("exception_id", "=", exc.id)])

    def test_order_of_a_bound_deal_gives_customer_project_invoice(self):
        exc = self.exception(remote_object="deals", external_id="D1")
        row = self.affected(exc)
        self.assertEqual(len(row), 1)
        self.assertEqual(row.partner_id, self.customer)
        self.assertEqual(row.order_id, self.order)
        self.assertTrue(self.order.project_ids)
        self.assertEqual(row.project_id, self.order.project_ids[:1])
        self.assertEqual(row.invoice_id, self.invoice)
        # the dashboard card's button lists the backend's rows only
        action = self.backend.action_open_affected()
        self.assertEqual(action["res_model"], "sync.affected")
        other = self.env["sync.backend"].create({"name": "Other", "kind": "generic"})
        self.exception(backend_id=other.id, remote_object="deals", external_id="D1")
        rows = self.env["sync.affected"].search(action["domain"])
        self.assertEqual(rows.exception_id, exc)
        # found from the exceptions list by customer
        found = self.env["sync.exception"].search([("affected_partner_id", "ilike", "Initech")])
        self.assertIn(exc, found)
        exc.invalidate_recordset()  # a query view: the ORM does not maintain its cache
        self.assertEqual(exc.affected_order_id, self.order)
        self.assertEqual(
            self.env["sync.exception"].search([("affected_project_id", "=", row.project_id.id)]),
            exc,
        )

    def test_unknown_sku_deal_names_its_customer_through_the_fix_data(self):
        fix = missing_product_fix(
            [{"sku": "AUDIT-1", "name": "Audit", "price": "10"}],
            related=[("companies", "C1", "Customer")],
        )
        exc = self.exception(
            category="missing_reference",
            remote_object="deals",
            external_id="D2",  # not imported: no order yet
            fix_kind="missing_product",
            fix_data=fix,
        )
        row = self.affected(exc)
        self.assertEqual((row.partner_id, row.order_id), (self.customer, self.env["sale.order"]))
        # the project's own record (res_model/res_id) resolves too
        project = self.order.project_ids[:1]
        exc2 = self.exception(res_model="project.project", res_id=project.id)
        row2 = self.affected(exc2)
        self.assertEqual((row2.project_id, row2.order_id), (project, self.order))
        self.assertEqual(row2.partner_id, project.partner_id)
        # an exception touching nothing known is still listed, with empty columns
        lone = self.affected(self.exception(remote_object="deals", external_id="NOPE"))
        self.assertEqual(len(lone), 1)
        self.assertFalse(lone.partner_id)

    def test_create_product_offered_to_who_may_create_products(self):
        exc = self.exception(
            category="missing_reference",
            remote_object="deals",
            external_id="D3",
            fix_kind="missing_product",
            fix_data=missing_product_fix([{"sku": "NEW-1", "name": "New", "price": "1"}]),
        )
        groups = "sync_core.sync_core_group_operator,account.group_account_invoice,"
        clerk = new_test_user(self.env, "clerk", groups=groups + "sales_team.group_sale_salesman")
        buyer = new_test_user(
            self.env,
            "buyer",
            groups=groups + "sales_team.group_sale_salesman,product.group_product_manager",
        )
        as_clerk = exc.with_user(clerk)
        self.assertFalse(as_clerk.fix_can_create)
        self.assertIn("Products: Create", as_clerk.fix_status)
        as_buyer = exc.with_user(buyer)
        self.assertTrue(as_buyer.fix_can_create)
        self.assertIn("Create it", as_buyer.fix_status)
