"""Field mapping: named transforms and the per-field system of record (plain Python).

A mapping line is a dict with ``remote_field``, ``odoo_field``, ``direction`` (import, export,
both), ``owner`` (remote, odoo, latest) and ``transform`` (a name from TRANSFORMS, no user code
is ever evaluated).  Transforms whose name starts with ``ref:`` resolve a value to an Odoo record
(country by code, record by binding, ...): they are resolved by the model layer in one query per
page, so this module only marks them.
"""

import math
from datetime import UTC, datetime

DIRECTIONS = [("import", "Remote to Odoo"), ("export", "Odoo to remote"), ("both", "Both ways")]
OWNERS = [
    ("remote", "Remote system wins"),
    ("odoo", "Odoo wins"),
    ("latest", "Last modified wins"),
]


def _none_if_blank(value):
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _str(value):
    value = _none_if_blank(value)
    return False if value is None else str(value).strip()


def _lower(value):
    value = _str(value)
    return value.lower() if value else value


def _float(value):
    value = _none_if_blank(value)
    if value is None:
        return 0.0
    number = float(value)
    if not math.isfinite(number):  # "nan", "inf" parse as floats; no amount is one
        raise ValueError(f"not a finite number: {str(value)[:40]}")
    return number


def _int(value):
    value = _none_if_blank(value)
    return 0 if value is None else int(_float(value))


def _bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


def parse_datetime(value):
    """ISO-8601 (with Z or offset) or epoch milliseconds -> naive UTC datetime, or False."""
    value = _none_if_blank(value)
    if value is None or value is False:
        return False
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        dt = datetime.fromtimestamp(int(value) / 1000.0, tz=UTC)
    else:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if dt.tzinfo:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_datetime_or_none(value):
    """`parse_datetime`, or None when the value is missing or unreadable (never a crash)."""
    try:
        return parse_datetime(value) or None
    except (TypeError, ValueError):
        return None


def _date(value):
    dt = parse_datetime(value)
    return dt.date() if dt else False


def _odoo_out(value):
    """Odoo value -> remote string (style "text": every value travels as a string)."""
    if value is False or value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json_out(value):
    """Odoo value -> typed JSON value (style "json": numbers stay numbers, empty is null)."""
    if value is False or value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# How a remote wants outbound values typed (the connector says: sync.backend._value_style()):
# style -> (scalar values, Yes/No values).
VALUE_STYLES = {
    "text": (_odoo_out, lambda v: "true" if v else "false"),
    "json": (_json_out, bool),
}
TYPED, TYPED_BOOL = "typed", "typed_bool"  # outbound of a transform: in the remote's style


# name -> (label, inbound function, outbound function)
TRANSFORMS = {
    "identity": ("As is", lambda v: False if _none_if_blank(v) is None else v, lambda v: v),
    "str": ("Text (trimmed)", _str, TYPED),
    "lower": ("Text, lower case", _lower, TYPED),
    "float": ("Decimal number", _float, TYPED),
    "int": ("Whole number", _int, TYPED),
    "bool": ("Yes/No", _bool, TYPED_BOOL),
    "datetime": ("Date and time (ISO or epoch ms)", parse_datetime, TYPED),
    "date": ("Date", _date, TYPED),
    # resolved by the model layer (sync.mapping._resolve_refs)
    "ref:country_code": ("Country by ISO code", _str, None),
    "ref:country_name": ("Country by name (or ISO code)", _str, None),
    "ref:binding": ("Record bound to this remote id", _str, None),
}


def latest_per_id(records):
    """One engine record per id, the one with the latest stamp (pages and feeds repeat and
    reorder records; a record without a stamp counts as the oldest)."""
    latest = {}
    for rec in records:
        prev = latest.get(rec["id"])
        if prev is None or _stamp(rec) >= _stamp(prev):
            latest[rec["id"]] = rec
    return list(latest.values())


def _stamp(rec):
    return rec.get("updated_at") or datetime.min


def ordered_after(records, after=None):
    """`records` in (updated_at, id) order, those past `after` (the engine's (stamp, id) of the
    last record applied; None: all); a record without a stamp counts as the oldest."""

    def key(stamp, record_id):
        return (stamp or datetime.min, str(record_id))

    page = sorted(records, key=lambda r: key(r["updated_at"], r["id"]))
    return [r for r in page if not after or key(r["updated_at"], r["id"]) > key(*after)]


def transform_selection():
    return [(name, label) for name, (label, _i, _o) in TRANSFORMS.items()]


def get_path(record, path):
    """Value at a dotted path of a (nested) dict, or None."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def has_path(record, path):
    """Whether a (nested) dict holds a key at a dotted path (its value may be None: the remote
    said "empty"; a missing key says nothing, and must never blank an Odoo field)."""
    value = record
    for part in path.split("."):
        if value is None and value is not record:
            return True  # an empty parent (e.g. no related record): the remote said empty
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def field_applies(owner, is_new, remote_updated_at, odoo_updated_at, inbound=True):
    """Does the value of one side overwrite the other for this field?

    inbound=True asks "does the remote value go into Odoo", False "does Odoo go to the remote".
    """
    if owner == "latest":
        if remote_updated_at is None or odoo_updated_at is None:
            return is_new or inbound == (odoo_updated_at is None)
        newer_remote = remote_updated_at > odoo_updated_at
        return newer_remote if inbound else not newer_remote
    if inbound:
        return is_new or owner == "remote"
    return owner == "odoo" or is_new


def map_inbound(lines, record, is_new=True, remote_updated_at=None, odoo_updated_at=None):
    """Remote record -> (vals, refs, conflicts).

    vals: Odoo field -> converted value, for the fields the remote owns (all of them on create).
    refs: Odoo field -> (transform, raw value) for ``ref:`` transforms, to resolve in bulk.
    conflicts: Odoo fields whose remote value was dropped because Odoo owns them.
    """
    vals, refs, conflicts = {}, {}, []
    for line in lines:
        if line["direction"] not in ("import", "both") or line.get("remote_unknown"):
            continue  # (a remote field the remote said it does not have: never read)
        if not field_applies(line["owner"], is_new, remote_updated_at, odoo_updated_at, True):
            conflicts.append(line["odoo_field"])
            continue
        if not has_path(record, line["remote_field"]):
            continue  # absent from the remote record (e.g. a field it does not have): kept
        raw = get_path(record, line["remote_field"])
        name = line.get("transform") or "identity"
        if name.startswith("ref:"):
            refs[line["odoo_field"]] = (name, TRANSFORMS[name][1](raw))
            continue
        vals[line["odoo_field"]] = TRANSFORMS[name][1](raw)
    return vals, refs, conflicts


def map_outbound(
    lines, values, is_new=False, remote_updated_at=None, odoo_updated_at=None, style="json"
):
    """Odoo values (field -> python value) -> remote properties for the fields Odoo owns,
    typed in the remote's `style` (VALUE_STYLES)."""
    out = {}
    scalar, yes_no = VALUE_STYLES[style]
    for line in lines:
        if line["direction"] not in ("export", "both") or line.get("remote_unknown"):
            continue
        name = line.get("transform") or "identity"
        outbound = TRANSFORMS[name][2]
        outbound = {TYPED: scalar, TYPED_BOOL: yes_no}.get(outbound, outbound)
        if outbound is None or line["odoo_field"] not in values:
            continue
        if not field_applies(line["owner"], is_new, remote_updated_at, odoo_updated_at, False):
            continue
        out[line["remote_field"]] = outbound(values[line["odoo_field"]])
    return out


def diff(before, after):
    """Field-level changes {field: [before, after]} between two value dicts."""
    changes = {}
    for field, new in after.items():
        old = before.get(field)
        if old != new:
            changes[field] = [old, new]
    return changes


def line_command(
    remote, odoo, transform="str", owner="remote", direction="import", ref_object=False
):
    """ORM create command of one mapping line (connectors' default mappings)."""
    return (
        0,
        0,
        {
            "remote_field": remote,
            "odoo_field": odoo,
            "transform": transform,
            "owner": owner,
            "direction": direction,
            "ref_object": ref_object,
        },
    )


def match_command(remote, odoo, method, sequence, extra_domain=False):
    """ORM create command of one match rule (connectors' default mappings)."""
    return (
        0,
        0,
        {
            "remote_field": remote,
            "odoo_field": odoo,
            "method": method,
            "sequence": sequence,
            "extra_domain": extra_domain,
        },
    )
