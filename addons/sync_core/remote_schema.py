"""Remote field names checked against the remote's own description of its objects (plain
Python, no ORM).

An adapter's ``remote_fields(object_name)`` returns ``{name: {"type": .., "label": ..}}`` when
the remote's API describes the object (or the connector declares it), None when it does not.
Answers are cached per (database, backend, address, object) for CACHE_SECONDS; a failed read
for FAILED_SECONDS, so that a form listing many lines does not ask an unreachable remote for
each of them."""

import difflib
import threading
import time

CACHE_SECONDS = 600
FAILED_SECONDS = 60
_CACHE = {}  # key -> (monotonic time, fields or None, error or None)
_LOCK = threading.Lock()


def cached_fields(key, fetch, refresh=False):
    """(fields or None, error or None) of `key`, read with `fetch()` when not cached, when
    too old, or when `refresh`; `fetch` raising an exception caches that error briefly."""
    now = time.monotonic()
    with _LOCK:
        hit = _CACHE.get(key)
    if hit and not refresh:
        at, fields, error = hit
        if now - at < (FAILED_SECONDS if error else CACHE_SECONDS):
            return fields, error
    try:
        fields, error = fetch(), None
    except Exception as exc:  # noqa: BLE001  the caller reports it as "not checked"
        fields, error = None, exc
    with _LOCK:
        _CACHE[key] = (now, fields, error)
    return fields, error


def forget():
    with _LOCK:
        _CACHE.clear()


def root(remote_field):
    """The name a (dotted) remote field path starts with: the field of the remote object."""
    return (remote_field or "").split(".", 1)[0]


def is_known(remote_field, fields):
    return root(remote_field) in fields


def closest(remote_field, fields):
    """The described field whose name is closest to `remote_field`, or None."""
    names = {name.lower(): name for name in fields}
    match = difflib.get_close_matches(root(remote_field).lower(), list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None
