# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Kantata OX backend kind: credentials, adapter, record links, registration as a PSA and
the sandbox demo.  What every PSA backend does (pulls, feed, schedule) is in sync_psa's
``psa_backend``; the PSA workflows themselves (time, expenses, people, reversal rules) live in
sync_psa's ``sync.psa``."""

import functools
from urllib.parse import urlparse

from odoo import fields, models

from odoo.addons.sync_core.adapter import client_credentials_grant
from odoo.addons.sync_core.models.sync_backend import ADAPTERS, kind_option
from odoo.addons.sync_core.models.sync_backend_connector import ACCOUNT_ID_FIELDS
from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS
from odoo.addons.sync_core.models.sync_backend_health import KIND_ROLES
from odoo.addons.sync_core.secret_fields import SecretChar
from odoo.addons.sync_psa import psa

from .. import kantata_adapter

MANAGER = "sync_core.sync_core_group_manager"
DEFAULT_BASE_URL = "https://api.mavenlink.com/api/v1"
# canonical objects that have a page of their own in Kantata's web app (linked from Odoo)
WEB_PAGES = (psa.PROJECTS, psa.TIME, psa.EXPENSES, psa.PEOPLE)
ADAPTERS["kantata"] = (kantata_adapter.KantataAdapter, kantata_adapter.MAX_PER_PAGE)
ACCOUNT_ID_FIELDS["kantata"] = "kantata_account_id"
DEMO_SETUPS["sync_psa_kantata"] = "_kantata_demo_setup"
KIND_ROLES["kantata"] = "psa"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("kantata", "Kantata OX (PSA)")
    kantata_auth = fields.Selection(
        [("token", "OAuth access token"), ("client_credentials", "OAuth client credentials")],
        string="Kantata authentication",
        default="token",
    )
    kantata_access_token = SecretChar(
        groups=MANAGER,
        copy=False,
        help="Bearer token (Kantata access tokens do not expire; revoke the app to void it).",
    )
    kantata_client_id = fields.Char(groups=MANAGER, copy=False)
    kantata_client_secret = SecretChar(groups=MANAGER, copy=False)
    kantata_token_url = fields.Char(
        default="https://api.mavenlink.com/oauth/token",
        help="OAuth token endpoint used for the client credentials grant.",
    )
    kantata_account_id = fields.Char(string="Kantata account id", copy=False)

    # ------------------------------------------------------------------ adapter
    def _kantata_access_token(self, force=False):
        """The bearer token; with client credentials, fetched from the token endpoint when
        there is none, or when `force`d (Kantata refused it with a 401: the adapter's
        `refresh`), and stored at once (sync_core's `_oauth_access_token`)."""
        self.ensure_one()
        me = self.sudo()
        if me.kantata_auth != "client_credentials":
            return me.kantata_access_token or ""
        fetch = client_credentials_grant(
            me.kantata_token_url,
            me.kantata_client_id,
            me.kantata_client_secret,
            me.timeout,
            "Kantata",
        )
        return me._oauth_access_token(fetch, "kantata_access_token", force=force)

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "kantata":
            config["base_url"] = self.base_url or DEFAULT_BASE_URL
            config["access_token"] = self._kantata_access_token()
            if self.sudo().kantata_auth == "client_credentials":
                config["refresh"] = functools.partial(self._kantata_access_token, force=True)
        return config

    def _value_style(self):
        """Workspace values go out as strings, as they always have (a typed value would change
        every workspace's export hash and send each one again)."""
        return "text" if self.kind == "kantata" else super()._value_style()

    def _remote_record_url(self, remote_object, external_id):
        """The record's page in Kantata's web app: <app host>/<object>/<id>.  The app host is
        the API's (``https://api.mavenlink.com/api/v1`` -> ``https://app.mavenlink.com``); a
        sandbox on another host (the fake) is linked on that host, which serves the same paths.
        The object is a canonical one (``psa.PROJECTS``), the path Kantata's collection."""
        if self.kind != "kantata":
            return super()._remote_record_url(remote_object, external_id)
        if remote_object not in WEB_PAGES or not external_id:
            return False
        api = urlparse(self.base_url or DEFAULT_BASE_URL)
        host = api.netloc
        if host.startswith("api."):
            host = "app." + host.removeprefix("api.")
        collection = kantata_adapter.OBJECTS[remote_object][0]
        return f"{api.scheme or 'https'}://{host}/{collection}/{external_id}"

    # ------------------------------------------------------------------ demo
    def _kantata_demo_setup(self, base_url, token="kantata-demo"):
        """Sandbox Kantata backend on its fake (``python addons/sync_psa_kantata/fake --port 8992
        --token kantata-demo --seed demo``, sync_psa's `_psa_demo_backend`), a first sync
        enqueued."""
        url = base_url.rstrip("/")
        if not url.endswith("/api/v1"):
            url += "/api/v1"
        values = {"name": "Kantata sandbox", "kind": "kantata", "base_url": url}
        backend = self._psa_demo_backend({**values, "kantata_access_token": token})
        # the demo deal's service (SKU SRV-INSTALL, sold by the hour) is billed on timesheets,
        # so its time is invoiceable; whichever demo set-up runs first creates the product
        Product = self.env["product.product"]
        service = Product.search([("default_code", "=", "SRV-INSTALL")], limit=1)
        if not service:
            service = Product.create(
                {
                    "name": "Installation service",
                    "default_code": "SRV-INSTALL",
                    "type": "service",
                    "service_tracking": "project_only",
                    "list_price": 125.0,
                    "uom_id": self.env.ref("uom.product_uom_hour").id,
                }
            )
        service.service_policy = "delivered_timesheet"
        self.env["sync.job"]._enqueue(
            backend, "pull", payload={"object": psa.PROJECTS}, identity_key=f"pull:{psa.PROJECTS}"
        )
        self.env["sync.psa"]._schedule(backend)
        return backend
