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
