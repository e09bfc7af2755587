"""In-memory BambooHR API v1 (``/api/gateway.php/{company}/v1/...``) speaking its JSON wire
format, for tests and the sandbox demo.  Pure WSGI on werkzeug; no Odoo import.

Wire facts (documentation.bamboohr.com; shapes reproduced, not copied):
- Basic authentication: the API key as the user name, any password (``x`` by convention);
  401 with an ``X-BambooHR-Error-Message`` header otherwise; an unknown company is a 404;
- JSON only when the client sends ``Accept: application/json`` (XML otherwise);
- ``POST /reports/custom?format=JSON`` ``{"fields": [...]}`` -> ``{"title", "fields": [{"id",
  "type", "name"}], "employees": [{"id": "1", <field>: value}]}``: many employees in one request;
- ``GET /employees/{id}?fields=a,b`` -> ``{"id": "1", "a": ..., "b": ...}``;
- ``GET /employees/changed?since=ISO`` -> ``{"latest": ISO, "employees": {"<id>": {"id",
  "action": "Inserted"|"Updated"|"Deleted", "lastChanged": ISO}}}``;
- ``GET /employees/changed/tables/{table}?since=ISO`` -> ``{"latest", "employees": {"<id>":
  {"lastChanged", "rows": [...]}}}`` for ``jobInfo``, ``compensation``, ``employmentStatus``;
- ``GET /employees/{id}/tables/{table}`` -> ``[rows]``; a compensation row is ``{"id",
  "employeeId", "startDate", "rate": {"currency", "value": "50000.00"}, "type", "paidPer":
  "Year"|"Hour"|..., "reason", "comment"}``;
- ``GET /time_off/requests/?start=&end=&status=`` -> ``[{"id", "employeeId", "name",
  "status": {"lastChanged", "lastChangedByUserId", "status"}, "start", "end", "created",
  "type": {"id", "name", "icon"}, "amount": {"unit", "amount"}, "notes": {...}}]``; statuses
  approved, denied, superceded, requested, canceled;
- ``GET /meta/time_off/types`` -> ``{"timeOffTypes": [{"id", "name", "units", "color",
  "icon"}], "defaultHours": [...]}``;
- throttling: 503 (or 429) with ``Retry-After`` seconds;
- OAuth 2.0 (``add_oauth_client``; on the company's host, ``{company}.bamboohr.com``):
  ``GET /authorize.php?request=authorize&response_type=code&client_id&redirect_uri&scope
  &state`` consents at once (a 302 back to ``redirect_uri`` with ``code`` and ``state``);
  ``POST /token.php?request=token`` (JSON or form: ``client_id``, ``client_secret``,
  ``grant_type`` ``authorization_code`` with ``code`` + ``redirect_uri``, or ``refresh_token``)
  -> ``{"access_token", "expires_in", "token_type": "Bearer", "scope", "refresh_token" (with
  the ``offline_access`` scope), "id_token", "companyDomain"}``; a refresh token works once
  (rotated: the fake's choice, not documented); the API takes ``Authorization: Bearer`` with
  a live access token, an expired one (``expire_tokens``) is a 401;
- webhooks: ``POST`` JSON ``{"employees": [{"id", "action", "timestamp", "changedFields",
  "fields"}]}`` signed ``X-BambooHR-Signature`` = hex HMAC-SHA256(private key, body +
  timestamp) with ``X-BambooHR-Timestamp`` (unix seconds): :func:`sign_webhook`.
"""

import base64
import collections
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector
from odoo.addons.sync_core.fake.serving import ServedFake

TABLES = ("jobInfo", "compensation", "employmentStatus")
EMPLOYEE_FIELDS = (
    "firstName", "lastName", "displayName", "workEmail", "jobTitle", "department",
    "location", "supervisorEId", "status", "employmentHistoryStatus", "terminationDate",
    "lastChanged",
)  # fmt: skip


def _iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse(value):
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def sign_webhook(private_key, body, timestamp=None):
    """Headers of a webhook delivery signed as BambooHR signs: HMAC-SHA256 over the raw body
    followed by the timestamp."""
    stamp = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(private_key.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-BambooHR-Timestamp": stamp,
        "X-BambooHR-Signature": digest,
    }


def _json(status, data, headers=None):
    return Response(
        json.dumps(data), status=status, headers=headers or {}, content_type="application/json"
    )


class BambooHRFake(FaultInjector, ServedFake):
    """One BambooHR company held in memory, served over HTTP on 127.0.0.1."""

    thread_name = "bamboohr-fake"

    def __init__(self, company="fakeco", api_key="bamboo-key"):
        self.company = company
        self.api_key = api_key
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.employees = {}  # id -> fields
        self.changes = {}  # id -> (action, lastChanged)
        self.tables = {t: collections.defaultdict(list) for t in TABLES}
        self.table_changed = {t: {} for t in TABLES}  # table -> {id: lastChanged}
        self.time_off = {}
        self.time_off_types = {"1": "Vacation", "2": "Sick", "3": "Bereavement"}
        self.calls = collections.Counter()  # "GET employees/changed" -> n
        self.clock_offset = timedelta(0)
        # OAuth: client id -> secret; code -> the authorize query; access token -> expiry;
        # refresh token -> (client id, scope); the API calls' schemes ("Basic" -> n)
        self.oauth_clients, self.codes, self.access, self.refresh = {}, {}, {}, {}
        self.token_ttl = 3600
        self.schemes = collections.Counter()

    def start(self, port=0):
        root = super().start(port)
        self.base_url = root
        return root

    @property
    def api_url(self):
        return f"{self.base_url}/api/gateway.php/{self.company}/v1"

    def now(self):
        return datetime.now(UTC) + self.clock_offset

    def advance(self, **delta):
        self.clock_offset += timedelta(**delta)

    # ------------------------------------------------------------------ seeding
    def _touch(self, emp_id, action="Updated"):
        stamp = self.now()
        previous = self.changes.get(emp_id)
        if previous and previous[0] == "Inserted" and action == "Updated":
            action = "Inserted"
        self.changes[emp_id] = (action, stamp)
        if emp_id in self.employees:
            self.employees[emp_id]["lastChanged"] = _iso(stamp)

    def add_employee(self, first, last, email, **values):
        with self._lock:
            emp_id = str(next(self._ids))
            self.employees[emp_id] = {
                "id": emp_id,
                "firstName": first,
                "lastName": last,
                "displayName": f"{first} {last}",
                "workEmail": email,
                "jobTitle": values.pop("job_title", ""),
                "department": values.pop("department", ""),
                "location": values.pop("location", ""),
                "supervisorEId": values.pop("manager_id", None),
                "status": "Active",
                "employmentHistoryStatus": "Full-Time",
                "terminationDate": None,
                **values,
            }
            self._touch(emp_id, "Inserted")
            return self.employees[emp_id]

    def update_employee(self, emp_id, **values):
        with self._lock:
            self.employees[emp_id].update(values)
            self._touch(emp_id)
            return self.employees[emp_id]

    def terminate(self, emp_id, date="2026-01-31"):
        with self._lock:
            self.employees[emp_id].update(
                status="Inactive", employmentHistoryStatus="Terminated", terminationDate=date
            )
            self.add_row(emp_id, "employmentStatus", date=date, employmentStatus="Terminated")
            self._touch(emp_id)

    def delete_employee(self, emp_id):
        with self._lock:
            self.employees.pop(emp_id, None)
            self.changes[emp_id] = ("Deleted", self.now())

    def add_row(self, emp_id, table, **row):
        with self._lock:
            row = {"id": str(next(self._ids)), "employeeId": emp_id, **row}
            self.tables[table][emp_id].append(row)
            self.table_changed[table][emp_id] = self.now()
            return row

    def add_compensation(self, emp_id, start, value, paid_per="Hour", currency="USD"):
        return self.add_row(
            emp_id,
            "compensation",
            startDate=start,
            rate={"currency": currency, "value": f"{value:.2f}"},
            type="Hourly" if paid_per == "Hour" else "Salary",
            paidPer=paid_per,
            reason="",
            comment="",
        )

    def add_time_off(self, emp_id, start, end, status="approved", type_id="1", days=1):
        with self._lock:
            req_id = str(next(self._ids))
            self.time_off[req_id] = {
                "id": req_id,
                "employeeId": emp_id,
                "name": self.employees.get(emp_id, {}).get("displayName", ""),
                "status": {
                    "lastChanged": self.now().date().isoformat(),
                    "lastChangedByUserId": "1",
                    "status": status,
                },
                "start": start,
                "end": end,
                "created": self.now().date().isoformat(),
                "type": {"id": type_id, "name": self.time_off_types.get(type_id, "")},
                "amount": {"unit": "days", "amount": str(days)},
                "notes": {"employee": ""},
            }
            return self.time_off[req_id]

    def set_time_off_status(self, req_id, status):
        with self._lock:
            self.time_off[req_id]["status"].update(
                status=status, lastChanged=self.now().date().isoformat()
            )

    def add_oauth_client(self, client_id, secret):
        self.oauth_clients[client_id] = secret

    def expire_tokens(self):
        """Every access token handed out so far is expired (its next API call: 401)."""
        for token in self.access:
            self.access[token] = datetime.now(UTC) - timedelta(seconds=1)

    def webhook(self, private_key, emp_ids, action="Updated", timestamp=None):
        """(body, headers) of a webhook delivery naming `emp_ids`."""
        body = json.dumps(
            {
                "employees": [
                    {
                        "id": emp_id,
                        "action": action,
                        "timestamp": _iso(self.now()),
                        "changedFields": ["Job Title"],
                        "fields": {"Job Title": self.employees.get(emp_id, {}).get("jobTitle")},
                    }
                    for emp_id in emp_ids
                ]
            }
        ).encode()
        return body, sign_webhook(private_key, body, timestamp)

    # ------------------------------------------------------------------ HTTP
    def __call__(self, environ, start_response):
        request = Request(environ)
        return self._serve_faulted(
            environ, start_response, request, self._dispatch, self._fault_response
        )

    @staticmethod
    def _fault_response(fault, _request):
        headers = {"X-BambooHR-Error-Message": "Service temporarily unavailable"}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after))
        return Response("", status=fault.status, headers=headers)

    def _authorized(self, request):
        header = request.headers.get("Authorization", "")
        scheme = header.split(" ", 1)[0]
        self.schemes[scheme] += 1
        if scheme == "Bearer":
            expiry = self.access.get(header[7:])
            return bool(expiry) and expiry > datetime.now(UTC)
        if scheme != "Basic":
            return False
        try:
            user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
        except ValueError:
            return False
        return hmac.compare_digest(user.encode(), self.api_key.encode())

    def _dispatch(self, request):
        with self._lock:  # OAuth, on the company's host
            if request.path == "/authorize.php" and request.args.get("request") == "authorize":
                return self._consent(request.args)
            if request.path == "/token.php" and request.method == "POST":
                return self._grant(request)
        prefix = f"/api/gateway.php/{self.company}/v1/"
        if not request.path.startswith(prefix):
            return Response("", status=404)
        if not self._authorized(request):
            return Response("", status=401, headers={"X-BambooHR-Error-Message": "Invalid API key"})
        path = request.path[len(prefix) :].strip("/")
        self.calls[f"{request.method} {path}"] += 1
        if "application/json" not in request.headers.get("Accept", ""):
            return Response("<employees/>", status=200, content_type="text/xml")
        parts = path.split("/")
        with self._lock:
            return self._route(request, parts)

    # ------------------------------------------------------------------ OAuth
    def _consent(self, args):
        """The admin approves at once: back to ``redirect_uri`` with a code and the state."""
        if args.get("response_type") != "code" or args.get("client_id") not in self.oauth_clients:
            return _json(400, {"error": "invalid_request", "error_description": "Unknown client"})
        code = secrets.token_hex(12)
        self.codes[code] = args.to_dict()
        back = {"code": code, "state": args.get("state", "")}
        return Response(
            status=302, headers={"Location": f"{args['redirect_uri']}?{urlencode(back)}"}
        )

    def _grant(self, request):
        data = (request.get_json(silent=True) if request.is_json else request.form.to_dict()) or {}
        client = data.get("client_id")
        if request.args.get("request") != "token":
            return _json(400, {"error": "invalid_request", "error_description": "request=token"})
        if (
            client not in self.oauth_clients
            or data.get("client_secret") != self.oauth_clients[client]
        ):
            return _json(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if data.get("grant_type") == "authorization_code":
            asked = self.codes.pop(data.get("code"), None) or {}
            if (asked.get("client_id"), asked.get("redirect_uri")) != (
                client,
                data.get("redirect_uri"),
            ):
                return _json(400, {"error": "invalid_grant", "error_description": "Bad code"})
            scope = asked.get("scope", "")
        elif data.get("grant_type") == "refresh_token":
            held = self.refresh.pop(data.get("refresh_token"), None)
            if not held or held[0] != client:
                return _json(
                    400, {"error": "invalid_grant", "error_description": "Bad refresh token"}
                )
            scope = held[1]
        else:
            return _json(
                400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
            )
        access = secrets.token_hex(20)
        self.access[access] = datetime.now(UTC) + timedelta(seconds=self.token_ttl)
        answer = {
            "access_token": access,
            "expires_in": self.token_ttl,
            "token_type": "Bearer",
            "scope": scope,
            "id_token": secrets.token_hex(8),
            "companyDomain": self.company,
        }
        if "offline_access" in scope.split():
            answer["refresh_token"] = secrets.token_hex(20)
            self.refresh[answer["refresh_token"]] = (client, scope)
        return _json(200, answer)

    # ------------------------------------------------------------------ API
    def _route(self, request, parts):
        method, args = request.method, request.args
        if method == "POST" and parts == ["reports", "custom"]:
            return self._report(request)
        if method == "GET" and parts[:2] == ["employees", "changed"]:
            since = _parse(args["since"]) if args.get("since") else datetime.min.replace(tzinfo=UTC)
            if len(parts) == 4 and parts[2] == "tables":
                return self._changed_table(parts[3], since)
            return self._changed(since)
        if method == "GET" and parts[0] == "employees" and len(parts) == 4:
            if parts[1] not in self.employees:
                return Response("", status=404)
            return _json(200, list(self.tables.get(parts[3], {}).get(parts[1], [])))
        if method == "GET" and parts[0] == "employees" and len(parts) == 2:
            emp = self.employees.get(parts[1])
            if not emp:
                return Response("", status=404)
            wanted = [f for f in (args.get("fields") or "").split(",") if f]
            return _json(200, {"id": emp["id"], **{f: emp.get(f) for f in wanted}})
        if method == "GET" and parts[:2] == ["time_off", "requests"]:
            return self._requests(args)
        if method == "GET" and parts == ["meta", "time_off", "types"]:
            types = [
                {"id": k, "name": v, "units": "days", "color": None, "icon": "palm-trees"}
                for k, v in self.time_off_types.items()
            ]
            return _json(200, {"timeOffTypes": types, "defaultHours": []})
        return Response("", status=404)

    def _report(self, request):
        if request.args.get("format", "").upper() != "JSON":
            return Response("<report/>", status=200, content_type="text/xml")
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return Response("", status=400, headers={"X-BambooHR-Error-Message": "Bad JSON"})
        wanted = [f for f in body.get("fields", []) if f != "id"]
        rows = [
            {"id": emp["id"], **{f: emp.get(f) for f in wanted}}
            for emp in sorted(
                self.employees.values(), key=lambda e: (len(str(e["id"])), str(e["id"]))
            )
        ]
        fields = [{"id": f, "type": "text", "name": f} for f in wanted]
        return _json(
            200, {"title": body.get("title", "Report"), "fields": fields, "employees": rows}
        )

    def _changed(self, since):
        found = {
            emp_id: {"id": emp_id, "action": action, "lastChanged": _iso(stamp)}
            for emp_id, (action, stamp) in self.changes.items()
            if stamp >= since
        }
        return _json(200, {"latest": _iso(self.now()), "employees": found})

    def _changed_table(self, table, since):
        if table not in self.tables:
            return Response("", status=400, headers={"X-BambooHR-Error-Message": "Bad table"})
        found = {
            emp_id: {"lastChanged": _iso(stamp), "rows": list(self.tables[table][emp_id])}
            for emp_id, stamp in self.table_changed[table].items()
            if stamp >= since
        }
        return _json(200, {"latest": _iso(self.now()), "employees": found})

    def _requests(self, args):
        start, end = args.get("start"), args.get("end")
        if not start or not end:
            return Response("", status=400, headers={"X-BambooHR-Error-Message": "start, end"})
        status = args.get("status")
        found = [
            req
            for req in self.time_off.values()
            if req["start"] <= end
            and req["end"] >= start
            and (not status or req["status"]["status"] in status.split(","))
        ]
        return _json(200, found)
