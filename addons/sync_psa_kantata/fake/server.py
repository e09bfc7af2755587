"""In-memory Kantata OX (api.mavenlink.com/api/v1) speaking its JSON wire format, for tests and
the sandbox demo.  Pure WSGI on werkzeug; no Odoo import.

Wire facts (developer.kantata.com, mavenlink_gem's specification.yml):
- every GET answers ``{"count": N, "results": [{"key": "time_entries", "id": "1"}, ...],
  "time_entries": {"1": {...}}, "users": {...}, "meta": {"count", "page_count", "page_number",
  "page_size"}}``: ``results`` is the ordered list, records live in top-level maps keyed by id,
  mixed with the associations asked with ``include=``;
- ids are strings, money integer cents (``rate_in_cents``, ``amount_in_cents``) with a
  ``currency``, durations integer minutes (``time_in_minutes``);
- ``page``/``per_page`` (default 20, max 200), ``only=1,2``, ``updated_after``, ``order``;
- errors are ``{"errors": [{"type": "oauth"|"system"|"validation", "message": ...}]}``; 401
  for a bad bearer token, 404 for an unknown record, 429 when rate limited (no Retry-After);
- ``GET /subscribed_events`` keeps 9 days of ``<subject>:created|updated|deleted`` events,
  possibly duplicated and out of order; timesheet and expense report submissions give
  ``timesheet:*`` and ``expense_report:*`` events (:meth:`KantataFake.resolve_timesheet`,
  :meth:`KantataFake.resolve_submission`);
- ``POST /external_references/create_or_update`` upserts the reference of (service_name,
  service_model, service_model_ref) on a subject;
- ``GET /time_off_entries`` (``user_ids``, ``start_date``, ``end_date``),
  ``POST /time_off_entries`` ``{"time_off_entry": {user_id, requested_date, hours}}`` and
  ``DELETE /time_off_entries/{id}`` (204).

Seed with :meth:`KantataFake.add_user` ... :meth:`KantataFake.add_time_entry`, change with
:meth:`KantataFake.update` / :meth:`KantataFake.delete`, inject faults with
:meth:`KantataFake.fail_next` and sync_core's `FaultInjector` (``reset_next``, ``malformed_next``,
seeded ``random_faults``, counted in ``faults_injected``; a ``status`` fault answers Kantata's
error body), expire the OAuth tokens issued so far with :meth:`KantataFake.expire_access_tokens`
(401, then the client credentials grant issues a new one), count calls with
:meth:`KantataFake.calls` and every API request (faults included) in ``requests``.
"""

import collections
import itertools
import json
import math
import random
import threading
from datetime import UTC, datetime, timedelta

from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector, reset_connection, truncated
from odoo.addons.sync_core.fake.serving import ServedFake

MAX_PER_PAGE = 200
# record pages of the web app the fake stands in for (a link from Odoo to the PSA)
WEB_PAGES = ("workspaces", "time_entries", "expenses", "users")
EVENT_RETENTION = timedelta(days=9)
COLLECTIONS = (
    "time_off_entries",
    "expense_report_submissions",
    "timesheet_submissions",
    "workspace_groups",
    "users",
    "account_memberships",
    "cost_rates",
    "workspaces",
    "stories",
    "time_entries",
    "expenses",
    "external_references",
    "subscribed_events",
)
# documented sort fields (`order=`) of the list endpoints the adapter reads
VALID_ORDERS = {
    "time_entries": ("created_at", "date_performed", "updated_at"),
    "users": ("alphabetical",),
    "timesheet_submissions": ("date",),
}
DEFAULT_ORDER = {
    "time_entries": "date_performed:desc",
    "users": "alphabetical:asc",
    "timesheet_submissions": "date:desc",
}
# collection -> (subject type of events and references, event prefix)
SUBJECTS = {
    "users": ("User", "user"),
    "workspaces": ("Workspace", "workspace"),
    "stories": ("Story", "story"),
    "time_entries": ("TimeEntry", "time_entry"),
    "expenses": ("Expense", "expense"),
    "expense_report_submissions": ("ExpenseReportSubmission", "expense_report"),
    "timesheet_submissions": ("TimesheetSubmission", "timesheet"),
}
SUBJECT_COLLECTION = {subject: coll for coll, (subject, _p) in SUBJECTS.items()}
SUBJECT_COLLECTION["TimeOffEntry"] = "time_off_entries"  # referenced, no events in the fake
# include= association -> (foreign key, collection)
ASSOCIATIONS = {
    "user": ("user_id", "users"),
    "workspace": ("workspace_id", "workspaces"),
    "story": ("story_id", "stories"),
    "external_references": ("external_reference_ids", "external_references"),
    "workspace_groups": ("workspace_group_ids", "workspace_groups"),
    "account_membership": ("account_membership_id", "account_memberships"),
    "recent_submission": ("recent_submission_id", "expense_report_submissions"),
    "expenses": ("expense_ids", "expenses"),
    "time_entries": ("time_entry_ids", "time_entries"),
}


def _stamp(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse(value):
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class KantataFake(FaultInjector, ServedFake):
    """One Kantata OX account held in memory, served over HTTP on 127.0.0.1."""

    thread_name = "kantata-fake"

    def __init__(
        self,
        token="kantata-token",
        account_id="71000",
        account_name="Fake Consulting",
        client_id="fake-client-id",
        client_secret="fake-client-secret",
    ):
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.account_id = str(account_id)
        self.account_name = account_name
        self.data = {name: {} for name in COLLECTIONS}
        self._ids = {name: itertools.count(1) for name in COLLECTIONS}
        self._event_ids = itertools.count(1)
        self._lock = threading.RLock()
        self._faults = []
        self._calls = []
        self.requests = 0  # API requests received, faults included
        self.statuses = collections.Counter()  # API answers by status
        self._tokens = {token}  # bearer tokens accepted now
        self._token_seq = itertools.count(1)
        self.clock_offset = timedelta(0)
        self.duplicate_events = False
        self.shuffle_events = False
        self.me = None
        # callables(fake, workspace) run when a client creates a workspace (demo: consultants
        # start logging time on a project pushed from Odoo)
        self.on_workspace_created = []
        self._version = 0
        self._sort_cache = {}
        self._omitted = {}  # (collection, id) -> keys the wire leaves out of that record

    # ------------------------------------------------------------------ server
    def start(self, port=0):
        """Serve on 127.0.0.1; return (and keep) the API base URL (``.../api/v1``)."""
        root = super().start(port)
        self.base_url = f"{root}/api/v1"
        return self.base_url

    # ------------------------------------------------------------------ clock, faults, calls
    def now(self):
        return datetime.now(UTC) + self.clock_offset

    def advance(self, **delta):
        """Move the account's clock forward (e.g. days=10 lets events fall out of retention)."""
        self.clock_offset += timedelta(**delta)

    def fail_next(self, status=503, count=1, method=None, path=None, after_apply=False):
        """The next `count` matching requests answer `status` with Kantata's error body.
        after_apply=True applies a write first, then fails (a lost response)."""
        with self._lock:
            self._faults.append(
                {
                    "status": status,
                    "count": count,
                    "method": method,
                    "path": path,
                    "after": after_apply,
                }
            )

    def calls(self, method=None, path=None):
        """Requests served so far: [(method, path, query dict)], filtered."""
        return [
            c
            for c in self._calls
            if (method is None or c[0] == method) and (path is None or c[1].startswith(path))
        ]

    # ------------------------------------------------------------------ seeding and changes
    def _new(self, collection, values):
        with self._lock:
            rid = str(next(self._ids[collection]))
            stamp = _stamp(self.now())
            record = {"id": rid, "created_at": stamp, "updated_at": stamp, **values}
            self.data[collection][rid] = record
            self._version += 1
            self._event(collection, "created", record, None)
            return record

    def add_user(self, full_name, email_address, **values):
        user = self._new(
            "users",
            {
                "full_name": full_name,
                "email_address": email_address,
                "headline": values.pop("headline", ""),
                "disabled": False,
                "account_id": self.account_id,
                "external_reference_ids": [],
                **values,
            },
        )
        admin = self.me is None  # the first user (the token's) administers the account
        membership = self._new(
            "account_memberships",
            {
                "user_id": user["id"],
                "account_id": self.account_id,
                "permission": "administrator" if admin else "collaborator",
                "is_administrator": admin,
            },
        )
        user["account_membership_id"] = membership["id"]
        if self.me is None:
            self.me = user["id"]
        return user

    def set_cost_rate(self, user_id, amount_in_subunits, currency="USD"):
        """The user's cost rate in use (the previous one is kept, not in use)."""
        membership = self.data["users"][str(user_id)]["account_membership_id"]
        for rate in self.data["cost_rates"].values():
            if rate["account_membership_id"] == membership and rate["in_use"]:
                self.update("cost_rates", rate["id"], in_use=False)
        return self._new(
            "cost_rates",
            {
                "account_membership_id": membership,
                "amount_in_subunits": int(amount_in_subunits),
                "currency": currency,
                "in_use": True,
            },
        )

    def add_workspace(self, title, client=None, **values):
        """A workspace; `client` names its client company (a workspace group with
        ``company: true``, created once per name)."""
        if client:
            group = next(
                (g for g in self.data["workspace_groups"].values() if g["name"] == client), None
            ) or self._new(
                "workspace_groups", {"name": client, "company": True, "external_reference_ids": []}
            )
            values.setdefault("workspace_group_ids", [group["id"]])
            values.setdefault("primary_workspace_group_id", group["id"])
        return self._new("workspaces", self._workspace_values({"title": title, **values}))

    def _workspace_values(self, values):
        price = values.get("price_in_cents")
        return {
            "account_id": self.account_id,
            "archived": False,
            "description": "",
            "budgeted": price is not None,
            "currency": "USD",
            "currency_base_unit": 100,
            "status": {"color": "green", "key": 310, "message": "Active"},
            "status_key": 310,
            "start_date": None,
            "due_date": None,
            "percent_of_budget_used": 0,
            "budget_used_in_cents": 0,
            "require_time_approvals": True,
            "require_expense_approvals": True,
            "external_reference_ids": [],
            "workspace_group_ids": [],
            "primary_workspace_group_id": None,
            **values,
        }

    def add_story(self, workspace_id, title, story_type="task", **values):
        return self._new(
            "stories",
            {
                "workspace_id": str(workspace_id),
                "title": title,
                "story_type": story_type,
                "state": values.pop("state", "not started"),
                **values,
            },
        )

    def add_time_entry(self, workspace_id, user_id, minutes, approved=True, **values):
        return self._new(
            "time_entries",
            {
                "workspace_id": str(workspace_id),
                "user_id": str(user_id),
                "story_id": values.pop("story_id", None),
                "date_performed": values.pop("date_performed", self.now().date().isoformat()),
                "time_in_minutes": int(minutes),
                "billable": values.pop("billable", True),
                "notes": values.pop("notes", ""),
                "rate_in_cents": values.pop("rate_in_cents", 15000),
                "cost_rate_in_cents": values.pop("cost_rate_in_cents", 8000),
                "currency": values.pop("currency", "USD"),
                "currency_symbol": "$",
                "currency_base_unit": 100,
                "approved": bool(approved),
                "is_invoiced": False,
                "invoice_id": None,
                "role_id": None,
                "user_can_edit": True,
                "external_reference_ids": [],
                **values,
            },
        )

    def add_expense(self, workspace_id, user_id, amount_in_cents, approved=True, **values):
        """An expense on an expense report submission: ``approved`` -> status approved, else
        pending (Kantata approves expenses through their report submission)."""
        expense = self._new(
            "expenses",
            {
                "workspace_id": str(workspace_id),
                "user_id": str(user_id),
                "date": values.pop("date", self.now().date().isoformat()),
                "notes": values.pop("notes", ""),
                "category": values.pop("category", "Travel"),
                "amount_in_cents": int(amount_in_cents),
                "currency": values.pop("currency", "USD"),
                "currency_base_unit": 100,
                "is_billable": values.pop("is_billable", True),
                "reimbursable": values.pop("reimbursable", True),
                "is_invoiced": False,
                "expense_category_id": None,
                "active_submission_id": None,
                "recent_submission_id": None,
                "external_reference_ids": [],
                **values,
            },
        )
        submission = self._new(
            "expense_report_submissions",
            {
                "status": "approved" if approved else "pending",
                "title": f"Expenses {expense['date']}",
                "user_id": str(user_id),
                "workspace_id": str(workspace_id),
                "expense_ids": [expense["id"]],
                "currency": expense["currency"],
                "line_item_total_in_cents": expense["amount_in_cents"],
            },
        )
        expense["recent_submission_id"] = submission["id"]
        if not approved:
            expense["active_submission_id"] = submission["id"]
        return expense

    def update(self, collection, rid, **values):
        """Change a record as a Kantata user would (stamps updated_at, records an event)."""
        with self._lock:
            record = self.data[collection][str(rid)]
            previous = dict(record)
            if collection == "expenses" and "approved" in values:
                # approving or rejecting the expense's report submission (stamps the expense)
                status = "approved" if values.pop("approved") else "rejected"
                submission = self.data["expense_report_submissions"][record["recent_submission_id"]]
                submission.update(status=status, updated_at=_stamp(self.now()))
            record.update(values)
            record["updated_at"] = _stamp(self.now())
            self._version += 1
            self._event(collection, "updated", record, previous)
            return record

    def corrupt(self, collection, rid, omit=(), **values):
        """Make one stored record malformed on the wire, as vendor data sometimes is: keys
        left out of its JSON (``omit``, e.g. ``("id",)``) and values of the wrong type
        (``values``, set as given, e.g. ``time_in_minutes="ninety"``).  No event, no stamp."""
        with self._lock:
            self.data[collection][str(rid)].update(values)
            self._omitted[(collection, str(rid))] = set(omit)
            self._version += 1

    def resolve_submission(self, expense_id, status="approved"):
        """Approve (or reject, cancel) the expense's report submission as Kantata's
        ``PUT /expense_report_submissions/<id>/approve`` does: the submission changes and an
        ``expense_report:updated`` event names it; the expense itself is not stamped."""
        with self._lock:
            expense = self.data["expenses"][str(expense_id)]
            submission_id = expense["recent_submission_id"]
            self.update("expense_report_submissions", submission_id, status=status)
            expense["active_submission_id"] = (
                submission_id if status in ("approved", "pending") else None
            )
            return self.data["expense_report_submissions"][submission_id]

    def submit_timesheet(self, entry_ids, status="pending"):
        """A timesheet submission of time entries of one workspace (Kantata creates one per
        project of a submitted week): ``timesheet:created`` names it."""
        entries = [self.data["time_entries"][str(i)] for i in entry_ids]
        dates = sorted(e["date_performed"] for e in entries)
        start = datetime.fromisoformat(dates[0]).date()
        start -= timedelta(days=start.weekday())
        submission = self._new(
            "timesheet_submissions",
            {
                "type": "TimesheetSubmission",
                "status": "pending",
                "title": f"Timesheet {start.isoformat()}",
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=6)).isoformat(),
                "user_id": entries[0]["user_id"],
                "workspace_id": entries[0]["workspace_id"],
                "time_entry_ids": [e["id"] for e in entries],
                "comment": "",
            },
        )
        if status != "pending":
            self.resolve_timesheet(submission["id"], status)
        return submission

    def resolve_timesheet(self, submission_id, status="approved"):
        """Approve (or reject, cancel) a timesheet submission as Kantata's
        ``PUT /timesheet_submissions/<id>/approve`` does: the submission changes and a
        ``timesheet:updated`` event names it; its time entries become (un)approved without a
        new ``updated_at`` nor an event of their own."""
        with self._lock:
            submission = self.update("timesheet_submissions", submission_id, status=status)
            for entry_id in submission["time_entry_ids"]:
                self.data["time_entries"][entry_id]["approved"] = status == "approved"
            self._version += 1
            return submission

    def delete(self, collection, rid):
        with self._lock:
            record = self.data[collection].pop(str(rid))
            self._version += 1
            self._event(collection, "deleted", None, record)
            return record

    def _event(self, collection, verb, current, previous):
        if collection not in SUBJECTS:
            return
        subject_type, prefix = SUBJECTS[collection]
        subject = current or previous
        eid = str(next(self._event_ids))
        stamp = _stamp(self.now())
        event = {
            "id": eid,
            "event_type": f"{prefix}:{verb}",
            "account_id": self.account_id,
            "user_id": self.me,
            "subject_id": subject["id"],
            "subject_type": subject_type,
            "subject_changed_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
            "current_payload": dict(current) if current else None,
            "previous_payload": dict(previous) if previous else None,
            "payload_changes": {
                k: [previous.get(k), current.get(k)]
                for k in current
                if previous and previous.get(k) != current.get(k)
            }
            if current and previous
            else {},
        }
        self.data["subscribed_events"][eid] = event

    # ------------------------------------------------------------------ WSGI
    def expire_access_tokens(self):
        """Every bearer token issued so far is refused from now on (401, Kantata's ``oauth``
        error); the client credentials grant issues a new one."""
        with self._lock:
            self._tokens.clear()

    def __call__(self, environ, start_response):
        request = Request(environ)
        api = request.path.startswith("/api/")
        fault = self._take_fault(request.method, request.path) if api else None
        if api:
            with self._lock:
                self.requests += 1
        if fault and fault.kind == "reset":
            return reset_connection(environ, start_response)
        if fault and fault.kind == "status" and fault.body is not None:
            response = _json(fault.status, fault.body)  # a given answer (a recorded shape)
        elif fault and fault.kind == "status":
            response = _fault_response(fault.status, fault.retry_after)
        else:
            response = self._dispatch(request)
        if fault and fault.kind == "malformed" and response.status_code < 300:
            response.set_data(truncated(response.get_data()))  # the transfer cut short
        if fault and fault.kind == "timeout":  # a slow answer, decided on arrival
            self._stopping.wait(fault.seconds)
        if api:
            with self._lock:
                self.statuses[response.status_code] += 1
        return response(environ, start_response)

    def _dispatch(self, request):
        path = request.path
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if request.method == "GET" and not path.startswith("/api/"):
            return self._record_page(path)
        if not path.startswith("/api/v1/"):
            return _error(404, "system", f"No route matches {path}")
        parts = [p for p in path[len("/api/v1/") :].split("/") if p]
        if parts:
            parts[-1] = parts[-1].removesuffix(".json")
        params = request.args.to_dict()
        self._calls.append((request.method, "/" + "/".join(parts), params))
        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            valid = scheme == "Bearer" and token in self._tokens
        if not valid:
            return _error(401, "oauth", "Invalid OAuth 2 Request")
        fault = self._take_fail_next(request.method, "/" + "/".join(parts))
        if fault and not fault["after"]:
            return _fault_response(fault["status"])
        try:
            body = request.get_json(silent=True) if request.data else None
            response = self._route(request.method, parts, params, body)
        except KeyError as exc:
            return _error(404, "system", f"record not found: {exc}")
        except ValueError as exc:
            return _error(422, "validation", str(exc))
        if fault:
            return _fault_response(fault["status"])
        return response

    def _record_page(self, path):
        """The sandbox's stand-in for a record page of Kantata's web app (<app host>/workspaces/
        <id>, /time_entries/<id>, /expenses/<id>, /users/<id>): the record as JSON, no token."""
        parts = [p for p in path.split("/") if p]
        if len(parts) != 2 or parts[0] not in WEB_PAGES or parts[1] not in self.data[parts[0]]:
            return _error(404, "system", f"No route matches {path}")
        self._calls.append(("GET", path, {}))
        return _json(200, {parts[0]: {parts[1]: self.data[parts[0]][parts[1]]}})

    def _token(self, request):
        """OAuth 2.0 token endpoint (client credentials grant)."""
        form = request.form
        self._calls.append(("POST", "/oauth/token", {"grant_type": form.get("grant_type")}))
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _json(401, {"error": "invalid_client"})
        with self._lock:
            if self.token not in self._tokens:  # expired: a new one
                self.token = f"{self.token.split('~')[0]}~{next(self._token_seq)}"
                self._tokens.add(self.token)
            token = self.token
        return _json(200, {"access_token": token, "token_type": "Bearer", "scope": "api_only"})

    def _take_fail_next(self, method, path):
        with self._lock:
            for fault in self._faults:
                if fault["method"] and fault["method"] != method:
                    continue
                if fault["path"] and not path.startswith(fault["path"]):
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _route(self, method, parts, params, body):
        if parts == ["users", "me"] and method == "GET":
            return self._answer("users", [self.data["users"][self.me]], params)
        if parts == ["external_references", "create_or_update"] and method == "POST":
            return self._external_reference(body or {})
        if not parts or parts[0] not in COLLECTIONS:
            raise KeyError("/".join(parts))
        collection = parts[0]
        if len(parts) == 1 and method == "GET":
            return self._list(collection, params)
        if len(parts) == 2 and method == "GET":
            return self._answer(collection, [self.data[collection][parts[1]]], params)
        if collection == "time_off_entries" and method in ("POST", "DELETE"):
            return self._time_off(method, parts, (body or {}).get("time_off_entry") or {})
        if collection == "workspaces" and len(parts) == 1 and method == "POST":
            return self._create_workspace((body or {}).get("workspace") or {}, params)
        if collection == "workspaces" and len(parts) == 2 and method == "PUT":
            values = (body or {}).get("workspace") or {}
            values.pop("external_reference", None)
            record = self.update("workspaces", parts[1], **values)
            return self._answer("workspaces", [record], params)
        raise KeyError(f"{method} /{'/'.join(parts)}")

    # ------------------------------------------------------------------ handlers
    def _time_off(self, method, parts, values):
        """POST time_off_entries {user_id, requested_date, hours, external_reference?}: the
        entries of one user and day are combined into one (its hours added up, at most 24),
        the reference attached to it; DELETE time_off_entries/{id} -> 204."""
        if method == "DELETE":
            self.delete("time_off_entries", parts[1])
            return Response(status=204)
        user_id, day = str(values.get("user_id") or ""), values.get("requested_date")
        if user_id not in self.data["users"] or not day:
            raise ValueError("user_id and requested_date are required")
        reference = values.get("external_reference")
        same = next((r for r in self.data["time_off_entries"].values()
                     if r["user_id"] == user_id and r["requested_date"] == day), None)  # fmt: skip
        hours = float(values.get("hours") or 0) + (same["hours"] if same else 0.0)
        if not 0 < hours <= 24:
            raise ValueError("hours must be between 0 and the user's workday")
        if same:
            record = self.update("time_off_entries", same["id"], hours=hours)
        else:
            values = {"user_id": user_id, "requested_date": day, "hours": hours}
            record = self._new("time_off_entries", {**values, "external_reference_ids": []})
        if reference:
            reference = {**reference, "subject_id": record["id"], "subject_type": "TimeOffEntry"}
            self._external_reference({"external_reference": reference})
        return self._answer("time_off_entries", [record], {})

    @staticmethod
    def _time_off_window(records, params):
        """GET time_off_entries: ``user_ids`` (comma-separated), ``start_date`` (on or after)
        and ``end_date`` (prior to, as Kantata words it) on the requested date."""
        if params.get("user_ids"):
            users = set(params["user_ids"].split(","))
            records = [r for r in records if r["user_id"] in users]
        if params.get("start_date"):
            records = [r for r in records if r["requested_date"] >= params["start_date"]]
        if params.get("end_date"):
            records = [r for r in records if r["requested_date"] < params["end_date"]]
        return records

    def _list(self, collection, params):
        records = list(self.data[collection].values())
        now = self.now()
        if collection == "subscribed_events":
            records = [r for r in records if now - _parse(r["created_at"]) <= EVENT_RETENTION]
            if params.get("created_after"):
                after = _parse(params["created_after"])
                records = [r for r in records if _parse(r["created_at"]) > after]
            if params.get("event_types"):
                types = set(params["event_types"].split(","))
                records = [r for r in records if r["event_type"] in types]
        if params.get("only"):
            wanted = set(params["only"].split(","))
            records = [r for r in records if r["id"] in wanted]
        if params.get("updated_after"):
            after = _parse(params["updated_after"])
            records = [r for r in records if _parse(r["updated_at"]) > after]
        if params.get("in_use") is not None and collection == "cost_rates":
            records = [r for r in records if r.get("in_use")]
        if params.get("approved") is not None and collection in ("time_entries", "expenses"):
            records = [r for r in records if r.get("approved")]
        if params.get("date_performed_between") and collection == "time_entries":
            start, _sep, end = params["date_performed_between"].partition(":")
            records = [r for r in records if start <= (r.get("date_performed") or "") <= end]
        if params.get("date_expensed_between") and collection == "expenses":
            start, _sep, end = params["date_expensed_between"].partition(":")
            records = [r for r in records if start <= (r.get("date") or "") <= end]
        if collection == "time_off_entries":
            records = self._time_off_window(records, params)
        for key in ("workspace_id", "user_id"):
            if params.get(key):
                records = [r for r in records if r.get(key) == params[key]]
        for key in ("service_name", "service_model", "service_model_ref"):
            value = params.get(f"external_reference_{key}")
            if value is not None:
                refs = self.data["external_references"]
                records = [
                    r
                    for r in records
                    if any(refs[x][key] == value for x in r.get("external_reference_ids", []))
                ]
        field, _sep, direction = (
            params.get("order") or DEFAULT_ORDER.get(collection, "id:asc")
        ).partition(":")
        if field not in VALID_ORDERS.get(collection, ("id", "updated_at", "created_at")):
            raise ValueError(f"invalid order field {field}")
        if field == "alphabetical":
            field = "full_name"
        records = self._sorted(collection, records, field, direction == "desc")
        if collection == "subscribed_events" and self.shuffle_events:
            random.Random(len(records)).shuffle(records)
        if collection == "subscribed_events" and self.duplicate_events:
            records = [r for r in records for _twice in (0, 1)]
        per_page = min(int(params.get("per_page") or 20), MAX_PER_PAGE)
        page = max(int(params.get("page") or 1), 1)
        total = len(records)
        chunk = records[(page - 1) * per_page : page * per_page]
        body = self._body(collection, chunk, params, total=total)
        body["meta"] = {
            "count": total,
            "page_count": max(math.ceil(total / per_page), 1),
            "page_number": page,
            "page_size": per_page,
        }
        return _json(200, body)

    def _sorted(self, collection, records, field, reverse):
        """Sorted records; a full, unchanged collection's order is cached (paging a large
        account stays cheap)."""
        full = len(records) == len(self.data[collection])
        key = (collection, field, reverse, len(records), self._version)
        if full and self._sort_cache.get("key") == key:
            return list(self._sort_cache["records"])
        out = sorted(records, key=lambda r: (r.get(field) or "", int(r["id"])), reverse=reverse)
        if full:
            self._sort_cache = {"key": key, "records": out}
        return list(out)

    def _answer(self, collection, records, params, total=None):
        return _json(200, self._body(collection, records, params, total))

    def _body(self, collection, records, params, total=None):
        body = {
            "count": len(records) if total is None else total,
            "results": [{"key": collection, "id": r["id"]} for r in records],
            collection: {},
        }
        for record in records:
            omitted = self._omitted.get((collection, record["id"]))
            body[collection][record["id"]] = (
                {k: v for k, v in record.items() if k not in omitted} if omitted else record
            )
        for name in filter(None, (params.get("include") or "").split(",")):
            if name not in ASSOCIATIONS:
                raise ValueError(f"unknown include {name}")
            fkey, target = ASSOCIATIONS[name]
            bucket = body.setdefault(target, {})
            for record in records:
                ids = record.get(fkey)
                for rid in ids if isinstance(ids, list) else [ids]:
                    if rid and rid in self.data[target]:
                        bucket[rid] = self.data[target][rid]
        return body

    def _create_workspace(self, values, params):
        if not values.get("title"):
            raise ValueError("Please give your project a title")
        if values.get("creator_role") not in ("maven", "buyer"):
            raise ValueError("Please select a role for this project")
        reference = values.pop("external_reference", None)
        values.pop("creator_role")
        record = self.add_workspace(**values)
        if reference:
            self._external_reference(
                {
                    "external_reference": {
                        **reference,
                        "subject_id": record["id"],
                        "subject_type": "Workspace",
                    }
                }
            )
        for callback in self.on_workspace_created:
            callback(self, record)
        return self._answer("workspaces", [record], params)

    def _external_reference(self, body):
        values = body.get("external_reference") or {}
        required = ("service_name", "service_model", "service_model_ref", "subject_id")
        missing = [k for k in (*required, "subject_type") if not values.get(k)]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        collection = SUBJECT_COLLECTION.get(values["subject_type"])
        if not collection:
            raise ValueError(f"unknown subject_type {values['subject_type']}")
        subject = self.data[collection][str(values["subject_id"])]
        with self._lock:
            existing = next(
                (
                    r
                    for r in self.data["external_references"].values()
                    if r["subject_type"] == values["subject_type"]
                    and r["subject_id"] == str(values["subject_id"])
                    and all(r[k] == str(values[k]) for k in required[:3])
                ),
                None,
            )
            stamp = _stamp(self.now())
            clean = {k: (str(v) if k in required else v) for k, v in values.items()}
            if existing:
                existing.update(clean, updated_at=stamp, last_synced_at=stamp)
                record = existing
            else:
                record = {
                    "id": str(next(self._ids["external_references"])),
                    "status": None,
                    "external_link": None,
                    "external_message": None,
                    "external_status": None,
                    "locked": False,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "last_synced_at": stamp,
                    **clean,
                }
                self.data["external_references"][record["id"]] = record
                subject.setdefault("external_reference_ids", []).append(record["id"])
        return self._answer("external_references", [record], {})

    # ------------------------------------------------------------------ helpers for tests
    def references_of(self, collection, rid):
        refs = self.data["external_references"]
        return [refs[x] for x in self.data[collection][str(rid)].get("external_reference_ids", [])]


def _json(status, body):
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status, kind, message):
    return _json(status, {"errors": [{"type": kind, "message": message}]})


def _fault_response(status, retry_after=None):
    response = _fault_body(status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(int(math.ceil(retry_after)))
    return response


def _fault_body(status):
    if status == 429:
        return _error(429, "system", "Too many requests, please retry after a small delay")
    if status == 401:
        return _error(401, "oauth", "Invalid OAuth 2 Request")
    if status == 404:
        return _error(404, "system", "Page Not Found")
    return _error(status, "system", "Service is unavailable")
