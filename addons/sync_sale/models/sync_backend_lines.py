# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Deal lines and products: what a product created for a deal line's missing SKU is
prefilled with (a "Create product" fix of the exception)."""

from odoo import fields, models

from odoo.addons.sync_core.exceptions import (
    MissingReferenceError,
    ValidationSyncError,
    missing_product_fix,
)

from ..deal import missing_skus, sku_of

# How a service product created for a deal line is invoiced (sale_project's service policies;
# timesheets need sale_timesheet, milestones the project's milestones).
SERVICE_POLICIES = [
    ("delivered_timesheet", "Timesheets"),
    ("delivered_milestones", "Milestones"),
    ("ordered_prepaid", "Fixed price (ordered quantities)"),
]


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    sale_service_policy = fields.Selection(
        SERVICE_POLICIES,
        string="New services invoiced on",
        default="delivered_timesheet",
        required=True,
        help="A deal line whose SKU has no product opens an exception with a Create product "
        "button. The product it prefills is a service that creates a task in the deal's "
        "project, invoiced on this (timesheets, milestones, or the ordered quantity), unless "
        "the CRM says the line is goods.",
    )

    def _sale_new_product(self, line):
        """The product a deal line's missing SKU would be created as: {"defaults": values
        beyond SKU, name and price, "note": which defaults and why (shown on the exception),
        "label": the same, short (the form's title)}.  A service (the line is one, or the CRM
        does not say) creates a task in the deal's project and is invoiced as the backend's
        setting says; goods are sold, not bought (Purchase unticked)."""
        self.ensure_one()
        if line.service is False:
            return {
                "defaults": {"type": "consu", "sale_ok": True, "purchase_ok": False},
                "note": self.env._(
                    "Prefilled as goods: the deal line is a product, not a service (no project "
                    "or task is created for it)."
                ),
                "label": self.env._("goods"),
            }
        Template = self.env["product.template"]
        general = Template._get_service_to_general_map()
        policy = self.sale_service_policy or "delivered_timesheet"
        if policy not in general:  # e.g. timesheets without sale_timesheet installed
            policy = "ordered_prepaid"
        invoice_policy, service_type = general[policy]
        names = dict(self._fields["sale_service_policy"]._description_selection(self.env))
        why = (
            self.env._("the deal line is a service")
            if line.service
            else self.env._("the CRM does not say whether the line is a service or goods")
        )
        return {
            "defaults": {
                "type": "service",
                "sale_ok": True,
                "purchase_ok": False,
                "service_tracking": "task_in_project",
                "invoice_policy": invoice_policy,
                "service_type": service_type,
            },
            "note": self.env._(
                "Prefilled as a service invoiced on %(policy)s that creates a task in the "
                "deal's project (backend %(backend)s, New services invoiced on), because "
                "%(why)s: change it in the form if it is goods.",
                policy=names.get(policy, policy),
                backend=self.name,
                why=why,
            ),
            "label": self.env._(
                "service, invoiced on %(policy)s", policy=names.get(policy, policy)
            ),
        }

    def _sale_order_lines(self, deal, company):
        """Sale order line values of a won deal, products found by SKU (Internal Reference)
        in the order's company."""
        lines = deal.get_lines()
        if not lines:
            raise ValidationSyncError(
                f"{self._sale_title(deal)} ({deal.name}) is won but has no line items",
                pattern="won deal without line items",
            )
        skus = sorted({sku_of(line) for line in lines} - {""})
        products = (
            self.env["product.product"]
            .with_company(company)
            .search([("default_code", "in", skus), ("company_id", "in", (company.id, False))])
        )
        by_sku = {p.default_code: p for p in products.sorted(lambda p: bool(p.company_id))}
        self._sale_check_products(deal, lines, by_sku)
        out = []
        for line in lines:
            vals = {
                "product_id": by_sku[sku_of(line)].id,
                "product_uom_qty": line.quantity if line.quantity is not None else 1.0,
            }
            if line.price_unit is not None:
                vals["price_unit"] = line.price_unit
            if line.price_unit is not None or line.discount:
                vals["discount"] = line.discount or 0.0
            if line.name:
                vals["name"] = line.name
            out.append(vals)
        return out

    def _sale_check_products(self, deal, lines, by_sku):
        """The one place that raises "no product with SKU ..." for a deal."""
        missing = missing_skus(lines, by_sku)
        if missing:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}): no product with SKU "
                f"{', '.join(missing)} (Internal Reference)",
                pattern=f"missing product SKU {', '.join(missing)}",
                remote_object=deal.remote_object,
                external_id=deal.external_id,
                fix_kind="missing_product",
                fix_data=missing_product_fix(
                    [
                        {
                            "sku": sku_of(line),
                            "name": line.name,
                            "price": line.price_unit,
                            **self._sale_new_product(line),
                        }
                        for line in lines
                        if sku_of(line) not in by_sku
                    ],
                    related=[(deal.customer.remote_object, deal.customer.external_id, "Customer")]
                    if deal.customer
                    else [],
                ),
            )
