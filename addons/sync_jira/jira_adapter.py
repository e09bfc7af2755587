"""Jira Cloud + Tempo adapter (plain Python, no ORM): the PSA contract of ``sync_psa``.

Jira Cloud REST v3 through the ``jira`` package (pycontribs): projects, the enhanced JQL search
(``search/jql``, ``nextPageToken`` paging) for the issues worklogs are logged on and for the
issues labelled as milestones, users, issue properties.  Its resilient session never retries
nor sleeps here (``max_retries=0``): a 429 and its ``Retry-After`` go to the engine
(``raise_for_response``), which blocks the channel and retries the job.  Tempo REST API v4
through ``requests`` (sync_core's ``HttpAdapterMixin``): its Python clients (``tempo-api-python-
client``, ``python-tempo``) are unmaintained and still speak API v3.

Time: one Tempo worklog is two canonical time entries: ``<id>`` its billable seconds (billed)
and ``<id>-nb`` the rest (non-billable); a part of zero seconds is an archived (absent) record,
so a worklog whose split changes reverses the part that went away.  A worklog is approved when
its author's Tempo timesheet period is APPROVED (one approval read per author and period).
Tempo lists no deleted worklogs: a deleted one answers 404 by id (``read_batch``), which the
PSA layer's sweep and re-reads turn into reversals.
"""

import functools
from datetime import date, timedelta

import requests
from jira import JIRA, JIRAError
from jira.client import TokenAuth

from odoo.addons.sync_core.adapter import HttpAdapterMixin, if_found, raise_for_response
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import AuthenticationError, RemoteUnavailableError
from odoo.addons.sync_core.mapping import ordered_after, parse_datetime
from odoo.addons.sync_core.unreadable import UnreadableRecordError, read_each, unreadable_marker
from odoo.addons.sync_psa import psa
from odoo.addons.sync_psa.psa_adapter import PsaAdapter

TEMPO_URL = "https://api.tempo.io/4"
TEMPO_MAX = 5000
JQL_MAX = 100
NON_BILLABLE = "-nb"
# the issue property that carries, per Tempo worklog, the Odoo record and its invoice state
PROPERTY = "odoo-sync.invoicing"
ISSUE_FIELDS = ("summary", "project", "labels", "status", "updated")
# OAuth 2.0 (sync_core/oauth.py's data): Atlassian 3LO, then Jira through the API gateway at
# /ex/jira/{cloud id}; Tempo's app: consent on the Jira site, token at Tempo's API host
GATEWAY = "https://api.atlassian.com"
OAUTH = {
    "atlassian": {
        "label": "Atlassian",
        "authorize_url": "https://auth.atlassian.com/authorize",
        "token_url": "https://auth.atlassian.com/oauth/token",
        "resources_url": f"{GATEWAY}/oauth/token/accessible-resources",
        "body": "json",
        "scopes": ["read:jira-work", "read:jira-user", "write:jira-work", "offline_access"],
        "params": {"audience": "api.atlassian.com", "prompt": "consent"},
    },
    "tempo": {
        "label": "Tempo",
        "authorize_url": "{site}/plugins/servlet/ac/io.tempo.jira/oauth-authorize/",
        "token_url": "https://api.tempo.io/oauth/token/",
        "params": {"access_type": "tenant_user"},
        "fields": {
            "client_id": "tempo_client_id",
            "client_secret": "tempo_client_secret",
            "access_token": "tempo_api_token",
            "refresh_token": "tempo_refresh_token",
            "expires_at": "tempo_token_expires_at",
        },  # fmt: skip
    },
}


class JiraTempoAdapter(HttpAdapterMixin, PsaAdapter):
    """Jira Cloud + Tempo's side of the PSA contract (``psa_adapter.PsaAdapter``)."""

    page_size = TEMPO_MAX
    batch_size = JQL_MAX

    def __init__(self, config):
        super().__init__(config)
        self._client = None
        self._issues, self._people, self._periods, self._approvals = {}, None, {}, {}

    # ------------------------------------------------------------------ transport
    def _jira(self):
        """The ``jira`` client (its serverInfo read once); each response counted and its rate
        limit headers read."""
        if self._client is None:

            def seen(response, *args, **kwargs):
                self.calls += 1
                self._read_rate_limit(response.headers)

            self.calls += 1  # the client reads serverInfo as it starts
            self._client = self._jira_call(self._connect)
            self._client._session.hooks["response"].append(seen)
        return self._client

    def _connect(self):
        """OAuth: a bearer token, Jira through the API gateway; else the API token (Basic)."""
        bearer, config = self.config.get("jira_bearer"), self.config
        auth = {"basic_auth": (config.get("jira_email") or "", config.get("jira_token") or "")}
        return JIRA(
            server=(config.get("jira_server") if bearer else config["base_url"]).rstrip("/"),
            **({"token_auth": bearer} if bearer else auth),
            options={"rest_api_version": "3", "check_update": False},
            max_retries=0,
            timeout=config.get("timeout") or self.timeout,
        )

    def _jira_call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except JIRAError as exc:
            try:
                if exc.response is not None:
                    raise_for_response(exc.response)
            except AuthenticationError as refused:  # an OAuth token refused: refreshed once
                token = self._token_after_refusal(refused, "jira_refresh")
                if token is None:
                    raise
                self.config["jira_bearer"] = token
                if self._client is not None:
                    self._client._session.auth = TokenAuth(token)
                return self._jira_call(method, *args, **kwargs)
            raise RemoteUnavailableError(f"Jira: {exc.text}", pattern="jira error") from exc
        except requests.RequestException as exc:
            raise RemoteUnavailableError(f"Jira unreachable: {exc}", pattern="unreachable") from exc
        except ValueError as exc:  # the jira package's json_loads of a body cut short
            raise RemoteUnavailableError(
                "Jira answered a body that is not JSON", pattern="malformed response"
            ) from exc

    def _jira_json(self, path, **params):
        return self._jira_call(self._jira()._get_json, path, params=params)

    def _tempo(self, path_or_url, **params):
        base = (self.config.get("tempo_url") or TEMPO_URL).rstrip("/")
        url = path_or_url if "://" in path_or_url else f"{base}/{path_or_url}"
        headers = {"Authorization": f"Bearer {self.config.get('tempo_token') or ''}"}
        return self._request("GET", url, params=params or None, headers=headers)

    def _use_access_token(self, token):
        self.config["tempo_token"] = token  # Tempo's OAuth token, refreshed after a 401

    def _tempo_pages(self, path, **params):
        """Tempo's offset pages: follow ``metadata.next`` until there is none."""
        body = self._tempo(path, **params, limit=min(self.page_size, TEMPO_MAX))
        while True:
            yield body.get("results") or []
            following = (body.get("metadata") or {}).get("next")
            if not following:
                return
            body = self._tempo(following)

    def _search(self, jql, fields=ISSUE_FIELDS):
        """The enhanced JQL search, page by page (``nextPageToken``)."""
        token = None
        while True:
            body = self._jira_call(
                self._jira().enhanced_search_issues,
                jql,
                nextPageToken=token,
                maxResults=JQL_MAX,
                fields=list(fields),
                json_result=True,
            )
            yield body.get("issues") or []
            token = body.get("nextPageToken")
            if body.get("isLast", True) or not token:
                return

    # ------------------------------------------------------------------ engine interface
    def test_connection(self):
        """Who the Jira API token is (``myself``), the site, and that the Tempo token opens
        Tempo (its work attributes); a user without a visible e-mail is said."""
        me = self._jira_json("myself")
        site = self._jira_json("serverInfo")
        attributes = self._tempo("work-attributes").get("results") or []
        email = me.get("emailAddress")
        return ConnectionInfo(
            "Jira Cloud + Tempo",
            account_name=site.get("baseUrl"),
            account_label="site",
            user=f"{me.get('displayName')} <{email or 'e-mail hidden'}>",
            details={"Tempo work attributes": len(attributes)},
            warnings=[] if me.get("active", True) else ["the API user is deactivated"],
        )

    def iter_changes(self, object_name, since, after=None, page_size=None):
        if object_name == psa.TIME:
            params = {"orderBy": "UPDATED"}
            if since:
                params["updatedFrom"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
            for raws in self._tempo_pages("worklogs", **params):
                page = ordered_after(self._time_records(raws), after)
                if page:
                    yield page
        elif object_name == psa.MILESTONES:
            jql = f'labels = "{self._label()}"'
            if since:  # JQL dates are in the API user's time zone: a day earlier is safe
                day_before = since - timedelta(days=1)
                jql += f' AND updated >= "{day_before.strftime("%Y-%m-%d %H:%M")}"'
            for issues in self._search(jql + " ORDER BY updated ASC, id ASC"):
                if issues:
                    yield read_each(issues, self._milestone)
        elif object_name == psa.PROJECTS:
            start = 0
            while True:
                body = self._jira_json("project/search", startAt=start, maxResults=50)
                values = body.get("values") or []
                if values:
                    yield read_each(values, self._project)
                if body.get("isLast", True) or not values:
                    return
                start += len(values)
        elif object_name == psa.PEOPLE and self._users():
            yield [self._user_record(u) for u in self._users().values()]

    def read_batch(self, object_name, ids):
        ids = [str(i) for i in ids]
        if object_name == psa.TIME:
            wids = dict.fromkeys(i.removesuffix(NON_BILLABLE) for i in ids)
            raws = [if_found(self._tempo, f"worklogs/{wid}") for wid in wids]
            return [r for r in self._time_records(filter(None, raws)) if r["id"] in ids]
        if object_name == psa.MILESTONES:
            return self._issues_by_id(ids, self._milestone)
        if object_name == psa.PROJECTS:
            projects = [if_found(self._jira_json, f"project/{pid}") for pid in ids]
            return read_each(list(filter(None, projects)), self._project)
        return []

    def iter_approvals(self, object_name, date_from, date_to, page_size=None):
        """Every worklog performed between two dates, approved or not as its author's period
        is now (approving a period stamps no worklog)."""
        if object_name != psa.TIME:
            return
        params = {"from": str(date_from), "to": str(date_to), "orderBy": "UPDATED"}
        for raws in self._tempo_pages("worklogs", **params):
            page = self._time_records(raws)
            if page:
                yield page

    def iter_approved_time(self, date_from, date_to, page_size=None):
        pages = self.iter_approvals(psa.TIME, date_from, date_to, page_size)
        return filter(None, ([r for r in page if psa.is_live(r)] for page in pages))

    def iter_expenses_between(self, date_from, date_to, page_size=None):
        return iter(())  # Tempo has no expenses

    def cost_rates(self):
        return {}  # Tempo's cost rates belong to its Financial Manager add-on

    # ------------------------------------------------------------------ write-back
    def write_reference(self, object_name, external_id, model, ref, message=None, status=None):
        """The Odoo record and invoice state of a worklog, in one entity property of its Jira
        issue (``odoo-sync.invoicing``: {worklog id: {model, ref, status, message}}): Tempo
        locks the worklogs of an approved period, and a work attribute would be an edit of
        them (a new updatedAt each time); an issue property is documented, visible to
        delivery in Jira (and to JQL when indexed), and touches no worklog."""
        worklog_id = str(external_id).removesuffix(NON_BILLABLE)
        worklog = if_found(self._tempo, f"worklogs/{worklog_id}")
        if not worklog:
            return None  # deleted in Tempo (kept in Odoo once invoiced): nothing to mark
        issue_id = str((worklog.get("issue") or {}).get("id"))
        jira = self._jira()
        current = if_found(self._jira_json, f"issue/{issue_id}/properties/{PROPERTY}") or {}
        value = current.get("value") if isinstance(current.get("value"), dict) else {}
        value[str(external_id)] = {"model": model, "ref": ref, "status": status,
                                   "message": message}  # fmt: skip
        response = self._jira_call(jira.add_issue_property, issue_id, PROPERTY, value)
        raise_for_response(response)
        return f"{issue_id}:{PROPERTY}"

    def find_by_reference(self, object_name, model, ref):
        return None  # nothing is created in Jira or Tempo

    # ------------------------------------------------------------------ translation
    def _label(self):
        return self.config.get("milestone_label") or "milestone"

    def _users(self):
        """{accountId: Jira user}, read once per adapter (e-mails only where visible)."""
        if self._people is None:
            self._people, start = {}, 0
            while True:
                users = self._jira_json("users/search", startAt=start, maxResults=200)
                for user in users or []:
                    if user.get("accountType", "atlassian") == "atlassian":
                        self._people[user["accountId"]] = user
                if len(users or []) < 200:
                    return self._people
                start += len(users)
        return self._people

    def _user_record(self, user):
        return {"id": user["accountId"], "updated_at": None, "archived": False,
                "data": self._person(user["accountId"], user) | {
                    "disabled": not user.get("active", True)}}  # fmt: skip

    def _person(self, account_id, user=None):
        user = user or self._users().get(account_id) or {}
        return psa.person(account_id, user.get("emailAddress"), user.get("displayName"))

    def _issues_by_id(self, ids, translate):
        out = []
        for start in range(0, len(ids), JQL_MAX):
            chunk = ",".join(ids[start : start + JQL_MAX])
            for issues in self._search(f"id in ({chunk})"):
                out.extend(read_each(issues, translate))
        return out

    def _issue(self, issue_id):
        """The Jira issue of a worklog (read in batches by ``_time_records``)."""
        return self._issues.get(str(issue_id)) or {}

    def _load_issues(self, raws):
        wanted = sorted({str((w.get("issue") or {}).get("id")) for w in raws} - set(self._issues))
        issues = self._issues_by_id([i for i in wanted if i.isdigit()], lambda issue: issue)
        self._issues.update({str(i["id"]): i for i in issues})

    def _approved(self, account_id, day):
        """Whether the author's timesheet period holding `day` is APPROVED in Tempo: the
        periods are read once per range, each (author, period) approval once."""
        period = next((p for p in self._periods.values() if p["from"] <= day <= p["to"]), None)
        if period is None:
            body = self._tempo("periods", **{"from": day, "to": day})
            for found in body.get("periods") or []:
                self._periods[found["from"]] = found
            period = next((p for p in self._periods.values() if p["from"] <= day <= p["to"]), {})
        key = (account_id, period.get("from", day))
        if key not in self._approvals:
            path = f"timesheet-approvals/user/{account_id}"
            body = self._tempo(path, **{"from": key[1], "to": period.get("to", day)})
            self._approvals[key] = (body.get("status") or {}).get("key") == "APPROVED"
        return self._approvals[key]

    def _time_records(self, raws):
        """Worklogs -> canonical time entries (billable part, non-billable part)."""
        raws = [w for w in raws if isinstance(w, dict)]
        self._load_issues(raws)
        out = []
        for raw in raws:
            try:
                out.extend(self._worklog_parts(raw))
            except (KeyError, TypeError, ValueError) as exc:
                out.append(unreadable_marker(raw, exc))
        return out

    def _worklog_parts(self, raw):
        wid = str(raw["tempoWorklogId"])
        author = str(raw["author"]["accountId"])
        day = date.fromisoformat(raw["startDate"]).isoformat()
        spent = int(raw.get("timeSpentSeconds") or 0)
        billable = min(int(raw.get("billableSeconds") or 0), spent)
        issue = self._issue(raw["issue"]["id"])
        fields = issue.get("fields") or {}
        common = {
            "approved": self._approved(author, day),
            "project_ref": str((fields.get("project") or {}).get("id") or ""),
            "task_ref": str(issue.get("id") or ""),
            "task_name": f"{issue.get('key', '')} {fields.get('summary') or ''}".strip(),
            "person": self._person(author),
            "date": day,
            "description": raw.get("description") or "",
            "bill_rate_cents": None,
            "cost_rate_cents": None,
            "currency": "",
            "remote_invoiced": False,
        }
        stamp = parse_datetime(raw.get("updatedAt")) or None
        parts = ((wid, billable, True), (wid + NON_BILLABLE, spent - billable, False))
        return [
            {"id": pid, "updated_at": stamp, "archived": seconds <= 0,
             "data": {**common, "minutes": round(seconds / 60), "billable": paid}}
            for pid, seconds, paid in parts
        ]  # fmt: skip

    def _project(self, raw):
        if not isinstance(raw, dict) or not raw.get("id"):
            raise UnreadableRecordError(f"Jira sent a project without an id: {str(raw)[:200]}")
        links = self._tempo(f"account-links/project/{raw['id']}").get("results") or []
        link = next((lk for lk in links if lk.get("default")), links[0] if links else {})
        account = self._accounts.get((link.get("account") or {}).get("key"), {})
        return {
            "id": str(raw["id"]),
            "updated_at": None,
            "archived": bool(raw.get("archived")),
            "data": {
                "name": raw.get("name") or raw.get("key") or "",
                "key": raw.get("key") or "",
                "client": (account.get("customer") or {}).get("name") or "",
                "odoo_refs": [],
                "status": "archived" if raw.get("archived") else "",
                "budget_cents": None,
                "budget_used_cents": None,
                "currency": "",
                "archived": bool(raw.get("archived")),
            },
        }

    @functools.cached_property
    def _accounts(self):
        return {a.get("key"): a for a in self._tempo("accounts").get("results", [])}

    def _milestone(self, issue):
        fields = issue.get("fields") or {}
        status = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
        return {
            "id": str(issue["id"]),
            "updated_at": parse_datetime(fields.get("updated")) or None,
            "archived": False,
            "data": {
                "name": fields.get("summary") or issue.get("key") or "",
                "project_ref": str((fields.get("project") or {}).get("id") or ""),
                "milestone": self._label() in (fields.get("labels") or []),
                "completed": status == "done",
            },
        }
