"""Errors raised by handlers, adapters and webhook verifiers (plain Python, no ORM).

The runner reads the class to decide what happens next:
- RetryableSyncError: try again later (eta from the kind's retry pattern, or `retry_after`);
- any other SyncError: permanent, goes straight to the exception queue with its category;
- any other exception: treated as retryable until the last attempt (a bug or an outage looks
  the same from here), then dead-lettered as category "remote" or "validation".
"""

# Categories of the exception queue (sync.exception.category).
CATEGORIES = [
    ("missing_reference", "Missing reference"),
    ("validation", "Validation"),
    ("conflict", "Conflict"),
    ("duplicate", "Duplicate suspected"),
    ("authentication", "Authentication"),
    ("remote", "Remote error"),
    ("rate_limited", "Rate limited"),
    ("payload", "Malformed payload"),
]


class SyncError(Exception):
    """Base class: a permanent error unless a subclass says otherwise."""

    category = "remote"
    retryable = False

    def __init__(
        self,
        message,
        *,
        category=None,
        pattern=None,
        res_model=None,
        res_id=None,
        external_id=None,
        remote_object=None,
    ):
        super().__init__(message)
        self.message = message
        if category:
            self.category = category
        # A short stable text naming the cause, used to group exceptions (same category + same
        # pattern = one group), e.g. "missing product SKU-42".
        self.pattern = pattern or message
        self.res_model = res_model
        self.res_id = res_id
        # The remote record the problem is about (e.g. the PSA user that has no employee): the
        # exception's "link a record" binds it, then retries.
        self.external_id = external_id
        self.remote_object = remote_object


class RetryableSyncError(SyncError):
    """Transient failure: the job is retried (after `retry_after` seconds when given)."""

    retryable = True

    def __init__(self, message, *, retry_after=None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimitedError(RetryableSyncError):
    category = "rate_limited"


class RemoteUnavailableError(RetryableSyncError):
    category = "remote"


class AuthenticationError(SyncError):
    category = "authentication"


class MissingReferenceError(SyncError):
    category = "missing_reference"


class ValidationSyncError(SyncError):
    category = "validation"


class ConflictError(SyncError):
    category = "conflict"


class DuplicateSuspectedError(SyncError):
    category = "duplicate"


class PayloadError(SyncError):
    """A payload that cannot be parsed or lacks what we need (HTTP 400 for webhooks)."""

    category = "payload"


class WebhookAuthError(Exception):
    """A webhook request that fails verification (HTTP 401/403); nothing is stored."""

    def __init__(self, reason, status=401):
        super().__init__(reason)
        self.reason = reason
        self.status = status
