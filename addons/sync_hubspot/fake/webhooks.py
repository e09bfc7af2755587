"""HubSpot webhook deliveries: v3 request signatures, event payloads and a signed sender.

Written from HubSpot's "Validating requests" and webhooks documentation, independently of the
``hubspot-api-client`` helpers, so that the receiver (which uses ``hubspot.utils.signature``) is
checked against a second implementation.
"""

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.error
import urllib.request

# The v3 recipe signs the URI after decoding exactly these characters (HubSpot documents the
# table); every other escape, e.g. %20, stays encoded.
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

# changeFlag as real deliveries carry it; property and association changes carry none.
_CHANGE_FLAGS = {"creation": "CREATED", "deletion": "DELETED"}

_event_ids = itertools.count(1_000_001)
_subscription_ids = {}


def decode_uri(uri):
    """Decode the URI the way HubSpot does before signing it (v3)."""
    return _URI_ESCAPE_RE.sub(lambda match: _URI_DECODING[match.group(0).upper()], uri)


def sign_v3(client_secret, method, uri, body, timestamp_ms):
    """Return the ``X-HubSpot-Signature-v3`` value for one request.

    base64(HMAC-SHA256(app secret, method + decoded URI + raw body + timestamp)), UTF-8.
    """
    if isinstance(body, str):
        body = body.encode()
    source = f"{method.upper()}{decode_uri(uri)}".encode() + body + str(timestamp_ms).encode()
    digest = hmac.new(client_secret.encode(), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_v1(client_secret, body):
    """Return the legacy ``X-HubSpot-Signature`` (v1): SHA-256 hex of secret + body."""
    if isinstance(body, str):
        body = body.encode()
    return hashlib.sha256(client_secret.encode() + body).hexdigest()


def build_event(
    subscription_type,
    object_id,
    *,
    portal_id=62515,
    app_id=54321,
    subscription_id=None,
    event_id=None,
    occurred_at=None,
    attempt_number=0,
    property_name=None,
    property_value=None,
    change_source="CRM_UI",
    change_flag=None,
    source_id=None,
    **extra,
):
    """Return one webhook event as HubSpot delivers it (an element of the JSON array).

    ``subscription_type`` is e.g. ``"company.propertyChange"``, ``"contact.creation"``,
    ``"deal.deletion"``, ``"contact.associationChange"`` or ``"contact.merge"``. Keyword
    arguments not listed are added verbatim (camelCase wire names), e.g. ``fromObjectId``,
    ``toObjectId``, ``associationType``, ``associationRemoved``, ``isPrimaryAssociation`` for
    association changes or ``primaryObjectId``, ``mergedObjectIds``, ``newObjectId``,
    ``numberOfPropertiesMoved`` for merges. An association change carries no ``objectId``:
    ``object_id`` is its ``fromObjectId``. Generic subscriptions (``"object.creation"`` ...)
    name the object with ``objectTypeId="0-1"`` (contacts), ``"0-2"``, ``"0-3"``, ``"0-8"``.
    """
    action = subscription_type.partition(".")[2]
    event = {
        "eventId": event_id if event_id is not None else next(_event_ids),
        "subscriptionId": subscription_id
        or _subscription_ids.setdefault(subscription_type, 2_000_001 + len(_subscription_ids)),
        "portalId": portal_id,
        "appId": app_id,
        "occurredAt": occurred_at if occurred_at is not None else int(time.time() * 1000),
        "subscriptionType": subscription_type,
        "attemptNumber": attempt_number,
        "objectId": int(object_id),
        "changeSource": change_source,
    }
    if action == "associationChange":
        # HubSpot names an association's two records and sends no objectId
        del event["objectId"]
        event["fromObjectId"] = int(object_id)
    flag = change_flag or _CHANGE_FLAGS.get(action)
    if flag:
        event["changeFlag"] = flag
    if property_name is not None:
        event["propertyName"] = property_name
        event["propertyValue"] = property_value
    if source_id is not None:
        event["sourceId"] = source_id
    event.update(extra)
    return event


def signed_request(url, events, client_secret, timestamp_ms=None):
    """``(body, headers)`` of one delivery of ``events`` to ``url``, signed like HubSpot."""
    body = json.dumps(events, separators=(",", ":")).encode()
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else int(timestamp_ms)
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_v3(client_secret, "POST", url, body, timestamp_ms),
        "X-HubSpot-Request-Timestamp": str(timestamp_ms),
        "X-HubSpot-Signature": sign_v1(client_secret, body),
        "X-HubSpot-Signature-Version": "v1",
    }
    return body, headers


def send(url, events, client_secret, timestamp_ms=None, tamper=False, timeout=10):
    """POST ``events`` to ``url`` signed like HubSpot; return ``(status, body text)``.

    ``tamper=True`` changes the body after signing, so a correct receiver must refuse it.
    """
    body, headers = signed_request(url, events, client_secret, timestamp_ms)
    if tamper:
        body += b" "
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
