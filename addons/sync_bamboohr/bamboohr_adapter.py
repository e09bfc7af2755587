# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""BambooHR API v1 -> the canonical HR shapes of sync_hr (plain Python, no ORM).

Bulk reads go through the custom report (every employee in one request) and the changed-table
feed (every changed compensation row in one request); a handful of ids (a webhook) is read
one employee at a time.  Basic authentication (the API key as the user, ``x`` as password), or
OAuth 2.0: ``Authorization: Bearer <access token>`` (the token from sync_core's Connect, `OAUTH`).
"""

import logging
from datetime import datetime

from odoo.addons.sync_core.adapter import HttpAdapterMixin
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import PayloadError, SyncError
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import is_unreadable, read_each, readable
from odoo.addons.sync_hr import hr
from odoo.addons.sync_hr.hr_adapter import HrAdapter

_logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.bamboohr.com"
REPORT_FIELDS = (
    "firstName", "lastName", "displayName", "workEmail", "jobTitle", "department",
    "location", "supervisorEId", "status", "employmentHistoryStatus", "terminationDate",
    "lastChanged",
)  # fmt: skip
PERIODS = {"hour": "hour", "day": "day", "week": "week", "month": "month", "quarter": "quarter",
           "year": "year"}  # fmt: skip
STATUSES = {"canceled": "cancelled", "superceded": "superseded"}
EPOCH = datetime(1970, 1, 1)
# BambooHR's OAuth 2.0 app (developer portal), as sync_core's OAuth data; {company}: the
# company's subdomain.  Scopes: the backend's (`bamboohr_oauth_scopes`), these by default.
OAUTH = {
    "bamboohr": {
        "label": "BambooHR",
        "authorize_url": "https://{company}.bamboohr.com/authorize.php?request=authorize",
        "token_url": "https://{company}.bamboohr.com/token.php?request=token",
        "body": "json",
        "pkce": False,  # not documented by BambooHR
    }
}
OAUTH_SCOPES = "openid email offline_access"
# ids read one by one below this count (a webhook's few), through the bulk endpoints above it
FEW = 5
# keys of BambooHR payloads that carry pay (masked by sync_core where it stores payloads)
# (API names, and the English field names a webhook posts under)
SENSITIVE_KEYS = frozenset(
    {"rate", "value", "payRate", "salary", "paidPer", "amount", "Pay rate", "Paid per",
     "Pay type", "Overtime Rate", "Compensation Change Reason"}
)  # fmt: skip


def _employee(raw):
    if not isinstance(raw, dict) or not raw.get("id"):
        raise PayloadError(f"BambooHR employee without id: {str(raw)[:200]}")
    terminated = raw.get("status") == "Inactive" or (
        raw.get("employmentHistoryStatus") == "Terminated"
    )
    data = {
        "first_name": raw.get("firstName") or "",
        "last_name": raw.get("lastName") or "",
        "name": raw.get("displayName") or "",
        "status": "terminated" if terminated else "active",
        "employment_status": raw.get("employmentHistoryStatus") or "",
        "termination_date": raw.get("terminationDate") or None,
    }
    for key, remote in (
        ("work_email", "workEmail"),
        ("job_title", "jobTitle"),
        ("department", "department"),
        ("location", "location"),
    ):
        if remote in raw:
            data[key] = raw[remote] or ""
    if "supervisorEId" in raw:
        data["manager_id"] = str(raw["supervisorEId"]) if raw["supervisorEId"] else None
    return {
        "id": str(raw["id"]),
        "updated_at": parse_datetime(raw.get("lastChanged")) or None,
        "archived": False,
        "data": data,
    }


def _compensation(employee_id, raw):
    rate = raw.get("rate") if isinstance(raw.get("rate"), dict) else {}
    try:
        amount = float(str(rate.get("value")).replace(",", ""))
    except ValueError:
        amount = None
    return {
        "id": str(raw.get("id") or ""),
        "employee_id": str(employee_id),
        "date_from": raw.get("startDate"),
        "amount": amount,
        "period": PERIODS.get(str(raw.get("paidPer") or "").lower()),
        "currency": rate.get("currency") or "",
    }


def _time_off(raw):
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("employeeId"):
        raise PayloadError(f"BambooHR time-off request without id: {str(raw)[:200]}")
    status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
    kind = raw.get("type") if isinstance(raw.get("type"), dict) else {}
    word = str(status.get("status") or "").lower()
    notes = raw.get("notes") if isinstance(raw.get("notes"), dict) else {}
    return {
        "id": str(raw["id"]),
        "updated_at": parse_datetime(status.get("lastChanged")) or None,
        "archived": False,
        "data": {
            "employee_id": str(raw["employeeId"]),
            "status": STATUSES.get(word, word),
            "type_id": str(kind.get("id") or ""),
            "type_name": kind.get("name") or "",
            "date_from": raw.get("start"),
            "date_to": raw.get("end"),
            "note": notes.get("employee") or "",
        },
    }


class BambooHRAdapter(HttpAdapterMixin, HrAdapter):
    def _session_headers(self):
        token = self.config.get("access_token")
        return {"Accept": "application/json"} | (
            {"Authorization": f"Bearer {token}"} if token else {}
        )

    def _call(self, method, path, **kw):
        session = self._session()
        # OAuth: the session's Bearer header (`_use_access_token` after a refresh); no Basic
        session.auth = (
            None if self.config.get("access_token") else (self.config.get("api_key") or "", "x")
        )
        base = (self.config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        company = self.config.get("company") or ""
        return self._request(method, f"{base}/api/gateway.php/{company}/v1/{path}", **kw)

    def test_connection(self):
        employees = self._report(("status",))
        return ConnectionInfo(
            "BambooHR",
            account_id=self.config.get("company"),
            account_label="company",
            details={"Employees": len(employees)},
        )

    def _report(self, fields=REPORT_FIELDS):
        data = self._call(
            "POST",
            "reports/custom",
            params={"format": "JSON", "onlyCurrent": "false"},
            json={"title": "odoo-sync", "fields": ["id", *fields]},
        )
        employees = data.get("employees") if isinstance(data, dict) else None
        if not isinstance(employees, list):
            raise PayloadError("BambooHR's custom report answered without an employee list")
        return employees

    def iter_changes(self, object_name, since, after=None, page_size=None):
        if object_name != hr.EMPLOYEES:
            raise PayloadError(f"BambooHR objects are employees, not {object_name}")
        records = read_each(self._report(), _employee)
        bad = [r for r in records if is_unreadable(r)]
        good = readable(records)
        if since:
            changed = (
                self._call(
                    "GET", "employees/changed", params={"since": since.isoformat() + "+00:00"}
                ).get("employees")
                or {}
            )
            good = [r for r in good if r["id"] in changed]
            good += [
                {"id": str(i), "archived": True, "data": {},
                 "updated_at": parse_datetime(c.get("lastChanged")) or since}
                for i, c in changed.items()
                if isinstance(c, dict) and c.get("action") == "Deleted"
            ]  # fmt: skip
        for rec in good:
            rec["updated_at"] = rec["updated_at"] or since or EPOCH
        ordered = sorted(good, key=_order_key)
        if after:
            ordered = [r for r in ordered if _order_key(r) > (after[0], _id_key(after[1]))]
        size = page_size or self.page_size
        pages = [ordered[i : i + size] for i in range(0, len(ordered), size)] or [[]]
        if not after:
            pages[0] = bad + pages[0]
        for page in pages:
            if page:
                yield page

    def read_batch(self, object_name, ids):
        ids = [str(i) for i in ids]
        if len(ids) > FEW:
            wanted = set(ids)
            return [r for r in read_each(self._report(), _employee) if r.get("id") in wanted]
        out = []
        for emp_id in ids:
            raw = self._get_or_none(f"employees/{emp_id}", {"fields": ",".join(REPORT_FIELDS)})
            if raw is not None:
                out += read_each([raw], _employee)
        return out

    def _get_or_none(self, path, params=None):
        """GET `path`; None when BambooHR answers 404 (no such employee)."""
        try:
            return self._call("GET", path, params=params)
        except SyncError as exc:
            if "HTTP 404" in f"{exc.pattern} {exc}":
                return None
            raise

    def compensation(self, employee_ids=None, since=None):
        if employee_ids is not None and len(employee_ids) <= FEW:
            out = {}
            for emp_id in employee_ids:
                rows = self._get_or_none(f"employees/{emp_id}/tables/compensation")
                if rows is None:
                    continue
                out[str(emp_id)] = [_compensation(emp_id, r) for r in rows or ()]
            return out, None
        data = self._call(
            "GET",
            "employees/changed/tables/compensation",
            params={"since": (since or EPOCH).isoformat() + "+00:00"},
        )
        wanted = None if employee_ids is None else {str(i) for i in employee_ids}
        out = {
            str(emp_id): [_compensation(emp_id, r) for r in (item or {}).get("rows") or ()]
            for emp_id, item in (data.get("employees") or {}).items()
            if wanted is None or str(emp_id) in wanted
        }
        return out, parse_datetime(data.get("latest")) or None

    def time_off(self, date_from, date_to):
        data = self._call(
            "GET",
            "time_off/requests/",
            params={"start": date_from.isoformat(), "end": date_to.isoformat()},
        )
        return read_each(data if isinstance(data, list) else [], _time_off)

    def time_off_types(self):
        data = self._call("GET", "meta/time_off/types")
        return {
            str(t.get("id")): t.get("name") or ""
            for t in data.get("timeOffTypes") or ()
            if isinstance(t, dict)
        }

    def employee_ids(self):
        return [
            str(r["id"]) for r in self._report(("status",)) if isinstance(r, dict) and r.get("id")
        ]


def _id_key(value):
    value = str(value)
    return (len(value), value) if value.isdigit() else (1_000_000, value)


def _order_key(rec):
    return (rec["updated_at"], _id_key(rec["id"]))
