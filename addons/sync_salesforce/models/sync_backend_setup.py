# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce set-up: default mappings and the sandbox demo backend."""

import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.mapping import line_command as _line
from odoo.addons.sync_core.mapping import match_command as _match

_logger = logging.getLogger(__name__)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ set-up
    def _salesforce_create_default_mappings(self):
        """Account -> company, Contact -> person under its account (idempotent, editable)."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in self.filtered(lambda b: b.kind == "salesforce"):
            existing = set(
                Mapping.search([("backend_id", "=", backend.id)]).mapped("remote_object")
            )
            vals_list = []
            if "Account" not in existing:
                vals_list.append(
                    {
                        "name": "Salesforce accounts",
                        "backend_id": backend.id,
                        "remote_object": "Account",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': True}",
                        "delete_policy": "archive",
                        "line_ids": [
                            _line("Name", "name"),
                            _line("Website", "website"),
                            _line("Phone", "phone"),
                            _line("BillingStreet", "street"),
                            _line("BillingCity", "city"),
                            _line("BillingPostalCode", "zip"),
                            _line("BillingCountry", "country_id", "ref:country_name"),
                        ],
                        "match_ids": [
                            _match(
                                "Website",
                                "website",
                                "email_domain",
                                1,
                                "[('is_company', '=', True)]",
                            ),
                        ],
                    }
                )
            if "Contact" not in existing:
                vals_list.append(
                    {
                        "name": "Salesforce contacts",
                        "backend_id": backend.id,
                        "remote_object": "Contact",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': False, 'type': 'contact'}",
                        "delete_policy": "archive",
                        "line_ids": [
                            _line("Name", "name"),
                            _line("Email", "email", "lower"),
                            _line("Phone", "phone"),
                            _line("Title", "function"),
                            _line("AccountId", "parent_id", "ref:binding", ref_object="Account"),
                        ],
                        "match_ids": [
                            _match("Email", "email", "iexact", 1, "[('is_company', '=', False)]"),
                        ],
                    }
                )
            created |= Mapping.create(vals_list)
        return created

    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_salesforce"):
            self._salesforce_demo_setup(fake_urls["sync_salesforce"])
        return res

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
        backend = self.search(
            [("kind", "=", "salesforce"), ("base_url", "=", login_url), ("sandbox", "=", True)],
            limit=1,
        )
        if not backend:
            backend = self.create(
                {
                    "name": "Salesforce sandbox",
                    "kind": "salesforce",
                    "sandbox": True,
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
