# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot adapter: the only code of this addon that talks to HubSpot (plain Python, no ORM).

Built on the official ``hubspot-api-client``: its search, list, batch and associations APIs,
its OAuth tokens API and its v3 signature helper.  A 429 of a short window (secondly,
ten-secondly) is retried here, for every method (the client's default retry skips POST and
PATCH: HubSpot/hubspot-api-python#117), never sooner than the window (or ``Retry-After``) and,
for searches, through the per-portal search spacing; a 429 of the daily limit is not retried:
the engine pauses the backend until midnight in the portal's time zone.  The urllib3 ``Retry``
handed to the client only retries failed connections.
"""

import json
import logging
import threading
import time
from datetime import datetime

import requests
import urllib3
from hubspot import HubSpot
from hubspot.crm import companies, contacts, deals, line_items
from hubspot.crm.associations import v4 as associations_v4
from urllib3.util.retry import Retry

from odoo.addons.sync_core.adapter import BaseAdapter, raise_for_response
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import (
    AuthenticationError,
    RateLimitedError,
    RemoteUnavailableError,
    SyncError,
)
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import (
    UnreadableRecordError,
    is_unreadable,
    read_each,
    readable,
)

from .hubspot_errors import (
    API_EXCEPTIONS,
    DEFAULT_RATE_WINDOW,
    _body_status,
    classify,
    rate_limit_from_headers,
)

_logger = logging.getLogger(__name__)

OBJECT_PACKAGES = {
    "companies": companies,
    "contacts": contacts,
    "deals": deals,
    "line_items": line_items,
}
# Search filters on the last-modified property (contacts keep the legacy name).
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}
DEFAULT_MODIFIED = "hs_lastmodifieddate"
# Properties always read (mapped ones are added by the backend's configuration).
DEFAULT_PROPERTIES = {
    "companies": ["name", "domain", "phone", "city", "country", "vat"],
    "contacts": ["firstname", "lastname", "email", "phone", "jobtitle"],
    "deals": ["dealname", "dealstage", "pipeline", "amount", "closedate", "deal_currency_code"],
    "line_items": ["name", "hs_sku", "quantity", "price", "discount", "hs_discount_percentage"],
}
# Associations a record needs in its data: object -> (to object, data key).
PRIMARY_ASSOCIATIONS = {
    "contacts": ("companies", "company_id"),
    "deals": ("companies", "company_id"),
}
PRIMARY_TYPE_IDS = {("contacts", "companies"): 1, ("deals", "companies"): 5}
SEARCH_MAX = 200
SEARCH_WINDOW = 10_000
BATCH_MAX = 100
LIST_MAX = 100
# Longest total wait of the adapter's own 429 retries of one call; beyond it the job is retried
# later by the engine (its channel blocked meanwhile).
MAX_INLINE_WAIT = 12.0
# A read that failed on the way (5xx, timeout, reset, truncated body) is sent again this many
# times at once before its error fails the job's attempt.
READ_RETRIES = 2
# HubSpot's object type ids of the standard CRM objects (its app's record URLs use them).
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "line_items": "0-8"}
# HubSpot's search endpoints have their own limit (about 5 requests per second per portal),
# apart from the burst limit of the X-HubSpot-RateLimit-* headers.
DEFAULT_SEARCH_INTERVAL = 0.2
_SEARCH_LOCKS = {}  # limiter key (portal) -> Lock held while spacing and sending a search
_SEARCH_ENDED = {}  # limiter key -> time.monotonic() at which its last search answered
_SEARCH_GUARD = threading.Lock()


def contact_name(data):
    """A contact's display name: first and last name, else the email, else the phone (HubSpot
    keeps contacts with any of them); None when it has none (Odoo cannot name it)."""
    parts = [data.get("firstname"), data.get("lastname")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    for fallback in (data.get("email"), data.get("phone")):
        if not name and isinstance(fallback, str):
            name = fallback.strip()
    return name or None


def _ms(dt):
    """Naive UTC datetime -> epoch milliseconds."""
    return round((dt - _EPOCH).total_seconds() * 1000)


_EPOCH = datetime(1970, 1, 1)


def refresh_access_token(config):
    """OAuth refresh-token grant through the client's tokens API.

    Returns {"access_token", "refresh_token", "expires_in"}."""
    client = HubSpot(host=config.get("base_url") or None)
    try:
        tokens = client.oauth.tokens_api.create(
            grant_type="refresh_token",
            refresh_token=config["refresh_token"],
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            _request_timeout=config.get("timeout") or 30,
        )
    except API_EXCEPTIONS as exc:
        if exc.status == 400:  # BAD_REFRESH_TOKEN / BAD_CLIENT_*: a human must reconnect
            raise AuthenticationError(
                f"HubSpot refused the OAuth refresh (HTTP 400): {_body_status(exc)}",
                pattern="OAuth refresh refused",
            ) from exc
        raise classify(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise RemoteUnavailableError(f"HubSpot unreachable: {exc}", pattern="unreachable") from exc
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": int(tokens.expires_in or 0),
    }


class HubSpotAdapter(BaseAdapter):
    """config: base_url (host, empty for api.hubapi.com), access_token, timeout, page_size,
    properties ({object: [names]}), retries, backoff, search_interval (seconds between two
    searches of one portal, default 0.2; 0 = no spacing), search_key (the portal), refresh
    (OAuth: a callable returning a new access token, used once on a 401)."""

    page_size = SEARCH_MAX
    batch_size = BATCH_MAX

    def __init__(self, config):
        super().__init__(config)
        # connection failures only: a 429 is retried by _call (window, search spacing)
        retry = Retry(
            total=config.get("retries", 3),
            connect=2,
            read=0,  # a POST that timed out may have been applied: never re-send it blindly
            status=0,
            status_forcelist=(),
            allowed_methods=None,
            respect_retry_after_header=False,
            backoff_factor=config.get("backoff", 0.5),
            raise_on_status=False,  # a 429 reaches us as an ApiException
        )
        self.retries = max(int(config.get("retries", 3)), 0)
        self.max_inline_wait = float(config.get("max_inline_wait", MAX_INLINE_WAIT))
        self.time_zone = config.get("time_zone") or "UTC"
        self.client = HubSpot(
            access_token=config.get("access_token") or None,
            host=config.get("base_url") or None,
            retry=retry,
        )
        self.timeout = config.get("timeout") or 30
        interval = config.get("search_interval")
        self.search_interval = DEFAULT_SEARCH_INTERVAL if interval is None else float(interval)
        self.search_key = config.get("search_key") or config.get("base_url") or "api.hubapi.com"
        self._apis = {}

    @property
    def rate_limit_remaining(self):
        return self.rate_limit["remaining"] if self.rate_limit else None

    # ------------------------------------------------------------------ plumbing
    def _api(self, object_name, name):
        key = (object_name, name)
        if key not in self._apis:
            if object_name == "associations":
                self._apis[key] = getattr(self.client.crm.associations.v4, name)
            else:
                if object_name not in OBJECT_PACKAGES:
                    raise SyncError(f"unknown HubSpot object {object_name}", category="validation")
                self._apis[key] = getattr(getattr(self.client.crm, object_name), name)
        return self._apis[key]

    def _call(self, func, *args, _spaced=False, _read=False, **kwargs):
        """One API call; a 429 of a short window is retried up to `retries` times, each
        retry waiting at least the window (or Retry-After), doubling, within
        `max_inline_wait` seconds in all; `_spaced` calls (searches) keep the per-portal
        search spacing on every attempt.  The daily limit is never retried here.  A `_read`
        (a search, a batch read: a POST that changes nothing) that failed on the way (5xx,
        timeout, reset connection, truncated body) is sent again up to `READ_RETRIES` times
        before its error reaches the job: a deal job needs four or five reads, which a
        remote failing one request in five would otherwise rarely let through in a row."""
        kwargs.setdefault("_request_timeout", self.timeout)
        waited = 0.0
        rereads = READ_RETRIES if _read else 0
        retry = 0
        while True:
            try:
                return self._send_authenticated(func, args, kwargs, _spaced)
            except RemoteUnavailableError as exc:
                if rereads <= 0:
                    raise
                rereads -= 1
                _logger.info("HubSpot read failed (%s): reading again", exc.message)
            except RateLimitedError as exc:
                wait = (exc.retry_after or DEFAULT_RATE_WINDOW) * 2**retry
                if exc.reset_at or retry >= self.retries or waited + wait > self.max_inline_wait:
                    raise
                _logger.info("HubSpot 429 (%s): retrying in %.1f s", exc.message, wait)
                time.sleep(wait)
                waited += wait
                retry += 1

    def _send_authenticated(self, func, args, kwargs, spaced):
        """Send; an OAuth access token HubSpot refuses (401: expired or revoked before the
        expiry we know) is refreshed once per adapter and the call sent again."""
        send = self._spaced_send if spaced else self._send
        try:
            return send(func, args, kwargs)
        except AuthenticationError as exc:
            token = self._token_after_refusal(exc)
            if token is None:
                raise
            self.client.access_token = token
            for api in [*self._apis.values(), getattr(func, "__self__", None)]:
                configuration = getattr(getattr(api, "api_client", None), "configuration", None)
                if configuration is not None:
                    configuration.access_token = token
        return send(func, args, kwargs)

    def _send(self, func, args, kwargs):
        self.calls += 1
        try:
            result, _status, headers = func(*args, **kwargs)
        except API_EXCEPTIONS as exc:
            self._note_headers(exc.headers)
            raise classify(exc, self.time_zone) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RemoteUnavailableError(
                f"HubSpot unreachable or timed out: {exc.__class__.__name__}",
                pattern="unreachable",
            ) from exc
        self._note_headers(headers)
        self._check_body(func)
        return result

    @staticmethod
    def _check_body(func):
        """A 2xx whose body is not JSON (truncated) is an error to retry: the client reads
        it as an empty result, and a pull would end with nothing read."""
        api_client = getattr(getattr(func, "__self__", None), "api_client", None)
        data = getattr(getattr(api_client, "last_response", None), "data", None)
        if not data:
            return
        try:
            json.loads(data)
        except ValueError as exc:
            raise RemoteUnavailableError(
                "HubSpot answered a truncated or non-JSON body", pattern="non-JSON body"
            ) from exc

    def _note_headers(self, headers):
        info = rate_limit_from_headers(headers)
        if info:
            self.rate_limit = info

    def _search(self, func, *args, **kwargs):
        """A search call spaced at least `search_interval` seconds after the end of the
        previous search of the same portal in this process (HubSpot: ~5 searches/s); its
        retries after a 429 are spaced the same way."""
        return self._call(func, *args, _spaced=self.search_interval > 0, _read=True, **kwargs)

    def _spaced_send(self, func, args, kwargs):
        with _SEARCH_GUARD:
            lock = _SEARCH_LOCKS.setdefault(self.search_key, threading.Lock())
        with lock:
            ended = _SEARCH_ENDED.get(self.search_key)
            wait = ended + self.search_interval - time.monotonic() if ended else 0.0
            if wait > 0:
                time.sleep(wait)
            try:
                return self._send(func, args, kwargs)
            finally:
                _SEARCH_ENDED[self.search_key] = time.monotonic()

    def _properties(self, object_name):
        extra = (self.config.get("properties") or {}).get(object_name) or []
        return sorted(set(DEFAULT_PROPERTIES.get(object_name, [])) | set(extra))

    @staticmethod
    def _stamp(obj):
        return parse_datetime(obj.updated_at) if obj.updated_at else None

    def _record(self, object_name, obj, archived=False):
        if not str(getattr(obj, "id", None) or "").isdigit():
            raise UnreadableRecordError(f"HubSpot sent a record whose id is not a number: {obj.id}")
        data = {k: (None if v == "" else v) for k, v in (obj.properties or {}).items()}
        if object_name == "contacts":
            data["name"] = contact_name(data)
        stamp = self._stamp(obj)
        if archived and getattr(obj, "archived_at", None):
            stamp = parse_datetime(obj.archived_at)
        return {
            "id": str(obj.id),
            "updated_at": stamp,
            "archived": bool(archived or getattr(obj, "archived", False)),
            "data": data,
        }

    # ------------------------------------------------------------------ API of the engine
    def test_connection(self):
        """Cheap calls: the account details (portal id) and one company (read scope)."""
        base = (self.config.get("base_url") or "https://api.hubapi.com").rstrip("/")
        self.calls += 1
        try:
            response = requests.get(
                f"{base}/account-info/v3/details",
                headers={"Authorization": f"Bearer {self.config.get('access_token') or ''}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RemoteUnavailableError(f"HubSpot unreachable: {exc}") from exc
        raise_for_response(response)
        info = response.json()
        self._call(self._api("companies", "basic_api").get_page_with_http_info, limit=1)
        details = {"time zone": info.get("timeZone"), "currency": info.get("companyCurrency")}
        user = None
        if self.config.get("auth") == "oauth":
            token_info = self._call(
                self.client.oauth.access_tokens_api.get_with_http_info,
                self.config.get("access_token"),
            )
            user = token_info.user
            details["scopes"] = sorted(token_info.scopes or [])
        limits = []
        if self.rate_limit:  # the burst window the companies call was counted in
            window = f"API calls per {self.rate_limit['interval']:g} s"
            limits.append(
                ConnectionInfo.limit(window, self.rate_limit["remaining"], self.rate_limit["max"])
            )
        return ConnectionInfo(
            "HubSpot",
            account_id=info.get("portalId"),
            account_label="portal",
            user=user,
            limits=limits,
            details=details,
        )

    def iter_changes(self, object_name, since, after=None, page_size=None):
        """Search on the last-modified property, ascending; restart the search from the last
        stamp seen before passing HubSpot's 10,000-result window (ids already yielded at that
        stamp are skipped); then archived records since `since`."""
        limit = min(page_size or self.page_size, SEARCH_MAX)
        prop = MODIFIED_PROPERTY.get(object_name, DEFAULT_MODIFIED)
        properties = self._properties(object_name)
        search = self._api(object_name, "search_api").do_search_with_http_info
        request_cls = OBJECT_PACKAGES[object_name].PublicObjectSearchRequest
        last_ms = _ms(after[0]) if after else (_ms(since) if since else None)
        seen_at_last = {str(after[1])} if after else set()
        while True:
            window_start = last_ms
            offset = 0
            filters = (
                [{"propertyName": prop, "operator": "GTE", "value": str(last_ms)}]
                if last_ms is not None
                else []
            )
            while True:
                answer = self._search(
                    search,
                    public_object_search_request=request_cls(
                        filter_groups=[{"filters": filters}] if filters else [],
                        sorts=[{"propertyName": prop, "direction": "ASCENDING"}],
                        properties=properties,
                        limit=limit,
                        after=str(offset) if offset else None,
                    ),
                )
                page, unread = [], []
                for rec in read_each(answer.results or [], lambda o: self._record(object_name, o)):
                    if is_unreadable(rec):
                        unread.append(rec)
                        continue
                    rec_ms = _ms(rec["updated_at"]) if rec["updated_at"] else 0
                    if last_ms is not None and rec_ms < last_ms:
                        continue
                    if rec_ms == last_ms and rec["id"] in seen_at_last:
                        continue
                    if last_ms is None or rec_ms > last_ms:
                        last_ms, seen_at_last = rec_ms, set()
                    seen_at_last.add(rec["id"])
                    page.append(rec)
                if page or unread:
                    page.sort(key=lambda r: (r["updated_at"], int(r["id"])))
                    self._add_associations(object_name, page)
                    yield page + unread
                paging = answer.paging
                if not paging or not paging.next or not paging.next.after:
                    break
                offset = int(paging.next.after)
                if offset + limit > SEARCH_WINDOW:
                    break
            if not paging or not paging.next or not paging.next.after:
                break
            if last_ms == window_start:
                raise SyncError(
                    f"more than {SEARCH_WINDOW} {object_name} share one last-modified stamp",
                    category="validation",
                    pattern="search window too narrow",
                )
        if since is not None:
            archived = self._archived_since(object_name, since)
            if archived:
                yield archived

    def _archived_since(self, object_name, since):
        """Archived (deleted) records whose archivedAt is at or after `since` (list endpoint,
        opaque cursor: the whole archive is walked, 100 per call)."""
        get_page = self._api(object_name, "basic_api").get_page_with_http_info
        out, cursor = [], None
        while True:
            answer = self._call(get_page, limit=LIST_MAX, after=cursor, archived=True, _read=True)
            for obj in answer.results or []:
                try:
                    rec = self._record(object_name, obj, archived=True)
                except UnreadableRecordError:
                    continue  # an archived record without an id deletes nothing
                if rec["updated_at"] and rec["updated_at"] >= since:
                    out.append(rec)
            paging = answer.paging
            if not paging or not paging.next or not paging.next.after:
                break
            cursor = paging.next.after
        out.sort(key=lambda r: (r["updated_at"], int(r["id"])))
        return out

    def _add_associations(self, object_name, records):
        """Put the primary associated record id (e.g. a contact's company) into data."""
        if object_name not in PRIMARY_ASSOCIATIONS or not records:
            return
        to_object, key = PRIMARY_ASSOCIATIONS[object_name]
        links = self.associations(object_name, to_object, [r["id"] for r in records])
        for rec in records:
            rec["data"][key] = self._primary(object_name, to_object, links.get(rec["id"], []))

    @staticmethod
    def _primary(object_name, to_object, targets):
        """targets: [(to_id, [type ids])] -> the primary target, else the first one."""
        primary_type = PRIMARY_TYPE_IDS.get((object_name, to_object))
        for to_id, type_ids in targets:
            if primary_type in type_ids:
                return to_id
        return targets[0][0] if targets else None

    def associations(self, object_name, to_object, ids):
        """{from id: [(to id, [association type ids])]} through the v4 batch API; a record
        with more associations than one answer holds (HubSpot: 500) has its next page asked
        for with its ``after``, until every association is read."""
        batch = self._api("associations", "batch_api").get_page_with_http_info
        request_cls = associations_v4.BatchInputPublicFetchAssociationsBatchRequest
        out = {}
        todo = [{"id": str(i)} for i in dict.fromkeys(str(i) for i in ids)]
        while todo:
            chunk, todo = todo[:BATCH_MAX], todo[BATCH_MAX:]
            answer = self._call(
                batch, object_name, to_object, request_cls(inputs=chunk), _read=True
            )
            for result in answer.results or []:
                from_id = str(result._from.id)
                out.setdefault(from_id, []).extend(
                    (str(to.to_object_id), [t.type_id for t in to.association_types or []])
                    for to in result.to or []
                )
                paging = getattr(result, "paging", None)
                after = paging and paging.next and paging.next.after
                if after:
                    todo.append({"id": from_id, "after": str(after)})
        return out

    def read_batch(self, object_name, ids, archived_too=True):
        """Current state of `ids` (100 per call); ids missing live are looked up archived and
        come back with archived=True; ids unknown either way are left out."""
        read = self._api(object_name, "batch_api").read_with_http_info
        request_cls = OBJECT_PACKAGES[object_name].BatchReadInputSimplePublicObjectId
        properties = self._properties(object_name)
        out = []
        for archived in (False, True) if archived_too else (False,):
            wanted = [
                i for i in dict.fromkeys(str(i) for i in ids) if i not in {r["id"] for r in out}
            ]
            if not wanted:
                break
            for start in range(0, len(wanted), BATCH_MAX):
                chunk = wanted[start : start + BATCH_MAX]
                answer = self._call(
                    read,
                    request_cls(
                        inputs=[{"id": i} for i in chunk],
                        properties=properties,
                        properties_with_history=[],
                    ),
                    archived=archived,
                    _read=True,
                )
                out.extend(
                    read_each(
                        answer.results or [],
                        lambda o, a=archived: self._record(object_name, o, archived=a),
                    )
                )
        live = [r for r in readable(out) if not r["archived"]]
        self._add_associations(object_name, live)
        return out

    def remote_fields(self, object_name):
        """The object's properties as HubSpot describes them (``GET /crm/v3/properties/
        {objectType}``), and the keys this connector adds to its records (a contact's name,
        the primary company's id)."""
        if object_name not in OBJECT_PACKAGES:
            return None
        answer = self._call(
            self.client.crm.properties.core_api.get_all_with_http_info,
            object_name,
            archived=False,
            _read=True,
        )
        fields = {
            prop.name: {"type": prop.type or "", "label": prop.label or prop.name}
            for prop in answer.results or []
            if getattr(prop, "name", None)
        }
        if object_name == "contacts":
            fields.setdefault("name", {"type": "string", "label": "first and last name"})
        if object_name in PRIMARY_ASSOCIATIONS:
            to_object, key = PRIMARY_ASSOCIATIONS[object_name]
            fields.setdefault(key, {"type": "association", "label": f"primary {to_object} id"})
        return fields

    def write_batch(self, object_name, items):
        """items: [(id or None, properties)] -> ids in input order.  Updates go in batches of
        100 (batch update); creates one by one (a batch create does not say which result
        answers which input)."""
        package = OBJECT_PACKAGES[object_name]
        written = {}
        updates = [(i, ext, props) for i, (ext, props) in enumerate(items) if ext]
        update = self._api(object_name, "batch_api").update_with_http_info
        for start in range(0, len(updates), BATCH_MAX):
            chunk = updates[start : start + BATCH_MAX]
            answer = self._call(
                update,
                package.BatchInputSimplePublicObjectBatchInput(
                    inputs=[{"id": ext, "properties": props} for _i, ext, props in chunk]
                ),
            )
            done = {str(obj.id) for obj in answer.results or []}
            for index, ext, _props in chunk:
                if ext in done:
                    written[index] = ext
        create = self._api(object_name, "basic_api").create_with_http_info
        for index, (ext, props) in enumerate(items):
            if ext:
                continue
            obj = self._call(create, package.SimplePublicObjectInputForCreate(properties=props))
            written[index] = str(obj.id)
        return [written[i] for i in sorted(written)]
