# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce's error answers -> sync_core errors (plain Python, no ORM): by status and
errorCode (the daily API limit, a concurrency limit, a short rate limit), never free text."""

from datetime import UTC, datetime, timedelta

from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceOperationError,
)

from odoo.addons.sync_core.exceptions import (
    AuthenticationError,
    QuotaExhaustedError,
    RateLimitedError,
    RemoteUnavailableError,
)
from odoo.addons.sync_core.remote_errors import (
    StatusRule,
    classify_status,
    one_line,
    retry_after_seconds,
    status_table,
)

# REQUEST_LIMIT_EXCEEDED (HTTP 403): the 24 h rolling API limit, or a concurrency limit.
# The daily limit is a rolling 24 h window: no reset time is known, calls free up as the
# oldest ones age out.  The backend pauses this long, then one /limits call re-checks.
DAILY_LIMIT_PAUSE = timedelta(hours=1)
DAILY_LIMIT_REASON = "Salesforce daily API limit"
CONCURRENCY_BACKOFF = 30.0
# HTTP 429 (Salesforce's edge, Connect / Pub/Sub APIs): the channel waits Retry-After, or this
RATE_LIMIT_BACKOFF = 10.0


def daily_limit_reached(message, pattern, now=None):
    """The org's daily API limit (or this backend's share of it) is used up: the backend's
    channels pause for DAILY_LIMIT_PAUSE (a rolling window has no reset time), the job keeps
    its attempt and re-checks then."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    return QuotaExhaustedError(
        message, reset_at=now + DAILY_LIMIT_PAUSE, reason=DAILY_LIMIT_REASON, pattern=pattern
    )


class ApiBudgetExceeded(QuotaExhaustedError):
    """The org's daily API usage passed the share this backend may use: pulls stop and the
    backend pauses (see daily_limit_reached)."""

    def __init__(self, message, pattern, now=None):
        quota = daily_limit_reached(message, pattern, now)
        super().__init__(message, reset_at=quota.reset_at, reason=quota.reason, pattern=pattern)


def _error_code(exc):
    """(errorCode, message) of a Salesforce error body: REST's ``[{"message", "errorCode",
    "fields"}]`` (the first error; the others counted), one such object alone, or OAuth's
    ``{"error", "error_description"}``; another body gives its text on one line."""
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first, more = content[0], len(content) - 1
        message = one_line(first.get("message") or "", 300)
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        return one_line(first.get("errorCode") or first.get("statusCode") or "", 80), message
    if isinstance(content, dict):
        code = content.get("errorCode") or content.get("error") or ""
        message = content.get("message") or content.get("error_description") or ""
        return one_line(code, 80), one_line(message, 300)
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return "", one_line(content or "", 300)


def classify(exc, headers=None):
    """A simple-salesforce error -> a sync_core error, by status and errorCode; `headers` of
    the failed response give ``Retry-After``."""
    if isinstance(exc, SalesforceAuthenticationFailed):
        code = getattr(exc, "code", "")
        if isinstance(code, int) and code >= 500:
            return RemoteUnavailableError(
                f"Salesforce login failed (HTTP {code})", pattern=f"login HTTP {code}"
            )
        return AuthenticationError(
            f"Salesforce refused the login: {code} {getattr(exc, 'auth_message', '')}".strip(),
            pattern=f"login refused {code}",
        )
    status = getattr(exc, "status", 0) or 0
    code, message = _error_code(exc)
    text = f"Salesforce HTTP {status} {code}: {message}".strip()
    retry_after = retry_after_seconds(headers)
    limited = code == "REQUEST_LIMIT_EXCEEDED"
    if limited and "totalrequests" in message.lower():  # the 24 h total, whatever the status
        return daily_limit_reached(text, "REQUEST_LIMIT_EXCEEDED")
    if status == 403 and limited:
        if "concurrent" in message.lower():
            return RateLimitedError(
                text,
                retry_after=retry_after or CONCURRENCY_BACKOFF,
                pattern="REQUEST_LIMIT_EXCEEDED",
            )
        return daily_limit_reached(text, "REQUEST_LIMIT_EXCEEDED")
    if status == 503 and limited:  # a short rate limit, read as a 429
        return STATUSES[429](status, text, retry_after, code=code)
    if isinstance(exc, SalesforceOperationError) and not status:
        return RemoteUnavailableError(f"Salesforce bulk job failed: {exc}", pattern="bulk job")
    return classify_status(STATUSES, status, text, retry_after, code=code)


# Salesforce's status table (sync_core's skeleton): the text is the same for every status.
STATUSES = status_table(
    server={"text": "{reason}", "retry_after": True},
    auth={"text": "{reason}", "pattern": "HTTP {status} {code}"},
    refused={"text": "{reason}", "pattern": "HTTP {status} {code}", "category": "validation"},
    more={
        # a short rate limit: the channel waits Retry-After (or RATE_LIMIT_BACKOFF), the job
        # is retried (never a permanent refusal)
        429: StatusRule(
            RateLimitedError, "{reason}", "HTTP {status} {code}", retry_after=RATE_LIMIT_BACKOFF
        ),
    },
)
