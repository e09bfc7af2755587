"""OAuth 2.0 authorization code grant, the plain part (no ORM): the authorize URL (with a PKCE
challenge), the token endpoint's two grants (``authorization_code``, ``refresh_token``), and the
resource a token opens when the vendor lists them.

A connector describes each of its OAuth providers as data (``sync.backend._oauth_providers``)::

    {"label": "Acme", "authorize_url": "https://..", "token_url": "https://..",
     "scopes": ["read", "offline_access"], "params": {"audience": ".."},  # extra authorize params
     "body": "form" | "json",                 # how the token endpoint takes its grant
     "pkce": True,                            # send an S256 challenge (ignored where unknown)
     "resources_url": "https://..",           # optional: GET -> [{"id", "url"}], the site's id
     "fields": {"client_id": .., "client_secret": .., "access_token": .., "refresh_token": ..,
                "expires_at": ..}}            # the backend's fields (default: the oauth_* ones)
"""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import requests

from .adapter import error_reason
from .exceptions import AuthenticationError, RemoteUnavailableError

STATE_TTL = 600  # seconds an authorization may take, from Connect to the callback


def pkce_pair():
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(provider, client_id, redirect_uri, state, challenge=None):
    """Where the admin's browser goes to consent."""
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
    }
    if provider.get("scopes"):
        params["scope"] = " ".join(provider["scopes"])
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(provider.get("params") or {})
    url = provider["authorize_url"]
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def request_token(provider, client, grant, timeout=30):
    """POST `grant` (``{"grant_type", "code"|"refresh_token", ...}``) with the client's id and
    secret (`client`: ``(id, secret)``) to the token endpoint -> its answer
    (``access_token``, ``refresh_token``?, ``expires_in``?).  A refusal raises
    AuthenticationError with the vendor's own words (``error``, ``error_description``)."""
    data = {**grant, "client_id": client[0] or "", "client_secret": client[1] or ""}
    body_kw = {"json": data} if provider.get("body") == "json" else {"data": data}
    label = provider.get("label") or "OAuth"
    try:
        response = requests.post(
            provider["token_url"],
            headers={"Accept": "application/json"},
            timeout=timeout,
            **body_kw,
        )
    except requests.RequestException as exc:
        raise RemoteUnavailableError(
            f"{label} token endpoint unreachable: {exc}", pattern="token endpoint unreachable"
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.ok and isinstance(body, dict) and body.get("access_token"):
        return body
    if response.status_code >= 500 or response.status_code == 429:
        raise RemoteUnavailableError(
            f"{label} token endpoint answered HTTP {response.status_code}",
            pattern="token endpoint unavailable",
        )
    raise AuthenticationError(
        f"{label} refused the {grant.get('grant_type')} grant "
        f"(HTTP {response.status_code}): {error_reason(response.text) or 'no access token'}",
        pattern="oauth grant refused",
    )


def resource_id(provider, access_token, site_url, timeout=30):
    """The id of the resource (site) at `site_url` among those the token opens
    (``GET resources_url`` -> ``[{"id", "url", "name"}]``); the only one when there is one and
    no site is given.  None when the provider lists none."""
    url = provider.get("resources_url")
    if not url:
        return None
    label = provider.get("label") or "OAuth"
    try:
        response = requests.get(
            url, headers={"Authorization": f"Bearer {access_token}"}, timeout=timeout
        )
        resources = response.json() if response.ok else None
    except (requests.RequestException, ValueError) as exc:
        raise RemoteUnavailableError(f"{label}: the sites list failed: {exc}") from exc
    if not isinstance(resources, list):
        raise AuthenticationError(
            f"{label}: the sites list answered HTTP {response.status_code}",
            pattern="oauth resources",
        )
    site = (site_url or "").rstrip("/")
    found = [r for r in resources if isinstance(r, dict) and (r.get("url") or "") == site]
    if not found and not site and len(resources) == 1:
        found = resources
    if not found:
        urls = ", ".join(str(r.get("url")) for r in resources if isinstance(r, dict))
        raise AuthenticationError(
            f"{label}: the consent covers {urls or 'no site'}, not {site or 'a site'}: "
            "connect again and pick that site",
            pattern="oauth site not granted",
        )
    return str(found[0]["id"])
