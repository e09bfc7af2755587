# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 set-up: default mappings and the sandbox demo backend."""

import logging
from datetime import timedelta

from odoo import api, fields, models

from .. import mappings

_logger = logging.getLogger(__name__)
DEMO_TENANT = "contoso"
DEMO_CLIENT = ("demo-app-id", "demo-app-secret")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def action_dynamics_create_default_mappings(self):
        self._dynamics_create_default_mappings()
        return True

    def _dynamics_create_default_mappings(self):
        """accounts -> companies, contacts -> persons (idempotent, editable)."""
        dynamics = self.filtered(lambda b: b.kind == "dynamics")
        return dynamics._create_default_mappings(mappings.DEFAULT_MAPPINGS)

    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_dynamics"):
            self._dynamics_demo_setup(fake_urls["sync_dynamics"])
        return res

    def _dynamics_demo_setup(self, url):
        """A sandbox backend on a running Dataverse fake (``python addons/sync_dynamics/fake
        --port 8995 --seed demo``): connection test, default mappings, the product its won
        opportunity sells, pulls of accounts, contacts and opportunities enqueued (the won
        opportunity becomes an order and a project)."""
        backend = self.search([("kind", "=", "dynamics"), ("base_url", "=", url)], limit=1)
        if not backend:
            backend = self.create({
                "name": "Dynamics 365 sandbox", "kind": "dynamics", "sandbox": True,
                "base_url": url, "dynamics_authority": url, "dynamics_tenant": DEMO_TENANT,
                "dynamics_client_id": DEMO_CLIENT[0], "dynamics_client_secret": DEMO_CLIENT[1],
                "sale_confirm_orders": True,
            })  # fmt: skip
        backend._dynamics_create_default_mappings()
        try:
            backend.action_test_connection()
        except Exception:  # noqa: BLE001  the demo goes on; the backend shows the error
            _logger.warning("Dynamics 365 sandbox demo: connection test failed", exc_info=True)
        Product = self.env["product.product"]
        if not Product.search_count([("default_code", "=", "D365-ROLLOUT")], limit=1):
            Product.create({
                "name": "Dynamics rollout workshop (day)", "default_code": "D365-ROLLOUT",
                "type": "service", "service_tracking": "project_only", "list_price": 1100.0,
            })  # fmt: skip
        now = fields.Datetime.now()
        for kind, object_name, delay in (
            ("pull", "accounts", 0),
            ("pull", "contacts", 15),
            ("dynamics_pull_opportunities", "opportunities", 20),
        ):
            self.env["sync.job"]._enqueue(
                backend, kind, payload={"object": object_name},
                identity_key=f"pull:{object_name}", eta=now + timedelta(seconds=delay),
            )  # fmt: skip
        return backend
