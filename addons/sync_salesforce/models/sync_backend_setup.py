# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce set-up: default mappings and the sandbox demo backend."""

import logging
from datetime import timedelta

from odoo import fields, models

from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS

from .. import mappings

_logger = logging.getLogger(__name__)
DEMO_SETUPS["sync_salesforce"] = "_salesforce_demo_setup"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ set-up
    def _salesforce_create_default_mappings(self):
        """Account -> company, Contact -> person under its account (idempotent, editable)."""
        return self._create_default_mappings(mappings.DEFAULT_MAPPINGS, kind="salesforce")

    def _salesforce_demo_setup(
        self,
        login_url,
        username="integration@example.com",
        password="demo-password",
        token="DEMOTOKEN",
    ):
        """Sandbox backend wired to a running Salesforce fake (``python
        addons/sync_salesforce/fake --port 8991 --seed demo``): test connection (org id), default
        mappings, the consulting product its won opportunity sells, pulls of accounts, contacts
        and opportunities enqueued (a won opportunity becomes an order and project)."""
        backend = self._demo_backend(
            {
                "name": "Salesforce sandbox",
                "kind": "salesforce",
                "base_url": login_url,
                "salesforce_auth": "password",
                "salesforce_username": username,
                "salesforce_password": password,
                "salesforce_security_token": token,
            }
        )
        backend._salesforce_create_default_mappings()
        try:
            backend.action_test_connection()
        except Exception:  # noqa: BLE001  the demo goes on; the backend shows the error
            _logger.warning("Salesforce sandbox demo: connection test failed", exc_info=True)
        Product = self.env["product.product"]
        if not Product.search_count([("default_code", "=", "SF-CONSULT")], limit=1):
            Product.create(
                {"name": "CRM rollout consulting (day)", "default_code": "SF-CONSULT",
                 "type": "service", "service_tracking": "project_only", "list_price": 1200.0}
            )  # fmt: skip
        # contacts refer to their account's binding: accounts first; a won opportunity
        # imports its account itself when it comes first
        now = fields.Datetime.now()
        for kind, object_name, delay in (
            ("pull", "Account", 0),
            ("pull", "Contact", 15),
            ("salesforce_pull_opportunities", "Opportunity", 20),
        ):
            self.env["sync.job"]._enqueue(
                backend,
                kind,
                payload={"object": object_name},
                identity_key=f"pull:{object_name}",
                eta=now + timedelta(seconds=delay),
            )
        return backend
