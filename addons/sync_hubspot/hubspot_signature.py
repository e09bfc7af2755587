# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot webhook signatures (v3): plain Python, no ORM."""

import hmac
import re

from hubspot.utils.signature import Signature

from odoo.addons.sync_core.exceptions import WebhookAuthError
from odoo.addons.sync_core.signatures import check_timestamp

# HubSpot's v3 recipe decodes exactly these escapes of the URI before signing it.
_URI_DECODING = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_URI_ESCAPE_RE = re.compile("|".join(_URI_DECODING), re.IGNORECASE)


def decode_uri(uri):
    """The URI as HubSpot signs it (v3): only the documented ``%XX`` escapes decoded."""
    return _URI_ESCAPE_RE.sub(lambda match: _URI_DECODING[match.group(0).upper()], uri)


def verify_v3(secret, method, url, body, headers, window=300, now=None):
    """Raise WebhookAuthError unless ``X-HubSpot-Signature-v3`` is valid and fresh."""
    if not secret:
        raise WebhookAuthError("backend has no HubSpot app secret", status=403)
    signature = headers.get("X-HubSpot-Signature-v3")
    if not signature:
        raise WebhookAuthError("missing signature header")
    timestamp = headers.get("X-HubSpot-Request-Timestamp")
    check_timestamp(timestamp, window=window, now=now, unit=0.001)
    try:
        text = (body or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookAuthError("body is not UTF-8") from exc
    expected = Signature.get_signature(
        secret, text, "v3", http_uri=decode_uri(url), http_method=method, timestamp=timestamp
    )
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookAuthError("bad signature")
