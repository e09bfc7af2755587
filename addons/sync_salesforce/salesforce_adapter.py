# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce adapter: the only code of this addon that talks to Salesforce (plain Python, no ORM).

Built on ``simple-salesforce``: its login flows (``SalesforceLogin`` for the SOAP username +
password + security token login, ``token_login`` for the OAuth 2.0 JWT bearer and client
credentials grants), ``query`` / ``query_more`` (``nextRecordsUrl``), ``SFType.deleted``,
``restful`` (sObject Collections), ``bulk2`` query jobs and ``parse_api_usage``
(``Sforce-Limit-Info``).  The ``Salesforce`` client is built on a session id (its own refresh
retries up to 3 times and not at all for Bulk 2.0 or a given session id), and every call goes
through :meth:`SalesforceAdapter._call`, which logs in again once on ``INVALID_SESSION_ID``,
whatever the login mode, then retries the call once.
"""

import hashlib
import logging
import re
from datetime import UTC
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceOperationError,
)

from odoo.addons.sync_core.adapter import BaseAdapter
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import (
    RemoteUnavailableError,
    ValidationSyncError,
)
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import UnreadableRecordError, read_each, readable

from .salesforce_bulk import BulkExportMixin
from .salesforce_errors import RATE_LIMIT_BACKOFF, ApiBudgetExceeded, _error_code, classify
from .salesforce_login import (
    LoginMixin,
    _TimeoutAdapter,
    forget_sessions,
    login_url,
)

__all__ = ["RATE_LIMIT_BACKOFF", "SalesforceAdapter", "classify", "forget_sessions", "login_url"]

_logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "59.0"
COLLECTION_MAX = 200  # sObject Collections: records per call
READ_CHUNK = 200  # ids per SOQL ``Id IN (...)`` read
QUERY_BATCH_MIN, QUERY_BATCH_MAX = 200, 2000  # Sforce-Query-Options batchSize bounds
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_FIELD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$")
_SKIPPED_DATA = {"attributes", "SystemModstamp", "IsDeleted"}
LINE_ITEM_FIELDS = (
    "Id",
    "SystemModstamp",
    "OpportunityId",
    "Product2.ProductCode",
    "Product2.Name",
    "Quantity",
    "UnitPrice",
    "Discount",
    "Description",
    "SortOrder",
)


def soql_datetime(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _soql_id(value):
    if not _ID_RE.match(value or ""):
        raise ValidationSyncError(f"not a Salesforce id: {value!r}", pattern="bad Salesforce id")
    return f"'{value}'"


def _aware(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class _CursorLost(Exception):
    """INVALID_QUERY_LOCATOR: the nextRecordsUrl cursor expired."""


class SalesforceAdapter(LoginMixin, BulkExportMixin, BaseAdapter):
    """config: login_url, sandbox, auth (password, jwt, client_credentials), username,
    password, security_token, consumer_key, consumer_secret, private_key, api_version, timeout,
    fields ({object: [field names]}), query_batch_size, bulk_threshold, bulk_page_size,
    budget_share (0-1), bulk_poll and bulk_wait (seconds)."""

    page_size = 200
    batch_size = READ_CHUNK

    def __init__(self, config):
        super().__init__(config)
        self.login_url = login_url(config)
        self.version = (config.get("api_version") or DEFAULT_API_VERSION).lstrip("vV")
        self.timeout = config.get("timeout") or 30
        self.session = requests.Session()
        self.session.mount("https://", _TimeoutAdapter(self.timeout))
        self.session.mount("http://", _TimeoutAdapter(self.timeout))
        host = urlparse(self.login_url)
        if host.scheme == "http":
            self.session.mount(f"https://{host.netloc}", _TimeoutAdapter(self.timeout, True))
        self.session.hooks["response"].append(self._on_response)
        self.sf = None
        self.logins = 0
        self.last_headers = {}
        self._lines, self._lines_wanted = {}, set()  # opportunity id -> line items read
        self.api_usage = None  # {"used", "max"} from the last Sforce-Limit-Info header
        # Pages of a REST keyset query come in (SystemModstamp, Id) order; Bulk 2.0 results
        # come unordered (ORDER BY would disable its chunking): the engine moves the watermark
        # after the last page only.
        self.ordered = True
        # the secrets are part of the key: a session is reused only with the credentials that
        # opened it (another backend naming the same user with a wrong password gets none)
        secrets = "\0".join(
            str(config.get(k) or "")
            for k in ("password", "security_token", "consumer_secret", "private_key")
        )
        self._key = (
            self.login_url,
            config.get("auth"),
            config.get("username") or "",
            config.get("consumer_key") or "",
            hashlib.sha256(secrets.encode()).hexdigest(),
        )

    # ------------------------------------------------------------------ plumbing
    def _on_response(self, response, *args, **kwargs):
        self.calls += 1
        self.last_headers = response.headers  # Retry-After of a failed call
        info = response.headers.get("Sforce-Limit-Info")
        if info:
            usage = Salesforce.parse_api_usage(info).get("api-usage")
            if usage:
                self.api_usage = {"used": usage.used, "max": usage.total}

    def _call(self, func):
        """Run ``func()`` (which reads ``self.sf``); on INVALID_SESSION_ID log in again once, in
        any mode, and retry once.  Errors come out as sync_core errors."""
        if self.sf is None:
            self._connect()
        for attempt in (1, 2):
            try:
                return func()
            except SalesforceError as exc:
                code, _message = _error_code(exc)
                if getattr(exc, "status", 0) == 401 and attempt == 1:
                    if code in ("INVALID_SESSION_ID", ""):
                        _logger.info("Salesforce session expired: logging in again")
                        self._connect(fresh=True)
                        continue
                if getattr(exc, "status", 0) == 400 and code == "INVALID_QUERY_LOCATOR":
                    raise _CursorLost() from exc
                raise classify(exc, self.last_headers) from exc
            except SalesforceOperationError as exc:  # a Bulk 2.0 job failed or took too long
                raise classify(exc) from exc
            except requests.Timeout as exc:
                raise RemoteUnavailableError("Salesforce timed out", pattern="timeout") from exc
            except (requests.ConnectionError, ValueError) as exc:
                # ValueError: a body that is not JSON
                raise RemoteUnavailableError(
                    f"Salesforce unreachable or answered garbage: {exc.__class__.__name__}",
                    pattern="unreachable",
                ) from exc
        raise AssertionError("unreachable")

    def over_budget(self):
        """True when the last known daily API usage passed the configured share."""
        share = self.config.get("budget_share")
        usage = self.api_usage
        return bool(share and usage and usage.get("max") and usage["used"] >= share * usage["max"])

    def refresh_usage(self):
        """One cheap call (limits) whose Sforce-Limit-Info header tells the current usage."""
        self._call(lambda: self.sf.limits())
        return self.api_usage

    def check_budget(self):
        if self.over_budget():
            usage, share = self.api_usage, self.config.get("budget_share")
            raise ApiBudgetExceeded(
                f"Salesforce daily API usage {usage['used']} of {usage['max']} passed the "
                f"{share:.0%} this backend may use: pulls stop until usage falls back",
                "daily API budget used",
            )

    def _fields(self, object_name):
        names = ["Id", "SystemModstamp"]
        for name in (self.config.get("fields") or {}).get(object_name) or ():
            if name not in names and _FIELD_RE.match(name):
                names.append(name)
        return names

    def _record(self, raw, csv_row=False):
        stamp = raw.get("SystemModstamp")
        deleted = raw.get("IsDeleted")
        data = {}
        for key, value in raw.items():
            if key in _SKIPPED_DATA:
                continue
            if csv_row:
                # Bulk CSV: "" is null, relationship columns are dotted ("Account.Name"); nest
                # them as the REST JSON does, so both read the same mapping paths
                target, *parents = [data, *key.split(".")[:-1]]
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[key.rsplit(".", 1)[-1]] = None if value == "" else value
            else:
                data[key] = _without_attributes(value)
        if not raw.get("Id"):
            raise UnreadableRecordError("Salesforce sent a record without an Id")
        return {
            "id": str(raw["Id"]),
            "updated_at": parse_datetime(stamp.replace("+0000", "Z")) if stamp else None,
            "archived": deleted in (True, "true"),
            "data": data,
        }

    def _query_headers(self, batch_size=None):
        """Records per query response (``Sforce-Query-Options: batchSize``, 200 to 2000): the
        engine's pages are cut from it, so a large batch costs fewer API calls."""
        size = batch_size or self.config.get("query_batch_size") or QUERY_BATCH_MAX
        size = min(max(size, QUERY_BATCH_MIN), QUERY_BATCH_MAX)
        return {"Sforce-Query-Options": f"batchSize={size}"}

    # ------------------------------------------------------------------ API of the engine
    def test_connection(self):
        """Who we are (userinfo) and the org's daily API usage, read as every call reads it
        (the ``Sforce-Limit-Info`` header of the limits call): one figure, one source."""
        info = self._call(lambda: self.sf.oauth2("userinfo")) or {}
        usage = self.refresh_usage() or {}
        used, maximum = usage.get("used"), usage.get("max")
        remaining = maximum - used if maximum is not None and used is not None else None
        return ConnectionInfo(
            "Salesforce",
            account_id=info.get("organization_id"),
            account_label="org",
            user=info.get("preferred_username"),
            limits=[ConnectionInfo.limit("daily API calls", remaining, maximum, used)],
        )

    def query_pages(self, soql, batch_size=None, include_deleted=False):
        """Yield the responses of one SOQL query, following nextRecordsUrl."""
        headers = self._query_headers(batch_size)
        result = self._call(
            lambda: self.sf.query(soql, include_deleted=include_deleted, headers=headers)
        )
        while True:
            yield result
            if result.get("done", True):
                return
            self.check_budget()
            next_url = result.get("nextRecordsUrl")
            if not next_url or not isinstance(next_url, str):
                # an answer that cannot be followed: read again later, never a crash
                raise RemoteUnavailableError(
                    "Salesforce answered a query page with done false and no nextRecordsUrl "
                    f"({str(result.get('totalSize'))[:20]} records in all): read again later",
                    pattern="query page without nextRecordsUrl",
                )
            result = self._call(
                lambda url=next_url: self.sf.query_more(
                    url, identifier_is_url=True, headers=headers
                )
            )

    def iter_changes(self, object_name, since, after=None, page_size=None, resume=None):
        """Records changed since `since` (SystemModstamp), ordered by (SystemModstamp, Id).

        One keyset SOQL query followed through nextRecordsUrl; when the cursor expires it
        restarts after the last (stamp, id) yielded, so identical stamps are neither skipped
        nor read twice.  When the query matches more than ``bulk_threshold`` records (initial
        loads, resyncs) the records come from a Bulk 2.0 query job instead, page by page.
        `resume` (an ``export_state`` the engine saved) continues that Bulk job from the
        result page after the last one applied, when Salesforce still has it."""
        page_size = page_size or self.page_size
        fields = self._fields(object_name)
        self.check_budget()
        self.resumed = False
        self.export_state = None
        if resume:
            soql = self._changes_soql(object_name, fields, since, after, order=False)
            if self._bulk_job_to_continue(object_name, resume, soql):
                self.resumed = True
                self.ordered = False
                yield from self._bulk_results(
                    object_name,
                    resume["job"],
                    soql,
                    page_size,
                    resume.get("locator"),
                    resume.get("skip") or 0,
                    resume.get("created"),
                )
                return
        last = after
        first = True
        while True:
            soql = self._changes_soql(object_name, fields, since, last)
            try:
                for result in self.query_pages(soql):
                    if first:
                        first = False
                        threshold = self.config.get("bulk_threshold") or 0
                        if threshold and result.get("totalSize", 0) > threshold:
                            yield from self.bulk_pages(
                                object_name,
                                self._changes_soql(object_name, fields, since, after, order=False),
                                page_size,
                            )
                            return
                    records = read_each(result.get("records") or [], self._record)
                    for start in range(0, len(records), page_size):
                        yield records[start : start + page_size]
                    if read := readable(records):
                        last = (read[-1]["updated_at"], read[-1]["id"])
                return
            except _CursorLost:
                _logger.info("Salesforce query cursor expired: restarting after %s", last)

    @staticmethod
    def _changes_soql(object_name, fields, since, after, order=True):
        where = []
        if after and after[0]:
            stamp = soql_datetime(after[0])
            where.append(
                f"(SystemModstamp > {stamp} OR (SystemModstamp = {stamp} AND Id > "
                f"{_soql_id(after[1])}))"
            )
        elif since:
            where.append(f"SystemModstamp >= {soql_datetime(since)}")
        soql = f"SELECT {', '.join(fields)} FROM {object_name}"
        if where:
            soql += " WHERE " + " AND ".join(where)
        if order:
            soql += " ORDER BY SystemModstamp, Id"
        return soql

    def read_batch(self, object_name, ids, extra_fields=()):
        """Current state of `ids` (deleted ones with archived=True, through queryAll); ids
        that are not Salesforce ids or unknown are left out."""
        fields = [*self._fields(object_name), *extra_fields, "IsDeleted"]
        wanted = [i for i in dict.fromkeys(str(i) for i in ids) if _ID_RE.match(i)]
        out = []
        for start in range(0, len(wanted), READ_CHUNK):
            chunk = wanted[start : start + READ_CHUNK]
            soql = (
                f"SELECT {', '.join(fields)} FROM {object_name} WHERE Id IN "
                f"({', '.join(_soql_id(i) for i in chunk)})"
            )
            for result in self.query_pages(soql, include_deleted=True):
                out.extend(read_each(result.get("records") or [], self._record))
        return out

    def remote_fields(self, object_name):
        """The sObject's fields as its describe says (``GET sobjects/{name}/describe``), and
        the relationship names a dotted path starts with (``Account`` of ``Account.Name``)."""
        if not _FIELD_RE.match(object_name or "") or "." in object_name:
            return None
        described = self._call(lambda: getattr(self.sf, object_name).describe()) or {}
        fields = {}
        for field in described.get("fields") or []:
            if not field.get("name"):
                continue
            fields[field["name"]] = {"type": field.get("type"), "label": field.get("label")}
            if field.get("relationshipName"):
                fields.setdefault(
                    field["relationshipName"],
                    {"type": "relationship", "label": field.get("label") or field["name"]},
                )
        return fields

    def want_lines(self, opportunity_id):
        """Note an opportunity whose line items may be asked for: the first `lines_of` reads
        those of every noted opportunity in one query (per 200)."""
        self._lines_wanted.add(opportunity_id)

    def lines_of(self, opportunity_id):
        """Live line items of an opportunity (product code and name through Product2), by
        SortOrder then Id.  The items of a chunk are kept only once every response of its
        query was read: a query that fails half-way leaves nothing behind (the next deal
        that asks reads them again), never an opportunity with some of its items."""
        if opportunity_id not in self._lines:
            self._lines_wanted.add(opportunity_id)
            todo = sorted(self._lines_wanted - set(self._lines))
            for start in range(0, len(todo), READ_CHUNK):
                chunk = todo[start : start + READ_CHUNK]
                read = {opp: [] for opp in chunk}
                soql = (
                    f"SELECT {', '.join(LINE_ITEM_FIELDS)} FROM OpportunityLineItem WHERE "
                    f"OpportunityId IN ({', '.join(_soql_id(i) for i in chunk)}) "
                    "ORDER BY SortOrder, Id"
                )
                for result in self.query_pages(soql):
                    for raw in result.get("records") or []:
                        item = self._record(raw)
                        read[item["data"]["OpportunityId"]].append(item)
                self._lines.update(read)
        return self._lines[opportunity_id]

    def deleted(self, object_name, start, end):
        """getDeleted for [start, end] -> {"ids": [(id, deleted at)], "earliest", "latest"}."""
        answer = self._call(
            lambda: getattr(self.sf, object_name).deleted(_aware(start), _aware(end))
        )
        return {
            "ids": [
                (str(item["id"]), parse_datetime(item["deletedDate"].replace("+0000", "Z")))
                for item in answer.get("deletedRecords") or []
            ],
            "earliest": _stamp(answer.get("earliestDateAvailable")),
            "latest": _stamp(answer.get("latestDateCovered")),
        }

    def all_ids(self, object_name):
        """Every live id of an object (full reconciliation), page by page."""
        for result in self.query_pages(f"SELECT Id FROM {object_name}", QUERY_BATCH_MAX):
            yield [str(r["Id"]) for r in result.get("records") or [] if r.get("Id")]

    def write_collection(self, object_name, items):
        """sObject Collections, 200 records per call.  items: [(id or None, {field: value})]
        -> positional results [{"id", "success", "errors": [{"statusCode", "message"}]}]:
        Salesforce answers HTTP 200 even when items failed; a failed item has no id."""
        results = [None] * len(items)
        for method, wanted in (("PATCH", True), ("POST", False)):
            positions = [i for i, (ext, _v) in enumerate(items) if bool(ext) == wanted]
            for start in range(0, len(positions), COLLECTION_MAX):
                chunk = positions[start : start + COLLECTION_MAX]
                records = []
                for index in chunk:
                    ext, values = items[index]
                    record = {"attributes": {"type": object_name}, **values}
                    if ext:
                        record["id"] = ext
                    records.append(record)
                body = {"allOrNone": False, "records": records}
                answer = self._call(
                    lambda b=body, m=method: self.sf.restful("composite/sobjects", method=m, json=b)
                )
                for index, result in zip(chunk, answer or [], strict=False):
                    results[index] = result
        return [r or {"success": False, "errors": [{"message": "no result"}]} for r in results]

    def write_batch(self, object_name, items):
        """Engine API: ids written, in input order; per-item failures raise one error that
        names each of them (the successful ones are written; a retry sends them again)."""
        results = self.write_collection(object_name, items)
        failed = [
            f"{ext or '(new)'}: {item_error(r)}"
            for (ext, _v), r in zip(items, results, strict=True)
            if not r.get("success")
        ]
        if failed:
            raise ValidationSyncError(
                f"Salesforce refused {len(failed)} of {len(items)} {object_name}: "
                + " | ".join(failed[:20]),
                pattern=f"write to {object_name} refused",
            )
        return [r["id"] for r in results]


def item_error(result):
    """The reason of a failed sObject Collections item: "STATUS_CODE message; ..."."""
    return (
        "; ".join(f"{e.get('statusCode')} {e.get('message')}" for e in result.get("errors") or [])
        or "refused without a reason"
    )


def _without_attributes(value):
    """A REST relationship value without its ``attributes`` (type and URL) entries."""
    if isinstance(value, dict):
        return {k: _without_attributes(v) for k, v in value.items() if k != "attributes"}
    return value


def _stamp(value):
    return parse_datetime(value.replace("+0000", "Z")) if value else None
