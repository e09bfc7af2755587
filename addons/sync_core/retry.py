"""Retry patterns with jitter (plain Python).

A pattern is written like queue_job's: ``"1:10, 5:60, 10:600"`` means attempts 1-4 wait 10 s,
attempts 5-9 wait 60 s, attempts 10 and more wait 600 s.  The delay gets a random jitter of
+/- ``jitter`` (a fraction, 0.2 = 20 %) so that jobs failing together do not retry together.
"""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PATTERN = "1:10, 3:60, 5:300, 8:1800"


def parse_pattern(text):
    """Return a sorted list of (from_attempt, seconds); raise ValueError on bad input."""
    steps = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            attempt, seconds = (int(x) for x in part.split(":"))
        except ValueError as exc:
            raise ValueError(f"'{part}' is not 'attempt:seconds'") from exc
        if attempt < 1 or seconds < 0:
            raise ValueError(f"'{part}': attempt must be >= 1 and seconds >= 0")
        steps.append((attempt, seconds))
    if not steps:
        raise ValueError("empty retry pattern")
    return sorted(steps)


def base_delay(pattern, attempt):
    """Seconds to wait after failed attempt number `attempt` (1-based), before jitter."""
    steps = parse_pattern(pattern) if isinstance(pattern, str) else pattern
    delay = steps[0][1]
    for from_attempt, seconds in steps:
        if attempt >= from_attempt:
            delay = seconds
    return delay


def delay_with_jitter(pattern, attempt, jitter=0.2, retry_after=None, rng=random):
    """The delay actually used: `retry_after` (from the remote) wins when it is longer."""
    delay = base_delay(pattern, attempt)
    if jitter:
        delay = delay * (1 + rng.uniform(-jitter, jitter))
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return max(delay, 0.0)


def jitter_bounds(pattern, attempt, jitter=0.2):
    """(min, max) of `delay_with_jitter` without retry_after, for checks and the UI."""
    delay = base_delay(pattern, attempt)
    return delay * (1 - jitter), delay * (1 + jitter)


def next_midnight(tz_name, now=None):
    """The next midnight in time zone `tz_name` (UTC when empty or unknown), as a naive UTC
    datetime: when a daily quota counted in that zone resets.  `now`: naive UTC."""
    try:
        zone = ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    now = (now or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=zone)
    return midnight.astimezone(UTC).replace(tzinfo=None)
