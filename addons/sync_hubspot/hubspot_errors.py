# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot's error answers and rate-limit headers -> sync_core errors and figures (plain
Python, no ORM): by status code, headers and the JSON error's policy name, never free body
text."""

import json

from hubspot.crm import companies, contacts, deals, line_items
from hubspot.crm.associations import v4 as associations_v4
from hubspot.oauth import ApiException as OAuthApiException

from odoo.addons.sync_core.exceptions import QuotaExhaustedError, RateLimitedError
from odoo.addons.sync_core.remote_errors import (
    classify_status,
    one_line,
    retry_after_seconds,
    status_table,
)
from odoo.addons.sync_core.retry import next_midnight

API_EXCEPTIONS = tuple(
    {
        companies.ApiException,
        contacts.ApiException,
        deals.ApiException,
        line_items.ApiException,
        associations_v4.ApiException,
        OAuthApiException,
    }
)
# Seconds to wait before retrying a 429, per HubSpot policyName (the JSON error body); a 429
# that names none waits the secondly window.  "DAILY" is a quota: see classify().
POLICY_WINDOWS = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}
DEFAULT_RATE_WINDOW = 1.0
DAILY_POLICY = "DAILY"


def _header_int(headers, name):
    value = headers.get(name.lower())
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def rate_limit_from_headers(headers):
    """HubSpot's ``X-HubSpot-RateLimit-*`` headers -> ``{"max", "remaining", "interval"}``
    (interval in seconds) of the tightest window announced, or None when there is none.

    Windows: the burst one (``-Max``, ``-Remaining``, ``-Interval-Milliseconds``) and, when sent,
    the secondly one (``-Secondly``, ``-Secondly-Remaining``).  An exhausted window wins (the
    longest first: it blocks longest), else the one with the lowest rate."""
    lower = {str(k).lower(): v for k, v in (headers or {}).items()}
    prefix = "x-hubspot-ratelimit-"
    windows = []
    limit = _header_int(lower, prefix + "max")
    remaining = _header_int(lower, prefix + "remaining")
    if limit and remaining is not None:
        millis = _header_int(lower, prefix + "interval-milliseconds") or 10_000
        windows.append({"max": limit, "remaining": remaining, "interval": millis / 1000})
    limit = _header_int(lower, prefix + "secondly")
    remaining = _header_int(lower, prefix + "secondly-remaining")
    if limit and remaining is not None:
        windows.append({"max": limit, "remaining": remaining, "interval": 1.0})
    if not windows:
        return None
    return min(
        windows,
        key=lambda w: (
            w["remaining"] > 0,
            w["max"] / w["interval"] if w["remaining"] > 0 else -w["interval"],
        ),
    )


def _body_json(exc):
    try:
        body = json.loads(exc.body or b"{}")
    except (ValueError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _body_status(exc):
    """HubSpot's reason of an error answer, readable: ``CATEGORY (subCategory): message
    [correlation id]``.  HubSpot's bodies say ``"status": "error"`` and name the problem in
    ``category`` (VALIDATION_ERROR, OBJECT_NOT_FOUND ...) and ``message``; OAuth errors put it in
    ``status`` (BAD_REFRESH_TOKEN ...).  A body that is not JSON gives its first characters."""
    body = _body_json(exc)
    if not body:
        raw = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
        return one_line(raw or "", 200)
    status = str(body.get("status") or "")
    code = str(body.get("category") or (status if status.lower() != "error" else "") or "")
    if body.get("subCategory"):
        code = f"{code} ({body['subCategory']})" if code else str(body["subCategory"])
    parts = [one_line(code, 100), one_line(body.get("message") or "", 300)]
    reason = ": ".join(p for p in parts if p)
    if body.get("correlationId"):
        reason += f" [correlation id {one_line(body['correlationId'], 60)}]"
    return reason


def _rate_limited(exc, time_zone=None, now=None):
    """A 429 -> RateLimitedError of its window, or QuotaExhaustedError for the daily limit.

    HubSpot names the limit hit in the JSON body's ``policyName`` ("SECONDLY",
    "TEN_SECONDLY_ROLLING", "DAILY"); ``X-HubSpot-RateLimit-Daily-Remaining: 0`` tells the daily
    limit too.  The daily limit resets at midnight in the portal's time zone."""
    lower = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
    policy = str(_body_json(exc).get("policyName") or "").strip().upper()
    daily_remaining = _header_int(lower, "x-hubspot-ratelimit-daily-remaining")
    if policy == DAILY_POLICY or daily_remaining == 0:
        reset_at = next_midnight(time_zone, now=now)
        return QuotaExhaustedError(
            f"HubSpot daily API limit reached (HTTP 429); it resets at midnight "
            f"{time_zone or 'UTC'} ({reset_at:%Y-%m-%d %H:%M} UTC)",
            reset_at=reset_at,
            reason="HubSpot daily API limit reached",
            pattern="HubSpot daily API limit",
        )
    window = POLICY_WINDOWS.get(policy, DEFAULT_RATE_WINDOW)
    return RateLimitedError(
        f"rate limited by HubSpot (HTTP 429, {policy or 'no policy named'})",
        retry_after=max(retry_after_seconds(exc.headers) or 0.0, window),
        reason=f"HubSpot rate limit ({policy or 'HTTP 429'})",
        pattern="HTTP 429",
    )


# HubSpot's status table (sync_core's skeleton); a 429 is read by `_rate_limited`, no answer
# at all (status 0) is a server error.
STATUSES = status_table(
    server={"text": "HubSpot error HTTP {status}"},
    auth={"text": "HubSpot refused our credentials (HTTP {status}): {reason}"},
    refused={"text": "HubSpot refused the request (HTTP {status}): {reason}"},
)
STATUSES[0] = STATUSES["5xx"]


def classify(exc, time_zone=None):
    """An ApiException -> a sync_core error, by status code, headers and the JSON error's
    policy name (never free body text)."""
    status = exc.status or 0
    if status == 429:
        return _rate_limited(exc, time_zone)
    return classify_status(STATUSES, status, _body_status(exc))
