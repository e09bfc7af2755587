"""Kantata OX (formerly Mavenlink) API v1 adapter: plain Python, no ORM.

A ``requests.Session`` with a timeout on every call and a urllib3 ``Retry`` mounted for
idempotent reads of a briefly unavailable server (502/503/504 after 0.3 and 0.6 s, connection
errors; a Retry-After is never slept inline); 401/404/429 and the rest are classified by
sync_core (``raise_for_response``), so a 429 backs off through the job's retry pattern and
blocks the channel.  Authentication: ``Authorization: Bearer``; with the client credentials
grant, a token Kantata refuses with a 401 is fetched again once (sync_core's OAuth refresh).

Kantata answers every GET as ``{"count", "results": [{"key", "id"}], "<key>": {id: record},
<included>: {...}, "meta": {...}}``: records are read by walking ``results`` in order and
looking each up in its top-level map (never by iterating the maps, which mix in included
associations).  The adapter translates Kantata records to the PSA layer's canonical shapes
(see ``psa.py``): this file is the only place that knows Kantata's field names.
"""

from datetime import date, timedelta

from odoo.addons.sync_core.adapter import GET_RETRY, HttpAdapterMixin, if_found, numbered_pages
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_core.mapping import parse_datetime, parse_datetime_or_none
from odoo.addons.sync_core.unreadable import UnreadableRecordError, read_each
from odoo.addons.sync_psa import psa
from odoo.addons.sync_psa.psa_adapter import PsaAdapter

MAX_PER_PAGE = 200
# canonical object (``psa.py``) -> (Kantata collection, include=, prefix of its subscribed event
# types: Kantata documents time_entry, expense, workspace, story :created|updated|deleted)
OBJECTS = {
    # workspace_id, user_id, story_id ... are returned with their association only
    "time_entries": ("time_entries", "user,story,workspace", "time_entry"),
    "expenses": ("expenses", "user,recent_submission,workspace", "expense"),
    "projects": ("workspaces", "external_references,workspace_groups", "workspace"),
    "users": ("users", "", None),
    "milestones": ("stories", "", "story"),
}
# canonical workspace field -> Kantata field, for writes
OUT_FIELDS = {"name": "title"}
# Keys a mapping line may use beyond the translation of Kantata's documented attributes: the
# client company the PSA layer binds, the Odoo reference written on create.
EXTRA_FIELDS = {"projects": {"customer_id": "client company", "_odoo_ref": "Odoo reference"}}
# an event's subject type (its prefix in CamelCase: TimeEntry) is the fallback for an event
# without a usable event_type, and names the record an external reference marks
EVENT_PREFIXES = {prefix: obj for obj, (_c, _i, prefix) in OBJECTS.items() if prefix}
SUBJECTS = {p.title().replace("_", ""): obj for p, obj in EVENT_PREFIXES.items()}
EVENT_VERBS = ("created", "updated", "deleted")
# Time entries and expenses are approved through submissions (a timesheet submission, an
# expense report submission): the submission's documented events name it, its records are
# looked up and read again (an approval need not stamp the records themselves).
# event prefix -> the object, the submission collection, its records' include= and ids field,
# the documented event verbs, and extra list filters
SUBMISSIONS = {
    "timesheet": {
        "object": "time_entries",
        "collection": "timesheet_submissions",
        "include": "time_entries",
        "ids_field": "time_entry_ids",
        "verbs": ("created", "updated", "time_entry_added"),
        "filters": {},
    },
    "expense_report": {
        "object": "expenses",
        "collection": "expense_report_submissions",
        "include": "expenses",
        "ids_field": "expense_ids",
        "verbs": ("created", "updated", "expense_added"),
        "filters": {"all_on_account": "true"},
    },
}
# the approval sweep's list of an object between two dates: its date filter, other filters
# (time entries' documented sorts: created_at, date_performed, updated_at)
SWEEPS = {
    "time_entries": ("date_performed_between", {"approved": "true", "order": "created_at:asc"}),
    "expenses": ("date_expensed_between", {}),
}
SERVICE_NAME = "Odoo"
STAMP = "%Y-%m-%dT%H:%M:%SZ"


class KantataAdapter(HttpAdapterMixin, PsaAdapter):
    """Kantata OX's side of the PSA contract (``psa_adapter.PsaAdapter``)."""

    page_size = MAX_PER_PAGE
    batch_size = MAX_PER_PAGE
    retry = GET_RETRY
    default_base_url = "https://api.mavenlink.com/api/v1"

    def _session_headers(self):
        token = self.config.get("access_token") or ""
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _get(self, path, **params):
        return self._call("GET", path, params=params)

    def _write(self, method, path, key, values):
        """Send one record (``{key: values}``); the id of the record Kantata answers."""
        return self.results(self._call(method, path, json={key: values}))[0]["id"]

    # ------------------------------------------------------------------ response format
    @staticmethod
    def results(body):
        """The canonical records of an answer, in order: walk ``results``, look each one up in
        its top-level map."""
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise PayloadError(f"Kantata answer without a results list: {str(body)[:200]}")
        out = []
        for ref in body["results"]:
            if not isinstance(ref, dict):
                raise PayloadError(f"Kantata result {str(ref)[:100]} is not a key and an id")
            records = body.get(str(ref.get("key")))
            record = records.get(str(ref.get("id"))) if isinstance(records, dict) else None
            if record is None:
                raise PayloadError(f"Kantata result {ref} is missing from its map")
            out.append(record)
        return out

    def _pages(self, path, params, page_size=None):
        """Yield (records, body) page by page (page/per_page, at most 200 a page)."""
        per_page = min(page_size or self.page_size, MAX_PER_PAGE)

        def read_page(page):
            body = self._get(path, **params, page=page, per_page=per_page)
            records = self.results(body)
            return records, (body.get("meta") or {}).get("page_count"), (records, body)

        return numbered_pages(read_page, per_page)

    def _read(self, object_name, params, page_size=None):
        """Pages of canonical records of a filtered list of `object_name` (with its include=)."""
        collection, include, _prefix = OBJECTS[object_name]
        if include:
            params = {**params, "include": include}
        for records, body in self._pages(f"{collection}.json", params, page_size):
            if records:
                yield read_each(records, lambda r, b=body: self._record(object_name, r, b))

    # ------------------------------------------------------------------ engine interface
    def test_connection(self):
        """Who the token is (``GET /users/me``, with its account membership): name, email,
        the account id when Kantata gives one, and the access level.  Kantata documents no
        account name (neither the user nor the account membership carries one, and there is
        no account endpoint), so none is shown.  Subscribed events are for account
        administrators only: another access level is said."""
        body = self._get("users/me.json", include="account_membership")
        me = self.results(body)
        if not me:
            raise PayloadError("Kantata did not say who we are")
        user = me[0]
        memberships = body.get("account_memberships") or {}
        membership = memberships.get(str(user.get("account_membership_id"))) or {}
        permission = membership.get("permission") or (
            "administrator" if membership.get("is_administrator") else ""
        )
        warnings = []
        if membership and not (membership.get("is_administrator") or permission == "administrator"):
            warnings.append("not an account administrator: the change feed is not readable")
        return ConnectionInfo(
            "Kantata",
            account_id=user.get("account_id") or membership.get("account_id"),
            user=f"{user.get('full_name')} <{user.get('email_address')}>",
            details={"access": permission},
            warnings=warnings,
        )

    def iter_changes(self, object_name, since, after=None, page_size=None):
        if object_name == psa.PEOPLE:
            # users sort alphabetically only and carry no updated_at: all of them are read;
            # without on_my_account, /users lists only people who share a project with us
            return self._read(object_name, {"on_my_account": "true"}, page_size)
        params = {"order": "updated_at:asc"}
        if since:
            params["updated_after"] = since.strftime(STAMP)
        return self._read(object_name, params, page_size)

    def iter_approvals(self, object_name, date_from, date_to, page_size=None):
        """The approval sweep's reading of one object between two dates (``SWEEPS``), whatever
        the records' ``updated_at``: approved time entries performed then (approving a
        timesheet need not stamp its entries), every expense dated then (its approval, or
        rejection, is read from its report submission: ``_expense_approved``)."""
        if object_name not in SWEEPS:
            raise PayloadError(f"Kantata has no approval sweep for {object_name}")
        date_filter, filters = SWEEPS[object_name]
        period = f"{date_from.isoformat()}:{date_to.isoformat()}"
        return self._read(object_name, {**filters, date_filter: period}, page_size)

    def iter_approved_time(self, date_from, date_to, page_size=None):
        """Approved time entries performed between two dates (``approved`` and
        ``date_performed_between`` filters), whatever their ``updated_at``."""
        return self.iter_approvals(psa.TIME, date_from, date_to, page_size)

    def iter_expenses_between(self, date_from, date_to, page_size=None):
        """Expenses dated between two dates (``date_expensed_between``), approved or not."""
        return self.iter_approvals(psa.EXPENSES, date_from, date_to, page_size)

    def read_batch(self, object_name, ids):
        out = []
        ids = [str(i) for i in ids]
        for start in range(0, len(ids), self.batch_size):
            params = {"only": ",".join(ids[start : start + self.batch_size])}
            out.extend(record for page in self._read(object_name, params) for record in page)
        return out

    def remote_fields(self, object_name):
        """Kantata documents its attributes but serves no description of them: the declared
        list is the keys our translation of each object makes of those documented attributes
        (``_to_<object>``: what mapping lines read), with the keys of EXTRA_FIELDS."""
        if object_name not in OBJECTS:
            return None
        labels = {name: name for name in self._record(object_name, {"id": "0"}, {})["data"]}
        labels |= EXTRA_FIELDS.get(object_name, {})
        return {name: {"type": "", "label": label} for name, label in labels.items()}

    def write_batch(self, object_name, items):
        """Workspaces only: create (marked with an external reference to the Odoo record, so a
        retry after a lost answer finds it instead of creating a twin) or update."""
        if object_name != "projects":
            raise PayloadError(f"writing {object_name} to Kantata is not supported")
        written = []
        for external_id, canonical in items:
            values = {OUT_FIELDS.get(k, k): v for k, v in canonical.items()}
            odoo_ref = values.pop("_odoo_ref", None)
            if external_id:
                path = f"workspaces/{external_id}.json"
                written.append(self._write("PUT", path, "workspace", values))
                continue
            existing = self.find_by_reference("projects", "project.project", odoo_ref)
            values.setdefault("creator_role", "maven")
            if odoo_ref:
                values["external_reference"] = self._reference_values("project.project", odoo_ref)
            written.append(existing or self._write("POST", "workspaces.json", "workspace", values))
        return written

    # ------------------------------------------------------------------ time off
    def write_time_off(self, person_id, day, hours, ref=None):
        """``POST time_off_entries`` marked with the Odoo leave `ref` (Kantata adds the hours
        to the user's time off of that day: a day's entries are combined)."""
        user = int(person_id) if str(person_id).isdigit() else person_id
        values = {"user_id": user, "requested_date": day.isoformat(), "hours": hours}
        if ref:
            values["external_reference"] = self._reference_values("hr.leave", ref)
        return str(self._write("POST", "time_off_entries.json", "time_off_entry", values))

    def find_time_off(self, person_id, date_from, date_to, ref=None):
        """``GET time_off_entries`` of the user (one a day), those marked with `ref` if given."""
        params = {"user_ids": person_id, "start_date": (date_from - timedelta(1)).isoformat(),
                  "end_date": (date_to + timedelta(1)).isoformat()}  # fmt: skip
        for key, value in self._reference_values("hr.leave", ref).items() if ref else ():
            params[f"external_reference_{key}"] = value
        wanted, found = (date_from.isoformat(), date_to.isoformat()), {}
        for records, _body in self._pages("time_off_entries.json", params):
            for r in records:
                day = r.get("requested_date") or ""
                if str(r.get("user_id")) == str(person_id) and wanted[0] <= day <= wanted[1]:
                    found.setdefault(date.fromisoformat(day), str(r["id"]))
        return found

    def delete_time_off(self, entry_id):
        if_found(self._call, "DELETE", f"time_off_entries/{entry_id}.json")

    # ------------------------------------------------------------------ external references
    @staticmethod
    def _reference_values(model, ref, **extra):
        return {
            "service_name": SERVICE_NAME,
            "service_model": model,
            "service_model_ref": str(ref),
            **extra,
        }

    def find_by_reference(self, object_name, model, ref):
        if not ref:
            return None
        values = self._reference_values(model, ref)
        params = {f"external_reference_{key}": value for key, value in values.items()}
        records = self.results(self._get(f"{OBJECTS[object_name][0]}.json", **params))
        return records[0]["id"] if records else None

    def write_reference(self, object_name, external_id, model, ref, message=None, status=None):
        """``POST external_references/create_or_update``: mark a Kantata record with the Odoo
        record it became (and, e.g., the invoice that billed it)."""
        values = self._reference_values(
            model,
            ref,
            subject_id=str(external_id),
            subject_type={obj: subject for subject, obj in SUBJECTS.items()}[object_name],
            external_message=message,
            external_status=status,
            status="synced",
        )
        path = "external_references/create_or_update.json"
        return self._write("POST", path, "external_reference", values)

    # ------------------------------------------------------------------ change feed
    def event_retention(self):
        """Kantata keeps 9 days of subscribed events (developer.kantata.com)."""
        return timedelta(days=9)

    def iter_events(self, created_after, objects):
        """Subscribed events created after `created_after`, as canonical changes:
        [{"event_id", "created_at", "object", "id", "deleted"}] per page.  Kantata keeps 9
        days of events, possibly duplicated and out of order: the caller dedups and re-reads.
        A timesheet or expense report event becomes one change per record of its submission
        (event id ``<event>:<record>``), so approving or rejecting a timesheet or an expense
        report re-reads its time entries or expenses."""
        prefixes = {obj: prefix for prefix, obj in EVENT_PREFIXES.items()}
        types = [f"{prefixes[o]}:{v}" for o in objects if o in prefixes for v in EVENT_VERBS]
        submissions = [p for p, spec in SUBMISSIONS.items() if spec["object"] in objects]
        types += [f"{p}:{v}" for p in submissions for v in SUBMISSIONS[p]["verbs"]]
        params = {"event_types": ",".join(types), "order": "created_at:asc"}
        if created_after:
            params["created_after"] = created_after.strftime(STAMP)
        # events are small: pages of 200 whatever the backend's page size (a long feed read in
        # small pages is more requests, each one a chance to start it over)
        for records, _body in self._pages("subscribed_events.json", params, MAX_PER_PAGE):
            changes = []
            named = {p: [] for p in submissions}
            for event in records:
                if not isinstance(event, dict) or any(
                    event.get(key) in (None, "") for key in ("id", "subject_id")
                ):
                    continue
                prefix, _sep, verb = str(event.get("event_type") or "").partition(":")
                change = {
                    "event_id": str(event["id"]),
                    "created_at": parse_datetime_or_none(event.get("created_at")),
                    "id": str(event["subject_id"]),
                    "deleted": verb == "deleted",
                }
                if prefix in SUBMISSIONS:  # of a kind not asked for: left out
                    named.get(prefix, []).append(change)
                    continue
                object_name = EVENT_PREFIXES.get(prefix) or SUBJECTS.get(event.get("subject_type"))
                if object_name in objects:
                    changes.append({**change, "object": object_name})
            for prefix, events in named.items():
                changes += self._submission_changes(SUBMISSIONS[prefix]["object"], prefix, events)
            if changes:
                yield changes

    def submission_records(self, prefix, submission_ids):
        """{submission id: [record id]} of timesheet submissions (``timesheet_submissions?
        only=&include=time_entries``: ``time_entry_ids``) or expense report submissions (all
        on the account, ``include=expenses``: ``expense_ids``)."""
        spec = SUBMISSIONS[prefix]
        out = {}
        ids = sorted({str(i) for i in submission_ids}, key=lambda i: (len(i), i))
        for start in range(0, len(ids), self.batch_size):
            params = {
                "only": ",".join(ids[start : start + self.batch_size]),
                "include": spec["include"],
                **spec["filters"],
            }
            for records, _body in self._pages(f"{spec['collection']}.json", params):
                for submission in records:
                    record_ids = submission.get(spec["ids_field"])
                    if isinstance(record_ids, list):
                        out[str(submission["id"])] = [
                            str(x) for x in record_ids if x not in (None, "")
                        ]
        return out

    # ------------------------------------------------------------------ translation
    def _record(self, object_name, raw, body):
        if not isinstance(raw, dict) or raw.get("id") in (None, ""):
            raise UnreadableRecordError(f"Kantata sent a record without an id: {str(raw)[:200]}")
        translate = getattr(self, f"_to_{object_name}")
        return {
            "id": str(raw["id"]),
            "updated_at": parse_datetime(raw.get("updated_at")) or None,
            "archived": False,
            "data": translate(raw, body),
        }

    @staticmethod
    def _person(raw, body):
        user = (body.get("users") or {}).get(str(raw.get("user_id"))) or {}
        return psa.person(
            raw.get("user_id") or "", user.get("email_address"), user.get("full_name")
        )

    def _to_time_entries(self, raw, body):
        story = (body.get("stories") or {}).get(str(raw.get("story_id"))) or {}
        return {
            "approved": bool(raw.get("approved")),
            "project_ref": str(raw.get("workspace_id") or ""),
            "task_ref": str(raw.get("story_id") or ""),
            "task_name": story.get("title") or "",
            "person": self._person(raw, body),
            "date": raw.get("date_performed"),
            "minutes": int(raw.get("time_in_minutes") or 0),
            "description": raw.get("notes") or "",
            "billable": bool(raw.get("billable")),
            "bill_rate_cents": raw.get("rate_in_cents"),
            "cost_rate_cents": raw.get("cost_rate_in_cents"),
            "currency": raw.get("currency") or "",
            "remote_invoiced": bool(raw.get("is_invoiced")),
        }

    def _to_expenses(self, raw, body):
        return {
            "approved": self._expense_approved(raw, body),
            "project_ref": str(raw.get("workspace_id") or ""),
            "person": self._person(raw, body),
            "date": raw.get("date"),
            "amount_cents": int(raw.get("amount_in_cents") or 0),
            "currency": raw.get("currency") or "",
            "category": raw.get("category") or "",
            "description": raw.get("notes") or raw.get("category") or "",
            "billable": bool(raw.get("is_billable")),
            "reimbursable": bool(raw.get("reimbursable")),
        }

    @staticmethod
    def _expense_approved(raw, body):
        """Kantata approves expenses through their expense report submission (``status``
        approved); an expense of a workspace that requires no expense approval counts as
        approved, like time entries of such workspaces."""
        if "approved" in raw:
            return bool(raw["approved"])
        submissions = body.get("expense_report_submissions") or {}
        submission = submissions.get(str(raw.get("recent_submission_id") or ""))
        if submission:
            return submission.get("status") == "approved"
        workspace = (body.get("workspaces") or {}).get(str(raw.get("workspace_id"))) or {}
        return workspace.get("require_expense_approvals") is False

    def _to_projects(self, raw, body):
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        references = body.get("external_references") or {}
        odoo_refs = sorted(
            str(ref.get("service_model_ref"))
            for ref in (references.get(str(i)) for i in raw.get("external_reference_ids") or [])
            if ref
            and ref.get("service_name") == SERVICE_NAME
            and ref.get("service_model") == "project.project"
        )
        # the client: the workspace's group that represents a company (the primary one first)
        groups = body.get("workspace_groups") or {}
        group_ids = [raw.get("primary_workspace_group_id"), *(raw.get("workspace_group_ids") or [])]
        client = next(
            (
                groups[str(gid)].get("name") or ""
                for gid in group_ids
                if gid and str(gid) in groups and groups[str(gid)].get("company")
            ),
            "",
        )
        return {
            "odoo_refs": odoo_refs,
            "client": client,
            "name": raw.get("title") or "",
            "status": status.get("message") or "",
            "budget_cents": raw.get("price_in_cents"),
            "budget_used_cents": raw.get("budget_used_in_cents"),
            "currency": raw.get("currency") or "",
            "archived": bool(raw.get("archived")),
        }

    def _to_milestones(self, raw, body):
        return {
            "name": raw.get("title") or "",
            "project_ref": str(raw.get("workspace_id") or ""),
            "milestone": raw.get("story_type") == "milestone",
            "completed": raw.get("state") == "completed",
        }

    def _to_users(self, raw, body):
        person = psa.person(raw["id"], raw.get("email_address"), raw.get("full_name"))
        return {**person, "disabled": bool(raw.get("disabled"))}

    def cost_rates(self):
        """{user id: (cost per hour in cents, currency)} of the cost rates in use (Kantata keeps
        them per account membership)."""
        rates = {}
        params = {"in_use": "true", "include": "account_membership"}
        for records, body in self._pages("cost_rates.json", params):
            memberships = body.get("account_memberships") or {}
            for rate in records:
                membership = memberships.get(str(rate.get("account_membership_id"))) or {}
                if membership.get("user_id"):
                    rates[str(membership["user_id"])] = (
                        int(rate.get("amount_in_subunits") or 0),
                        rate.get("currency") or "",
                    )
        return rates
