# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""In-memory Salesforce org over real HTTP (werkzeug WSGI on 127.0.0.1), for tests and the demo.

Serves what the connector calls, in Salesforce's wire formats: OAuth 2.0 token endpoint
(password, JWT bearer and client credentials grants), SOAP partner ``login``, ``userinfo``,
REST ``limits``, ``query`` / ``queryAll`` with ``nextRecordsUrl`` cursors, ``sobjects/<T>/updated``
and ``/deleted``, sObject Collections (``composite/sobjects``) and Bulk API 2.0 query jobs (CSV
results paged with ``Sforce-Locator`` until ``null``).  Every API answer carries
``Sforce-Limit-Info: api-usage=used/max``; errors are JSON arrays of ``{message, errorCode}``.
Faults: :meth:`expire_sessions` (401 ``INVALID_SESSION_ID``), :meth:`fail_next` (any status and
errorCode, e.g. 403 ``REQUEST_LIMIT_EXCEEDED``, 500), :meth:`timeout_next`, sync_core's
`FaultInjector` (``reset_next``, ``malformed_next``: JSON or Bulk CSV cut short, seeded
``random_faults`` whose ``status`` kinds take ``error_code`` and ``message``),
:meth:`invalidate_cursors` (400 ``INVALID_QUERY_LOCATOR``), :meth:`forget_bulk_jobs` (404
``NOT_FOUND``), :meth:`purge_delete_log`.
No Odoo import.
"""

import base64
import collections
import csv
import html
import io
import itertools
import json
import math
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector, reset_connection, truncated
from odoo.addons.sync_core.fake.serving import ServedFake

from . import outbound, soql

API_VERSION = "59.0"
KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityLineItem": "00k",
    "Product2": "01t",
    "User": "005",
}
SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
# Standard fields the org describes (GET sobjects/{name}/describe), as (name, type); an org
# also describes every field its records carry and those a test defines (`define_field`).
STANDARD_FIELDS = {
    "Account": (
        ("Name", "string"),
        ("Website", "url"),
        ("Phone", "phone"),
        ("BillingStreet", "textarea"),
        ("BillingCity", "string"),
        ("BillingPostalCode", "string"),
        ("BillingState", "string"),
        ("BillingCountry", "string"),
        ("Industry", "picklist"),
        ("Description", "textarea"),
        ("OwnerId", "reference"),
    ),
    "Contact": (
        ("FirstName", "string"),
        ("LastName", "string"),
        ("Name", "string"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("MobilePhone", "phone"),
        ("Title", "string"),
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
    ),
    "Opportunity": (
        ("Name", "string"),
        ("StageName", "picklist"),
        ("Amount", "currency"),
        ("CloseDate", "date"),
        ("IsClosed", "boolean"),
        ("IsWon", "boolean"),
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
        ("CurrencyIsoCode", "picklist"),
        ("Description", "textarea"),
    ),
    "OpportunityLineItem": (
        ("OpportunityId", "reference"),
        ("Product2Id", "reference"),
        ("ProductCode", "string"),
        ("Name", "string"),
        ("Quantity", "double"),
        ("UnitPrice", "currency"),
        ("TotalPrice", "currency"),
        ("Discount", "percent"),
        ("SortOrder", "int"),
    ),
    "Product2": (("Name", "string"), ("ProductCode", "string"), ("IsActive", "boolean")),
    "User": (("Name", "string"), ("Email", "email"), ("Username", "string")),
}
COLLECTION_MAX = 200
DEFAULT_BATCH = 2000
DELETE_LOG_DAYS = 30
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def sf_datetime(value):
    """REST JSON form: ``2024-05-01T10:00:00.000+0000``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def csv_datetime(value):
    """Bulk CSV form: ``2024-05-01T10:00:00.000Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class ApiError(Exception):
    def __init__(self, status, error_code, message, headers=None, raw=None):
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message
        self.headers = headers or {}
        self.raw = raw  # a body to answer as is (JSON when not a string)

    def body(self):
        return [{"message": self.message, "errorCode": self.error_code}]

    def response(self):
        if isinstance(self.raw, str):  # a page that is not Salesforce's JSON (a gateway's)
            return Response(self.raw, self.status, content_type="text/html;charset=UTF-8")
        body = self.body() if self.raw is None else self.raw
        return Response(json.dumps(body), self.status, content_type="application/json")


class SalesforceFake(FaultInjector, ServedFake):
    """One org: users' credentials, records per sObject type, delete log, API usage."""

    thread_name = "salesforce-fake"

    def __init__(
        self,
        username="integration@example.com",
        password="pass-word",
        security_token="TOKEN123",
        consumer_key="fake-consumer-key",
        consumer_secret="fake-consumer-secret",
        jwt_public_key=None,
        org_id="00D8d0000000001EAA",
        user_id="0058d0000000001AAA",
        api_max=15000,
    ):
        self.username, self.password, self.security_token = username, password, security_token
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.jwt_public_key = jwt_public_key
        self.org_id, self.user_id = org_id, user_id
        self.api_used, self.api_max = 0, api_max
        self._lock = threading.RLock()
        self._records = collections.defaultdict(dict)  # type -> id -> fields
        self._delete_log = collections.defaultdict(list)  # type -> [(id, deleted at)]
        self.earliest_delete_available = None  # None: now - 30 days
        self._seq = itertools.count(1)
        self._clock_offset = timedelta()
        self._sessions = {}  # session id -> login mode
        self._cursors = {}  # locator -> (query, [records])
        self._jobs = {}  # bulk job id -> dict
        self._rejections = {}  # record id -> (statusCode, message, times left)
        self._custom_fields = {}  # sobject -> {name: type}
        # StageName -> won, for the closed stages (OpportunityStage IsClosed / IsWon)
        self.closed_stages = {"Closed Won": True, "Closed Lost": False}
        self.log = []  # (method, path, SOQL text)
        self.statuses = collections.Counter()  # API answers (/services/data/) by status

    # ------------------------------------------------------------------ clock and data
    def now(self):
        """The org's clock (UTC, naive), to the second like Salesforce's system stamps."""
        return (datetime.now(UTC).replace(tzinfo=None) + self._clock_offset).replace(microsecond=0)

    def advance_clock(self, seconds):
        with self._lock:
            self._clock_offset += timedelta(seconds=seconds)

    def new_id(self, sobject):
        return f"{KEY_PREFIXES.get(sobject, 'a00')}8d{next(self._seq):010d}AAA"

    def add(self, sobject, fields, modstamp=None, omit=()):
        """Create a record as a Salesforce user would; return its 18-character Id.  `omit`:
        fields the wire leaves out of this record (REST JSON without the key, Bulk CSV with an
        empty cell), e.g. ("Id",) as in the documentation's query examples without an Id."""
        with self._lock:
            stamp = modstamp or self.now()
            record_id = self.new_id(sobject)
            self._records[sobject][record_id] = {
                **fields,
                "Id": record_id,
                "IsDeleted": False,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "_omit": tuple(omit),
            }
            self._derive(sobject, self._records[sobject][record_id])
            return record_id

    def update(self, sobject, record_id, fields, modstamp=None):
        with self._lock:
            record = self._records[sobject][record_id]
            record.update(fields)
            stamp = modstamp or self.now()
            record["LastModifiedDate"] = record["SystemModstamp"] = stamp
            self._derive(sobject, record)
            return record

    def delete(self, sobject, record_id, when=None):
        """Move a record to the recycle bin: queryAll still sees it, getDeleted lists it."""
        with self._lock:
            record = self._records[sobject][record_id]
            stamp = when or self.now()
            record.update(IsDeleted=True, SystemModstamp=stamp)
            self._delete_log[sobject].append((record_id, stamp))
            if sobject == "OpportunityLineItem":
                self._roll_up(record.get("OpportunityId"), stamp)

    def purge_delete_log(self, before):
        """Forget deletes older than ``before`` (recycle bin emptied): getDeleted then reports
        ``earliestDateAvailable`` = ``before``."""
        with self._lock:
            self.earliest_delete_available = before
            for sobject, entries in self._delete_log.items():
                gone = {rid for rid, stamp in entries if stamp < before}
                self._delete_log[sobject] = [(r, s) for r, s in entries if r not in gone]
                for rid in gone:
                    self._records[sobject].pop(rid, None)

    def get(self, sobject, record_id):
        with self._lock:
            return dict(self._records[sobject][record_id])

    def _derive(self, sobject, record):
        """Formula and roll-up fields as Salesforce computes them: Contact.Name; IsClosed and
        IsWon of an Opportunity from its stage; a line item's TotalPrice, rolled up into its
        opportunity's Amount (which changes the opportunity's SystemModstamp)."""
        if sobject == "Contact":
            parts = [record.get("FirstName"), record.get("LastName")]
            record["Name"] = " ".join(p for p in parts if p)
        elif sobject == "Opportunity":
            closed = self.closed_stages.get(record.get("StageName"))
            record.update(IsClosed=closed is not None, IsWon=bool(closed))
        elif sobject == "OpportunityLineItem":
            quantity, price = record.get("Quantity") or 0, record.get("UnitPrice") or 0
            record["TotalPrice"] = round(
                quantity * price * (1 - (record.get("Discount") or 0) / 100), 2
            )
            self._roll_up(record.get("OpportunityId"), record["SystemModstamp"])

    def _roll_up(self, opportunity_id, stamp):
        opportunity = self._records["Opportunity"].get(opportunity_id)
        if opportunity is None:
            return
        items = [
            r for r in self._records["OpportunityLineItem"].values()
            if r.get("OpportunityId") == opportunity_id and not r["IsDeleted"]
        ]  # fmt: skip
        if items:
            opportunity["Amount"] = round(sum(r["TotalPrice"] for r in items), 2)
        opportunity["LastModifiedDate"] = opportunity["SystemModstamp"] = stamp

    def reject_items(
        self,
        record_ids,
        status_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message="Invoice fields are locked on closed opportunities",
        times=1,
    ):
        """The next `times` sObject Collections writes of these records fail item by item
        (the call still answers HTTP 200; the failed item has no id)."""
        with self._lock:
            for record_id in record_ids:
                self._rejections[record_id] = (status_code, message, times)

    def outbound_message(self, url, sobject, record_ids, fields=("Id",)):
        """Send one Outbound Message for records of one type to a listener, as a workflow rule
        or flow would: current values of `fields`, one notification each (fresh ids).
        Returns (HTTP status, response body)."""
        with self._lock:
            notes = [
                (
                    outbound.notification_id(),
                    sobject,
                    {
                        f: sf_datetime(v) if isinstance(v, datetime) else v
                        for f, v in ((f, self._records[sobject][rid].get(f)) for f in fields)
                    },
                )
                for rid in record_ids
            ]
        return outbound.send(url, outbound.envelope(self.org_id, notes, base_url=self.base_url))

    # ------------------------------------------------------------------ sessions and faults
    def expire_sessions(self):
        """Every session id issued so far becomes invalid (401 INVALID_SESSION_ID)."""
        with self._lock:
            self._sessions.clear()

    def issue_session(self, mode):
        sid = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(24)}"
        with self._lock:
            self._sessions[sid] = mode
        return sid

    @property
    def logins(self):
        with self._lock:
            return [
                e for e in self.log if e[1] in ("/services/oauth2/token",) or "/Soap/u/" in e[1]
            ]

    def fail_next(
        self,
        n=1,
        status=500,
        error_code="UNKNOWN_EXCEPTION",
        message="An unexpected error occurred. Please include this ErrorId if you contact "
        "support: 1234567890-12345 (-1234567890)",
        path_contains="",
        methods=(),
        retry_after=None,
        body=None,
        skip=0,
    ):
        """The next `n` matching requests answer `status` with Salesforce's error body
        ``[{"message", "errorCode"}]`` (and ``Retry-After`` when given); ``body`` answers that
        instead (JSON, or a string sent as an HTML page); `skip` matching requests are
        served normally first."""
        self.status_next(
            n,
            methods,
            path_contains,
            status,
            retry_after,
            body,
            skip=skip,
            error_code=error_code,
            message=message,
        )

    def timeout_next(self, n=1, seconds=5.0, path_contains="", methods=()):
        self.add_fault("timeout", n, methods, path_contains, seconds=seconds)

    def expire_sessions_next(self, n=1, path_contains="", methods=()):
        """Invalidate every session just before the next matching request is served, as a
        session timing out in the middle of a pull (the request then gets a real 401)."""
        self.add_fault("expire", n, methods, path_contains)

    def forget_bulk_jobs(self):
        """Bulk 2.0 query jobs are gone (deleted, or their results expired: Salesforce keeps
        them 7 days): asking for one answers 404 ``NOT_FOUND``."""
        with self._lock:
            self._jobs.clear()

    def invalidate_cursors(self):
        """Query locators expire (as after 15 minutes idle): 400 INVALID_QUERY_LOCATOR."""
        with self._lock:
            self._cursors.clear()

    def calls(self, path_contains="", method=None):
        with self._lock:
            return sum(
                1 for m, p, _q in self.log if path_contains in p and (method is None or m == method)
            )

    def queries(self):
        """SOQL texts received by query/queryAll and Bulk 2.0 jobs, in order."""
        with self._lock:
            return [q for _m, _p, q in self.log if q]

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ, start_response):
        request = Request(environ)
        method, path = request.method, request.path
        soql_text = request.args.get("q") or ""
        if path.endswith("/jobs/query") and method == "POST":
            try:
                soql_text = json.loads(request.get_data() or b"{}").get("query") or ""
            except ValueError:
                soql_text = ""
        with self._lock:
            self.log.append((method, path, soql_text))
        fault = self._take_fault(method, path)
        if fault and fault.kind == "reset":
            return reset_connection(environ, start_response)
        if fault and fault.kind == "expire":
            self.expire_sessions()
        try:
            if fault and fault.kind == "status":
                raise self._fault_error(fault)
            response = self._dispatch(request, method, path)
        except ApiError as error:
            response = error.response()
            response.headers.update(error.headers)
        if fault and fault.kind == "malformed" and response.status_code < 300:
            # the transfer cut short: JSON or CSV, the headers (Sforce-Locator ...) intact
            response.set_data(truncated(response.get_data()))
        if fault and fault.kind == "timeout":  # a slow answer, decided on arrival
            self._stopping.wait(fault.seconds)
        if path.startswith("/services/data/"):
            with self._lock:
                self.api_used += 1
                used = self.api_used
                self.statuses[response.status_code] += 1
            response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{self.api_max}"
        return response(environ, start_response)

    @staticmethod
    def _fault_error(fault):
        """A status fault in Salesforce's shape: ``[{"message", "errorCode"}]``, with
        ``Retry-After`` when given (e.g. 429 or 503 REQUEST_LIMIT_EXCEEDED / SERVER_UNAVAILABLE
        from Salesforce's edge)."""
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(math.ceil(fault.retry_after)))
        return ApiError(
            fault.status,
            fault.details.get("error_code", "UNKNOWN_EXCEPTION"),
            fault.details.get("message", "An unexpected error occurred."),
            headers,
            raw=fault.body,
        )

    def _dispatch(self, request, method, path):
        if path == "/services/oauth2/token" and method == "POST":
            return self._token(request)
        if path.startswith("/services/Soap/u/") and method == "POST":
            return self._soap_login(request)
        if path.startswith("/lightning/r/") and method == "GET":
            return self._record_page(path)
        self._authenticate(request)
        if path == "/services/oauth2/userinfo":
            return self._json(self._userinfo())
        prefix = f"/services/data/v{API_VERSION}/"
        if not path.startswith(prefix):
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        rest = path[len(prefix) :].strip("/")
        parts = rest.split("/")
        if rest == "limits" and method == "GET":
            return self._json(self._limits())
        if parts[0] in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return self._json(self._query_more(parts[1]))
            return self._json(self._query(request, include_deleted=parts[0] == "queryAll"))
        if parts[0] == "sobjects" and len(parts) == 3 and parts[2] == "describe":
            return self._json(self._describe(parts[1]))
        if parts[0] == "sobjects" and len(parts) == 3 and parts[2] in ("updated", "deleted"):
            return self._json(self._replication(parts[1], parts[2], request.args))
        if rest == "composite/sobjects" and method in ("PATCH", "POST"):
            return self._json(self._collection(request, method))
        if parts[:2] == ["jobs", "query"]:
            return self._bulk(request, method, parts[2:])
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    @staticmethod
    def _json(payload, status=200):
        return Response(json.dumps(payload), status, content_type="application/json;charset=UTF-8")

    def define_field(self, sobject, name, field_type="string"):
        """A custom field created in the org's setup (e.g. ``VAT__c``)."""
        with self._lock:
            self._custom_fields.setdefault(sobject, {})[name] = field_type

    def _describe(self, sobject):
        """``GET sobjects/{name}/describe``: the object's fields in Salesforce's shape (a
        lookup field names its relationship, e.g. AccountId -> Account)."""
        if sobject not in KEY_PREFIXES:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        with self._lock:
            described = {"Id": "id", "IsDeleted": "boolean", "SystemModstamp": "datetime"}
            described.update(CreatedDate="datetime", LastModifiedDate="datetime")
            described.update(STANDARD_FIELDS.get(sobject, ()))
            for record in self._records.get(sobject, {}).values():
                for name in record:
                    if not name.startswith("_"):
                        described.setdefault(name, "string")
            described.update(self._custom_fields.get(sobject, {}))
        fields = [
            {
                "name": name,
                "label": name,
                "type": field_type,
                "custom": name.endswith("__c"),
                "nillable": name not in SYSTEM_FIELDS,
                "relationshipName": (
                    name[:-2] if field_type == "reference" and name.endswith("Id") else None
                ),
                "referenceTo": [name[:-2]] if field_type == "reference" else [],
            }
            for name, field_type in described.items()
        ]
        return {"name": sobject, "label": sobject, "custom": False, "fields": fields}

    def _authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            valid = scheme.lower() in ("bearer", "oauth") and token in self._sessions
        if not valid:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    # ------------------------------------------------------------------ authentication
    def _token_answer(self, mode):
        return self._json(
            {
                "access_token": self.issue_session(mode),
                "instance_url": self.base_url,
                "id": f"{self.base_url}/id/{self.org_id}/{self.user_id}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
            }
        )

    @staticmethod
    def _oauth_error(error, description, status=400):
        return Response(
            json.dumps({"error": error, "error_description": description}),
            status,
            content_type="application/json;charset=UTF-8",
        )

    def _token(self, request):
        form = request.form
        grant = form.get("grant_type")
        if grant == "password":
            if (form.get("client_id"), form.get("client_secret")) != (
                self.consumer_key,
                self.consumer_secret,
            ):
                return self._oauth_error("invalid_client_id", "client identifier invalid")
            if form.get("username") != self.username or form.get("password") not in (
                self.password,
                self.password + self.security_token,
            ):
                return self._oauth_error("invalid_grant", "authentication failure")
            return self._token_answer("password")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(
                    form.get("assertion") or "",
                    self.jwt_public_key,
                    algorithms=["RS256"],
                    audience=[
                        "https://login.salesforce.com",
                        "https://test.salesforce.com",
                        self.base_url,
                    ],
                )
            except (jwt.PyJWTError, ValueError, TypeError):
                return self._oauth_error("invalid_grant", "invalid assertion")
            if claims.get("iss") != self.consumer_key:
                return self._oauth_error("invalid_client_id", "client identifier invalid")
            if claims.get("sub") != self.username:
                return self._oauth_error("invalid_grant", "user hasn't approved this consumer")
            return self._token_answer("jwt")
        if grant == "client_credentials":
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            try:
                key, _, secret = base64.b64decode(value).decode().partition(":")
            except ValueError:
                key = secret = None
            if scheme != "Basic":
                key, secret = form.get("client_id"), form.get("client_secret")
            if (key, secret) != (self.consumer_key, self.consumer_secret):
                return self._oauth_error("invalid_client", "invalid client credentials")
            return self._token_answer("client_credentials")
        return self._oauth_error("unsupported_grant_type", "grant type not supported")

    def _soap_login(self, request):
        body = request.get_data(as_text=True)
        username = _between(body, "username>", "</")
        password = _between(body, "password>", "</")
        if username != self.username or password != self.password + self.security_token:
            fault = (
                f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
                f'"{SOAP_ENV}" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi='
                '"http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
                "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid "
                "username, password, security token; or user locked out.</faultstring><detail>"
                '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN'
                "</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security "
                "token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>"
                "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
            )
            return Response(fault, 500, content_type="text/xml; charset=utf-8")
        sid = self.issue_session("soap")
        server = f"{self.base_url}/services/Soap/u/{API_VERSION}/{self.org_id[:15]}"
        answer = (
            f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"'
            ' xmlns="urn:partner.soap.sforce.com" xmlns:xsi='
            '"http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>'
            f"<metadataServerUrl>{self.base_url}/services/Soap/m/{API_VERSION}/"
            f"{self.org_id[:15]}</metadataServerUrl><passwordExpired>false</passwordExpired>"
            f"<sandbox>true</sandbox><serverUrl>{server}</serverUrl><sessionId>{sid}</sessionId>"
            f"<userId>{self.user_id}</userId><userInfo><organizationId>{self.org_id}"
            f"</organizationId><userName>{self.username}</userName></userInfo></result>"
            "</loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Response(answer, 200, content_type="text/xml; charset=utf-8")

    def _record_page(self, path):
        """The sandbox's stand-in for a record page of Lightning Experience
        (/lightning/r/<Object>/<Id>/view): the record as JSON."""
        parts = path.strip("/").split("/")
        with self._lock:
            record = self._records.get(parts[2], {}).get(parts[3]) if len(parts) == 5 else None
            if record is None or parts[4] != "view":
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            body = {
                k: sf_datetime(v) if isinstance(v, datetime) else v
                for k, v in record.items()
                if k != "_omit"
            }
        return self._json({"attributes": self._attributes(parts[2], parts[3]), **body})

    def _userinfo(self):
        return {
            "sub": f"{self.base_url}/id/{self.org_id}/{self.user_id}",
            "user_id": self.user_id,
            "organization_id": self.org_id,
            "preferred_username": self.username,
            "name": "Integration User",
            "email": self.username,
        }

    def _limits(self):
        with self._lock:
            used = self.api_used
        return {
            "DailyApiRequests": {"Max": self.api_max, "Remaining": max(self.api_max - used, 0)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000 - len(self._jobs)},
        }

    # ------------------------------------------------------------------ query
    def _select(self, text, include_deleted):
        try:
            query = soql.Query(text)
        except soql.SoqlError as error:
            raise ApiError(400, error.error_code, str(error)) from None
        paths = [n for n in query.names() if "." in n]
        with self._lock:
            rows = [
                {**r, **{p: self._follow(r, p) for p in paths}} if paths else r
                for r in self._records.get(query.object_name, {}).values()
                if include_deleted or not r["IsDeleted"]
            ]
            rows = [r for r in rows if query.matches(r)]
        query.sort(rows)
        if query.limit is not None:
            rows = rows[: query.limit]
        return query, rows

    def _follow(self, record, path):
        """A child-to-parent relationship path (``Account.Name``, ``Product2.ProductCode``,
        ``Custom__r.Field__c``): the lookup field names the parent, its key prefix the type."""
        value = record
        for part in path.split(".")[:-1]:
            lookup = f"{part[:-3]}__c" if part.endswith("__r") else f"{part}Id"
            parent_id = value.get(lookup) if value else None
            value = self._by_id(parent_id) if parent_id else None
        return value.get(path.rsplit(".", 1)[-1]) if value else None

    def _by_id(self, record_id):
        for sobject, prefix in KEY_PREFIXES.items():
            if record_id.startswith(prefix):
                return self._records.get(sobject, {}).get(record_id)
        return None

    @staticmethod
    def _attributes(sobject, record_id):
        return {
            "type": sobject,
            "url": f"/services/data/v{API_VERSION}/sobjects/{sobject}/{record_id}",
        }

    def _render(self, query, record):
        """REST JSON of a record: relationship paths as nested objects with attributes (null
        when the lookup is empty), as Salesforce renders them."""
        out = {"attributes": self._attributes(query.object_name, record["Id"])}
        for name in query.fields:
            if name in record.get("_omit", ()):
                continue
            value = record.get(name)
            value = sf_datetime(value) if isinstance(value, datetime) else value
            if "." not in name:
                out[name] = value
                continue
            target, parts = out, name.split(".")
            for depth, part in enumerate(parts[:-1]):
                if target.get(part, {}) is None:
                    break
                if part not in target:
                    parent = self._follow(record, ".".join([*parts[: depth + 1], "Id"]))
                    if parent is None:
                        target[part] = None
                        break
                    target[part] = {"attributes": self._attributes("", parent)}
                    sobject = next((t for t, p in KEY_PREFIXES.items() if parent.startswith(p)), "")
                    target[part]["attributes"] = self._attributes(sobject, parent)
                target = target[part]
            else:
                target[parts[-1]] = value
        return out

    def _query(self, request, include_deleted):
        query, rows = self._select(request.args.get("q") or "", include_deleted)
        if query.fields == ["COUNT()"]:
            return {"totalSize": len(rows), "done": True, "records": []}
        batch = DEFAULT_BATCH
        options = request.headers.get("Sforce-Query-Options", "")
        if "batchSize=" in options:
            batch = min(max(int(options.split("batchSize=")[1].split(",")[0]), 200), 2000)
        records = [self._render(query, r) for r in rows]
        locator = f"01g8d{secrets.token_hex(6)}"
        with self._lock:
            self._cursors[locator] = (batch, records)
        return self._page(locator, 0)

    def _page(self, locator, offset):
        with self._lock:
            batch, records = self._cursors[locator]
        chunk = records[offset : offset + batch]
        answer = {"totalSize": len(records), "done": offset + batch >= len(records)}
        if not answer["done"]:
            answer["nextRecordsUrl"] = (
                f"/services/data/v{API_VERSION}/query/{locator}-{offset + batch}"
            )
        else:
            with self._lock:
                self._cursors.pop(locator, None)
        answer["records"] = chunk
        return answer

    def _query_more(self, token):
        locator, _, offset = token.rpartition("-")
        with self._lock:
            known = locator in self._cursors
        if not known or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, int(offset))

    # ------------------------------------------------------------------ replication
    def _replication(self, sobject, kind, args):
        try:
            start = soql.parse_datetime(args["start"])
            end = soql.parse_datetime(args["end"])
        except (KeyError, ValueError):
            raise ApiError(
                400, "MALFORMED_QUERY", "start and end must be ISO-8601 dateTimes"
            ) from None
        now = self.now()
        if start < now - timedelta(days=DELETE_LOG_DAYS):
            raise ApiError(
                400,
                "INVALID_REPLICATION_DATE",
                f"startDate cannot be more than {DELETE_LOG_DAYS} days ago",
            )
        if end <= start:
            raise ApiError(400, "INVALID_REPLICATION_DATE", "endDate must be after startDate")
        covered = min(end, now).replace(second=0)
        with self._lock:
            if kind == "updated":
                ids = [
                    r["Id"]
                    for r in self._records.get(sobject, {}).values()
                    if not r["IsDeleted"] and start <= r["SystemModstamp"] <= covered
                ]
                return {"ids": ids, "latestDateCovered": sf_datetime(covered)}
            earliest = self.earliest_delete_available or now - timedelta(days=DELETE_LOG_DAYS)
            deleted = [
                {"id": rid, "deletedDate": sf_datetime(stamp)}
                for rid, stamp in self._delete_log.get(sobject, [])
                if start <= stamp <= covered
            ]
        return {
            "deletedRecords": deleted,
            "earliestDateAvailable": sf_datetime(earliest),
            "latestDateCovered": sf_datetime(covered),
        }

    # ------------------------------------------------------------------ sObject collections
    def _collection(self, request, method):
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise ApiError(400, "JSON_PARSER_ERROR", "Unexpected character") from None
        records = body.get("records") or []
        if len(records) > COLLECTION_MAX:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COLLECTION_MAX} records into "
                "this call",
            )
        results = []
        now = self.now()
        with self._lock:
            for item in records:
                sobject = (item.get("attributes") or {}).get("type")
                values = {k: v for k, v in item.items() if k not in ("attributes", "id", "Id")}
                rid = item.get("id") or item.get("Id")
                if method == "POST":
                    rid = self.add(sobject, values)
                    results.append({"id": rid, "success": True, "errors": []})
                    continue
                record = self._records.get(sobject, {}).get(rid)
                rejection = self._rejections.get(rid)
                if rejection and record is not None and not record["IsDeleted"]:
                    code, text, times = rejection
                    if times <= 1:
                        del self._rejections[rid]
                    else:
                        self._rejections[rid] = (code, text, times - 1)
                    results.append(
                        {"success": False,
                         "errors": [{"statusCode": code, "message": text, "fields": []}]}
                    )  # fmt: skip
                    continue
                if record is None or record["IsDeleted"]:
                    code = "ENTITY_IS_DELETED" if record else "INVALID_CROSS_REFERENCE_KEY"
                    results.append(
                        {
                            "success": False,
                            "errors": [
                                {
                                    "statusCode": code,
                                    "message": "entity is deleted"
                                    if record
                                    else "invalid cross reference id",
                                    "fields": [],
                                }
                            ],
                        }
                    )
                    continue
                self.update(sobject, rid, values, now)
                results.append({"id": rid, "success": True, "errors": []})
        return results

    # ------------------------------------------------------------------ Bulk API 2.0
    def _bulk(self, request, method, parts):
        if not parts and method == "POST":
            body = json.loads(request.get_data() or b"{}")
            if body.get("operation") not in ("query", "queryAll"):
                raise ApiError(400, "INVALIDJOB", "operation must be query or queryAll")
            query, rows = self._select(body.get("query") or "", body["operation"] == "queryAll")
            job_id = f"7508d{next(self._seq):010d}AAA"
            job = {
                "id": job_id,
                "operation": body["operation"],
                "object": query.object_name,
                "createdById": self.user_id,
                "createdDate": sf_datetime(self.now()),
                "systemModstamp": sf_datetime(self.now()),
                "state": "UploadComplete",
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(API_VERSION),
                "lineEnding": body.get("lineEnding") or "LF",
                "columnDelimiter": body.get("columnDelimiter") or "COMMA",
            }
            with self._lock:
                self._jobs[job_id] = {"info": job, "fields": query.fields, "rows": rows, "polls": 0}
            return self._json(job)
        with self._lock:
            job = self._jobs.get(parts[0]) if parts else None
        if job is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(parts) == 1 and method == "GET":
            with self._lock:
                job["polls"] += 1
                if job["polls"] >= 2:
                    job["info"].update(
                        state="JobComplete",
                        numberRecordsProcessed=len(job["rows"]),
                        retries=0,
                        totalProcessingTime=42,
                    )
                else:
                    job["info"]["state"] = "InProgress"
            return self._json(job["info"])
        if len(parts) == 2 and parts[1] == "results" and method == "GET":
            if job["info"]["state"] != "JobComplete":
                raise ApiError(400, "INVALIDJOB", "job is not complete")
            return self._bulk_results(job, request.args)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    @staticmethod
    def _bulk_results(job, args):
        try:
            offset = int(base64.b64decode(args["locator"]).decode()) if args.get("locator") else 0
        except ValueError:
            raise ApiError(400, "INVALIDLOCATOR", "invalid locator") from None
        size = int(args.get("maxRecords") or 50000)
        rows = job["rows"][offset : offset + size]
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(job["fields"])
        for row in rows:
            writer.writerow(
                [
                    csv_datetime(v)
                    if isinstance(v, datetime)
                    else ("true" if v is True else "false" if v is False else v)
                    if v is not None
                    else ""
                    for v in (
                        None if f in row.get("_omit", ()) else row.get(f) for f in job["fields"]
                    )
                ]
            )
        nxt = offset + size
        locator = base64.b64encode(str(nxt).encode()).decode() if nxt < len(job["rows"]) else "null"
        response = Response(out.getvalue(), 200, content_type="text/csv")
        response.headers["Sforce-Locator"] = locator
        response.headers["Sforce-NumberOfRecords"] = str(len(rows))
        return response


def _between(text, start, end):
    if start not in text:
        return None
    value = text.split(start, 1)[1].split(end, 1)[0]
    return html.unescape(value)
