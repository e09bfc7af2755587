# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: what the sandbox demo sets up for deals."""

from odoo import models


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _sale_demo_pricelist(self, currency_code):
        """Sandbox demo: the currency of the demo deals active, with a pricelist in it for
        the backend's company (without one, such deals stop on an exception)."""
        self.ensure_one()
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_code)], limit=1)
        )
        if not currency:
            return self.env["product.pricelist"]
        currency.active = True
        Pricelist = self.env["product.pricelist"]
        domain = [
            ("currency_id", "=", currency.id),
            ("company_id", "in", (self.company_id.id, False)),
        ]
        return Pricelist.search(domain, limit=1) or Pricelist.create(
            {
                "name": f"{currency_code} ({self.company_id.name})",
                "currency_id": currency.id,
                "company_id": self.company_id.id,
            }
        )
