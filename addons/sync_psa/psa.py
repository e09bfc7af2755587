"""Vendor-neutral PSA shapes and arithmetic (plain Python, no ORM).

A PSA adapter yields engine records (``{"id", "updated_at", "archived", "data"}``) whose
``data`` is one of these canonical shapes, so the workflows in ``sync.psa`` never read a
vendor's field names:

time entry::

    {"approved": bool, "project_ref": str, "task_ref": str, "task_name": str,
     "person": {"id": str, "email": str, "name": str},
     "date": "YYYY-MM-DD", "minutes": int, "description": str, "billable": bool,
     "bill_rate_cents": int|None, "cost_rate_cents": int|None, "currency": "USD",
     "remote_invoiced": bool}

expense::

    {"approved": bool, "project_ref": str, "person": {...}, "date": "YYYY-MM-DD",
     "amount_cents": int, "currency": "USD", "category": str, "description": str,
     "billable": bool, "reimbursable": bool}

milestone (a task of the PSA; only milestones are used)::

    {"name": str, "project_ref": str, "milestone": bool, "completed": bool}

person (user)::

    {"id": str, "email": str, "name": str, "disabled": bool}

project::

    {"name": str, "client": str, "odoo_refs": [str], "status": str,
     "budget_cents": int|None, "budget_used_cents": int|None, "currency": str,
     "archived": bool}

    ``client`` names the customer company; ``sync.psa`` adds ``customer_id`` (the Odoo
    partner of that client) to a PSA project that will become a new Odoo project.

An ``archived`` engine record is a deleted PSA record.
"""

# PSA objects the workflows import, and the Odoo model each one becomes.
TIME = "time_entries"
EXPENSES = "expenses"
PROJECTS = "projects"
PEOPLE = "users"
MILESTONES = "milestones"
IMPORTED = (TIME, EXPENSES, MILESTONES)
# Objects the daily approval sweep reads again by date: approving them in the PSA need not
# change their ``updated_at``, so neither the filtered lists nor a gap in the feed see it.
SWEPT = (TIME, EXPENSES)


def person(person_id, email, name):
    """The canonical person: the PSA's id as text ("" when none), the e-mail trimmed and
    lower-cased (people are matched to employees by it), the name ("" when none)."""
    return {
        "id": "" if person_id in (None, "") else str(person_id),
        "email": (email or "").strip().lower(),
        "name": name or "",
    }


def hours(minutes):
    """Integer minutes -> hours (float), e.g. 90 -> 1.5."""
    return round((minutes or 0) / 60.0, 6)


def amount(cents, decimal_places=2):
    """Integer minor units -> amount in the currency (2 decimals unless told)."""
    return round((cents or 0) / (10**decimal_places), decimal_places)


def is_live(record):
    """Approved and not deleted: the only PSA state that becomes Odoo data."""
    data = record.get("data") or {}
    return not record.get("archived") and bool(data.get("approved"))


def change_verb(record):
    """How a PSA record left the approved state, in words for a finance user."""
    if record.get("archived"):
        return "deleted"
    if not (record.get("data") or {}).get("approved"):
        return "unapproved"
    return "edited"


def waiting_summary(object_name, records):
    """'3 time entries, 8.50 h' / '2 expenses, 120.00 USD + 50.00 EUR' of parked records."""
    count = len(records)
    if object_name == TIME:
        total = sum(hours(r["data"].get("minutes")) for r in records)
        return f"{count} approved time entr{'y' if count == 1 else 'ies'}, {total:.2f} h"
    totals = {}
    for rec in records:
        cur = rec["data"].get("currency") or "?"
        totals[cur] = totals.get(cur, 0) + (rec["data"].get("amount_cents") or 0)
    money = " + ".join(f"{amount(c):.2f} {cur}" for cur, c in sorted(totals.items()))
    return f"{count} approved expense{'' if count == 1 else 's'}, {money}"
