"""Reconciliation vocabulary and rules (plain Python, no ORM).

Difference categories (one row of ``sync.reconcile.line`` each, one ``sync.exception`` each),
the WIP age buckets and the deterministic early-warning rule.
"""

import statistics
from itertools import pairwise

# category -> (label, business sentence template)
CATEGORIES = {
    "missing": (
        "Missing in Odoo",
        "{what} is approved in {psa} ({psa_side}) but has no Odoo record",
    ),
    "mismatch": (
        "Hours or amount mismatch",
        "{what}: {psa} says {psa_side}, Odoo has {odoo_side}",
    ),
    "rate": (
        "Rate differs from the sale order",
        "{what}: {psa} bills at {psa_side}, the sale order line bills at {odoo_side}",
    ),
    "leakage": (
        "Approved, not invoiced",
        "{what} was approved in {psa} and is still not invoiced after {age} days ({odoo_side})",
    ),
    "invoiced_unapproved": (
        "Invoiced, no longer approved",
        "{what} is billed in Odoo ({odoo_side}) but is {psa_side} in {psa}",
    ),
    "duplicate": (
        "Duplicate",
        "{what}: a second Odoo record ({odoo_side}) bills the same work as the PSA record",
    ),
    "orphan": (
        "Orphan in Odoo",
        "{what} exists in Odoo ({odoo_side}) with no approved record in {psa} ({psa_side})",
    ),
    "drift": (
        "Master data drift",
        "{what}: {psa_side} in {psa}, {odoo_side} in Odoo, and the sync does not explain it",
    ),
}
CATEGORY_SELECTION = [(key, label) for key, (label, _t) in CATEGORIES.items()]

# Age buckets of unbilled work (days since the work was performed).
BUCKETS = (("0_30", 0, 30), ("31_60", 31, 60), ("61_90", 61, 90), ("90_plus", 91, None))

# Early warning: a project needs this many invoices in its history to have a rhythm.
MIN_INVOICES = 3
AGE_FACTOR = 1.5
AGE_SLACK_DAYS = 7
AMOUNT_FACTOR = 2.0


def bucket(age_days):
    for name, low, high in BUCKETS:
        if age_days >= low and (high is None or age_days <= high):
            return name
    return BUCKETS[0][0]


def message(category, **values):
    return CATEGORIES[category][1].format(**values)


def billing_rhythm(invoice_dates, invoice_amounts):
    """(median days between invoices, median amount per invoice) of a project's history, or
    None when it has fewer than MIN_INVOICES invoices."""
    dates = sorted(set(invoice_dates))
    if len(dates) < MIN_INVOICES:
        return None
    gaps = [(b - a).days for a, b in pairwise(dates)]
    return statistics.median(gaps), statistics.median(invoice_amounts or [0])


def slowdown(rhythm, unbilled_age_days, unbilled_amount):
    """The early-warning rule (deterministic, documented in the readme): the oldest unbilled
    approved work is older than 1.5 x the project's median invoice interval (and at least a
    week more), or the unbilled amount exceeds 2 x its median invoice.  Returns the reason, or
    None for a project that bills at its usual rhythm (or has no rhythm yet)."""
    if not rhythm or unbilled_amount <= 0:
        return None
    interval, typical = rhythm
    limit = max(AGE_FACTOR * interval, interval + AGE_SLACK_DAYS)
    if unbilled_age_days > limit:
        return (
            f"oldest unbilled work is {unbilled_age_days} days old; the project is usually "
            f"invoiced every {interval:g} days"
        )
    if typical > 0 and unbilled_amount > AMOUNT_FACTOR * typical:
        return (
            f"unbilled {unbilled_amount:.2f} is more than {AMOUNT_FACTOR:g} x its usual invoice "
            f"({typical:.2f})"
        )
    return None
