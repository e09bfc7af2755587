# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dataverse Web API v9.2 adapter, the only code here that talks to Dynamics 365 (no ORM):
OData v4 JSON over ``requests`` (sync_core's HttpAdapterMixin: timeouts, errors by status, a
429's Retry-After to the engine), the token from Entra ID through ``msal``, changes through
change tracking (delta links), writes in ``$batch`` change sets (one per row)."""

import hashlib
import json
import re
import threading
import uuid
from urllib.parse import urlparse

import msal
import requests

from odoo.addons.sync_core.adapter import BaseAdapter, HttpAdapterMixin
from odoo.addons.sync_core.connection import ConnectionInfo
from odoo.addons.sync_core.exceptions import AuthenticationError, PayloadError
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import read_each

API_PATH = "/api/data/v9.2/"
# fmt: off
KEYS = {"accounts": "accountid", "contacts": "contactid", "opportunities": "opportunityid",
        "opportunityproducts": "opportunityproductid"}  # entity set -> primary key column
# columns always read (mapped ones are added by the backend's configuration)
COLUMNS = {"opportunities": [
    "name", "statecode", "statuscode", "stepname", "estimatedvalue", "actualvalue",
    "estimatedclosedate", "actualclosedate", "_parentaccountid_value",
    "_transactioncurrencyid_value", "_owningbusinessunit_value",
]}
# fmt: on
TOMBSTONED = {"opportunities"}  # re-read ids not found come back as deleted rows
LINE_COLUMNS = "quantity,priceperunit,manualdiscountamount,productdescription,_opportunityid_value"
EXPIRED_DELTA = "0x80044352"  # "Version stamp associated with the client has expired"
BURST_LIMIT = 6000  # requests per user per 5 minutes (service protection)
FILTER_CHUNK = 40  # ids per $filter (the URL stays short)
BATCH_MAX = 100  # change sets per $batch (Dataverse takes up to 1000 operations)
_APPS = {}
_APPS_LOCK = threading.Lock()


class DeltaExpired(Exception):
    """The delta token is older than the change tracking retention."""


class _LoopbackSession(requests.Session):
    """msal takes https authorities only: a sandbox authority on the loopback interface (the
    wire-level fake) is given to msal as https and sent over plain http here."""

    def __init__(self, netloc):
        super().__init__()
        self.prefix = f"https://{netloc}/"

    def request(self, method, url, *args, **kwargs):
        if url.startswith(self.prefix):
            url = "http://" + url[len("https://") :]
        return super().request(method, url, *args, **kwargs)


def _msal_app(authority, client_id, secret):
    """One ConfidentialClientApplication per app registration and worker: its token cache
    serves every adapter until the token is near its expiry."""
    key = (authority, client_id, hashlib.sha256(secret.encode()).hexdigest())
    with _APPS_LOCK:
        if key not in _APPS:
            parsed = urlparse(authority)
            loopback = parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")
            _APPS[key] = msal.ConfidentialClientApplication(
                client_id,
                client_credential=secret,
                authority=authority.replace("http://", "https://", 1) if loopback else authority,
                # instance discovery asks login.microsoftonline.com whether the authority is
                # known: off, the authority is the one the firm configured (or the sandbox's)
                validate_authority=False,
                instance_discovery=False,
                http_client=_LoopbackSession(parsed.netloc) if loopback else None,
                timeout=30,
            )
        return _APPS[key]


def forget_tokens():
    """Drop the cached applications and their tokens (tests; credentials entered again)."""
    with _APPS_LOCK:
        _APPS.clear()


class DataverseAdapter(HttpAdapterMixin, BaseAdapter):
    """config: base_url (the environment, https://org.crm.dynamics.com), authority (e.g.
    https://login.microsoftonline.com/<tenant id>), client_id, client_secret, columns
    ({entity set: [extra columns]}), delta_links ({entity set: delta link})."""

    ordered = False  # change tracking returns rows in change order, deleted ones unstamped

    def __init__(self, config):
        super().__init__(config)
        self.config["refresh"] = lambda: self._access_token(fresh=True)
        self.delta_links = dict(config.get("delta_links") or {})
        self.new_delta_links = {}
        self.full_reads = {}  # entity set -> ids seen by a re-read after an expired token
        self._lookups = {}
        self._lines = {}
        self._lines_wanted = set()

    # ------------------------------------------------------------------ auth and HTTP
    @property
    def api(self):
        return self.config["base_url"].rstrip("/") + API_PATH

    def _access_token(self, fresh=False):
        config = self.config
        app = _msal_app(config["authority"].rstrip("/"), config["client_id"],
                        config["client_secret"])  # fmt: skip
        scope = [self.config["base_url"].rstrip("/") + "/.default"]
        if fresh:  # Dataverse refused the cached token: remove it, ask Entra ID again
            for token in list(app.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                app.token_cache.remove_at(token)
        try:
            result = app.acquire_token_for_client(scopes=scope)
        except (ValueError, requests.RequestException) as exc:
            raise AuthenticationError(f"Entra ID could not be reached: {exc}",
                                      pattern="token endpoint unreachable") from exc  # fmt: skip
        if "access_token" not in result:
            raise AuthenticationError(
                f"Entra ID refused the client credentials: {result.get('error')}: "
                f"{(result.get('error_description') or '').splitlines()[0][:300]}",
                pattern=f"token refused: {result.get('error')}",
            )
        return result["access_token"]

    def _session(self):
        session = super()._session()
        if "Authorization" not in session.headers:
            session.headers.update({"Authorization": f"Bearer {self._access_token()}",
                                    "Accept": "application/json", "OData-Version": "4.0",
                                    "OData-MaxVersion": "4.0"})  # fmt: skip
        return self._http

    def _read_rate_limit(self, headers):
        remaining = headers.get("x-ms-ratelimit-burst-remaining-xrm-requests")
        if remaining and remaining.isdigit():
            self.rate_limit = {"max": BURST_LIMIT, "remaining": int(remaining), "interval": 300}
            self.time_left = headers.get("x-ms-ratelimit-time-remaining-xrm-requests")

    def _get(self, url, page_size=None, tracking=False, **kw):
        prefer = f"odata.maxpagesize={page_size or self.page_size}"
        prefer += ",odata.track-changes" if tracking else ""
        return self._request("GET", url, headers={"Prefer": prefer}, **kw)

    # ------------------------------------------------------------------ connection test
    def test_connection(self):
        me = self._request("GET", self.api + "WhoAmI")
        org = self._request(
            "GET", f"{self.api}organizations({me['OrganizationId']})", params={"$select": "name"}
        )
        left = (self.rate_limit or {}).get("remaining")
        limits = [ConnectionInfo.limit("requests in 5 minutes", left, BURST_LIMIT)] if left else []
        details = {
            "business unit": me.get("BusinessUnitId"),
            "execution time left in 5 minutes": getattr(self, "time_left", None),
        }
        return ConnectionInfo(
            "Dynamics 365", account_id=me["OrganizationId"], account_name=org.get("name"),
            account_label="organization", user=me["UserId"], limits=limits, details=details,
        )  # fmt: skip

    # ------------------------------------------------------------------ reads
    def _select(self, entity_set):
        wanted = [KEYS[entity_set], "modifiedon", *COLUMNS.get(entity_set, ())]
        wanted += (self.config.get("columns") or {}).get(entity_set, ())
        return ",".join(dict.fromkeys(c.split(".")[0] for c in wanted if c))

    def _record(self, entity_set, raw):
        if not isinstance(raw, dict):
            raise PayloadError(f"Dataverse sent a row that is not an object: {str(raw)[:200]}")
        if str(raw.get("@odata.context", "")).endswith("/$deletedEntity"):
            return _tombstone(str(raw["id"]))
        key = KEYS[entity_set]
        if not raw.get(key):
            raise PayloadError(f"Dataverse row of {entity_set} without {key}")
        stamp = parse_datetime(raw.get("modifiedon"))
        if raw.get("modifiedon") and not stamp:
            raise PayloadError(f"Dataverse sent {raw['modifiedon']!r} as modifiedon")
        data = {k: v for k, v in raw.items() if "@" not in k}
        return {"id": str(raw[key]), "updated_at": stamp, "archived": False, "data": data}

    def _pages(self, entity_set, url, page_size=None, tracking=False, params=None):
        """Rows page by page, following @odata.nextLink; the delta link of the last page is
        kept in `new_delta_links`."""
        hooks = {"response": _spot_expired} if tracking else None
        while url:
            body = self._get(url, page_size, tracking, params=params, hooks=hooks)
            params = None  # the next link carries the query
            if body.get("value"):  # a delta read without changes answers an empty page
                yield read_each(body["value"], lambda raw: self._record(entity_set, raw))
            url = body.get("@odata.nextLink")
            if body.get("@odata.deltaLink"):
                self.new_delta_links[entity_set] = body["@odata.deltaLink"]

    def iter_changes(self, object_name, since, after=None, page_size=None, resume=None):
        """Changes of an entity set by change tracking: the kept delta link, else (first
        pull, or a token past its retention) every row with a new delta link.  `since` and
        `after` do not apply (the delta token is the cursor)."""
        link = self.delta_links.get(object_name)
        if link:
            try:
                yield from self._pages(object_name, link, page_size, tracking=True)
                return
            except DeltaExpired:
                self.full_reads[object_name] = set()
        seen = self.full_reads.get(object_name)
        url, params = self.api + object_name, {"$select": self._select(object_name)}
        for page in self._pages(object_name, url, page_size, True, params):
            if seen is not None:
                seen.update(r["id"] for r in page if r.get("id"))
            yield page

    def read_batch(self, object_name, ids):
        """Current rows of the ids, FILTER_CHUNK ids a query.  A deleted row is left out,
        except an opportunity's: it comes back archived (the deal workflow follows it)."""
        key, out = KEYS[object_name], []
        ids = list(dict.fromkeys(str(i) for i in ids))
        for start in range(0, len(ids), FILTER_CHUNK):
            chunk = ids[start : start + FILTER_CHUNK]
            params = {"$select": self._select(object_name),
                      "$filter": " or ".join(f"{key} eq {_guid(i)}" for i in chunk)}  # fmt: skip
            for page in self._pages(object_name, self.api + object_name, params=params):
                out.extend(page)
        if object_name in TOMBSTONED:
            found = {r.get("id") for r in out}
            out += [_tombstone(i) for i in ids if i not in found]
        return out

    def lookup_value(self, entity_set, key, record_id, column):
        """A column of a row of a small reference table (currencies, business units), the
        table read once per adapter."""
        if not record_id:
            return None
        if entity_set not in self._lookups:
            body = self._get(self.api + entity_set, 5000, params={"$select": f"{key},{column}"})
            self._lookups[entity_set] = {row.get(key): row for row in body.get("value") or []}
        return (self._lookups[entity_set].get(record_id) or {}).get(column)

    def want_lines(self, opportunity_id):
        self._lines_wanted.add(opportunity_id)

    def lines_of(self, opportunity_id):
        """The opportunity products of an opportunity (product number and name expanded),
        read for every opportunity wanted so far, one query a chunk; a chunk is kept only once
        read to its last page (an order is never made short of its lines)."""
        todo = sorted((self._lines_wanted | {opportunity_id}) - set(self._lines))
        for start in range(0, len(todo), FILTER_CHUNK):
            chunk, read = todo[start : start + FILTER_CHUNK], {}
            params = {
                "$select": LINE_COLUMNS,
                "$expand": "productid($select=productnumber,name)",
                "$filter": " or ".join(f"_opportunityid_value eq {_guid(i)}" for i in chunk),
            }
            for page in self._pages("opportunityproducts", self.api + "opportunityproducts",
                                    params=params):  # fmt: skip
                for row in page:
                    owner = (row.get("data") or {}).get("_opportunityid_value")
                    read.setdefault(owner, []).append(row)
            strays = read.pop(None, [])  # unreadable rows: every opportunity of the chunk fails
            self._lines.update({oid: read.get(oid, []) + strays for oid in chunk})
        return self._lines.get(opportunity_id, [])

    # ------------------------------------------------------------------ writes
    def write_batch(self, object_name, items):
        outcome = self.write_outcomes(object_name, items)
        return [ext for ext, error in outcome.items() if error is None]

    def write_outcomes(self, object_name, items):
        """[(id, {column: value})] -> {id: None when updated, else Dataverse's reason}; one
        $batch per BATCH_MAX records, one change set per record, going on after a failure."""
        outcome, stopped = {}, "not applied: the batch stopped before it"
        for start in range(0, len(items), BATCH_MAX):
            chunk = items[start : start + BATCH_MAX]
            answers = _changeset_answers(self._send_batch(object_name, chunk))
            answers += [stopped] * (len(chunk) - len(answers))
            outcome.update((ext, answer) for (ext, _v), answer in zip(chunk, answers, strict=False))
        return outcome

    def _send_batch(self, object_name, chunk):
        """POST $batch (its multipart answer kept as text by a hook); errors of the request
        itself are classified as any other."""
        boundary = f"batch_{uuid.uuid4()}"
        headers = {"Content-Type": f"multipart/mixed; boundary={boundary}",
                   "Prefer": "odata.continue-on-error"}  # fmt: skip
        body = _batch_body(self.api, object_name, chunk, boundary).encode()
        return self._request("POST", self.api + "$batch", data=body, headers=headers,
                             hooks={"response": _keep_text})  # fmt: skip


def _tombstone(record_id):
    return {"id": record_id, "updated_at": None, "archived": True, "data": {}}


def _guid(value):
    if not re.fullmatch(r"[0-9a-fA-F-]{36}", value or ""):
        raise PayloadError(f"{value!r} is not a Dataverse id (a GUID)")
    return value


def _spot_expired(response, *args, **kwargs):
    """requests hook of a change tracking read: Dataverse's documented error code of an
    expired delta token (a 400 otherwise classified as a refused request)."""
    if response.status_code == 400:
        try:
            code = response.json().get("error", {}).get("code")
        except (ValueError, AttributeError):
            code = None
        if code == EXPIRED_DELTA:
            raise DeltaExpired(code)
    return response


def _keep_text(response, *args, **kwargs):
    """The $batch answer (multipart) as a JSON string: HttpAdapterMixin reads JSON bodies."""
    if response.status_code < 400:
        kept = json.dumps({"content_type": response.headers.get("Content-Type", ""),
                           "text": response.text})  # fmt: skip
        response._content = kept.encode()
    return response


def _batch_body(api, entity_set, items, boundary):
    lines = []
    for index, (ext, values) in enumerate(items, 1):
        changeset = f"changeset_{uuid.uuid4()}"
        lines += [
            f"--{boundary}", f"Content-Type: multipart/mixed; boundary={changeset}", "",
            f"--{changeset}", "Content-Type: application/http",
            "Content-Transfer-Encoding: binary", f"Content-ID: {index}", "",
            f"PATCH {api}{entity_set}({_guid(ext)}) HTTP/1.1",
            "Content-Type: application/json", "If-Match: *", "",
            json.dumps(values), f"--{changeset}--",
        ]  # fmt: skip
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines)


def _changeset_answers(answer):
    """The answer of each change set, in order: None (every operation 2xx) or the error
    message of its failed operation."""
    found = re.search(r"boundary=\"?([^\";]+)", answer.get("content_type") or "")
    if not found:
        raise PayloadError("Dataverse answered a $batch without a multipart boundary")
    out = []
    for part in answer["text"].split(f"--{found.group(1)}")[1:]:
        if part.startswith("--"):
            break
        statuses = [int(s) for s in re.findall(r"^HTTP/1\.1 (\d{3})", part, re.M)]
        if not statuses:
            raise PayloadError("Dataverse answered a $batch part without an HTTP status")
        failed = next((s for s in statuses if s >= 400), None)
        if failed is None:
            out.append(None)
            continue
        message = re.search(r"\{.*\}", part, re.S)
        try:
            error = json.loads(message.group(0)).get("error", {}) if message else {}
        except ValueError:
            error = {}
        out.append(f"HTTP {failed}: {error.get('message') or 'refused'} ({error.get('code')})")
    return out
