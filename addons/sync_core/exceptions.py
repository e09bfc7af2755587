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


# What a user can do about an exception (sync.exception.fix_kind).
FIX_KINDS = [
    ("missing_product", "Create or choose the missing product"),
    ("missing_record", "Link to an existing record"),
    ("conflict", "Review both sides"),
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
        remote_object=None,
        external_id=None,
        fix_kind=None,
        fix_data=None,
    ):
        super().__init__(message)
        self.message = message
        if category:
            self.category = category
        # A short stable text naming the cause, used to group exceptions (same category + same
        # pattern = one group), e.g. "missing product SKU-42".
        self.pattern = pattern or message
        # The affected records: the Odoo record, and the remote record (object type + id).
        # One open exception per (backend, category, remote record or job identity, pattern).
        self.res_model = res_model
        self.res_id = res_id
        self.remote_object = remote_object
        self.external_id = str(external_id) if external_id not in (None, "") else None
        # What a user can do about it (sync.exception renders the actions of FIX_KINDS), with
        # the structured data the action needs (JSON-serialisable dict):
        # - "missing_product": {"model": "product.product", "key_field": "default_code",
        #   "missing": [{"key": sku, "values": {"default_code": sku, "name": .., "list_price":
        #   ..}}], "related": [[remote_object, external_id], ...]}
        # - "missing_record": {"model": odoo model, "remote_object": .., "external_id": ..}
        #   (link the remote record to an existing Odoo record)
        # - "conflict": open both sides (the Odoo record and the remote record)
        self.fix_kind = fix_kind
        self.fix_data = fix_data or {}


class RetryableSyncError(SyncError):
    """Transient failure: the job is retried (after `retry_after` seconds when given)."""

    retryable = True

    def __init__(self, message, *, retry_after=None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimitedError(RetryableSyncError):
    """The remote refused because a rate limit is used up.

    - `retry_after` (seconds): a short window; the job's channel is blocked that long and the
      job retried after its pattern's delay (or `retry_after` when longer).
    - `reset_at` (naive UTC datetime): a quota that resets at a known time (e.g. a daily API
      limit); the channels are blocked until then and the job waits for it.
    - `keep_attempt`: waiting for the quota is not a failure: the attempt is not counted.
    - `pause_backend`: the limit is the whole account's: every channel of the backend waits.
    - `reason`: short text the dashboard shows beside the pause ("daily API limit reached").
    """

    category = "rate_limited"

    def __init__(
        self,
        message,
        *,
        reset_at=None,
        keep_attempt=False,
        pause_backend=False,
        reason=None,
        **kw,
    ):
        super().__init__(message, **kw)
        self.reset_at = reset_at
        self.keep_attempt = keep_attempt
        self.pause_backend = pause_backend
        self.reason = reason


class QuotaExhaustedError(RateLimitedError):
    """An account quota used up until `reset_at` (e.g. a daily API limit): the backend's
    channels pause until then and the job waits without spending an attempt."""

    def __init__(self, message, *, reset_at, reason=None, **kw):
        kw.setdefault("keep_attempt", True)
        kw.setdefault("pause_backend", True)
        super().__init__(message, reset_at=reset_at, reason=reason or message, **kw)


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


def missing_product_fix(lines, related=()):
    """Fix data of a "missing_product" error: the lines whose SKU has no product (Internal
    Reference), each with the values a new product would take (SKU, the line's name and
    price); `related`: (remote object, remote id, label) of other affected remote records
    (e.g. the customer).  A line may carry `defaults` (more values for the new record, e.g.
    a service product's invoicing policy) and `note` / `label` (which defaults were used and
    why: shown to the user, long and short).  Lines without a SKU cannot be fixed in Odoo (a
    hint says so)."""
    missing, seen, without_sku = [], set(), False
    for line in lines:
        sku = (line.get("sku") or "").strip()
        if not sku:
            without_sku = True
            continue
        if sku in seen:
            continue
        seen.add(sku)
        values = {"default_code": sku, "name": line.get("name") or sku}
        price = str(line.get("price") or "").strip()
        if price.replace(".", "", 1).replace("-", "", 1).isdigit():
            values["list_price"] = float(price)
        values.update(line.get("defaults") or {})
        item = {"key": sku, "values": values}
        item.update({k: line[k] for k in ("note", "label") if line.get(k)})
        missing.append(item)
    data = {
        "model": "product.product",
        "key_field": "default_code",
        "missing": missing,
        "related": [list(r) for r in related if r and r[1] not in (None, "")],
    }
    if without_sku:
        data["hint"] = (
            "A line has no SKU: set it on the line item in the remote system, then Retry."
        )
    return data


class WebhookAuthError(Exception):
    """A webhook request that fails verification (HTTP 401/403); nothing is stored."""

    def __init__(self, reason, status=401):
        super().__init__(reason)
        self.reason = reason
        self.status = status
