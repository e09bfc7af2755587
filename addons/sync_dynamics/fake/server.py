"""A wire-level fake of the Dataverse Web API v9.2 and of Entra ID's token endpoint (plain
Python on werkzeug, no Odoo import), for tests and the sandbox demo.

Served (shapes as Microsoft's public documentation describes them, written anew):
- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` and ``POST
  /<tenant>/oauth2/v2.0/token`` (client credentials, scope ``<org>/.default``): what msal asks;
- ``GET /api/data/v9.2/WhoAmI`` (with the ``x-ms-ratelimit-*`` headers of service protection);
- entity sets (accounts, contacts, opportunities, opportunityproducts, products,
  transactioncurrencies, businessunits, organizations): ``GET <set>`` with ``$select``,
  ``$filter`` (``eq``/``ne`` terms joined by ``or`` or ``and``), ``$expand`` of lookups with
  their own ``$select``, ``$top``; ``Prefer: odata.maxpagesize`` pages with
  ``@odata.nextLink``; ``Prefer: odata.track-changes`` ends with ``@odata.deltaLink``, and a
  delta link returns the rows changed since and the deleted ones as ``$deletedEntity``; a delta
  token older than `expire_delta_tokens` answers 400 ``0x80044352``;
- ``GET/PATCH <set>(<id>)`` (``If-Match: *``: no upsert, 404 for a deleted row);
- ``POST $batch``: multipart/mixed with change sets (each atomic), ``Prefer:
  odata.continue-on-error``;
- faults through sync_core's FaultInjector (``status`` answers the Dataverse error body, e.g.
  429 with ``Retry-After``).
"""

import copy
import itertools
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlparse

from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector, reset_connection, truncated
from odoo.addons.sync_core.fake.serving import ServedFake

API = "/api/data/v9.2"
KEYS = {
    "accounts": "accountid",
    "contacts": "contactid",
    "opportunities": "opportunityid",
    "opportunityproducts": "opportunityproductid",
    "products": "productid",
    "transactioncurrencies": "transactioncurrencyid",
    "businessunits": "businessunitid",
    "organizations": "organizationid",
}
LOGICAL = {name: key[: -len("id")] for name, key in KEYS.items()}
# single-valued navigation property -> (lookup column, target entity set)
LOOKUPS = {
    "productid": ("_productid_value", "products"),
    "transactioncurrencyid": ("_transactioncurrencyid_value", "transactioncurrencies"),
    "owningbusinessunit": ("_owningbusinessunit_value", "businessunits"),
    "parentaccountid": ("_parentaccountid_value", "accounts"),
    "opportunityid": ("_opportunityid_value", "opportunities"),
}
EXPIRED_TOKEN = "0x80044352"
NOT_FOUND = "0x80040217"
BURST_LIMIT = 6000  # requests per user per 5 minutes (service protection)
_TERM = re.compile(r"^\s*(\w+)\s+(eq|ne)\s+('(?:[^']|'')*'|[\w.:\-]+)\s*$")


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def _error(status, code, message, headers=None):
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body, status, headers or {}, content_type="application/json")


def _literal(text):
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _predicate(expression):
    """``a eq 1 or a eq 2`` / ``a eq 1 and b ne 'x'`` (outer parentheses allowed)."""
    text = (expression or "").strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if not text:
        return lambda row: True
    joiner = " or " if " or " in text else " and "
    terms = []
    for part in text.split(joiner):
        found = _TERM.match(part.strip("() "))
        if not found:
            raise ValueError(f"unsupported $filter term: {part}")
        name, op, value = found.group(1), found.group(2), _literal(found.group(3))
        terms.append((name, op, value))

    def test(row):
        checks = (
            (str(row.get(n)).lower() == str(v).lower() if v is not None else row.get(n) is None)
            == (op == "eq")
            for n, op, v in terms
        )
        return any(checks) if joiner == " or " else all(checks)

    return test


def _split_expand(text):
    """``a($select=x,y),b`` -> {"a": "x,y", "b": None}."""
    text, out, depth, start = text or "", {}, 0, 0
    for pos, char in enumerate(text + ","):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            item = text[start:pos].strip()
            start = pos + 1
            if item:
                name, _, rest = item.partition("(")
                sel = re.search(r"\$select=([^;)]*)", rest)
                out[name] = sel.group(1) if sel else None
    return out


class DataverseFake(FaultInjector, ServedFake):
    thread_name = "dataverse-fake"

    def __init__(self, tenant="contoso", client_id="app-id", client_secret="app-secret"):
        self.tenant = tenant
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.RLock()
        self.tables = {name: {} for name in KEYS}
        self.deleted = {name: [] for name in KEYS}  # [(version, id)]
        self.version = 1000
        self.oldest_token = 0
        self.tokens = {}  # access token -> expires (epoch)
        self.token_requests = 0
        self.requests = []  # (method, path with query)
        self.refused = {}  # id -> message a PATCH of it is refused with (a plug-in's error)
        self.burst_remaining = BURST_LIMIT
        self._cursors = {}
        self._ids = itertools.count(1)
        self.user_id = self.guid()
        self.org_id = self.guid()
        self.unit_id = self.add("businessunits", {"name": "Contoso Europe"})
        self.add("organizations", {"organizationid": self.org_id, "name": "Contoso Sandbox"})
        self.currencies = {
            code: self.add("transactioncurrencies", {"isocurrencycode": code, "currencyname": name})
            for code, name in (("USD", "US Dollar"), ("EUR", "Euro"))
        }

    # ------------------------------------------------------------------ data
    def guid(self):
        return str(uuid.UUID(int=(0xD365 << 96) + next(self._ids)))

    def _stamp(self, row):
        self.version += 1
        row["versionnumber"] = self.version
        row["modifiedon"] = (_now() + timedelta(microseconds=self.version)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )

    def add(self, entity_set, values, record_id=None):
        with self.lock:
            key = KEYS[entity_set]
            record_id = str(values.get(key) or record_id or self.guid())
            row = {key: record_id, **values}
            self._stamp(row)
            self.tables[entity_set][record_id] = row
            return record_id

    def update(self, entity_set, record_id, **values):
        with self.lock:
            row = self.tables[entity_set][record_id]
            row.update(values)
            self._stamp(row)

    def delete(self, entity_set, record_id):
        with self.lock:
            self.tables[entity_set].pop(record_id)
            self.version += 1
            self.deleted[entity_set].append((self.version, record_id))

    def get(self, entity_set, record_id):
        return self.tables[entity_set].get(record_id)

    def expire_delta_tokens(self):
        """Every delta token handed out so far is past the retention period."""
        self.oldest_token = self.version + 1

    def count(self, path_contains="", method=None):
        return sum(
            1 for m, p in self.requests if path_contains in p and (method is None or m == method)
        )

    # ------------------------------------------------------------------ webhooks
    def execution_context(self, message, entity_set, record_id, **more):
        """The RemoteExecutionContext a service endpoint (WebHook) posts for a message."""
        logical = LOGICAL[entity_set]
        target = {"LogicalName": logical, "Id": record_id, "KeyAttributes": [], "Attributes": []}
        name = "Target"
        return {
            "BusinessUnitId": self.unit_id,
            "CorrelationId": str(uuid.uuid4()),
            "Depth": 1,
            "InitiatingUserId": self.user_id,
            "InputParameters": [{"key": name, "value": target}],
            "IsExecutingOffline": False,
            "IsInTransaction": False,
            "IsolationMode": 1,
            "MessageName": message,
            "Mode": 1,
            "OperationCreatedOn": f"/Date({int(time.time() * 1000)})/",
            "OperationId": str(uuid.uuid4()),
            "OrganizationId": self.org_id,
            "OrganizationName": "contososandbox",
            "OutputParameters": [],
            "PostEntityImages": [],
            "PreEntityImages": more.pop("pre_images", []),
            "PrimaryEntityId": record_id,
            "PrimaryEntityName": logical,
            "RequestId": str(uuid.uuid4()),
            "SecondaryEntityName": "none",
            "Stage": 40,
            "UserId": self.user_id,
            **more,
        }

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.full_path.rstrip("?")
        with self.lock:
            self.requests.append((request.method, path))
        fault = self._take_fault(request.method, path)
        if fault and fault.kind == "reset":
            return reset_connection(environ, start_response)
        if fault and fault.kind == "timeout":
            self._stopping.wait(fault.seconds)
        if fault and fault.kind == "status":
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after else {}
            code = fault.details.get("code", "0x80072322" if fault.status == 429 else "0x0")
            message = fault.details.get("message", "Number of requests exceeded the limit.")
            response = _error(fault.status, code, message, headers)
        else:
            try:
                response = self.dispatch(request)
            except ValueError as exc:
                response = _error(400, "0x80060888", str(exc))
        if fault and fault.kind == "malformed":
            response.set_data(truncated(response.get_data()))
        return response(environ, start_response)

    def dispatch(self, request):
        path = request.path
        if path == f"/{self.tenant}/v2.0/.well-known/openid-configuration":
            return self._openid(request)
        if path == f"/{self.tenant}/oauth2/v2.0/token":
            return self._token(request)
        if not path.startswith(API + "/"):
            return _error(404, "0x0", f"Resource not found for the segment '{path}'.")
        if not self._authorized(request):
            return _error(401, "0x80072560", "The user is not a member of the organization.",
                          {"WWW-Authenticate": "Bearer authorization_uri=..."})  # fmt: skip
        with self.lock:
            self.burst_remaining -= 1
            response = self._api(request, path[len(API) + 1 :])
        response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"] = str(self.burst_remaining)
        response.headers["x-ms-ratelimit-time-remaining-xrm-requests"] = "1199000.00"
        response.headers["OData-Version"] = "4.0"
        return response

    def _openid(self, request):
        host = request.host
        base = f"https://{host}/{self.tenant}"
        return Response(
            json.dumps({
                "issuer": f"https://{host}/{self.tenant}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }),
            content_type="application/json",
        )  # fmt: skip

    def _token(self, request):
        form = request.form
        self.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "AADSTS70003: grant type not supported")
        given = (form.get("client_id"), form.get("client_secret"))
        if given != (self.client_id, self.client_secret):
            return _oauth_error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if not (form.get("scope") or "").endswith("/.default"):
            return _oauth_error("invalid_scope", "AADSTS1002012: scope must end with /.default")
        token = uuid.uuid4().hex
        self.tokens[token] = time.time() + 3599
        return Response(
            json.dumps({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                        "access_token": token}),
            content_type="application/json",
        )  # fmt: skip

    def _authorized(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        return self.tokens.get(token, 0) > time.time()

    def revoke_tokens(self):
        self.tokens.clear()

    def _api(self, request, rest):
        if rest == "WhoAmI":
            return _json({"@odata.context": f"{self._base(request)}$metadata#Microsoft.Dynamics."
                          "CRM.WhoAmIResponse", "BusinessUnitId": self.unit_id,
                          "UserId": self.user_id, "OrganizationId": self.org_id})  # fmt: skip
        if rest == "$batch" and request.method == "POST":
            return self._batch(request)
        found = re.fullmatch(r"(\w+)(?:\(([0-9a-fA-F-]+)\))?", rest)
        if not found or found.group(1) not in KEYS:
            return _error(404, "0x80060888", f"Resource not found for the segment '{rest}'.")
        entity_set, record_id = found.groups()
        if record_id and request.method == "PATCH":
            return self._patch(request, entity_set, record_id, request.get_data(as_text=True))
        if request.method != "GET":
            return _error(405, "0x0", "method not allowed")
        if record_id:
            row = self.tables[entity_set].get(record_id)
            if row is None:
                return self._missing(entity_set, record_id)
            return _json(self._shape(request, entity_set, row, request.args))
        return self._list(request, entity_set)

    def _missing(self, entity_set, record_id):
        return _error(404, NOT_FOUND, f"{LOGICAL[entity_set]} With Id = {record_id} Does Not Exist")

    @staticmethod
    def _base(request):
        return f"{request.host_url}{API[1:]}/"

    def _shape(self, request, entity_set, row, args):
        select = [s for s in (args.get("$select") or "").split(",") if s]
        out = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
        keep = [*select, KEYS[entity_set]] if select else list(row)
        out.update({name: row.get(name) for name in keep})
        for nav, nav_select in _split_expand(args.get("$expand")).items():
            column, target = LOOKUPS[nav]
            linked = self.tables[target].get(row.get(column) or "")
            out[nav] = (
                self._shape(request, target, linked, {"$select": nav_select or ""})
                if linked
                else None
            )
        return out

    # ------------------------------------------------------------------ collections
    def _list(self, request, entity_set):
        args = request.args
        prefer = request.headers.get("Prefer", "")
        size = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        size = int(size.group(1)) if size else 5000
        token = args.get("$skiptoken")
        if token:
            cursor = self._cursors.get(token)
            if cursor is None:
                return _error(400, "0x80040203", "The skip token is not valid.")
            return self._page(request, *cursor, size)
        tracking = "odata.track-changes" in prefer or "$deltatoken" in args
        if "$deltatoken" in args:
            since = int(args["$deltatoken"].split("!")[0])
            if since < self.oldest_token:
                return _error(400, EXPIRED_TOKEN, "Version stamp associated with the client has "
                              "expired. Please perform a full sync.")  # fmt: skip
            rows = [r for r in self.tables[entity_set].values() if r["versionnumber"] > since]
            gone = [(v, i) for v, i in self.deleted[entity_set] if v > since]
        else:
            test = _predicate(args.get("$filter"))
            rows = [r for r in self.tables[entity_set].values() if test(r)]
            gone = []
        rows = sorted(rows, key=lambda r: r["versionnumber"])
        if args.get("$top"):
            rows = rows[: int(args["$top"])]
        items = [self._shape(request, entity_set, r, args) for r in rows]
        items += [
            {"@odata.context": f"{self._base(request)}$metadata#{entity_set}/$deletedEntity",
             "id": record_id, "reason": "deleted"}
            for _v, record_id in sorted(gone)
        ]  # fmt: skip
        delta = None
        if tracking:
            query = {"$select": args["$select"]} if args.get("$select") else {}
            query["$deltatoken"] = f"{self.version}!{_now():%m/%d/%Y %H:%M:%S}"
            link = "&".join(f"{k}={quote(v, safe=',')}" for k, v in query.items())
            delta = f"{self._base(request)}{entity_set}?{link}"
        return self._page(request, entity_set, items, delta, size)

    def _page(self, request, entity_set, items, delta, size):
        page, rest = items[:size], items[size:]
        body = {"@odata.context": f"{self._base(request)}$metadata#{entity_set}", "value": page}
        if rest:
            token = uuid.uuid4().hex
            self._cursors[token] = (entity_set, rest, delta)
            body["@odata.nextLink"] = f"{self._base(request)}{entity_set}?$skiptoken={token}"
        elif delta:
            body["@odata.deltaLink"] = delta
        headers = {"Preference-Applied": f"odata.maxpagesize={size}"}
        return _json(body, headers=headers)

    # ------------------------------------------------------------------ writes
    def _patch(self, request_or_none, entity_set, record_id, text):
        row = self.tables[entity_set].get(record_id)
        if row is None:
            return self._missing(entity_set, record_id)
        if record_id in self.refused:
            return _error(400, "0x80040265", self.refused[record_id])
        try:
            values = json.loads(text or "{}")
        except ValueError:
            return _error(400, "0x0", "The request body is not valid JSON.")
        unknown = sorted(k for k in values if k.startswith("new_") is False and k not in row)
        if unknown:
            return _error(400, "0x0", f"Invalid property '{unknown[0]}' was found in entity "
                          f"'Microsoft.Dynamics.CRM.{LOGICAL[entity_set]}'.")  # fmt: skip
        row.update(values)
        self._stamp(row)
        return Response(status=204, headers={"OData-EntityId": f"{entity_set}({record_id})"})

    def _batch(self, request):
        boundary = _boundary(request.headers.get("Content-Type", ""))
        if not boundary:
            return _error(400, "0x0", "A $batch request needs a multipart/mixed boundary.")
        go_on = "odata.continue-on-error" in request.headers.get("Prefer", "")
        answer_boundary = f"batchresponse_{uuid.uuid4()}"
        parts = []
        for part in _parts(request.get_data(as_text=True), boundary):
            headers, body = _head(part)
            inner = _boundary(headers.get("content-type", ""))
            if inner:
                text, ok = self._changeset(body, inner)
            else:
                response = self._operation(body)
                text, ok = _http_part(response), response.status_code < 400
            parts.append(text)
            if not ok and not go_on:
                break
        out = "".join(f"--{answer_boundary}\r\n{p}\r\n" for p in parts) + f"--{answer_boundary}--"
        return Response(out, 200, content_type=f"multipart/mixed; boundary={answer_boundary}")

    def _changeset(self, body, boundary):
        """All operations of a change set, or none: the first failure rolls it back and is
        the change set's only answer."""
        saved = copy.deepcopy(self.tables), self.version
        answers = []
        for part in _parts(body, boundary):
            headers, request_text = _head(part)
            response = self._operation(request_text)
            text = _http_part(response, headers.get("content-id"))
            if response.status_code >= 400:
                self.tables, self.version = saved
                return f"Content-Type: application/http\r\n{text}", False
            answers.append(text)
        inner = f"changesetresponse_{uuid.uuid4()}"
        joined = "".join(f"--{inner}\r\nContent-Type: application/http\r\n{a}\r\n" for a in answers)
        return f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n{joined}--{inner}--", True

    def _operation(self, text):
        line, _, rest = text.partition("\r\n")
        method, url, _version = [*line.split(" "), "", ""][:3]
        _headers, body = _head(rest)
        found = re.search(r"/(\w+)\(([0-9a-fA-F-]+)\)$", urlparse(url).path)
        if method != "PATCH" or not found or found.group(1) not in KEYS:
            return _error(400, "0x0", f"unsupported $batch operation: {line}")
        return self._patch(None, found.group(1), found.group(2), body)


def _oauth_error(error, description):
    body = {"error": error, "error_description": description, "error_codes": [7000215]}
    return Response(json.dumps(body), 401 if error == "invalid_client" else 400,
                    content_type="application/json")  # fmt: skip


def _json(body, status=200, headers=None):
    return Response(json.dumps(body), status, headers or {},
                    content_type="application/json; odata.metadata=minimal")  # fmt: skip


def _boundary(content_type):
    found = re.search(r"boundary=\"?([^\";]+)", content_type or "")
    return found.group(1) if found and "multipart/mixed" in content_type else None


def _parts(text, boundary):
    chunks = text.split(f"--{boundary}")
    return [c.strip("\r\n") for c in chunks[1:] if not c.startswith("--")]


def _head(text):
    """Headers (lower-case names) and the body after the first blank line."""
    head, _, body = text.partition("\r\n\r\n")
    headers = {}
    for line in head.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, body


def _http_part(response, content_id=None):
    reason = {204: "No Content", 400: "Bad Request", 404: "Not Found"}.get(
        response.status_code, "OK"
    )
    lines = ["Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"HTTP/1.1 {response.status_code} {reason}"]
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k != "Content-Length"]
    lines += ["", response.get_data(as_text=True)]
    return "\r\n".join(lines)
