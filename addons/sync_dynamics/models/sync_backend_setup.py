# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 set-up: default mappings and the sandbox demo backend."""

from datetime import timedelta

from odoo import fields, models

from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS

from .. import mappings

DEMO_SETUPS["sync_dynamics"] = "_dynamics_demo_setup"

DEMO_TENANT = "contoso"
DEMO_CLIENT = ("demo-app-id", "demo-app-secret")
# what the won demo opportunity sells (a service that makes a project)
DEMO_PRODUCT = {
    "name": "Dynamics rollout workshop (day)", "default_code": "D365-ROLLOUT",
    "type": "service", "service_tracking": "project_only", "list_price": 1100.0,
}  # fmt: skip
DEMO_PULLS = (("pull", "accounts"), ("pull", "contacts"),
              ("sale_pull_deals", "opportunities"))  # fmt: skip


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _dynamics_demo_setup(self, url):
        """A sandbox backend on a running fake (``python addons/sync_dynamics/fake``), tested,
        mapped, its pulls enqueued: the won opportunity becomes an order and a project."""
        backend = self.search([("kind", "=", "dynamics"), ("base_url", "=", url)], limit=1)
        if not backend:
            backend = self.create({
                "name": "Dynamics 365 sandbox", "kind": "dynamics", "sandbox": True,
                "base_url": url, "dynamics_authority": url, "dynamics_tenant": DEMO_TENANT,
                "dynamics_client_id": DEMO_CLIENT[0], "dynamics_client_secret": DEMO_CLIENT[1],
                "sale_confirm_orders": True, "sale_mirror_open_deals": True,
            })  # fmt: skip
        backend.action_dynamics_create_default_mappings()
        backend.action_test_connection()  # a failure stays on the backend (state, message)
        Product = self.env["product.product"]
        Product.search([("default_code", "=", DEMO_PRODUCT["default_code"])], limit=1) or (
            Product.create(DEMO_PRODUCT)
        )
        # accounts first (contacts refer to them); the opportunities last
        start, jobs = fields.Datetime.now(), self.env["sync.job"]
        for step, (kind, object_name) in enumerate(DEMO_PULLS):
            eta = start + timedelta(seconds=15 * step)
            key = f"pull:{object_name}"
            jobs._enqueue(backend, kind, payload={"object": object_name}, identity_key=key, eta=eta)
        return backend

    def action_dynamics_create_default_mappings(self):
        """accounts -> companies, contacts -> persons (idempotent, editable): the mappings."""
        return self._create_default_mappings(mappings.DEFAULT_MAPPINGS, kind="dynamics")
