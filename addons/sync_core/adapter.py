"""Adapters: the only code that talks to a remote system (plain Python, no ORM).

A connector subclasses `BaseAdapter` for its vendor.  Records travel as plain dicts:
``{"id": "123", "updated_at": datetime (naive UTC), "archived": False, "data": {...}}``.
`GenericRestAdapter` is sync_core's own adapter for simple JSON APIs (and the engine's tests).
"""

import contextlib
import json
import logging
import re
import threading

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .connection import ConnectionInfo
from .exceptions import (
    AuthenticationError,
    PayloadError,
    RemoteUnavailableError,
    SyncError,
)
from .mapping import parse_datetime
from .remote_errors import DEFAULT_STATUSES, classify_status, one_line, retry_after_seconds
from .unreadable import read_each, readable

_logger = logging.getLogger(__name__)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_COUNTED = threading.local()  # the adapters made inside `counted_adapters()` blocks
# `HttpAdapterMixin.retry` for a remote whose idempotent reads are sent again when it is briefly
# unavailable: GETs only, on 502/503/504 after 0.3 and 0.6 s, and on connection errors.  A
# Retry-After is never slept inline (urllib3 would, for any 429 or 503 that has one, however
# long: a 429 "Retry-After: 30" held the worker 30 s twice and left the channel open); the
# engine blocks the channel and retries the job instead.
GET_RETRY = Retry(
    total=3,
    connect=3,
    read=0,
    status=2,
    backoff_factor=0.3,
    status_forcelist=(502, 503, 504),
    allowed_methods=frozenset({"GET"}),
    raise_on_status=False,
    respect_retry_after_header=False,
)


@contextlib.contextmanager
def counted_adapters():
    """Lists every adapter created in this thread inside the block (nested blocks: each
    lists its own and those of the blocks inside it); ``calls(listed)`` sums their remote
    calls.  The job runner wraps each job in one: a job's ``remote_calls`` is every call it
    made, through however many adapters (the pull's, its deal reads', a budget check's)."""
    listed = []
    stack = getattr(_COUNTED, "stack", None)
    if stack is None:
        stack = _COUNTED.stack = []
    stack.append(listed)
    try:
        yield listed
    finally:
        stack.remove(listed)


def calls(adapters):
    """The remote calls the given adapters made."""
    return sum(adapter.calls for adapter in adapters)


class BaseAdapter:
    """What the engine asks of a remote system.  Connectors implement what they support."""

    page_size = 200
    batch_size = 100
    # Pages of iter_changes come in (updated_at, id) order, so the watermark may follow each
    # page; an adapter streaming an unordered export sets it False (moved after the last page).
    ordered = True
    # An unordered export that a later attempt can continue: before yielding each page the
    # adapter sets `export_state` (JSON-able: where the export goes on once that page is
    # applied); the engine commits it with the page and hands it back to the next pull as
    # ``iter_changes(..., resume=state)``; the adapter sets `resumed` when it continued that
    # export (False: the remote no longer has it, it started a new one).  None: not resumable.
    export_state = None
    resumed = False

    def __init__(self, config):
        # config: plain dict built by sync.backend._adapter_config() (credentials included;
        # never log it)
        self.config = config
        self.calls = 0
        for listed in getattr(_COUNTED, "stack", ()):
            listed.append(self)
        # What the remote said of its rate limit on the last response, when it says it:
        # {"max": requests per interval, "remaining": int, "interval": seconds}.
        self.rate_limit = None

    def _token_after_refusal(self, exc, key="refresh"):
        """OAuth: the new access token after `exc`, when it is a 401 (a token expired or
        revoked before the expiry we know) and ``config[key]`` (a callable returning a new
        token, which the backend stores; an adapter speaking to two services with a token
        each has a key per service) was not used yet by this adapter; else None."""
        refresh = self.config.get(key)
        used = self.__dict__.setdefault("_refreshed_keys", set())
        if not refresh or key in used or exc.pattern != "HTTP 401":
            return None
        used.add(key)
        _logger.info("access token refused (HTTP 401): refreshing it once")
        return refresh()

    def test_connection(self):
        """Return a `ConnectionInfo` (the account, the user, the limits left, warnings);
        raise SyncError when it fails."""
        raise NotImplementedError

    def iter_changes(self, object_name, since, after=None, page_size=None):
        """Yield pages (lists of records) changed at or after `since`, in (updated_at, id)
        order; `after` = (stamp, id) resumes after the last applied record (keyset)."""
        raise NotImplementedError

    def read_batch(self, object_name, ids):
        """Current state of the given ids (any order); missing ids are left out."""
        raise NotImplementedError

    def write_batch(self, object_name, items):
        """items: list of (external_id or None, properties) -> list of external ids written."""
        raise NotImplementedError

    def remote_fields(self, object_name):
        """The fields of a remote object as the remote describes them (or the connector
        declares them): ``{name: {"type": str, "label": str}}`` with every key a mapping line
        may read or write (derived keys of the connector's records included); None when
        nothing describes them (mapping lines are then "not checked")."""
        return None


def error_reason(text, limit=300):
    """A readable reason from an error body, on one line: the messages of the common JSON
    shapes (``{"errors": [{"type", "message"}]}`` as Kantata and JSON:API answer, a list of
    ``{"errorCode", "message"}`` as Salesforce does, ``{"message"}``, OAuth's ``{"error",
    "error_description"}``), else the body's first characters (an HTML page, plain text)."""
    try:
        body = json.loads(text) if text and text.lstrip()[:1] in ("{", "[") else None
    except ValueError:
        body = None
    items = body.get("errors") if isinstance(body, dict) else body
    if isinstance(body, dict) and not isinstance(items, list):
        items = [body]
    if isinstance(items, list):
        reasons = []
        for item in items:
            if not isinstance(item, dict):
                continue
            code = (
                item.get("type")
                or item.get("errorCode")
                or item.get("code")
                or (item.get("error") if item.get("error_description") else None)
            )
            message = (
                item.get("message") or item.get("error_description") or item.get("detail")
                or item.get("title") or item.get("error")
            )  # fmt: skip
            if isinstance(message, dict | list):
                message = json.dumps(message)[:200]
            if message or code:
                reasons.append(": ".join(one_line(p, 200) for p in (code, message) if p))
        if reasons:
            more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
            return (reasons[0] + more)[:limit]
    return one_line(text or "", limit)


def raise_for_response(response, table=None):
    """Classify an HTTP error by status code and headers (never by body text) through
    `table` (a connector's status table, default `DEFAULT_STATUSES`); the error's text carries
    the body's readable reason."""
    status = response.status_code
    if status < 400:
        return
    raise classify_status(
        table or DEFAULT_STATUSES,
        status,
        error_reason(response.text or ""),
        retry_after_seconds(response.headers),
    )


class HttpAdapterMixin:
    """requests.Session with a timeout on every call and error classification.

    OAuth: when ``config["refresh"]`` is given (a callable returning a new access token, which
    the backend stores), an access token the remote refuses with a 401 (expired or revoked
    before the expiry we know) is refreshed once per adapter and the call sent again;
    `_use_access_token` puts the new token where the vendor's requests carry it."""

    timeout = 30
    # a urllib3 ``Retry`` mounted on the session (e.g. `GET_RETRY`); None: requests retries nothing
    retry = None
    # the base URL `_url` joins paths to when the config names none
    default_base_url = ""

    def _session(self):
        if getattr(self, "_http", None) is None:
            self._http = requests.Session()
            if self.retry is not None:
                mounted = HTTPAdapter(max_retries=self.retry)
                self._http.mount("https://", mounted)
                self._http.mount("http://", mounted)
            self._http.headers.update(self._session_headers())
        return self._http

    def _session_headers(self):
        """Headers every call of the session carries (e.g. ``Authorization``, ``Accept``)."""
        return {}

    def _url(self, path):
        """`path` below ``config["base_url"]`` (else `default_base_url`)."""
        base = (self.config.get("base_url") or self.default_base_url).rstrip("/")
        return f"{base}/{path.lstrip('/')}"

    def _call(self, method, path, **kw):
        """`_request` of `path` below the base URL (`_url`)."""
        return self._request(method, self._url(path), **kw)

    def _request(self, method, url, **kw):
        try:
            return self._send_request(method, url, **kw)
        except AuthenticationError as exc:
            token = self._token_after_refusal(exc)
            if token is None:
                raise
            self._use_access_token(token)
            headers = kw.get("headers")
            if headers and "Authorization" in headers:
                kw["headers"] = {**headers, "Authorization": f"Bearer {token}"}
            return self._send_request(method, url, **kw)

    def _use_access_token(self, token):
        """Send `token` from now on (default: the session's ``Authorization`` header)."""
        self.config["access_token"] = token
        self._session().headers["Authorization"] = f"Bearer {token}"

    def _send_request(self, method, url, **kw):
        self.calls += 1
        kw.setdefault("timeout", self.config.get("timeout") or self.timeout)
        for name, value in (kw.get("headers") or {}).items():
            # HTTP libraries refuse such a value with an error that quotes it: a credential
            # pasted with a line break would end up in job errors, tracebacks and logs
            if isinstance(value, str) and (value != value.strip() or _CONTROL_RE.search(value)):
                raise AuthenticationError(
                    f"the {name} header would hold a line break, a control character or "
                    "surrounding spaces (a credential pasted with them?): enter it again",
                    pattern="credential with a line break",
                )
        try:
            response = self._session().request(method, url, **kw)
        except requests.Timeout as exc:
            raise RemoteUnavailableError(f"remote timed out: {exc}", pattern="timeout") from exc
        except requests.ConnectionError as exc:
            raise RemoteUnavailableError(
                f"remote unreachable: {exc}", pattern="unreachable"
            ) from exc
        self._read_rate_limit(response.headers)
        raise_for_response(response)
        try:
            return response.json() if response.content else {}
        except ValueError as exc:
            raise RemoteUnavailableError(
                f"remote answered HTTP {response.status_code} with a body that is not JSON",
                pattern="malformed response",
            ) from exc

    def _read_rate_limit(self, headers):
        """Common ``X-RateLimit-Limit/-Remaining/-Interval`` (seconds) headers; connectors
        override for their vendor's names."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            interval = float(headers.get("X-RateLimit-Interval", 1))
        except (KeyError, ValueError):
            return
        self.rate_limit = {"max": limit, "remaining": remaining, "interval": interval}


def if_found(call, *args, **kwargs):
    """``call(*args, **kwargs)``, or None when the remote answers 404 (the record was deleted,
    or never there): a read or a delete of something gone is not an error."""
    try:
        return call(*args, **kwargs)
    except SyncError as exc:
        if exc.pattern != "HTTP 404":
            raise
        return None


def numbered_pages(read_page, per_page):
    """A list read by page number (1, 2, ...): ``read_page(page)`` -> ``(records, page_count,
    answer)``; yields each `answer`, and stops after an empty page, the last page (`page_count`;
    None when the remote does not say) or, without a count, a page shorter than `per_page`."""
    page = 1
    while True:
        records, page_count, answer = read_page(page)
        yield answer
        if not records or (page_count is not None and page >= page_count):
            return
        if page_count is None and len(records) < per_page:
            return
        page += 1


def client_credentials_grant(token_url, client_id, client_secret, timeout, vendor):
    """The ``fetch`` of ``sync.backend._oauth_access_token`` for OAuth's client credentials
    grant at `token_url` -> ``{"access_token"}``; `vendor` names the remote in the errors."""

    def fetch(_current):
        try:
            response = requests.post(
                token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id or "",
                    "client_secret": client_secret or "",
                },
                timeout=timeout or 30,
            )
        except requests.RequestException as exc:
            raise RemoteUnavailableError(
                f"{vendor} token endpoint unreachable: {exc}", pattern="token endpoint"
            ) from exc
        raise_for_response(response)
        try:
            fresh = (response.json() or {}).get("access_token")
        except ValueError as exc:
            raise RemoteUnavailableError(
                f"{vendor}'s token endpoint answered a body that is not JSON",
                pattern="token endpoint",
            ) from exc
        if not fresh:
            raise AuthenticationError(f"{vendor} issued no access token", pattern="no token")
        return {"access_token": fresh}

    return fetch


class GenericRestAdapter(HttpAdapterMixin, BaseAdapter):
    """A plain JSON API:

    - ``GET  {base}/ping``
    - ``GET  {base}/objects/{name}?since=ISO&after_stamp=ISO&after_id=ID&limit=N``
      -> ``{"results": [{"id", "updated_at", "archived", "data": {...}}]}`` ordered by
      (updated_at, id);
    - ``POST {base}/objects/{name}/batch/read`` ``{"ids": [...]}`` -> ``{"results": [...]}``;
    - ``POST {base}/objects/{name}/batch/upsert`` ``{"inputs": [{"id"?, "data"}]}``
      -> ``{"results": [{"id"}]}``.
    Authentication: ``Authorization: Bearer <api_token>``.
    """

    def _url(self, path):
        return self.config["base_url"].rstrip("/") + path

    def _headers(self):
        return {"Authorization": f"Bearer {self.config.get('api_token') or ''}"}

    def test_connection(self):
        data = self._request("GET", self._url("/ping"), headers=self._headers())
        return ConnectionInfo(str(data.get("name", "remote")))

    @staticmethod
    def _record(raw):
        if not isinstance(raw, dict) or "id" not in raw:
            raise PayloadError(f"remote record without id: {str(raw)[:200]}")
        return {
            "id": str(raw["id"]),
            "updated_at": parse_datetime(raw.get("updated_at")) or None,
            "archived": bool(raw.get("archived")),
            "data": raw.get("data") or {},
        }

    def iter_changes(self, object_name, since, after=None, page_size=None):
        limit = page_size or self.page_size
        params = {"limit": limit}
        if since:
            params["since"] = since.isoformat()
        while True:
            if after:
                params["after_stamp"], params["after_id"] = after[0].isoformat(), after[1]
            data = self._request(
                "GET", self._url(f"/objects/{object_name}"), params=params, headers=self._headers()
            )
            page = read_each(data.get("results", []), self._record)
            if page:
                yield page
            read = readable(page)
            if len(page) < limit or not read:
                return
            after = (read[-1]["updated_at"], read[-1]["id"])

    def read_batch(self, object_name, ids):
        out = []
        for start in range(0, len(ids), self.batch_size):
            chunk = list(ids[start : start + self.batch_size])
            data = self._request(
                "POST",
                self._url(f"/objects/{object_name}/batch/read"),
                json={"ids": chunk},
                headers=self._headers(),
            )
            out.extend(read_each(data.get("results", []), self._record))
        return out

    def write_batch(self, object_name, items):
        written = []
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            inputs = [
                {"id": ext, "data": props} if ext else {"data": props} for ext, props in chunk
            ]
            data = self._request(
                "POST",
                self._url(f"/objects/{object_name}/batch/upsert"),
                json={"inputs": inputs},
                headers=self._headers(),
            )
            written.extend(str(r["id"]) for r in data.get("results", []))
        return written
