"""Remote records a connector cannot read (plain Python, no ORM).

A connector translates each raw record of a page with ``read_each(raws, read)``: a record its
``read`` cannot translate (a missing id, a value of the wrong type: any ``PayloadError``,
``KeyError``, ``ValueError``, ``TypeError``, ``AttributeError`` or ``IndexError``) does not fail
the page: it comes out as an *unreadable marker*, a record dict the engine recognises
(``is_unreadable``) and sets aside as one exception naming it, with the raw record kept
(``sync.backend._set_aside_unreadable``).  The rest of the page is applied and the watermark
moves past it.  A marker has no stamp (it never moves a watermark by itself) and the remote id
when the raw record names one (``Id`` or ``id``), else a stable stand-in made from its content.
"""

import hashlib
import json

from .exceptions import PayloadError

UNREADABLE = "unreadable"
# What a translation raises for a record it cannot read; anything else (a remote outage, a
# bug in the engine) still fails the page and is retried.
READ_ERRORS = (PayloadError, KeyError, ValueError, TypeError, AttributeError, IndexError)


class UnreadableRecordError(PayloadError):
    """A connector's clear word that it cannot read one remote record."""


def raw_jsonable(raw):
    """The raw record as JSON-able data (an SDK object through its ``to_dict``)."""
    if hasattr(raw, "to_dict"):
        try:
            raw = raw.to_dict()
        except Exception:  # noqa: BLE001  a broken object is kept as its text
            return repr(raw)[:20000]
    try:
        return json.loads(json.dumps(raw, default=str))
    except (TypeError, ValueError):
        return repr(raw)[:20000]


def raw_id(raw):
    """The remote id a raw record names (``Id`` or ``id``, key or attribute), else None."""
    for key in ("Id", "id"):
        value = raw.get(key) if isinstance(raw, dict) else getattr(raw, key, None)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def unreadable_marker(raw, exc):
    """The marker standing for a raw record that `exc` says cannot be read."""
    data = raw_jsonable(raw)
    known = raw_id(raw)
    stand_in = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    reason = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, KeyError):
        reason = f"no {exc} in the record"
    return {
        "id": known or f"unreadable-{stand_in[:12]}",
        "updated_at": None,
        "archived": False,
        "data": {},
        UNREADABLE: {
            "known_id": known,
            "error": f"{type(exc).__name__}: {reason}"[:500],
            "raw": data,
        },
    }


def read_each(raws, read):
    """``[read(raw) for raw in raws]``, where a raw record that cannot be read becomes an
    unreadable marker instead of failing the page."""
    out = []
    for raw in raws:
        try:
            out.append(read(raw))
        except READ_ERRORS as exc:
            out.append(unreadable_marker(raw, exc))
    return out


def is_unreadable(record):
    return isinstance(record, dict) and UNREADABLE in record


def readable(records):
    """The records of a page that were read (markers left out)."""
    return [r for r in records if not is_unreadable(r)]


def any_without_id(records):
    """Whether an unreadable record of an answer has no id: which of the ids asked for it is
    is unknown, so no id missing from that answer may be taken for deleted."""
    return any(is_unreadable(r) and not r[UNREADABLE]["known_id"] for r in records)
