"""From a remote's error answer to a sync_core error (plain Python, no ORM).

What every connector needs when a remote refuses a call, written once:

- `one_line`: a value on one line, cut (error texts quote vendor bodies);
- `retry_after_seconds`: the seconds of a ``Retry-After`` header;
- `StatusRule` and `classify_status`: the status classification skeleton.  A connector fills a
  table ``{status: rule}`` (``"5xx"`` for any server error, ``None`` for the rest) and checks
  before it only what its vendor says outside the status (a daily quota named in the body);
  `status_table` builds the rows every table has (a server error, refused credentials, any
  other refusal) from their texts; ``DEFAULT_STATUSES`` is the table of a plain JSON API
  (`raise_for_response`).
"""

from .exceptions import (
    AuthenticationError,
    RateLimitedError,
    RemoteUnavailableError,
    SyncError,
)


def one_line(value, limit=300):
    """`value` as text on one line (runs of white space made one space), at most `limit`."""
    return " ".join(str(value).split())[:limit]


def retry_after_seconds(headers):
    """Seconds of a ``Retry-After`` header (any case), or None when it is absent, negative or
    not a number (an HTTP date: the job's retry pattern decides)."""
    for name, value in (headers or {}).items():
        if str(name).lower() != "retry-after":
            continue
        try:
            seconds = float(str(value).strip())
        except ValueError:
            return None
        return seconds if seconds >= 0 else None
    return None


class StatusRule:
    """One row of a connector's status table: the error class, its text and pattern
    (``str.format`` templates of ``status``, ``reason`` and the values the connector passes),
    whether it carries the answer's Retry-After (``retry_after=True``, or a number of seconds
    used when the answer gave none) and any other keyword of the error (``category=...``)."""

    def __init__(self, error, text, pattern="HTTP {status}", retry_after=False, **extra):
        self.error = error
        self.text = text
        self.pattern = pattern
        self.retry_after = retry_after
        self.extra = extra

    def __call__(self, status, reason="", retry_after=None, **values):
        values = {"status": status, "reason": reason, **values}
        kwargs = dict(self.extra, pattern=self.pattern.format(**values))
        if self.retry_after is True:
            kwargs["retry_after"] = retry_after
        elif self.retry_after:
            kwargs["retry_after"] = retry_after or self.retry_after
        return self.error(self.text.format(**values), **kwargs)


def classify_status(table, status, reason="", retry_after=None, **values):
    """The error of HTTP `status` by `table`: its own row, else ``"5xx"`` for a server error,
    else the ``None`` row.  A row is a `StatusRule` or any callable of the same arguments."""
    rule = table.get(status)
    if rule is None and status >= 500:
        rule = table.get("5xx")
    if rule is None:
        rule = table[None]
    return rule(status, reason, retry_after, **values)


AUTH_STATUSES = (401, 403)


def status_table(server, auth, refused, more=None):
    """A connector's status table: ``server`` for any 5xx (RemoteUnavailableError), ``auth``
    for 401 and 403 (AuthenticationError), ``refused`` for any other status (SyncError), each a
    dict of `StatusRule` arguments but the error class (``text``, ``pattern``,
    ``retry_after``, keywords of the error); `more`: other rows by status (e.g. 429)."""
    return {
        "5xx": StatusRule(RemoteUnavailableError, **server),
        **dict.fromkeys(AUTH_STATUSES, StatusRule(AuthenticationError, **auth)),
        None: StatusRule(SyncError, **refused),
        **(more or {}),
    }


DEFAULT_STATUSES = status_table(
    server={"text": "remote error HTTP {status}: {reason}", "retry_after": True},
    auth={"text": "the remote refused our credentials (HTTP {status}): {reason}"},
    refused={"text": "remote refused the request (HTTP {status}): {reason}"},
    more={
        429: StatusRule(
            RateLimitedError, "rate limited by the remote (HTTP 429): {reason}", retry_after=True
        )
    },
)
