"""In-memory Jira Cloud (REST v3) and Tempo (REST API v4) on one port, for tests and the sandbox
demo.  Pure WSGI on werkzeug; no Odoo import.

Wire facts reproduced (developer.atlassian.com/cloud/jira/platform/rest/v3, apidocs.tempo.io):

Jira Cloud, under ``/rest/api/3`` (Basic auth: ``email:api_token``):
- ``GET serverInfo`` (``deploymentType: "Cloud"``), ``GET myself``;
- ``GET project/search?startAt&maxResults`` -> ``{"values", "startAt", "maxResults", "total",
  "isLast"}``; ``GET project/{idOrKey}``;
- ``GET|POST search/jql`` (the enhanced search): ``jql``, ``fields``, ``maxResults`` (max
  5000 with few fields), ``nextPageToken`` -> ``{"issues": [{"id", "key", "fields"}],
  "nextPageToken"?, "isLast"}``; the fake understands ``id in (..)``, ``labels = x``,
  ``project = KEY`` and ``updated >= "yyyy-MM-dd HH:mm"`` joined by AND;
- ``GET users/search?startAt&maxResults`` -> a list of users: ``accountId``, ``displayName``,
  ``active``, and ``emailAddress`` only when the user's profile visibility shows it;
- ``GET|PUT issue/{idOrKey}/properties/{key}`` (entity properties, any JSON value);
- errors ``{"errorMessages": [..], "errors": {}}``; 429 with ``Retry-After`` (seconds).

Tempo, under ``/4`` (``Authorization: Bearer <tempo token>``):
- ``GET worklogs?from&to&updatedFrom&offset&limit&orderBy=UPDATED`` -> ``{"self", "metadata":
  {"count", "offset", "limit", "next"?}, "results": [worklog]}``; a worklog: ``tempoWorklogId``,
  ``issue: {"id"}``, ``timeSpentSeconds``, ``billableSeconds``, ``startDate``, ``description``,
  ``author: {"accountId"}``, ``attributes: {"values": [{"key", "value"}]}``, ``createdAt``,
  ``updatedAt``; ``GET worklogs/{id}`` (404 once deleted);
- ``GET periods?from&to`` -> ``{"periods": [{"from", "to"}]}`` (weeks, Monday to Sunday);
- ``GET timesheet-approvals/user/{accountId}?from&to`` -> the period's approval: ``status:
  {"key": OPEN|IN_REVIEW|APPROVED, "updatedAt"}``, ``period``, ``user``, ``timeSpentSeconds``;
- ``GET accounts`` (with ``customer``), ``GET account-links/project/{projectId}``,
  ``GET work-attributes``; errors ``{"errors": [{"message"}]}``.
Tempo documents no list of deleted worklogs: a deleted one answers 404 by id.

OAuth 2.0, both vendors' authorization code grants on the same port (``add_oauth_client``):
- Atlassian 3LO: ``GET /authorize?client_id&redirect_uri&state&scope&audience&prompt
  &response_type=code`` consents at once (a 302 to ``redirect_uri?code&state``); ``POST
  /oauth/token`` (JSON or form) with ``grant_type`` ``authorization_code`` (``code``,
  ``redirect_uri``, PKCE ``code_verifier`` when a challenge came) or ``refresh_token``:
  ``{"access_token", "refresh_token", "expires_in", "token_type", "scope"}``, the refresh
  token rotating (the old one refused afterwards);
  ``GET /oauth/token/accessible-resources`` -> ``[{"id", "url", "name", "scopes"}]``;
  Jira then under ``/ex/jira/{cloudid}/rest/api/3`` with the bearer;
- Tempo: ``GET /plugins/servlet/ac/io.tempo.jira/oauth-authorize/?client_id&redirect_uri``
  (on the Jira site) consents the same way; ``POST /oauth/token/`` (form) the same grants;
  its bearer opens ``/4`` as an API token does.
A refused client or grant answers ``{"error", "error_description"}`` (401, 400); an expired
access token (``expire_tokens``) answers 401.

Seed with ``add_user``, ``add_project``, ``add_issue``, ``add_account``, ``log``; change with
``approve``/``reopen``, ``update_worklog``, ``delete_worklog``; faults through sync_core's
`FaultInjector` (``status_next(1, None, "/4/", 429, retry_after=2)``); ``calls`` lists requests.
"""

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector
from odoo.addons.sync_core.fake.serving import ServedFake

TEMPO_MAX = 5000
JIRA_MAX = 100
STATUSES = ("OPEN", "IN_REVIEW", "APPROVED")
_CLAUSE_IN = re.compile(r"^(id|key)\s+in\s*\((.*)\)$", re.I)
_CLAUSE_EQ = re.compile(r"^(labels|project|issuetype)\s*=\s*\"?([^\"]*)\"?$", re.I)
_CLAUSE_UPDATED = re.compile(r"^updated\s*>=\s*\"([^\"]+)\"$", re.I)
TEMPO_AUTHORIZE = "/plugins/servlet/ac/io.tempo.jira/oauth-authorize/"
CLOUD_ID = "1324a887-45db-1bf4-1e99-ef0ff456d421"


def _stamp(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def monday(day):
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return day - timedelta(days=day.weekday())


class JiraTempoFake(FaultInjector, ServedFake):
    thread_name = "jira-tempo-fake"

    def __init__(self, email="bot@example.com", api_token="jira-token", tempo_token="tempo-token"):
        self.email, self.api_token, self.tempo_token = email, api_token, tempo_token
        self._lock = threading.RLock()
        self._seq = itertools.count(10001)
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.users, self.projects, self.issues = {}, {}, {}
        self.accounts, self.links, self.worklogs = {}, {}, {}
        self._indexed = None  # see `_index`
        self.approvals = {}  # (accountId, period monday) -> status
        self.properties = {}  # (issue id, key) -> value
        self.calls = []
        # OAuth: client id -> (secret, "atlassian"|"tempo"); code -> grant; token -> (vendor,
        # expiry) ; refresh token -> (vendor, client id)
        self.clients, self.codes, self.access, self.refresh = {}, {}, {}, {}
        self.token_ttl = 3600
        self.cloud_id = CLOUD_ID

    # ------------------------------------------------------------------ seeding
    def tick(self, **delta):
        self.clock += timedelta(**(delta or {"seconds": 1}))
        return self.clock

    def add_user(self, name, email=None, visible=True):
        account_id = f"5b10ac8d82e05b22cc7d{next(self._seq)}"
        self.users[account_id] = {
            "accountId": account_id,
            "accountType": "atlassian",
            "displayName": name,
            "active": True,
            "_email": email,
            "_visible": visible,
        }
        return account_id

    def add_project(self, key, name, account=None):
        pid = str(next(self._seq))
        self.projects[pid] = {"id": pid, "key": key, "name": name, "archived": False}
        if account:
            self.links[pid] = account
        return pid

    def add_issue(self, project_id, summary, labels=(), done=False):
        iid = str(next(self._seq))
        key = f"{self.projects[project_id]['key']}-{len(self.issues) + 1}"
        self.issues[iid] = {
            "id": iid,
            "key": key,
            "project": project_id,
            "summary": summary,
            "labels": list(labels),
            "done": done,
            "updated": self.tick(),
        }
        return iid

    def add_account(self, key, name, customer):
        aid = next(self._seq)
        self.accounts[key] = {
            "id": aid,
            "key": key,
            "name": name,
            "status": "OPEN",
            "global": False,
            "customer": {"id": aid + 1, "key": customer.upper()[:10], "name": customer},
        }
        return key

    def log(self, issue_id, author, seconds, day, billable=None, description=""):
        wid = next(self._seq)
        now = self.tick()
        self._indexed = None
        self.worklogs[wid] = {
            "tempoWorklogId": wid,
            "issue": {"id": int(issue_id)},
            "timeSpentSeconds": seconds,
            "billableSeconds": seconds if billable is None else billable,
            "startDate": str(day),
            "startTime": "09:00:00",
            "description": description,
            "author": {"accountId": author},
            "attributes": {"values": []},
            "createdAt": _stamp(now),
            "updatedAt": _stamp(now),
        }
        return wid

    def update_worklog(self, wid, **values):
        self._indexed = None
        self.worklogs[wid].update(values, updatedAt=_stamp(self.tick()))

    def delete_worklog(self, wid):
        self._indexed = None
        del self.worklogs[wid]

    def _index(self):
        """(the worklogs in (updatedAt, id) order, seconds per (author, period)), built again
        after a change only: a month-end read is hundreds of requests over tens of thousands
        of worklogs, and the fake serves them in the Odoo process of a bench."""
        if self._indexed is None:
            rows = sorted(
                self.worklogs.values(), key=lambda w: (w["updatedAt"], w["tempoWorklogId"])
            )
            spent = {}
            for w in rows:
                key = (w["author"]["accountId"], monday(w["startDate"]))
                spent[key] = spent.get(key, 0) + w["timeSpentSeconds"]
            self._indexed = (rows, spent)
        return self._indexed

    def set_status(self, account_id, day, status):
        assert status in STATUSES
        self.approvals[(account_id, monday(day))] = (status, _stamp(self.tick()))

    def approve(self, account_id, day):
        self.set_status(account_id, day, "APPROVED")

    def reopen(self, account_id, day):
        self.set_status(account_id, day, "OPEN")

    def add_oauth_client(self, vendor, client_id, secret):
        self.clients[client_id] = (secret, vendor)

    def expire_tokens(self):
        """Every access token issued so far expires now (the next call with one: 401)."""
        for token, (vendor, _expiry) in list(self.access.items()):
            self.access[token] = (vendor, datetime.now(UTC) - timedelta(seconds=1))

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        return self._serve_faulted(
            environ, start_response, Request(environ), self._locked_dispatch, self._fault_response
        )

    def _locked_dispatch(self, request):
        with self._lock:
            return self._dispatch(request)

    def _fault_response(self, fault, request):
        response = self._error(request.path, fault.status, "Rate limit exceeded")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(int(fault.retry_after))
        return response

    def _error(self, path, status, message):
        if path.startswith("/4/"):
            return _json(status, {"errors": [{"message": message}]})
        return _json(status, {"errorMessages": [message], "errors": {}})

    def _dispatch(self, request):
        path = request.path
        self.calls.append((request.method, path, request.args.to_dict()))
        auth = request.headers.get("Authorization", "")
        bearer = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if path in ("/authorize", TEMPO_AUTHORIZE):
            return self._authorize(request, "tempo" if path == TEMPO_AUTHORIZE else "atlassian")
        if path.rstrip("/") == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if path == "/oauth/token/accessible-resources":
            if not self._valid(bearer, "atlassian"):
                return self._error(path, 401, "Unauthorized")
            site = {"id": self.cloud_id, "url": self.base_url, "name": "fake-site",
                    "scopes": ["read:jira-work"], "avatarUrl": ""}  # fmt: skip
            return _json(200, [site])
        start = 2
        if path.startswith("/4/"):
            if bearer != self.tempo_token and not self._valid(bearer, "tempo"):
                return self._error(path, 401, "Access token is invalid")
            route = self._tempo
        elif path.startswith(f"/ex/jira/{self.cloud_id}/rest/api/3/"):
            if not self._valid(bearer, "atlassian"):
                return self._error(path, 401, "Unauthorized; scope does not match")
            route, start = self._jira, 7
        elif path.startswith("/rest/api/3/"):
            basic = base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
            if auth != f"Basic {basic}":
                return self._error(path, 401, "Client must be authenticated")
            route, start = self._jira, 4
        else:
            return self._error(path, 404, f"No route {path}")
        try:
            return route(request, path.split("/")[start:])
        except KeyError as exc:
            return self._error(path, 404, f"Not found: {exc}")

    # ------------------------------------------------------------------ OAuth
    def _valid(self, token, vendor):
        found = self.access.get(token or "")
        return bool(found) and found[0] == vendor and found[1] > datetime.now(UTC)

    def _authorize(self, request, vendor):
        """The consent screen, approved at once: back to ``redirect_uri`` with a code."""
        args = request.args
        if self.clients.get(args.get("client_id"), (None, None))[1] != vendor:
            return _json(400, {"error": "invalid_client", "error_description": "Unknown app"})
        code = secrets.token_urlsafe(16)
        self.codes[code] = dict(args.to_dict(), vendor=vendor)
        query = urlencode({"code": code, **({"state": args["state"]} if "state" in args else {})})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def _token(self, request):
        body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        body = body or {}
        secret, vendor = self.clients.get(body.get("client_id"), (None, None))
        if not secret or body.get("client_secret") != secret:
            return _json(401, {"error": "access_denied", "error_description": "Unauthorized"})
        grant = body.get("grant_type")
        if grant == "authorization_code":
            found = self.codes.pop(body.get("code"), None)
            if (
                not found
                or found["client_id"] != body["client_id"]
                or (found.get("redirect_uri") != body.get("redirect_uri"))
            ):
                return _json(400, {"error": "invalid_grant", "error_description": "Invalid code"})
            verifier = (body.get("code_verifier") or "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if found.get("code_challenge") and found["code_challenge"] != challenge.decode():
                return _json(400, {"error": "invalid_grant", "error_description": "PKCE failed"})
        elif grant == "refresh_token":
            if self.refresh.pop(body.get("refresh_token"), None) != (vendor, body["client_id"]):
                return _json(
                    403,
                    {
                        "error": "unauthorized_client",
                        "error_description": "refresh_token is invalid",
                    },
                )
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = (vendor, datetime.now(UTC) + timedelta(seconds=self.token_ttl))
        self.refresh[refresh] = (vendor, body["client_id"])
        return _json(200, {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                           "expires_in": self.token_ttl, "scope": "offline_access"})  # fmt: skip

    # ------------------------------------------------------------------ Jira
    def _jira(self, request, parts):
        head = parts[0]
        if head == "serverInfo":
            return _json(200, {"baseUrl": self.base_url, "deploymentType": "Cloud",
                               "version": "1001.0.0", "versionNumbers": [1001, 0, 0]})  # fmt: skip
        if head == "myself":
            return _json(200, self._user({**self._bot(), "_visible": True}))
        if head == "field":
            return _json(200, [])
        if parts[:2] == ["project", "search"]:
            values = sorted(self.projects.values(), key=lambda p: int(p["id"]))
            return _json(200, self._offset_page(request, values, "values"))
        if head == "project":
            return _json(200, self._project(parts[1]))
        if parts[:2] == ["search", "jql"]:
            args = request.get_json(silent=True) if request.method == "POST" else None
            return _json(200, self._search(args or request.args))
        if parts[:2] == ["users", "search"]:
            users = [self._user(u) for u in self.users.values()]
            start = int(request.args.get("startAt", 0))
            return _json(200, users[start : start + int(request.args.get("maxResults", 50))])
        if head == "issue" and len(parts) == 4 and parts[2] == "properties":
            issue = self._issue_by(parts[1])
            key = (issue["id"], parts[3])
            if request.method == "PUT":
                created = key not in self.properties
                self.properties[key] = request.get_json(force=True)
                return Response(status=201 if created else 200)
            return _json(200, {"key": parts[3], "value": self.properties[key]})
        return self._error(request.path, 404, "No such Jira resource")

    def _bot(self):
        return {"accountId": "bot", "displayName": "Odoo sync", "active": True,
                "accountType": "atlassian", "_email": self.email}  # fmt: skip

    def _user(self, user):
        out = {k: v for k, v in user.items() if not k.startswith("_")}
        if user.get("_visible") and user.get("_email"):
            out["emailAddress"] = user["_email"]
        return out

    def _project(self, id_or_key):
        for project in self.projects.values():
            if id_or_key in (project["id"], project["key"]):
                return {**project, "self": f"{self.base_url}/rest/api/3/project/{project['id']}"}
        raise KeyError(id_or_key)

    def _issue_by(self, id_or_key):
        for issue in self.issues.values():
            if id_or_key in (issue["id"], issue["key"]):
                return issue
        raise KeyError(id_or_key)

    def _offset_page(self, request, values, key):
        start = int(request.args.get("startAt", 0))
        size = min(int(request.args.get("maxResults", 50)), JIRA_MAX)
        page = values[start : start + size]
        return {key: page, "startAt": start, "maxResults": size, "total": len(values),
                "isLast": start + size >= len(values)}  # fmt: skip

    def _search(self, args):
        matches = [i for i in self.issues.values() if _jql_matches(args.get("jql") or "", i, self)]
        matches.sort(key=lambda i: (i["updated"], int(i["id"])))
        start = int(args.get("nextPageToken") or 0)
        size = min(int(args.get("maxResults") or 50), 5000)
        page = matches[start : start + size]
        body = {"issues": [self._issue_json(i) for i in page],
                "isLast": start + size >= len(matches)}  # fmt: skip
        if not body["isLast"]:
            body["nextPageToken"] = str(start + size)
        return body

    def _issue_json(self, issue):
        project = self.projects[issue["project"]]
        category = "done" if issue["done"] else "indeterminate"
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": f"{self.base_url}/rest/api/3/issue/{issue['id']}",
            "fields": {
                "summary": issue["summary"],
                "labels": issue["labels"],
                "updated": issue["updated"].strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                "project": {"id": project["id"], "key": project["key"], "name": project["name"]},
                "status": {"name": category.title(), "statusCategory": {"key": category}},
            },
        }

    # ------------------------------------------------------------------ Tempo
    def _tempo(self, request, parts):
        head, args = parts[0], request.args
        if head == "worklogs" and len(parts) == 2:
            return _json(200, self._worklog(self.worklogs[int(parts[1])]))
        if head == "worklogs":
            return _json(200, self._worklog_page(request))
        if head == "periods":
            start, end = monday(args["from"]), date.fromisoformat(args["to"])
            periods = []
            while start <= end:
                periods.append({"from": str(start), "to": str(start + timedelta(days=6))})
                start += timedelta(days=7)
            return _json(200, {"periods": periods})
        if head == "timesheet-approvals" and parts[1] == "user":
            return _json(200, self._approval(parts[2], args["from"]))
        if head == "accounts":
            values = list(self.accounts.values())
            return _json(200, {"metadata": {"count": len(values)}, "results": values})
        if head == "account-links" and parts[1] == "project":
            key = self.links.get(parts[2])
            results = []
            if key:
                account = self.accounts[key]
                results.append({"id": account["id"], "default": True,
                                "scope": {"id": int(parts[2]), "type": "PROJECT"},
                                "account": {"id": account["id"], "key": key}})  # fmt: skip
            return _json(200, {"metadata": {"count": len(results)}, "results": results})
        if head == "work-attributes":
            values = [{"key": "_Account_", "name": "Account", "type": "ACCOUNT"}]
            return _json(200, {"metadata": {"count": 1}, "results": values})
        return self._error(request.path, 404, "No such Tempo resource")

    def _worklog(self, worklog):
        return {**worklog, "self": f"{self.base_url}/4/worklogs/{worklog['tempoWorklogId']}"}

    def _worklog_page(self, request):
        args = request.args
        rows = self._index()[0]
        if args.get("updatedFrom"):
            since = args["updatedFrom"].replace("Z", "")
            rows = [w for w in rows if w["updatedAt"].replace("Z", "") >= since]
        if args.get("from"):
            rows = [w for w in rows if args["from"] <= w["startDate"] <= args["to"]]
        offset = int(args.get("offset", 0))
        limit = min(int(args.get("limit", 50)), TEMPO_MAX)
        page = rows[offset : offset + limit]
        meta = {"count": len(page), "offset": offset, "limit": limit}
        if offset + limit < len(rows):
            query = {**args.to_dict(), "offset": offset + limit, "limit": limit}
            meta["next"] = f"{self.base_url}/4/worklogs?{urlencode(query)}"
        return {"self": request.url, "metadata": meta,
                "results": [self._worklog(w) for w in page]}  # fmt: skip

    def _approval(self, account_id, day):
        start = monday(day)
        status, updated = self.approvals.get((account_id, start), ("OPEN", None))
        spent = self._index()[1].get((account_id, start), 0)
        return {
            "self": f"{self.base_url}/4/timesheet-approvals/user/{account_id}?from={start}",
            "period": {"from": str(start), "to": str(start + timedelta(days=6))},
            "timeSpentSeconds": spent,
            "status": {"key": status, "updatedAt": updated},
            "user": {"accountId": account_id},
        }


def _jql_matches(jql, issue, fake):
    jql = re.split(r"\s+order\s+by\s+", jql, flags=re.I)[0].strip()
    for clause in filter(None, (c.strip() for c in re.split(r"\s+AND\s+", jql, flags=re.I))):
        if m := _CLAUSE_IN.match(clause):
            wanted = {v.strip().strip('"') for v in m.group(2).split(",")}
            if issue["id" if m.group(1).lower() == "id" else "key"] not in wanted:
                return False
        elif m := _CLAUSE_EQ.match(clause):
            field, value = m.group(1).lower(), m.group(2)
            project = fake.projects[issue["project"]]
            if field == "labels" and value not in issue["labels"]:
                return False
            if field == "project" and value not in (project["key"], project["id"]):
                return False
        elif m := _CLAUSE_UPDATED.match(clause):
            since = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            if issue["updated"] < since:
                return False
        else:
            raise KeyError(f"JQL clause the fake does not understand: {clause}")
    return True


def _json(status, body):
    return Response(json.dumps(body), status=status, content_type="application/json")
