"""Webhook request verification helpers (plain Python).

The generic scheme of sync_core's own "generic" backends (connectors bring their vendor's):
header ``X-Sync-Timestamp`` (unix seconds) and ``X-Sync-Signature`` = hex HMAC-SHA256 of
``"<timestamp>.<raw body>"`` with the backend's webhook secret.
"""

import hashlib
import hmac
import math
import time

from .exceptions import WebhookAuthError

DEFAULT_WINDOW = 300  # seconds


def hmac_hex(secret, message):
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_timestamp(timestamp, window=DEFAULT_WINDOW, now=None, unit=1.0):
    """Refuse a missing, malformed, stale or future timestamp (`unit` 0.001 for milliseconds)."""
    if timestamp in (None, ""):
        raise WebhookAuthError("missing timestamp header")
    try:
        stamp = float(timestamp) * unit
    except (TypeError, ValueError) as exc:
        raise WebhookAuthError("malformed timestamp header") from exc
    if not math.isfinite(stamp):  # NaN would pass any window check below: a stamp never stale
        raise WebhookAuthError("malformed timestamp header")
    now = time.time() if now is None else now
    if abs(now - stamp) > window:
        raise WebhookAuthError("stale timestamp: outside the accepted window")
    return stamp


def verify_generic(secret, raw_body, signature, timestamp, window=DEFAULT_WINDOW, now=None):
    """Verify the generic scheme; raise WebhookAuthError on any mismatch."""
    if not secret:
        raise WebhookAuthError("backend has no webhook secret", status=403)
    if not signature:
        raise WebhookAuthError("missing signature header")
    check_timestamp(timestamp, window, now)
    expected = hmac_hex(secret, str(timestamp).encode() + b"." + (raw_body or b""))
    # bytes: compare_digest refuses str with non-ASCII characters (a header may carry any)
    if not hmac.compare_digest(
        expected.encode(), signature.strip().lower().encode("utf-8", "replace")
    ):
        raise WebhookAuthError("bad signature")


def verify_prefixed(secret, raw_body, signature, header, method="sha256"):
    """Verify a ``<method>=<hex HMAC-SHA256 of the raw body>`` header (GitHub's and Jira's
    ``X-Hub-Signature`` style); raise WebhookAuthError on any mismatch."""
    if not signature:
        raise WebhookAuthError(f"missing {header} header")
    given, _sep, digest = signature.strip().partition("=")
    expected = hmac_hex(secret, raw_body or b"")
    if given.lower() != method or not hmac.compare_digest(
        expected.encode(), digest.lower().encode("utf-8", "replace")
    ):
        raise WebhookAuthError("bad signature")


def sign_generic(secret, raw_body, timestamp=None):
    """Headers for a request signed with the generic scheme (used by fakes and tests)."""
    timestamp = str(int(time.time() if timestamp is None else timestamp))
    return {
        "X-Sync-Timestamp": timestamp,
        "X-Sync-Signature": hmac_hex(secret, timestamp.encode() + b"." + raw_body),
    }
