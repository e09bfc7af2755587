# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How the Salesforce adapter logs in (plain Python, no ORM): the login URL, the HTTP transport
with its default timeout, the login flows (SOAP username + password + security token, OAuth 2.0
JWT bearer and client credentials) and the sessions cached per process (one login per worker,
not per job)."""

import base64
import ipaddress
import threading
import time
from urllib.parse import urlparse

import jwt
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin, token_login

from odoo.addons.sync_core.exceptions import AuthenticationError, RemoteUnavailableError

from .salesforce_errors import classify

LOGIN_URLS = {
    "production": "https://login.salesforce.com",
    "sandbox": "https://test.salesforce.com",
}

# Sessions per (login URL, mode, user or key) in this process: one login per worker, not per job.
_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()


class _TimeoutAdapter(HTTPAdapter):
    """A default timeout on every request (simple-salesforce passes none)."""

    def __init__(self, timeout, downgrade=False):
        super().__init__()
        self.timeout, self.downgrade = timeout, downgrade

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.downgrade and request.url.startswith("https://"):
            # simple-salesforce builds https:// URLs from the instance host; a loopback login
            # URL given as http:// (the wire-level fake) is served over plain HTTP.
            request.url = "http://" + request.url[len("https://") :]
        return super().send(request, **kwargs)


def login_url(config):
    """The login URL: explicit (My Domain, or the fake) or by environment."""
    url = (config.get("login_url") or "").strip().rstrip("/")
    if not url:
        url = LOGIN_URLS["sandbox" if config.get("sandbox") else "production"]
    if "://" not in url:
        url = f"https://{url}"
    parsed = urlparse(url)
    if parsed.scheme != "https" and not _is_loopback(parsed.hostname):
        raise AuthenticationError(
            f"the Salesforce login URL must use https: {url}", pattern="login URL not https"
        )
    return url


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def forget_sessions():
    """Drop the cached sessions (tests; a changed password)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


class LoginMixin:
    """The adapter's login and connection (``self.config``, ``self.login_url``, ``self.version``,
    ``self.session``, ``self._key``: see `SalesforceAdapter.__init__`)."""

    def _login(self):
        """Log in with the configured flow; returns (session id, instance host[:port])."""
        config = self.config
        auth = config.get("auth") or "password"
        self.logins += 1
        if auth == "password":
            return SalesforceLogin(
                username=config.get("username"),
                password=config.get("password") or "",
                security_token=config.get("security_token") or "",
                sf_version=self.version,
                session=self.session,
                scratch_url=self.login_url,
            )
        token_url = f"{self.login_url}/services/oauth2/token"
        if auth == "jwt":
            audience = LOGIN_URLS["sandbox" if config.get("sandbox") else "production"]
            if _is_loopback(urlparse(self.login_url).hostname):
                audience = self.login_url
            try:
                assertion = jwt.encode(
                    {
                        "iss": config.get("consumer_key"),
                        "sub": config.get("username"),
                        "aud": audience,
                        "exp": int(time.time()) + 180,
                    },
                    config.get("private_key") or "",
                    algorithm="RS256",
                )
            except (ValueError, TypeError, jwt.PyJWTError) as exc:
                raise AuthenticationError(
                    f"the JWT private key cannot sign: {exc}", pattern="bad JWT private key"
                ) from exc
            data = {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            }
            return token_login(
                token_url, data, "login", config.get("consumer_key"), None, None, self.session
            )
        if auth == "client_credentials":
            basic = f"{config.get('consumer_key')}:{config.get('consumer_secret')}"
            headers = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()}
            data = {"grant_type": "client_credentials"}
            return token_login(
                token_url, data, "login", config.get("consumer_key"), headers, None, self.session
            )
        raise AuthenticationError(f"unknown Salesforce login mode {auth}", pattern="login mode")

    def _connect(self, fresh=False):
        with _SESSIONS_LOCK:
            cached = None if fresh else _SESSIONS.get(self._key)
        if cached is None:
            try:
                cached = self._login()
            except SalesforceAuthenticationFailed as exc:
                raise classify(exc) from exc
            except requests.RequestException as exc:
                raise RemoteUnavailableError(
                    f"Salesforce login unreachable: {exc.__class__.__name__}",
                    pattern="unreachable",
                ) from exc
            with _SESSIONS_LOCK:
                _SESSIONS[self._key] = cached
        session_id, instance = cached
        self.sf = Salesforce(
            session_id=session_id, instance=instance, session=self.session, version=self.version
        )
