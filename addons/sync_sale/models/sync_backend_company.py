# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: the legal entity (company) of a deal, the pricelist in its currency and
its amount in the company's currency."""

from odoo import fields, models

from odoo.addons.sync_core.exceptions import (
    MissingReferenceError,
    ValidationSyncError,
)


class SyncBackend(models.Model):
    _inherit = "sync.backend"
    sale_company_ids = fields.One2many(
        "sync.sale.company",
        "backend_id",
        string="Legal entities",
        help="Remote legal-entity values -> Odoo companies. Empty: every deal goes to the "
        "backend's company.",
    )

    # ------------------------------------------------------------------ legal entity
    def _sale_company(self, deal):
        """The Odoo company of a deal: its legal-entity key through the backend's table
        (case-insensitive), the backend's company when the deal has no key or no table is
        set; an unknown key is an exception (never a guess)."""
        self.ensure_one()
        key = (deal.company_key or "").strip().lower()
        if not key or not self.sale_company_ids:
            return self.company_id
        row = self.sale_company_ids.filtered(lambda r: r.remote_value.strip().lower() == key)
        if not row:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}): legal entity {deal.company_key!r} is "
                f"not mapped to a company on backend {self.name} (Legal entities)",
                pattern=f"legal entity {deal.company_key} not mapped",
            )
        return row[:1].company_id

    # ------------------------------------------------------------------ currency
    def _sale_pricelist(self, deal, partner, company):
        """The pricelist that gives the order the deal's currency: the customer's when it is
        in that currency, else a pricelist of the company (or shared) in it; none is needed
        for the company's own currency.  None = the deal names no currency (Odoo's default);
        an empty recordset = no pricelist (the company's currency)."""
        code = (deal.currency_code or "").strip().upper()
        if not code:
            return None
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency.active:
            raise ValidationSyncError(
                f"{self._sale_title(deal)} ({deal.name}) is in {code}, a currency that is not "
                "active in Odoo: activate it (Accounting > Configuration > Currencies) and "
                "create a pricelist in it, then retry",
                pattern=f"currency {code} not active",
            )
        Pricelist = self.env["product.pricelist"].with_company(company)
        default = partner.with_company(company).property_product_pricelist
        if default and default.currency_id == currency:
            return default
        pricelists = Pricelist.search(
            [("currency_id", "=", currency.id), ("company_id", "in", (company.id, False))]
        )
        pricelist = pricelists.sorted(lambda p: (not p.company_id, p.sequence, p.id))[:1]
        if pricelist or currency == company.currency_id:
            return pricelist
        raise MissingReferenceError(
            f"{self._sale_title(deal)} ({deal.name}) is in {code} but company {company.name} "
            f"has no pricelist in {code}: create one (Sales > Products > Pricelists), then "
            "retry (no order was made in another currency)",
            pattern=f"no pricelist in {code} for {company.name}",
        )

    def _sale_company_amount(self, deal, company):
        """The deal's amount in the company's currency (an opportunity's expected revenue is),
        converted at the close date's rate (today's when none); as is when the deal names no
        currency or one Odoo does not know."""
        amount = deal.amount or 0.0
        code = (deal.currency_code or "").strip().upper()
        if not code or code == company.currency_id.name:
            return amount
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency:
            return amount
        day = deal.close_date or fields.Date.context_today(self)
        return currency._convert(amount, company.currency_id, company, day)
