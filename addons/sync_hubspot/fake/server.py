"""In-memory HubSpot (api.hubapi.com) speaking the wire format of CRM v3/v4, OAuth v1 and
account-info v3, for tests and the sandbox demo. Pure WSGI on werkzeug; the only Odoo-side import is
sync_core's plain `ServedFake` (serving in a thread).

Start it, point ``hubspot.HubSpot(access_token=..., host=fake.base_url)`` at it, seed records
with :meth:`HubSpotFake.add` / :meth:`HubSpotFake.add_many`, inject faults with
:meth:`HubSpotFake.fail_next` (HubSpot's error bodies), :meth:`HubSpotFake.timeout_next` and
sync_core's `FaultInjector` (``malformed_next``, ``reset_next``, seeded ``random_faults``,
counted in ``faults_injected``) and count remote calls with :meth:`HubSpotFake.calls`.
"""

import base64
import bisect
import collections
import contextlib
import dataclasses
import functools
import itertools
import json
import math
import random
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from zoneinfo import ZoneInfo

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from odoo.addons.sync_core.fake.faults import FaultInjector, reset_connection
from odoo.addons.sync_core.fake.serving import ServedFake

from .webhooks import build_event

OBJECT_TYPES = ("companies", "contacts", "deals", "line_items")
SINGULAR = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "line_items": "line_item",
}
_TYPE_IDS = {"companies": "0-2", "contacts": "0-1", "deals": "0-3", "line_items": "0-8"}
_ALIASES = {
    alias: plural
    for plural in OBJECT_TYPES
    for alias in (plural, SINGULAR[plural], _TYPE_IDS[plural], plural.replace("_", ""))
}

# HUBSPOT_DEFINED association type ids (unlabeled first, then "primary" labels, where they exist).
ASSOCIATION_TYPE_IDS = {
    ("contacts", "companies"): (279, 1),
    ("companies", "contacts"): (280, 2),
    ("deals", "contacts"): (3,),
    ("contacts", "deals"): (4,),
    ("deals", "companies"): (341, 5),
    ("companies", "deals"): (342, 6),
    ("deals", "line_items"): (19,),
    ("line_items", "deals"): (20,),
}
_TYPE_BY_ID = {
    (pair[0], type_id): pair[1] for pair, ids in ASSOCIATION_TYPE_IDS.items() for type_id in ids
}

# Last-modified properties per object type (contacts keep the legacy name too).
_MODIFIED = {"contacts": ("lastmodifieddate", "hs_lastmodifieddate")}
_MODIFIED_DEFAULT = ("hs_lastmodifieddate",)
_SYSTEM = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"}
# Properties returned when a request names none (HubSpot's default sets).
_DEFAULT_PROPERTIES = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "line_items": (
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "name",
        "price",
        "quantity",
    ),
}

# HubSpot-defined properties the portal describes (GET /crm/v3/properties/{objectType}), as
# (name, type, fieldType); a portal also describes every property its records carry and those
# a test defines (`define_property`).
_SCHEMA = {
    "companies": (
        ("name", "string", "text"),
        ("domain", "string", "text"),
        ("website", "string", "text"),
        ("phone", "string", "phonenumber"),
        ("address", "string", "text"),
        ("city", "string", "text"),
        ("zip", "string", "text"),
        ("state", "string", "text"),
        ("country", "string", "text"),
        ("industry", "enumeration", "select"),
        ("description", "string", "textarea"),
        ("numberofemployees", "number", "number"),
        ("annualrevenue", "number", "number"),
        ("lifecyclestage", "enumeration", "radio"),
        ("hubspot_owner_id", "enumeration", "select"),
    ),
    "contacts": (
        ("firstname", "string", "text"),
        ("lastname", "string", "text"),
        ("email", "string", "text"),
        ("phone", "string", "phonenumber"),
        ("mobilephone", "string", "phonenumber"),
        ("jobtitle", "string", "text"),
        ("company", "string", "text"),
        ("address", "string", "text"),
        ("city", "string", "text"),
        ("zip", "string", "text"),
        ("country", "string", "text"),
        ("website", "string", "text"),
        ("lifecyclestage", "enumeration", "radio"),
        ("hubspot_owner_id", "enumeration", "select"),
    ),
    "deals": (
        ("dealname", "string", "text"),
        ("amount", "number", "number"),
        ("closedate", "datetime", "date"),
        ("dealstage", "enumeration", "radio"),
        ("pipeline", "enumeration", "select"),
        ("deal_currency_code", "enumeration", "select"),
        ("description", "string", "textarea"),
        ("hubspot_owner_id", "enumeration", "select"),
    ),
    "line_items": (
        ("name", "string", "text"),
        ("price", "number", "number"),
        ("quantity", "number", "number"),
        ("amount", "number", "calculation_equation"),
        ("hs_sku", "string", "text"),
        ("hs_product_id", "string", "text"),
        ("discount", "number", "number"),
        ("hs_discount_percentage", "number", "number"),
        ("description", "string", "textarea"),
        ("hs_line_item_currency_code", "enumeration", "select"),
    ),
}

LIST_MAX = 100
BATCH_MAX = 100
SEARCH_MAX = 200
SEARCH_WINDOW = 10_000
SEARCH_MAX_GROUPS, SEARCH_MAX_GROUP_FILTERS, SEARCH_MAX_FILTERS = 5, 6, 18
ASSOCIATIONS_PAGE = 500

_OBJECT = "/crm/v3/objects/<object_type>"
_ROUTES = (
    ("GET", _OBJECT, "list"),
    ("POST", _OBJECT, "create"),
    ("POST", f"{_OBJECT}/search", "search"),
    ("POST", f"{_OBJECT}/batch/<action>", "batch"),
    ("GET", f"{_OBJECT}/<object_id>", "read"),
    ("PATCH", f"{_OBJECT}/<object_id>", "patch"),
    ("DELETE", f"{_OBJECT}/<object_id>", "delete"),
    (
        "GET",
        "/crm/v4/objects/<object_type>/<object_id>/associations/<to_type>",
        "associations_page",
    ),
    ("POST", "/crm/v4/associations/<object_type>/<to_type>/batch/read", "associations_batch"),
    ("POST", "/oauth/v1/token", "oauth_token"),
    ("GET", "/oauth/v1/access-tokens/<token>", "token_info"),
    ("GET", "/account-info/v3/details", "account"),
    ("GET", "/crm/v3/properties/<object_type>", "properties"),
    # the record page of HubSpot's app UI (app.hubspot.com/contacts/<portal>/record/<type>/<id>)
    ("GET", "/contacts/<portal>/record/<type_id>/<object_id>", "record_page"),
)
_PUBLIC_ENDPOINTS = ("oauth_token", "token_info", "record_page")  # no bearer token needed
# HubSpot's object type ids of the standard CRM objects (used in app UI record URLs).
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "line_items": "0-8"}

AUTH_HELP = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
RATE_LIMIT_MESSAGE = "You have reached your secondly limit."
# 429 bodies name the policy hit (HubSpot's API usage guidelines); the daily limit resets at
# midnight in the portal's time zone.
RATE_LIMIT_MESSAGES = {
    "SECONDLY": RATE_LIMIT_MESSAGE,
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
}
# HubSpot answers 400 when a search pages past 10,000 results; the exact text is unconfirmed.
SEARCH_WINDOW_MESSAGE = "There was a problem with the request."


_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?$")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_ms(ms):
    """Epoch milliseconds to HubSpot's ISO-8601 form, e.g. ``2024-05-01T10:00:00.123Z``."""
    stamp = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def to_ms(value):
    """Epoch milliseconds from a datetime (naive = UTC), a number or an ISO / epoch-ms string."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return to_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _sort_key(value):
    """Comparable form of a property value: numbers and dates by value, text case-insensitively."""
    return _text_key("" if value is None else str(value).strip())


@functools.lru_cache(maxsize=1 << 17)
def _text_key(text):
    if _NUMBER_RE.match(text):
        return (0, float(text))
    if _DATE_RE.match(text):
        with contextlib.suppress(ValueError):
            return (0, float(to_ms(text)))
    return (1, text.lower())


class ApiError(Exception):
    """A HubSpot error answer: HTTP status plus JSON body."""

    def __init__(self, status, message=None, category=None, body=None, headers=None, **extra):
        super().__init__(message)
        if body is None:
            body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
            body.update(extra)
            if category:
                body["category"] = category
        self.status, self.body, self.headers = status, body, headers or {}


@dataclasses.dataclass
class _Record:
    id: int
    properties: dict
    created_ms: int
    updated_ms: int
    archived_ms: int | None = None
    # keys the wire leaves out of this record (e.g. {"id"}: a malformed record among good ones)
    omit: frozenset = frozenset()


def _split(values):
    """Query values given repeated and/or comma separated, in order, without duplicates."""
    return list(dict.fromkeys(v for value in values for v in value.split(",") if v))


def _clean(properties):
    """Property values as HubSpot stores them: strings, with None / "" meaning unset."""
    cleaned = {}
    for name, value in (properties or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        cleaned[name] = None if value is None or value == "" else str(value)
    return cleaned


class HubSpotFake(FaultInjector, ServedFake):
    """A HubSpot portal in memory, served over real HTTP (WSGI app; thread-safe)."""

    thread_name = "hubspot-fake"

    def __init__(
        self,
        token="pat-na1-fake",
        portal_id=62515,
        app_id=54321,
        client_id="fake-client-id",
        client_secret="fake-client-secret",
        time_zone="Europe/Brussels",
        currency="EUR",
        token_ttl=1800,
        daily_limit=500_000,
        burst_limit=190,
        search_rate_limit=None,
        seed=0,
    ):
        self.token, self.portal_id, self.app_id = token, portal_id, app_id
        self.client_id, self.client_secret = client_id, client_secret
        self.time_zone, self.currency, self.token_ttl = time_zone, currency, token_ttl
        self.daily_limit, self.burst_limit = daily_limit, burst_limit
        #: Searches allowed per second (HubSpot: about 5 per portal); None = not enforced.
        self.search_rate_limit = search_rate_limit
        self.events = []
        self._lock = threading.RLock()
        self._random = random.Random(seed)
        self._ids = itertools.count(10_001)
        self._records = {object_type: {} for object_type in OBJECT_TYPES}
        self._order = {object_type: [] for object_type in OBJECT_TYPES}
        self._custom_properties = {}  # object type -> {name: (type, fieldType)}
        self._carried = {}  # object type -> names of the properties its records ever carried
        self._names_cache = {}  # object type -> (key, names of its described properties)
        self._links = collections.defaultdict(dict)  # (from, to) -> {from_id: {to_id: None}}
        self._clock_offset_ms = 0
        self._access_tokens = {}  # token -> expiry ms
        self._refresh_tokens = set()
        self._auth_codes = set()
        self._calls = collections.Counter()
        self._log = []
        self._burst = collections.deque()
        self._searches = collections.deque()
        self._version = 0  # bumped on every write; keys the search cache
        self._search_cache = {}
        self._daily_used = 0
        self._url_map = Map(
            [Rule(path, endpoint=endpoint, methods=[method]) for method, path, endpoint in _ROUTES]
        )

    # ------------------------------------------------------------------ clock and tokens

    def now_ms(self):
        """The fake's clock (real time plus :meth:`advance_clock` shifts), epoch ms."""
        return int(time.time() * 1000) + self._clock_offset_ms

    def advance_clock(self, seconds):
        """Move the fake's clock forward, e.g. past the OAuth access token lifetime."""
        with self._lock:
            self._clock_offset_ms += int(seconds * 1000)

    def issue_auth_code(self):
        """Return a one-time authorization code, as the OAuth install redirect would carry."""
        code = f"fake-code-{secrets.token_hex(8)}"
        with self._lock:
            self._auth_codes.add(code)
        return code

    def issue_tokens(self, refresh_token=None):
        """Return a ``POST /oauth/v1/token`` answer for a new (or the given) refresh token."""
        with self._lock:
            refresh_token = refresh_token or f"na1-fake-{uuid.uuid4()}"
            self._refresh_tokens.add(refresh_token)
            access_token = f"fake-at-{secrets.token_urlsafe(24)}"
            self._access_tokens[access_token] = self.now_ms() + self.token_ttl * 1000
        return {
            "token_type": "bearer",
            "refresh_token": refresh_token,
            "access_token": access_token,
            "expires_in": self.token_ttl,
        }

    def expire_access_tokens(self):
        """Make every issued OAuth access token expired now."""
        with self._lock:
            now = self.now_ms()
            self._access_tokens = dict.fromkeys(self._access_tokens, now - 1)

    def revoke_refresh_token(self, refresh_token):
        """Forget a refresh token (the portal uninstalled the app)."""
        with self._lock:
            self._refresh_tokens.discard(refresh_token)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        n=1,
        status=429,
        retry_after=None,
        body=None,
        methods=None,
        path_contains=None,
        policy=None,
    ):
        """Answer the next ``n`` matching requests with ``status``.

        For 429 without ``body``: with ``policy`` ("SECONDLY", "TEN_SECONDLY_ROLLING",
        "DAILY") the body is HubSpot's rate-limit error naming it (``errorType: RATE_LIMIT``,
        ``policyName``); a DAILY one also says ``X-HubSpot-RateLimit-Daily-Remaining: 0``.
        Else with ``retry_after`` (seconds, sent rounded up as ``Retry-After``) the body is the
        search-style one (``policyName: SECONDLY``); without either, no ``Retry-After`` and a
        body whose only classifier is ``category: RATE_LIMITS``. Other statuses get a plain
        error body.
        """
        self.status_next(n, methods, path_contains, status, retry_after, body, policy=policy)

    def exhaust_daily_limit(self):
        """Use up the portal's daily API limit: every API call answers HubSpot's DAILY 429
        until :meth:`reset_daily_limit` (HubSpot resets it at midnight, portal time)."""
        with self._lock:
            self._daily_used = self.daily_limit

    def reset_daily_limit(self):
        with self._lock:
            self._daily_used = 0

    def timeout_next(self, n=1, seconds=5.0, methods=None, path_contains=None):
        """Sleep ``seconds`` before answering the next ``n`` matching requests normally."""
        self.add_fault("timeout", n, methods, path_contains, seconds=seconds)

    # ------------------------------------------------------------------ request accounting

    def calls(self, method=None, path=None):
        """Number of requests received, optionally for one method and/or exact path."""
        with self._lock:
            return sum(
                count
                for (m, p), count in self._calls.items()
                if (method is None or m == method.upper()) and (path is None or p == path)
            )

    @property
    def request_log(self):
        """Copies of the received requests: method, path, query, body, status, auth."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def reset_log(self):
        """Forget the request counters and log."""
        with self._lock:
            self._calls.clear()
            self._log.clear()

    def pop_events(self):
        """Return and forget the webhook events the portal emitted since the last call."""
        with self._lock:
            events, self.events = self.events, []
        return events

    # ------------------------------------------------------------------ data helpers (tests)

    def add(self, object_type, properties, associations=None, updated_at=None, omit=()):
        """Create a record as if made in HubSpot's UI; return its id (numeric string).

        ``associations``: iterable of ``(to_type, to_id)``; ``updated_at``: datetime, epoch ms
        or ISO string used for both creation and last modification; ``omit``: keys of the
        record's JSON the wire leaves out (e.g. ``("id",)``: a record no connector can read).
        """
        object_type = self._object_type(object_type)
        with self._lock:
            record = self._insert(object_type, properties, updated_at)
            record.omit = frozenset(omit)
            self._emit(object_type, "creation", record.id, change_source="CRM_UI")
            for to_type, to_id in associations or ():
                self.associate(object_type, record.id, to_type, to_id)
        return str(record.id)

    def add_many(self, object_type, rows, updated_at=None):
        """Bulk seeding (no webhook events): ``rows`` are property dicts; ``updated_at`` one value
        for all or a sequence with one value per row. Return the ids."""
        object_type = self._object_type(object_type)
        rows = list(rows)
        stamps = updated_at if isinstance(updated_at, list | tuple) else [updated_at] * len(rows)
        with self._lock:
            return [
                str(self._insert(object_type, row, stamp).id)
                for row, stamp in zip(rows, stamps, strict=True)
            ]

    def update(self, object_type, object_id, properties, updated_at=None):
        """Change properties as a HubSpot user would; return the rendered record."""
        object_type = self._object_type(object_type)
        with self._lock:
            record = self._record(object_type, object_id)
            self._write(object_type, record, properties, updated_at, change_source="CRM_UI")
            return self._render(object_type, record, list(record.properties))

    def archive(self, object_type, object_id):
        """Archive (delete) a record as a HubSpot user would."""
        object_type = self._object_type(object_type)
        with self._lock:
            self._archive(object_type, self._record(object_type, object_id), "CRM_UI")

    def get(self, object_type, object_id):
        """The stored record as the API renders it, with every property and association."""
        object_type = self._object_type(object_type)
        with self._lock:
            record = self._record(object_type, object_id, archived=None)
            return self._render(object_type, record, list(record.properties), OBJECT_TYPES)

    def associate(self, from_type, from_id, to_type, to_id, change_source="CRM_UI"):
        """Associate two records (both directions, HubSpot-defined unlabeled type)."""
        from_type, to_type = self._object_type(from_type), self._object_type(to_type)
        if (from_type, to_type) not in ASSOCIATION_TYPE_IDS:
            raise ValueError(f"no association between {from_type} and {to_type}")
        with self._lock:
            ends = (
                (from_type, int(from_id), to_type, int(to_id)),
                (to_type, int(to_id), from_type, int(from_id)),
            )
            for a_type, a_id, *_rest in ends:
                self._record(a_type, a_id)
            for a_type, a_id, b_type, b_id in ends:
                links = self._links[a_type, b_type].setdefault(a_id, {})
                if b_id in links:
                    continue
                links[b_id] = None
                self._emit(
                    a_type,
                    "associationChange",
                    a_id,
                    change_source=change_source,
                    associationType=f"{SINGULAR[a_type]}_TO_{SINGULAR[b_type]}".upper(),
                    fromObjectId=a_id,
                    toObjectId=b_id,
                    associationRemoved=False,
                    isPrimaryAssociation=False,
                )

    # ------------------------------------------------------------------ store internals

    @staticmethod
    def _object_type(name):
        try:
            return _ALIASES[str(name).lower()]
        except KeyError:
            raise ApiError(
                400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR"
            ) from None

    def _insert(self, object_type, properties, stamp):
        ms = self.now_ms() if stamp is None else to_ms(stamp)
        record = _Record(next(self._ids), _clean(properties), ms, ms)
        record.properties.update(hs_object_id=str(record.id), createdate=iso_ms(ms))
        self._touch(object_type, record, ms)
        self._records[object_type][record.id] = record
        self._order[object_type].append(record.id)
        self._carried.setdefault(object_type, set()).update(record.properties)
        return record

    def _touch(self, object_type, record, ms):
        self._version += 1
        record.updated_ms = ms
        for name in _MODIFIED.get(object_type, _MODIFIED_DEFAULT):
            record.properties[name] = iso_ms(ms)

    def _record(self, object_type, object_id, archived=False):
        """Return a record; ``archived``: False live only, True archived only, None either."""
        try:
            record = self._records[object_type].get(int(object_id))
        except (TypeError, ValueError):
            record = None
        if record is None or (
            archived is not None and (record.archived_ms is not None) != archived
        ):
            raise ApiError(
                404, "resource not found", "OBJECT_NOT_FOUND", context={"id": [str(object_id)]}
            )
        return record

    def _write(self, object_type, record, properties, stamp, change_source):
        changes = {
            name: value
            for name, value in _clean(properties).items()
            if name not in _SYSTEM and record.properties.get(name) != value
        }
        record.properties.update(changes)
        self._carried.setdefault(object_type, set()).update(changes)
        self._touch(object_type, record, self.now_ms() if stamp is None else to_ms(stamp))
        for name, value in changes.items():
            self._emit(
                object_type,
                "propertyChange",
                record.id,
                change_source=change_source,
                property_name=name,
                property_value=value or "",
            )

    def _archive(self, object_type, record, change_source):
        self._version += 1
        record.archived_ms = self.now_ms()
        self._emit(object_type, "deletion", record.id, change_source=change_source)

    def _emit(self, object_type, action, object_id, **values):
        self.events.append(
            build_event(
                f"{SINGULAR[object_type]}.{action}",
                object_id,
                portal_id=self.portal_id,
                app_id=self.app_id,
                occurred_at=self.now_ms(),
                **values,
            )
        )

    def _linked(self, from_type, from_id, to_type):
        if not str(from_id).isdigit():
            return []
        return list(self._links[from_type, to_type].get(int(from_id), ()))

    def _render(self, object_type, record, names=None, associations=(), history=()):
        if names:
            always = (
                "createdate",
                "hs_object_id",
                *_MODIFIED.get(object_type, _MODIFIED_DEFAULT),
            )
            # a requested property the portal does not have is left out of the answer
            names = {*names, *always} & self._described_names(object_type)
        else:
            names = _DEFAULT_PROPERTIES[object_type]
        rendered = {
            "id": str(record.id),
            "properties": {name: record.properties.get(name) for name in sorted(names)},
            "createdAt": iso_ms(record.created_ms),
            "updatedAt": iso_ms(record.updated_ms),
            "archived": record.archived_ms is not None,
        }
        if record.archived_ms is not None:
            rendered["archivedAt"] = iso_ms(record.archived_ms)
        for key in record.omit:
            rendered.pop(key, None)
        if history:
            rendered["propertiesWithHistory"] = {
                name: [
                    {
                        "value": record.properties[name],
                        "timestamp": iso_ms(record.updated_ms),
                        "sourceType": "CRM_UI",
                    }
                ]
                for name in history
                if record.properties.get(name) is not None
            }
        inline = {}
        for to_type in associations:
            to_type = self._object_type(to_type)
            kind = f"{SINGULAR[object_type]}_to_{SINGULAR[to_type]}"
            results = [
                {"id": str(to_id), "type": kind}
                for to_id in self._linked(object_type, record.id, to_type)
            ]
            if results:
                inline[to_type] = {"results": results}
        if inline:
            rendered["associations"] = inline
        return rendered

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ, start_response):
        received = time.monotonic()
        request = Request(environ)
        method, path = request.method, request.path
        with self._lock:
            self._calls[method, path] += 1
        fault = self._take_fault(method, path)
        if fault and fault.kind == "reset":
            return reset_connection(environ, start_response)
        oauth = failure = None
        try:
            if fault and fault.kind == "malformed":
                response = Response('{"results":[{"id":', 200, content_type="application/json")
            elif fault and fault.kind == "status":
                raise self._fault_error(fault)
            else:
                endpoint, args = self._url_map.bind_to_environ(environ).match()
                if endpoint not in _PUBLIC_ENDPOINTS:
                    oauth = self._authenticate(request)
                    self._check_daily_limit()
                response = self._json(*getattr(self, f"_api_{endpoint}")(request, **args))
        except HTTPException as error:
            failure = ApiError(
                error.code, "resource not found" if error.code == 404 else error.name
            )
        except ApiError as error:
            failure = error
        if failure is not None:
            response = self._json(failure.status, failure.body)
            response.headers.update(failure.headers)
        correlation = (
            failure.body.get("correlationId")
            if failure is not None and isinstance(failure.body, dict)
            else None
        )
        if fault and fault.kind == "timeout":
            # a slow answer: decided when the request arrived (its token checked then), sent
            # late; a 401 decided after the client gave up, once the test had expired the
            # tokens, was the "unexplained second 401" of the faults suite
            self._stopping.wait(fault.seconds)
        self._account(request, response, oauth, correlation, received)
        return response(environ, start_response)

    @staticmethod
    def _json(status, payload=None):
        if payload is None:
            return Response(status=status)
        if isinstance(payload, str):  # a page that is not HubSpot's (a proxy's, a gateway's)
            return Response(payload, status, content_type="text/html; charset=utf-8")
        body = json.dumps(payload, separators=(",", ":"))
        return Response(body, status, content_type="application/json;charset=utf-8")

    def _fault_error(self, fault):
        retry_after = fault.retry_after
        headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else {}
        if fault.body is not None:
            return ApiError(fault.status, body=fault.body, headers=headers)
        if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
            if fault.details.get("policy"):
                return self._rate_limited(headers, policy=fault.details["policy"])
            if fault.retry_after is None:
                return ApiError(429, RATE_LIMIT_MESSAGE, "RATE_LIMITS")
            return self._rate_limited(headers)
        return ApiError(fault.status, HTTPStatus(fault.status).phrase, headers=headers)

    @staticmethod
    def _rate_limited(headers=None, policy="SECONDLY"):
        headers = dict(headers or {})
        if policy == "DAILY":
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = "0"
        return ApiError(
            429,
            RATE_LIMIT_MESSAGES.get(policy, RATE_LIMIT_MESSAGE),
            errorType="RATE_LIMIT",
            policyName=policy,
            requestId=str(uuid.uuid4()),
            headers=headers,
        )

    def _check_daily_limit(self):
        with self._lock:
            exhausted = self._daily_used >= self.daily_limit
        if exhausted:
            raise self._rate_limited(policy="DAILY")

    def _authenticate(self, request):
        """Check the bearer token; return True for an OAuth token, False for the private app."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token == self.token:
            return False
        with self._lock:
            expiry = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
            now = self.now_ms()
        if expiry is None:
            raise ApiError(401, AUTH_HELP, "INVALID_AUTHENTICATION")
        if expiry <= now:
            raise ApiError(
                401,
                f"The OAuth token used to make this call expired {(now - expiry) // 1000} "
                "second(s) ago.",
                "EXPIRED_AUTHENTICATION",
                context={"expire time": [iso_ms(expiry)]},
            )
        return True

    def _account(self, request, response, oauth, correlation, received=None):
        """Count and log the request (``received_at`` / ``at``: time.monotonic() of its
        arrival and of its answer); add the rate-limit and correlation headers."""
        now = time.monotonic()
        with self._lock:
            self._daily_used += 1
            self._burst.append(now)
            while self._burst and now - self._burst[0] >= 10:
                self._burst.popleft()
            last_second = sum(1 for stamp in self._burst if now - stamp < 1)
            self._log.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "query": request.args.to_dict(flat=False),
                    "body": request.get_data(as_text=True),
                    "status": response.status_code,
                    "oauth": oauth,
                    "received_at": received if received is not None else now,
                    "at": now,
                }
            )
            burst, daily = len(self._burst), self._daily_used
        secondly = self.burst_limit // 10
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(self.burst_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(self.burst_limit - burst, 0)),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(secondly - last_second, 0)),
        }
        if not oauth:  # HubSpot sends no daily headers on OAuth-authenticated calls
            headers["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = response.headers.get(
                "X-HubSpot-RateLimit-Daily-Remaining", str(max(self.daily_limit - daily, 0))
            )
        headers["X-HubSpot-Correlation-Id"] = correlation or str(uuid.uuid4())
        response.headers.update(headers)

    @staticmethod
    def _body(request):
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError as error:
            raise ApiError(400, f"Invalid input JSON: {error}", "VALIDATION_ERROR") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
        return body

    @staticmethod
    def _limit(value, default, maximum, clamp):
        try:
            limit = int(value) if value not in (None, "") else default
        except (TypeError, ValueError):
            raise ApiError(400, f"{value} is not a valid limit", "VALIDATION_ERROR") from None
        if limit > maximum and not clamp:
            raise ApiError(
                400,
                f"Invalid input JSON on limit: limit must be at most {maximum}, got {limit}",
                "VALIDATION_ERROR",
            )
        return max(1, min(limit, maximum))

    def _inputs(self, body):
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise ApiError(400, "Invalid input JSON: inputs is required", "VALIDATION_ERROR")
        if len(inputs) > BATCH_MAX:
            raise ApiError(
                400,
                f"Batch input limit exceeded: {len(inputs)} inputs, at most {BATCH_MAX} allowed",
                "VALIDATION_ERROR",
            )
        return inputs

    def _batch_answer(self, status, results, missing, object_type, started):
        answer = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": iso_ms(started),
            "completedAt": iso_ms(self.now_ms()),
        }
        if missing:
            answer["numErrors"] = 1
            answer["errors"] = [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {SINGULAR[object_type].upper()} objects, "
                    "they may be deleted or not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                }
            ]
            status = HTTPStatus.MULTI_STATUS
        return status, answer

    # ------------------------------------------------------------------ CRM endpoints

    def _api_list(self, request, object_type):
        object_type = self._object_type(object_type)
        args = request.args
        limit = self._limit(args.get("limit"), 10, LIST_MAX, clamp=True)
        archived = args.get("archived", "false").lower() == "true"
        after = self._decode_cursor(args.get("after"))
        names, history = (
            _split(args.getlist("properties")),
            _split(args.getlist("propertiesWithHistory")),
        )
        associations = _split(args.getlist("associations"))
        with self._lock:
            order, records = self._order[object_type], self._records[object_type]
            page, next_id = [], None
            for record_id in order[bisect.bisect_left(order, after) :]:
                if (records[record_id].archived_ms is not None) != archived:
                    continue
                if len(page) == limit:
                    next_id = record_id
                    break
                page.append(records[record_id])
            results = [
                self._render(object_type, record, names, associations, history) for record in page
            ]
        answer = {"results": results}
        if next_id is not None:
            cursor = urllib.parse.quote(base64.b64encode(f"{next_id}\n".encode()).decode())
            link = f"{request.host_url}crm/v3/objects/{object_type}?after={cursor}"
            answer["paging"] = {"next": {"after": cursor, "link": link}}
        return 200, answer

    @staticmethod
    def _decode_cursor(after):
        """List cursors are opaque: base64 of the next id (URL-quoted), as HubSpot's look."""
        if not after:
            return 0
        try:
            return int(base64.b64decode(urllib.parse.unquote(after), validate=True).decode())
        except ValueError:
            raise ApiError(400, f"Invalid paging cursor: {after}", "VALIDATION_ERROR") from None

    def _api_read(self, request, object_type, object_id):
        object_type, args = self._object_type(object_type), request.args
        with self._lock:
            record = self._lookup(object_type, object_id, args)
            return 200, self._render(
                object_type,
                record,
                _split(args.getlist("properties")),
                _split(args.getlist("associations")),
                _split(args.getlist("propertiesWithHistory")),
            )

    def _lookup(self, object_type, object_id, args):
        archived = args.get("archived", "false").lower() == "true"
        id_property = args.get("idProperty")
        if id_property:
            found = self._by_property(object_type, id_property, archived).get(object_id)
            if found is None:
                raise ApiError(404, "resource not found", "OBJECT_NOT_FOUND")
            return found
        return self._record(object_type, object_id, archived)

    def _by_property(self, object_type, name, archived):
        return {
            record.properties.get(name): record
            for record in self._records[object_type].values()
            if (record.archived_ms is not None) == archived and record.properties.get(name)
        }

    def _api_create(self, request, object_type):
        object_type = self._object_type(object_type)
        body = self._body(request)
        with self._lock:
            return 201, self._create(object_type, body)

    def _create(self, object_type, item):
        if not isinstance(item.get("properties"), dict):
            raise ApiError(400, "Invalid input JSON: properties is required", "VALIDATION_ERROR")
        targets = []
        for association in item.get("associations") or ():
            for kind in association.get("types") or ():
                to_type = _TYPE_BY_ID.get((object_type, kind.get("associationTypeId")))
                if to_type is None:
                    raise ApiError(
                        400,
                        f"Invalid association type {kind.get('associationTypeId')} "
                        f"from {SINGULAR[object_type]}",
                        "VALIDATION_ERROR",
                    )
                targets.append((to_type, self._record(to_type, association["to"]["id"]).id))
        record = self._insert(object_type, item["properties"], None)
        self._emit(object_type, "creation", record.id, change_source="INTEGRATION")
        for to_type, to_id in targets:
            self.associate(object_type, record.id, to_type, to_id, change_source="INTEGRATION")
        return self._render(object_type, record, list(item["properties"]))

    def _api_patch(self, request, object_type, object_id):
        object_type = self._object_type(object_type)
        body = self._body(request)
        with self._lock:
            record = self._lookup(object_type, object_id, request.args)
            self._write(object_type, record, body.get("properties"), None, "INTEGRATION")
            return 200, self._render(object_type, record, list(body.get("properties") or ()))

    def _api_delete(self, request, object_type, object_id):
        object_type = self._object_type(object_type)
        with self._lock:
            record = self._records[object_type].get(int(object_id)) if object_id.isdigit() else None
            if record is not None and record.archived_ms is None:
                self._archive(object_type, record, "INTEGRATION")
        return 204, None

    def _api_batch(self, request, object_type, action):
        object_type = self._object_type(object_type)
        handler = getattr(self, f"_batch_{action}", None)
        if handler is None:
            raise ApiError(404, "resource not found")
        body = self._body(request)
        inputs = self._inputs(body)
        started = self.now_ms()
        with self._lock:
            return handler(request, object_type, body, inputs, started)

    def _batch_read(self, request, object_type, body, inputs, started):
        archived = request.args.get("archived", "false").lower() == "true"
        id_property = body.get("idProperty")
        index = self._by_property(object_type, id_property, archived) if id_property else None
        found, missing = [], []
        for item in inputs:
            key = str(item.get("id"))
            try:
                record = (
                    index.get(key)
                    if index is not None
                    else self._record(object_type, key, archived)
                )
            except ApiError:
                record = None
            if record is None:
                missing.append(key)
            elif record not in found:
                found.append(record)
        shuffled = found[:]
        self._random.shuffle(shuffled)
        if len(shuffled) > 1 and shuffled == found:  # HubSpot never keeps the input order
            shuffled = shuffled[1:] + shuffled[:1]
        results = [
            self._render(
                object_type, record, body.get("properties"), (), body.get("propertiesWithHistory")
            )
            for record in shuffled
        ]
        return self._batch_answer(200, results, missing, object_type, started)

    def _batch_create(self, request, object_type, body, inputs, started):
        results = [self._create(object_type, item) for item in inputs]
        return self._batch_answer(201, results, [], object_type, started)

    def _batch_update(self, request, object_type, body, inputs, started):
        results, missing = [], []
        for item in inputs:
            key = str(item.get("id"))
            args = {"idProperty": item["idProperty"]} if item.get("idProperty") else {}
            try:
                record = self._lookup(object_type, key, args)
            except ApiError:
                missing.append(key)
                continue
            self._write(object_type, record, item.get("properties"), None, "INTEGRATION")
            results.append(self._render(object_type, record, list(item.get("properties") or ())))
        return self._batch_answer(200, results, missing, object_type, started)

    def _batch_archive(self, request, object_type, body, inputs, started):
        for item in inputs:
            record = self._records[object_type].get(int(item.get("id") or 0))
            if record is not None and record.archived_ms is None:
                self._archive(object_type, record, "INTEGRATION")
        return 204, None

    def _api_search(self, request, object_type):
        object_type = self._object_type(object_type)
        body = self._body(request)
        self._check_search_rate()
        limit = self._limit(body.get("limit"), 10, SEARCH_MAX, clamp=False)
        try:
            offset = int(body.get("after") or 0)
        except (TypeError, ValueError):
            raise ApiError(
                400, f"{body['after']} is not a valid after", "VALIDATION_ERROR"
            ) from None
        if offset + limit > SEARCH_WINDOW:
            raise ApiError(400, SEARCH_WINDOW_MESSAGE, "VALIDATION_ERROR")
        with self._lock:
            matches = self._search_matches(object_type, body)
            page = matches[offset : offset + limit]
            results = [self._render(object_type, r, body.get("properties")) for r in page]
        answer = {"total": len(matches), "results": results}
        if offset + limit < len(matches):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return 200, answer

    def _check_search_rate(self):
        if not self.search_rate_limit:
            return
        now = time.monotonic()
        with self._lock:
            while self._searches and now - self._searches[0] >= 1:
                self._searches.popleft()
            if len(self._searches) >= self.search_rate_limit:
                raise self._rate_limited()
            self._searches.append(now)

    @staticmethod
    def _filter_groups(body):
        groups = [group.get("filters") or [] for group in body.get("filterGroups") or ()]
        if (
            len(groups) > SEARCH_MAX_GROUPS
            or any(len(group) > SEARCH_MAX_GROUP_FILTERS for group in groups)
            or sum(map(len, groups)) > SEARCH_MAX_FILTERS
        ):
            raise ApiError(
                400,
                f"Search accepts at most {SEARCH_MAX_GROUPS} filterGroups with at most "
                f"{SEARCH_MAX_GROUP_FILTERS} filters each and {SEARCH_MAX_FILTERS} filters in "
                "total",
                "VALIDATION_ERROR",
            )
        return groups

    @staticmethod
    def _sorts(body):
        sorts = []
        for sort in body.get("sorts") or ():
            if isinstance(sort, str):
                sorts.append((sort.lstrip("-"), sort.startswith("-")))
            else:
                sorts.append((sort.get("propertyName"), sort.get("direction") == "DESCENDING"))
        return sorts

    def _search_matches(self, object_type, body):
        """Sorted live records matching the search; cached until the next write."""
        key = (
            object_type,
            self._version,
            json.dumps(
                [body.get(name) for name in ("filterGroups", "sorts", "query")], sort_keys=True
            ),
        )
        if key in self._search_cache:
            return self._search_cache[key]
        groups = [
            [(f.get("propertyName"), self._predicate(f)) for f in group]
            for group in self._filter_groups(body)
        ]
        query = str(body.get("query") or "").lower()
        matches = [
            record
            for record in self._records[object_type].values()
            if record.archived_ms is None
            and (
                not groups
                or any(
                    all(test(record.properties.get(name)) for name, test in group)
                    for group in groups
                )
            )
            and (not query or any(query in (v or "").lower() for v in record.properties.values()))
        ]
        for name, descending in reversed(self._sorts(body)):
            present = [r for r in matches if r.properties.get(name) is not None]
            absent = [r for r in matches if r.properties.get(name) is None]
            present.sort(key=lambda r, n=name: _sort_key(r.properties[n]), reverse=descending)
            matches = present + absent
        if len(self._search_cache) >= 8:
            self._search_cache.clear()
        self._search_cache[key] = matches
        return matches

    @staticmethod
    def _predicate(item):
        """One search filter as a test on a raw property value (None when unset)."""
        operator = item.get("operator")
        if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            wanted = operator == "HAS_PROPERTY"
            return lambda value: (value is not None) == wanted
        if operator in ("IN", "NOT_IN"):
            keys, inside = {_sort_key(v) for v in item.get("values") or ()}, operator == "IN"
            return lambda value: (value is not None and _sort_key(value) in keys) == inside
        if operator == "CONTAINS_TOKEN":
            token = str(item.get("value", "")).strip("*").lower()
            return lambda value: value is not None and token in value.lower()
        low, high = _sort_key(item.get("value")), _sort_key(item.get("highValue"))
        if operator == "NEQ":
            return lambda value: value is None or _sort_key(value) != low
        compare = {
            "EQ": lambda key: key == low,
            "GT": lambda key: key > low,
            "GTE": lambda key: key >= low,
            "LT": lambda key: key < low,
            "LTE": lambda key: key <= low,
            "BETWEEN": lambda key: low <= key <= high,
        }.get(operator)
        if compare is None:
            raise ApiError(400, f"Unsupported filter operator: {operator}", "VALIDATION_ERROR")
        return lambda value: value is not None and compare(_sort_key(value))

    # ------------------------------------------------------------------ associations v4

    def _association_page(self, from_type, from_id, to_type, after, limit):
        """One page of v4 associations: ``(results, next after or None)``."""
        if (from_type, to_type) not in ASSOCIATION_TYPE_IDS:
            raise ApiError(
                400, f"No association type from {from_type} to {to_type}", "VALIDATION_ERROR"
            )
        try:
            offset = int(after or 0)
        except ValueError:
            raise ApiError(400, f"Invalid paging cursor: {after}", "VALIDATION_ERROR") from None
        with self._lock:
            linked = self._linked(from_type, from_id, to_type)
        kind = {
            "category": "HUBSPOT_DEFINED",
            "typeId": ASSOCIATION_TYPE_IDS[from_type, to_type][0],
            "label": None,
        }
        results = [
            {"toObjectId": to_id, "associationTypes": [kind]}
            for to_id in linked[offset : offset + limit]
        ]
        return results, (str(offset + limit) if offset + limit < len(linked) else None)

    def _api_associations_page(self, request, object_type, object_id, to_type):
        object_type, to_type = self._object_type(object_type), self._object_type(to_type)
        args = request.args
        limit = self._limit(args.get("limit"), ASSOCIATIONS_PAGE, ASSOCIATIONS_PAGE, clamp=True)
        results, after = self._association_page(
            object_type, object_id, to_type, args.get("after"), limit
        )
        answer = {"results": results}
        if after:
            link = f"{request.base_url}?after={after}&limit={limit}"
            answer["paging"] = {"next": {"after": after, "link": link}}
        return 200, answer

    def _api_associations_batch(self, request, object_type, to_type):
        object_type, to_type = self._object_type(object_type), self._object_type(to_type)
        inputs = self._inputs(self._body(request))
        started = self.now_ms()
        results, errors = [], []
        for item in inputs:
            from_id = str(item.get("id"))
            to, after = self._association_page(
                object_type, from_id, to_type, item.get("after"), ASSOCIATIONS_PAGE
            )
            if to:
                result = {"from": {"id": from_id}, "to": to}
                if after:
                    result["paging"] = {"next": {"after": after}}
                results.append(result)
                continue
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {SINGULAR[to_type]} is associated with "
                    f"{SINGULAR[object_type]} {from_id}.",
                    "context": {"fromObjectId": [from_id], "toObjectType": [SINGULAR[to_type]]},
                }
            )
        answer = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": iso_ms(started),
            "completedAt": iso_ms(self.now_ms()),
        }
        if errors:
            answer.update(numErrors=len(errors), errors=errors)
        return (HTTPStatus.MULTI_STATUS if errors else 200), answer

    # ------------------------------------------------------------------ OAuth and account

    def _api_oauth_token(self, request):
        form = request.form
        if form.get("client_id") != self.client_id:
            raise self._oauth_error("BAD_CLIENT_ID", "missing or unknown client id")
        if form.get("client_secret") != self.client_secret:
            raise self._oauth_error("BAD_CLIENT_SECRET", "missing or invalid client secret")
        grant = form.get("grant_type")
        with self._lock:
            if grant == "refresh_token":
                if form.get("refresh_token") not in self._refresh_tokens:
                    raise self._oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
                return 200, self.issue_tokens(form["refresh_token"])
            if grant == "authorization_code":
                if form.get("code") not in self._auth_codes:
                    raise self._oauth_error("BAD_AUTH_CODE", "missing or unknown auth code")
                self._auth_codes.discard(form["code"])
                return 200, self.issue_tokens()
        raise self._oauth_error("BAD_GRANT_TYPE", f"unsupported grant_type: {grant}")

    @staticmethod
    def _oauth_error(status, message):
        body = {"status": status, "message": message, "correlationId": str(uuid.uuid4())}
        return ApiError(400, body=body)

    def _api_token_info(self, request, token):
        with self._lock:
            expiry, now = self._access_tokens.get(token), self.now_ms()
        if expiry is None or expiry <= now:
            raise ApiError(401, AUTH_HELP, "INVALID_AUTHENTICATION")
        return 200, {
            "token": token,
            "user": "demo@example.com",
            "hub_domain": "demo.example.com",
            "scopes": [
                "oauth",
                "crm.objects.companies.read",
                "crm.objects.companies.write",
                "crm.objects.contacts.read",
                "crm.objects.contacts.write",
                "crm.objects.deals.read",
                "crm.objects.deals.write",
                "crm.objects.line_items.read",
                "crm.objects.line_items.write",
            ],
            "hub_id": self.portal_id,
            "app_id": self.app_id,
            "expires_in": (expiry - now) // 1000,
            "user_id": 123,
            "token_type": "access",
        }

    def _api_record_page(self, request, portal, type_id, object_id):
        """The sandbox's stand-in for a record page of HubSpot's app: the record as JSON."""
        names = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}
        if str(portal) != str(self.portal_id) or type_id not in names:
            raise ApiError(404, "resource not found")
        return self._api_read(request, names[type_id], object_id)

    def define_property(self, object_type, name, prop_type="string", field_type="text"):
        """A custom property created in the portal's settings."""
        with self._lock:
            self._custom_properties.setdefault(self._object_type(object_type), {})[name] = (
                prop_type,
                field_type,
            )

    def _described(self, object_type):
        """{name: (type, fieldType, HubSpot-defined)} of every property the portal has for an
        object: HubSpot's own, the custom ones, and any property a record of it carries."""
        with self._lock:
            described = {name: (t, f, True) for name, t, f in _SCHEMA.get(object_type, ())}
            for name in (*_SYSTEM, *_DEFAULT_PROPERTIES.get(object_type, ())):
                kind = "datetime" if "date" in name else "string"
                described.setdefault(name, (kind, "text", True))
            for name in self._carried.get(object_type, ()):
                described.setdefault(name, ("string", "text", False))
            for name, (t, f) in self._custom_properties.get(object_type, {}).items():
                described[name] = (t, f, False)
        return described

    def _described_names(self, object_type):
        """The names of `_described`, kept until the portal's data changes (a search renders
        up to 200 records with them)."""
        key = (object_type, self._version, len(self._custom_properties.get(object_type, ())))
        if self._names_cache.get(object_type, (None,))[0] != key:
            self._names_cache[object_type] = (key, frozenset(self._described(object_type)))
        return self._names_cache[object_type][1]

    def _api_properties(self, request, object_type):
        """``GET /crm/v3/properties/{objectType}``: every property of the object, in HubSpot's
        shape."""
        object_type = self._object_type(object_type)
        described = self._described(object_type)
        results = [
            {
                "name": name,
                "label": name.replace("_", " ").capitalize(),
                "type": prop_type,
                "fieldType": field_type,
                "groupName": f"{SINGULAR[object_type]}information",
                "description": "",
                "options": [],
                "displayOrder": -1,
                "calculated": False,
                "externalOptions": False,
                "hasUniqueValue": name == "hs_object_id",
                "hidden": False,
                "hubspotDefined": hubspot_defined,
                "formField": True,
                "archived": False,
            }
            for name, (prop_type, field_type, hubspot_defined) in sorted(described.items())
        ]
        return 200, {"results": results}

    def _api_account(self, request):
        offset = datetime.now(ZoneInfo(self.time_zone)).utcoffset()
        offset_ms = int(offset.total_seconds() * 1000)
        sign, minutes = ("+" if offset_ms >= 0 else "-"), abs(offset_ms) // 60_000
        return 200, {
            "portalId": self.portal_id,
            "accountType": "STANDARD",
            "timeZone": self.time_zone,
            "companyCurrency": self.currency,
            "additionalCurrencies": [],
            "utcOffset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
            "utcOffsetMilliseconds": offset_ms,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }
