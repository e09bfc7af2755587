"""OAuth 2.0 authorization code grant for every connector: the backend form's Connect button
sends the admin to the vendor's consent page with a `state` bound to the backend and to the
user (signed with the database secret, its nonce and PKCE verifier stored encrypted), the
callback route (/sync/oauth/callback) checks it (forged, stale or replayed: refused, nothing
stored), exchanges the code and stores the tokens in the backend's encrypted fields; later
requests refresh them through `_oauth_access_token` (rotated refresh tokens kept).

A connector gives its providers as data (`_oauth_providers`, see sync_core/oauth.py); with
several (e.g. a tracker and its time-tracking add-on), Connect consents to each in turn."""

import json
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError

from .. import oauth
from ..exceptions import AuthenticationError, SyncError
from ..secret_fields import SecretChar
from .sync_backend import MANAGER

CALLBACK = "/sync/oauth/callback"
TOKEN_MARGIN = timedelta(minutes=5)  # an access token expiring sooner is refreshed first
DEFAULT_FIELDS = {
    "client_id": "oauth_client_id",
    "client_secret": "oauth_client_secret",
    "access_token": "oauth_access_token",
    "refresh_token": "oauth_refresh_token",
    "expires_at": "oauth_expires_at",
    "resource_id": "oauth_resource_id",
}


class OAuthStateError(Exception):
    """The callback's state is forged, stale or already used: nothing is stored."""


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    auth_mode = fields.Selection(
        [("token", "API token"), ("oauth", "OAuth 2.0")],
        string="Authentication",
        default="token",
        help="OAuth 2.0: enter the OAuth app's client id and secret, then Connect.",
    )
    oauth_available = fields.Boolean(compute="_compute_oauth_available")
    oauth_client_id = fields.Char(string="OAuth client id", groups=MANAGER, copy=False)
    oauth_client_secret = SecretChar(string="OAuth client secret", groups=MANAGER, copy=False)
    oauth_access_token = SecretChar(string="OAuth access token", groups=MANAGER, copy=False)
    oauth_refresh_token = SecretChar(string="OAuth refresh token", groups=MANAGER, copy=False)
    oauth_expires_at = fields.Datetime(string="Access token expires", readonly=True, copy=False)
    oauth_resource_id = fields.Char(
        string="Site id", readonly=True, copy=False, help="The remote site the consent opens."
    )
    oauth_server_url = fields.Char(
        string="Authorization server",
        help="Blank: the vendor's.  A test server (a fake) serving the vendor's OAuth paths.",
    )
    # the authorization in flight: {"key", "nonce", "uid", "at", "verifier"} (JSON)
    oauth_pending = SecretChar(groups=MANAGER, copy=False)

    @api.depends("kind")
    def _compute_oauth_available(self):
        for backend in self:
            backend.oauth_available = bool(backend._oauth_providers())

    # ------------------------------------------------------------------ connector hook
    def _oauth_providers(self):
        """Hook: {key: provider} (sync_core/oauth.py's data), in the order Connect consents
        to them; empty: the connector has no OAuth."""
        return {}

    def _oauth_provider(self, key):
        provider = dict(self._oauth_providers()[key])
        provider["fields"] = {**DEFAULT_FIELDS, **provider.get("fields", {})}
        for name in ("authorize_url", "token_url", "resources_url"):
            if provider.get(name):
                provider[name] = self._oauth_url(provider[name])
        return provider

    def _oauth_url(self, url):
        """A provider's `url`, ``{site}`` replaced by the backend's base URL, and on the
        authorization server of the backend (a test server) when it has one."""
        me = self.sudo()
        url = url.replace("{site}", (me.base_url or "").rstrip("/"))
        if me.oauth_server_url:
            parts = urlsplit(url)
            url = me.oauth_server_url.rstrip("/") + urlunsplit(("", "", *parts[2:]))
        return url

    # ------------------------------------------------------------------ consent
    def action_oauth_connect(self):
        """Connect: the first provider's consent page (the next ones follow the callback)."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self._oauth_start(), "target": "self"}

    def _oauth_start(self, key=None):
        """The authorize URL of provider `key` (default: the first), its state stored."""
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only sync managers connect a backend."))
        me = self.sudo()
        key = key or next(iter(me._oauth_providers()), None)
        if not key:
            raise UserError(self.env._("This kind of backend has no OAuth connection."))
        provider = me._oauth_provider(key)
        client_id = me[provider["fields"]["client_id"]]
        if not client_id:
            raise UserError(self.env._("Enter the %s OAuth client id first.", provider["label"]))
        nonce = secrets.token_urlsafe(24)
        verifier, challenge = oauth.pkce_pair() if provider.get("pkce", True) else (None, None)
        pending = {"key": key, "nonce": nonce, "uid": self.env.uid, "at": int(time.time())}
        me.oauth_pending = json.dumps(pending | {"verifier": verifier})
        state = f"{self.id}.{key}.{nonce}.{me._oauth_signature(key, nonce, self.env.uid)}"
        return oauth.authorize_url(provider, client_id, me._oauth_redirect_uri(), state, challenge)

    def _oauth_signature(self, key, nonce, uid):
        return tools.misc.hmac(self.env(su=True), "sync_oauth_state", (self.id, key, nonce, uid))

    def _oauth_redirect_uri(self):
        return f"{self.get_base_url()}{CALLBACK}"

    @api.model
    def _oauth_callback(self, state, code=None, error=None, description=None):
        """The vendor sent the admin back: check `state` (OAuthStateError when forged, stale or
        used), then store the tokens of `code`.  Returns (backend, URL to go on to: the next
        provider's consent, or None)."""
        backend, pending = self._oauth_check_state(state)
        backend.oauth_pending = False  # used once, whatever follows
        provider = backend._oauth_provider(pending["key"])
        try:
            if error or not code:
                raise AuthenticationError(
                    f"{provider['label']} consent refused: {description or error or 'no code'}"
                )
            backend._oauth_store(provider, code, pending.get("verifier"))
        except SyncError as exc:
            backend.write({"state": "error", "status_message": exc.message})
            return backend, None
        keys = list(backend._oauth_providers())
        following = keys[keys.index(pending["key"]) + 1 :]
        if following:
            return backend, backend.with_user(pending["uid"])._oauth_start(following[0])
        backend.with_user(pending["uid"]).action_test_connection()
        return backend, None

    @api.model
    def _oauth_check_state(self, state):
        parts = (state or "").split(".")
        if len(parts) != 4 or not parts[0].isdigit():
            raise OAuthStateError(self.env._("The authorization answer is not one of ours."))
        backend = self.sudo().browse(int(parts[0])).exists()
        uid = self.env.uid
        if not backend or not tools.misc.consteq(
            backend._oauth_signature(parts[1], parts[2], uid), parts[3]
        ):
            raise OAuthStateError(
                self.env._("The authorization answer is forged or was started by another user.")
            )
        pending = json.loads(backend.oauth_pending or "{}")
        if pending.get("nonce") != parts[2] or pending.get("uid") != uid:
            raise OAuthStateError(
                self.env._("This authorization was already used or replaced: press Connect again.")
            )
        if pending["at"] + oauth.STATE_TTL < time.time():
            backend.oauth_pending = False
            raise OAuthStateError(self.env._("This authorization expired: press Connect again."))
        if pending["key"] not in backend._oauth_providers():
            raise OAuthStateError(self.env._("This backend no longer has that OAuth provider."))
        return backend, pending

    def _oauth_store(self, provider, code, verifier=None):
        """Exchange `code` for tokens and store them (with the site's id when the provider
        lists sites); nothing is stored when a step fails (SyncError)."""
        names = provider["fields"]
        grant = {"grant_type": "authorization_code", "code": code}
        grant["redirect_uri"] = self._oauth_redirect_uri()
        if verifier:
            grant["code_verifier"] = verifier
        client = (self[names["client_id"]], self[names["client_secret"]])
        tokens = oauth.request_token(provider, client, grant, self.timeout or 30)
        expires = fields.Datetime.now() + timedelta(seconds=tokens.get("expires_in") or 3600)
        values = {
            names["access_token"]: tokens["access_token"],
            names["refresh_token"]: tokens.get("refresh_token") or False,
            names["expires_at"]: expires,
        }
        site = oauth.resource_id(provider, tokens["access_token"], self.base_url, self.timeout)
        if site:
            values[names["resource_id"]] = site
        self.write(values)

    # ------------------------------------------------------------------ tokens
    def _oauth_token(self, key, force=False):
        """Provider `key`'s access token to send now: refreshed (and stored, with a rotated
        refresh token) when it expires within TOKEN_MARGIN or when `force`d (a 401)."""
        self.ensure_one()
        me = self.sudo()
        provider = me._oauth_provider(key)
        names = provider["fields"]

        def fetch(current):
            refresh = current.get(names["refresh_token"])
            if not refresh:
                raise AuthenticationError(
                    f"{provider['label']}: not connected (no refresh token): press Connect",
                    pattern="oauth not connected",
                )
            client = (me[names["client_id"]], me[names["client_secret"]])
            grant = {"grant_type": "refresh_token", "refresh_token": refresh}
            return oauth.request_token(provider, client, grant, me.timeout or 30)

        return me._oauth_access_token(
            fetch,
            names["access_token"],
            refresh_field=names["refresh_token"],
            expires_field=names["expires_at"],
            force=force,
            margin=TOKEN_MARGIN,
        )
