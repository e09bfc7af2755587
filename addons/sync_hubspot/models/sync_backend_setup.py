# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot set-up: default mappings and the sandbox demo backend."""

from odoo import models

from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS

from .. import mappings

DEMO_SETUPS["sync_hubspot"] = "_hubspot_demo_setup"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ set-up
    def _hubspot_create_default_mappings(self):
        """Companies and contacts -> res.partner with match rules (idempotent)."""
        return self._create_default_mappings(mappings.DEFAULT_MAPPINGS, kind="hubspot")

    def _hubspot_demo_setup(self, base_url, token="pat-demo", secret="fake-client-secret"):
        """Sandbox backend wired to a running HubSpot fake (``python addons/sync_hubspot/fake
        --port 8990 --token pat-demo --seed demo``): default mappings, the demo products, and
        pulls of companies, contacts and deals enqueued."""
        backend = self._demo_backend(
            {
                "name": "HubSpot sandbox",
                "kind": "hubspot",
                "base_url": base_url,
                "hubspot_auth": "private_app",
                "hubspot_access_token": token,
                "hubspot_client_secret": secret,
            }
        )
        backend._hubspot_create_default_mappings()
        backend.action_test_connection()  # its status, and the portal id for record links
        backend._sale_demo_pricelist("EUR")  # the demo portal sells in EUR
        Product = self.env["product.product"]
        for code, name, vals in (
            ("RA-200", "Robot arm RA-200", {"type": "consu", "list_price": 5000.0}),
            (
                "SRV-INSTALL",
                "Installation service",
                {"type": "service", "service_tracking": "project_only", "list_price": 125.0,
                 "uom_id": self.env.ref("uom.product_uom_hour").id},
            ),  # sold by the hour, invoiced on the timesheets of a PSA when one is set up
        ):  # fmt: skip
            if not Product.search_count([("default_code", "=", code)], limit=1):
                Product.create({"name": name, "default_code": code, **vals})
        Job = self.env["sync.job"]
        for object_name in ("companies", "contacts"):
            Job._enqueue(
                backend, "pull", payload={"object": object_name}, identity_key=f"pull:{object_name}"
            )
        Job._enqueue(
            backend, "hubspot_pull_deals", payload={"object": "deals"}, identity_key="pull:deals"
        )
        return backend
