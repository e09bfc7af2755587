"""Stable payload hashing (plain Python)."""

import hashlib
import json


def canonical_json(data):
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_hash(data):
    """SHA-256 of the canonical JSON of `data` (dict key order does not matter)."""
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def body_hash(raw):
    return hashlib.sha256(raw or b"").hexdigest()


def _loose(value):
    """A value as text, the way a liberal reader compares it: 42, 42.0 and "42" are one."""
    if isinstance(value, dict):
        return {str(k): _loose(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_loose(v) for v in value]
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def event_key(event, event_id=None, delivery_fields=()):
    """Dedup key of one webhook event when the remote's event id is not unique on its own:
    the id (readable) with a hash of the whole event, less the fields that change from one
    delivery of the same event to the next (e.g. an attempt counter).  Numbers given as
    strings hash like numbers, so a redelivery is recognised however it spells them."""
    body = {k: v for k, v in event.items() if k not in delivery_fields}
    digest = payload_hash(_loose(body))
    prefix = str(event_id).strip()[:64] if event_id not in (None, "") else "hash"
    return f"{prefix}:{digest}"
