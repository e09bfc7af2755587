"""Vendor-neutral HR shapes and arithmetic (plain Python, no ORM).

An HR adapter yields engine records (``{"id", "updated_at", "archived", "data"}``) whose
``data`` is one of these canonical shapes, so the workflows in ``sync.hr`` never read a
vendor's field names:

employee::

    {"name": str, "first_name": str, "last_name": str, "work_email": str, "job_title": str,
     "department": str, "manager_id": str|None (the remote id of the manager),
     "location": str, "status": "active"|"terminated", "employment_status": str,
     "termination_date": "YYYY-MM-DD"|None}

department: a name (``employee["department"]``); an ``hr.department`` is made as needed.

compensation (one row of the history; payroll-adjacent: never stored in job payloads)::

    {"id": str, "employee_id": str, "date_from": "YYYY-MM-DD", "amount": float,
     "period": "hour"|"day"|"week"|"month"|"year", "currency": "USD"}

time off (one request)::

    {"employee_id": str, "status": "approved"|"requested"|"denied"|"cancelled"|"superseded",
     "type_id": str, "type_name": str, "date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD",
     "note": str}

An ``archived`` engine record is a record deleted in the HR platform.
"""

from datetime import date

EMPLOYEES = "employees"
COMPENSATION = "compensation"
TIME_OFF = "time_off"
# Objects whose values are payroll-adjacent: the engine masks their amounts.
SENSITIVE_KEYS = frozenset({"amount", "rate", "salary", "hourly_cost"})
# Time-off states that become a validated leave; every other state withdraws it.
LIVE_TIME_OFF = ("approved",)
WEEKS_PER_YEAR = 52
# Periods other than the hour and the year, as a share of a year.
PER_YEAR = {"day": None, "week": 52, "month": 12, "quarter": 4, "year": 1}


def hourly(amount, period, weekly_hours, hours_per_day=8.0):
    """The hourly cost of a compensation row.

    The rule (documented in readme/USAGE.md): an hourly rate is taken as it is; a daily one is
    divided by the working calendar's hours per day; any other period is made yearly (week x 52,
    month x 12, quarter x 4) and divided by the calendar's yearly hours, ``weekly hours x 52``.
    None when the rate cannot be converted (no calendar hours, unknown period)."""
    if amount is None:
        return None
    amount = float(amount)
    if period == "hour":
        return round(amount, 4)
    if period == "day":
        return round(amount / hours_per_day, 4) if hours_per_day else None
    per_year = PER_YEAR.get(period)
    if not per_year or not weekly_hours:
        return None
    return round(amount * per_year / (weekly_hours * WEEKS_PER_YEAR), 4)


def rate_in_force(rates, on_date):
    """The row of `rates` ((date_from, value) pairs) in force on `on_date`: the latest
    starting on or before it; None before the first one."""
    best = None
    for date_from, value in rates:
        if date_from <= on_date and (best is None or date_from >= best[0]):
            best = (date_from, value)
    return best and best[1]


def parse_date(value):
    """'YYYY-MM-DD' (or a longer ISO stamp) -> date; None for empty or '0000-00-00'."""
    if not value or str(value).startswith("0000"):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# words of an employment status -> Odoo's employee type (anything else is an employee)
EMPLOYEE_TYPES = (
    ("contract", "contractor"),
    ("freelanc", "freelance"),
    ("intern", "trainee"),
    ("trainee", "trainee"),
    ("apprentic", "trainee"),
    ("student", "student"),
)


def employee_type(status):
    """'Contractor' -> 'contractor', 'Intern' -> 'trainee', 'Full-Time' -> 'employee'."""
    word = (status or "").lower()
    return next((kind for key, kind in EMPLOYEE_TYPES if key in word), "employee")


def person_name(data):
    """The employee's display name from the canonical shape."""
    name = (data.get("name") or "").strip()
    if name:
        return name
    parts = (data.get("first_name"), data.get("last_name"))
    return " ".join(p.strip() for p in parts if p and p.strip())
