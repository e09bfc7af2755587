# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Kantata OX backend kind: credentials, adapter, change feed and set-up.  The PSA
workflows themselves (time, expenses, people, reversal rules) live in ``sync.psa``."""

import functools
from urllib.parse import urlparse

import requests

from odoo import api, fields, models

from odoo.addons.sync_core.adapter import raise_for_response
from odoo.addons.sync_core.exceptions import AuthenticationError, RemoteUnavailableError

from .. import kantata_adapter

MANAGER = "sync_core.sync_core_group_manager"
PSA_KINDS = ("kantata",)
DEFAULT_BASE_URL = "https://api.mavenlink.com/api/v1"
# Kantata objects that have a page of their own in the web app (linked from Odoo)
WEB_PAGES = ("workspaces", "time_entries", "expenses", "users")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = fields.Selection(
        selection_add=[("kantata", "Kantata OX (PSA)")], ondelete={"kantata": "cascade"}
    )
    kantata_auth = fields.Selection(
        [("token", "OAuth access token"), ("client_credentials", "OAuth client credentials")],
        string="Kantata authentication",
        default="token",
    )
    kantata_access_token = fields.Char(
        groups=MANAGER,
        copy=False,
        help="Bearer token (Kantata access tokens do not expire; revoke the app to void it).",
    )
    kantata_client_id = fields.Char(groups=MANAGER, copy=False)
    kantata_client_secret = fields.Char(groups=MANAGER, copy=False)
    kantata_token_url = fields.Char(
        default="https://api.mavenlink.com/oauth/token",
        help="OAuth token endpoint used for the client credentials grant.",
    )
    kantata_account_id = fields.Char(string="Kantata account id", copy=False)
    psa_event_feed = fields.Boolean(
        string="Use the change feed",
        default=True,
        help="Read Kantata's subscribed events (the last 9 days) as the fast path; the filtered "
        "lists are the fallback when the feed has a gap.",
    )
    psa_expense_product_id = fields.Many2one(
        "product.product",
        string="Default expense product",
        domain=[("can_be_expensed", "=", True)],
        help="Expense category used when no expensable product is named after the PSA's "
        "category.",
    )

    # ------------------------------------------------------------------ adapter
    def _kantata_access_token(self, force=False):
        """The bearer token; with client credentials, fetched from the token endpoint when
        there is none, or when `force`d (Kantata refused it with a 401: the adapter's
        `refresh`), and stored at once (sync_core's `_oauth_access_token`)."""
        self.ensure_one()
        me = self.sudo()
        if me.kantata_auth != "client_credentials":
            return me.kantata_access_token or ""
        return me._oauth_access_token(
            functools.partial(_client_credentials_token, me), "kantata_access_token", force=force
        )

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "kantata":
            config["base_url"] = self.base_url or DEFAULT_BASE_URL
            config["access_token"] = self._kantata_access_token()
            if self.sudo().kantata_auth == "client_credentials":
                config["refresh"] = functools.partial(self._kantata_access_token, force=True)
        return config

    def _get_adapter(self):
        if self.kind == "kantata":
            self.ensure_one()
            adapter = kantata_adapter.KantataAdapter(self._adapter_config())
            adapter.page_size = min(self.page_size or 200, kantata_adapter.MAX_PER_PAGE)
            return adapter
        return super()._get_adapter()

    def _connection_tested(self, info):
        res = super()._connection_tested(info)
        if self.kind == "kantata" and info.account_id:
            self.kantata_account_id = info.account_id
        return res

    def _remote_record_url(self, remote_object, external_id):
        """The record's page in Kantata's web app: <app host>/<object>/<id>.  The app host is
        the API's (``https://api.mavenlink.com/api/v1`` -> ``https://app.mavenlink.com``); a
        sandbox on another host (the fake) is linked on that host, which serves the same paths."""
        if self.kind not in PSA_KINDS:
            return super()._remote_record_url(remote_object, external_id)
        if remote_object not in WEB_PAGES or not external_id:
            return False
        api = urlparse(self.base_url or DEFAULT_BASE_URL)
        host = api.netloc
        if host.startswith("api."):
            host = "app." + host.removeprefix("api.")
        return f"{api.scheme or 'https'}://{host}/{remote_object}/{external_id}"

    # ------------------------------------------------------------------ change feed
    def _webhook_job_values(self, event):
        """A change of the PSA's feed -> a batched re-read of the record's current state."""
        if self.kind in PSA_KINDS:
            values = self.env["sync.psa"]._import_job_values(
                event["object_name"], event["external_id"]
            )
            if values:
                return values
        return super()._webhook_job_values(event)

    # ------------------------------------------------------------------ pulls
    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        """Workspaces: bind those that match an existing project (external reference, name +
        customer) and name the customer of the others first, then apply the page through the
        workspace mapping (a new project for each unbound workspace)."""
        if self.kind in PSA_KINDS and object_name == "workspaces" and apply_page is None:
            mapping = self.env["sync.mapping"]._for(self, object_name)

            def apply_page(page):
                self.env["sync.psa"]._prepare_workspaces(self, page)
                return mapping._apply_page(page, job=job, dry_run=dry_run)

        return super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)

    def _pull_pages_per_commit(self, object_name):
        if self.kind in PSA_KINDS and object_name in ("time_entries", "expenses"):
            return self.env["sync.psa"]._pages_per_commit()
        return super()._pull_pages_per_commit(object_name)

    # ------------------------------------------------------------------ schedule
    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        for backend in self.search([("kind", "in", PSA_KINDS)]):
            self.env["sync.psa"]._schedule(backend, scheduled=True)
        return res

    def action_psa_sync(self):
        for backend in self.filtered(lambda b: b.kind in PSA_KINDS):
            self.env["sync.psa"]._schedule(backend)
        return True

    def action_psa_create_default_mappings(self):
        self.env["sync.psa"]._create_default_mappings(self)
        return True

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_psa"):
            self.env["sync.psa"]._demo_setup(fake_urls["sync_psa"])
        return res


def _client_credentials_token(backend, _current):
    """Kantata's OAuth client credentials grant -> {"access_token"}."""
    try:
        response = requests.post(
            backend.kantata_token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": backend.kantata_client_id or "",
                "client_secret": backend.kantata_client_secret or "",
            },
            timeout=backend.timeout or 30,
        )
    except requests.RequestException as exc:
        raise RemoteUnavailableError(
            f"Kantata token endpoint unreachable: {exc}", pattern="token endpoint"
        ) from exc
    raise_for_response(response)
    try:
        fresh = (response.json() or {}).get("access_token")
    except ValueError as exc:
        raise RemoteUnavailableError(
            "Kantata's token endpoint answered a body that is not JSON",
            pattern="token endpoint",
        ) from exc
    if not fresh:
        raise AuthenticationError("Kantata issued no access token", pattern="no token")
    return {"access_token": fresh}
