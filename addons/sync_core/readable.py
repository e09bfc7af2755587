"""Sync data shown to people: job results as lines, webhook bodies with readable times (plain
Python, no ORM)."""

import json
import re
from datetime import UTC, datetime


def readable_result(result):
    """A job result (JSON text, or text) as lines a person reads: "Created: 3"; nested
    values indented below their key.  Empty only for an empty result."""
    if not result:
        return False
    try:
        data = json.loads(result)
    except ValueError:
        return result
    if isinstance(data, str):
        return data
    if not isinstance(data, dict):
        return _readable_value(data) if data not in (None, []) else False
    return "\n".join(_readable_lines(data)) or False


def _readable_lines(data, indent=""):
    lines = []
    for key, value in data.items():
        label = str(key).replace("_", " ")
        label = label[:1].upper() + label[1:]
        if (
            isinstance(value, dict)
            and value
            and any(isinstance(v, dict | list) for v in value.values())
        ):
            lines.append(f"{indent}{label}:")
            lines.extend(_readable_lines(value, indent + "  "))
        else:
            lines.append(f"{indent}{label}: {_readable_value(value)}")
    return lines


def _readable_value(value):
    if isinstance(value, dict):
        return (
            ", ".join(f"{str(k).replace('_', ' ')} {_readable_value(v)}" for k, v in value.items())
            or "-"
        )
    if isinstance(value, list):
        return ", ".join(_readable_value(v) for v in value) or "-"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# keys whose numbers are times (occurredAt, eventTime, timestamp, created_at, ...)
TIME_KEY = re.compile(r"(?i:time|date|stamp)|(?:At|_at)$")


def with_dates(data, key=""):
    """JSON data with each epoch number under a time-like key shown as "<number> (<UTC
    date>)": seconds (10 digits) or milliseconds (13 digits), as remotes send them."""
    if isinstance(data, dict):
        return {k: with_dates(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [with_dates(v, key) for v in data]
    number = data
    if isinstance(data, str) and data.isdigit():
        number = int(data)
    if TIME_KEY.search(key) and isinstance(number, int | float) and not isinstance(number, bool):
        seconds = (
            number / 1000 if 1e12 <= number < 1e13 else number if 1e9 <= number < 1e10 else None
        )
        if seconds is not None:
            when = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            return f"{data} ({when})"
    return data
