"""Reliability and security suite of the webhook inbox, shared by every connector.

A connector plugs in with a `WebhookProfile` (how its backend is made, how its sender signs,
what one documented event looks like) and one line per suite::

    class TestFuzzHubSpot(WebhookFuzzMixin, HttpCase):  profile = HubSpotProfile()
    class TestForgedHubSpot(WebhookForgedMixin, HttpCase):  profile = HubSpotProfile()

- `WebhookFuzzMixin` (issue 11, 2.5): generated bodies and headers (hypothesis, deterministic:
  derandomize, no example database) go through the inbox path in-process (the backend's verify
  and parse, the event store, exactly as the controller calls them) and a few hundred through
  real HTTP.  Never a 500, never a traceback in a response, never a business write from the
  request; every refusal has a JSON reason, every rejected or ignored event a readable reason.
- `WebhookForgedMixin` (2.6): bad signature, signature over another body, stale, future and
  non-finite timestamps, another org/portal, unknown token, oversized body: all refused over
  HTTP, nothing stored but a rejected event, nothing applied.

Every suite logs one line `RELIABILITY: <suite> <connector>: <figures>`, collected by
setup/run_tests.py into the final table of `make test`.
"""

import contextlib
import json
import logging
import os
import time
from collections import Counter

import requests
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from odoo.addons.sync_core.controllers.main import MAX_BODY
from odoo.addons.sync_core.exceptions import PayloadError, WebhookAuthError
from odoo.addons.sync_core.signatures import hmac_hex

_logger = logging.getLogger(__name__)

FUZZ_EXAMPLES = 10_000  # per connector (the figure), in-process and over HTTP together


def fuzz_examples(profile):
    """Generated deliveries of one connector: SYNC_FUZZ_EXAMPLES when set, else the profile's
    own count (a connector whose deliveries cost more keeps its run time bounded), else
    FUZZ_EXAMPLES.  -> (all, of which through the real HTTP server)."""
    wanted = os.environ.get("SYNC_FUZZ_EXAMPLES")
    total = int(wanted) if wanted else (profile.fuzz_examples or FUZZ_EXAMPLES)
    return total, min(300, total // 10)


REFUSALS = (400, 401, 403, 404, 405, 413)
# Tables a webhook request must never write to (business data and its sync bookkeeping).
BUSINESS_TABLES = (
    "res_partner",
    "sale_order",
    "sale_order_line",
    "crm_lead",
    "project_project",
    "account_move",
    "sync_binding",
    "sync_audit",
    "sync_exception",
)


def customer_mapping(env, backend, name="Suite customers", **extra):
    """The smallest mapping: remote customers -> partners by name."""
    return env["sync.mapping"].create(
        {
            "name": name,
            "backend_id": backend.id,
            "remote_object": "customers",
            "res_model": "res.partner",
            "line_ids": [(0, 0, {"remote_field": "name", "odoo_field": "name"})],
            **extra,
        }
    )


def report(suite, connector, figures):
    """One line of the final table of `make test` (setup/run_tests.py collects them)."""
    _logger.info("RELIABILITY: %s %s: %s", suite, connector, figures)


# ---------------------------------------------------------------------------- strategies
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
SPECIAL_BODIES = st.sampled_from(
    [
        b"",
        b"null",
        b"[]",
        b"{}",
        b'{"events": []}',
        b"[" * 100_000,
        b"[" * 990 + b"]" * 990,
        b'{"a":' * 50_000,
        b"1" * 5_000,
        b"[NaN, Infinity, -Infinity]",
        b"\xef\xbb\xbf[]",
        b"\xff\xfe[\x00]\x00",
        b'"\\u0000"',
        b'[{"a": "\\ud800"}]',
    ]
)


def _sendable(header):
    """Whether an HTTP client can send this header at all (latin-1, no leading space...)."""
    try:
        header[1].encode("latin-1")
        requests.utils.check_header_validity(header)
    except (UnicodeEncodeError, requests.exceptions.InvalidHeader):
        return False
    return True


def _dumps(data):
    return json.dumps(data, allow_nan=True).encode()


EXTRA_FIELDS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=2)


@st.composite
def mutated(draw, event):
    """A documented event with some fields dropped or replaced by any JSON, and some added."""
    item = dict(draw(event))
    for key in draw(st.lists(st.sampled_from(sorted(item)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del item[key]
        else:
            item[key] = draw(JSON_VALUES)
    item.update(draw(EXTRA_FIELDS))
    return item


def bodies(profile):
    documented = profile.event()
    event = st.one_of(documented, mutated(documented))
    return st.one_of(
        st.lists(event, min_size=1, max_size=4).map(_dumps),
        event.map(_dumps),
        st.lists(event, max_size=3).map(lambda events: _dumps({"events": events})),
        JSON_VALUES.map(_dumps),
        st.binary(max_size=300),
        SPECIAL_BODIES,
    )


HEADER_MODES = ["signed"] * 6 + ["stale", "future", "garbage", "stamp", "missing", "noise"]
ODD_STAMPS = ["nan", "NaN", "inf", "-inf", "1e400", "", "0x10", "-1", "0", "1.5", "\u0661"]
ODD_STAMP_TEXT = st.sampled_from(ODD_STAMPS) | HEADER_TEXT


def requests_for(profile, backend, url):
    """Strategy of (headers, body) of one generated delivery to `url` (strategies built once:
    building them costs more than drawing from them)."""
    return _requests(profile.bodies(), st.sampled_from(HEADER_MODES), profile, backend, url)


@st.composite
def _requests(draw, body_strategy, mode_strategy, profile, backend, url):
    body = draw(body_strategy)
    mode = draw(mode_strategy)
    now = time.time()
    if mode == "stale":
        headers = profile.sign(backend, url, body, profile.stamp(now - 3600))
    elif mode == "future":
        headers = profile.sign(backend, url, body, profile.stamp(now + 3600))
    elif mode == "stamp":
        stamp = draw(ODD_STAMP_TEXT)
        headers = profile.sign(backend, url, body, stamp)
    elif mode == "missing":
        headers = {}
    else:
        headers = profile.sign(backend, url, body)
    if mode == "garbage":
        headers = {k: draw(HEADER_TEXT) for k in headers}
    if mode == "noise":
        headers.update(draw(st.dictionaries(st.sampled_from(profile.noise_headers()), HEADER_TEXT)))
    headers = {k: v for k, v in headers.items() if v != ""}
    headers.setdefault("Content-Type", profile.content_type)
    return headers, body


# ---------------------------------------------------------------------------- connector profile
class WebhookProfile:
    """How the suite talks to one connector's webhook (sync_core's generic kind here)."""

    kind = "generic"
    secret = "suite-webhook-secret-1"
    content_type = "application/json"
    reason_format = "JSON reason"  # how a refusal says why, in the figures
    fuzz_examples = None  # generated deliveries when SYNC_FUZZ_EXAMPLES is unset (FUZZ_EXAMPLES)
    # (label, events of another org/portal that the backend must refuse), or None
    other_org = None

    def create_backend(self, env):
        backend = env["sync.backend"].create(
            {"name": f"Suite {self.kind}", "kind": self.kind, "webhook_secret": self.secret}
        )
        customer_mapping(env, backend)
        return backend

    def stamp(self, seconds):
        return str(int(seconds))

    def sign(self, backend, url, body, stamp=None, secret=None):
        stamp = self.stamp(time.time()) if stamp is None else stamp
        return {
            "X-Sync-Timestamp": stamp,
            "X-Sync-Signature": hmac_hex(secret or self.secret, stamp.encode() + b"." + body),
        }

    def noise_headers(self):
        return ["X-Sync-Signature", "X-Sync-Timestamp", "User-Agent", "X-Request-Id"]

    def event(self):
        """One event as the sender documents it."""
        return st.fixed_dictionaries(
            {
                "event_id": st.integers(1, 10**9) | st.text(min_size=1, max_size=20),
                "object": st.sampled_from(["customers", "invoices"]),
                "id": st.integers(1, 10**6).map(str),
                "type": st.sampled_from(["created", "updated", "deleted"]),
            }
        )

    def valid_events(self):
        return [{"event_id": "suite-1", "object": "customers", "id": "4242", "type": "updated"}]

    def covered_event_types(self):
        """Event types (sync.event.event_type) the generated deliveries must get accepted at
        least once: the shapes a profile's `event` generates, checked to reach the store."""
        return []

    def encode(self, events):
        """The body of a delivery of `events` as the sender sends it."""
        return _dumps(events)

    def bodies(self):
        """Strategy of generated request bodies (documented, mutated and garbage)."""
        return bodies(self)

    def read_answer(self, status, content):
        """(status, answer) of a response as the suite judges it: `answer` is a dict with
        "status" ("ok"/"error"), "reason" on a refusal and "stored" when the format tells it,
        or None when the body is not an answer of this connector at all.  JSON here; a
        connector whose sender expects another format (a SOAP Ack or fault) maps it back."""
        try:
            return status, json.loads(content)
        except (ValueError, UnicodeDecodeError):
            return status, None

    def forgeries(self, backend, url, path):
        """(label, path, headers, body) of every forged request (path None: the backend's)."""
        body = self.encode(self.valid_events())
        other = self.encode(self.valid_events() + self.valid_events())
        now = time.time()
        huge = b"[" + b" " * MAX_BODY + b"]"
        forged = [
            ("bad signature", None, self.sign(backend, url, body, secret="not-the-secret"), body),
            ("signature over another body", None, self.sign(backend, url, other), body),
            ("no signature", None, {}, body),
            ("replay 10 min old", None, self.sign(backend, url, body, self.stamp(now - 600)), body),
            (
                "replay 1 day old",
                None,
                self.sign(backend, url, body, self.stamp(now - 86400)),
                body,
            ),
            (
                "stamp 10 min ahead",
                None,
                self.sign(backend, url, body, self.stamp(now + 600)),
                body,
            ),
            (
                "unknown token",
                f"/sync/{backend.kind}/{'x' * 32}",
                self.sign(backend, url, body),
                body,
            ),
            (
                "other kind's path",
                f"/sync/other_kind/{path.split('/')[-1]}",
                self.sign(backend, url, body),
                body,
            ),
            ("oversized body", None, self.sign(backend, url, huge), huge),
        ]
        for stamp in ("nan", "inf", "-inf", "1e400"):
            forged.append((f"timestamp {stamp}", None, self.sign(backend, url, body, stamp), body))
        if self.other_org:
            label, events = self.other_org
            raw = self.encode(events)
            forged.append((label, None, self.sign(backend, url, raw), raw))
        return forged


class _SuiteBase:
    profile = None
    # Odoo 19 runs only the test methods a class defines itself, unless told otherwise
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.profile.create_backend(cls.env)
        cls.path = f"/sync/{cls.backend.kind}/{cls.backend.sudo().webhook_token}"
        cls.url = cls.base_url() + cls.path

    @classmethod
    def _business_query(cls):
        cr = cls.env.cr
        parts = []
        for table in BUSINESS_TABLES:
            cr.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = %s AND column_name IN ('id', 'write_date')",
                [table],
            )
            columns = {row[0] for row in cr.fetchall()}
            if "id" in columns:
                stamp = "max(write_date)::text" if "write_date" in columns else "''"
                parts.append(f"(SELECT ARRAY[max(id)::text, {stamp}] FROM {table})")
        return f"SELECT {', '.join(parts)}"

    def business_state(self):
        """Max id and last write of every business table: a request must change none."""
        if not getattr(type(self), "_business_sql", None):
            type(self)._business_sql = self._business_query()
        self.env.cr.execute(self._business_sql)
        return self.env.cr.fetchone()

    def inbox_marks(self):
        self.env.cr.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM sync_event),"
            " (SELECT coalesce(max(id), 0) FROM sync_job)"
        )
        return self.env.cr.fetchone()

    def check_outcome(self, status, answer, text, marks, business):
        """The invariants of one delivery; returns a list of broken ones (empty when fine)."""
        broken = []
        if status >= 500:
            broken.append(f"HTTP {status}")
        if "Traceback" in text or 'File "' in text:
            broken.append("traceback in the response")
        if not isinstance(answer, dict) or "status" not in answer:
            broken.append(f"answer is not a JSON status: {text[:200]!r}")
            return broken
        if status != 200 and not (isinstance(answer.get("reason"), str) and answer["reason"]):
            broken.append(f"refusal {status} without a JSON reason")
        if self.business_state() != business:
            broken.append("business data written by the request")
        events = (
            self.env["sync.event"].sudo().search([("id", ">", marks[0])])
            if status in (200, 400)
            else self.env["sync.event"].browse()
        )
        new_jobs = self.env["sync.job"].sudo().search([("id", ">", marks[1])])
        if status != 200:
            if status not in REFUSALS:
                broken.append(f"unexpected status {status}")
            if new_jobs:
                broken.append(f"refused ({status}) but {len(new_jobs)} job(s) enqueued")
            if self.inbox_marks()[0] != marks[0] and status != 400:
                broken.append(f"refused ({status}) but an event was stored")
            if len(events) > 1 or any(e.state != "rejected" or not e.reason for e in events):
                broken.append("a refused body left events other than one rejected with a reason")
        else:
            if answer.get("stored") is not None and len(events) != answer["stored"]:
                broken.append(f"answer says {answer.get('stored')} stored, {len(events)} found")
            for event in events:
                if event.state == "queued" and not event.job_id:
                    broken.append(f"queued event {event.id} without a job")
                elif event.state == "ignored" and not event.reason:
                    broken.append(f"ignored event {event.id} without a reason")
                elif event.state not in ("queued", "ignored"):
                    broken.append(f"accepted event {event.id} in state {event.state}")
            if new_jobs - events.job_id:
                broken.append("a job enqueued without an event")
        return broken

    def receive(self, headers, body):
        """The inbox path of the controller, in-process: (status, answer).  An exception other
        than the refusals the controller answers is what HTTP would turn into a 500."""
        from werkzeug.datastructures import Headers

        headers = Headers(list(headers.items()))
        if len(body) > MAX_BODY:
            return 413, {"status": "error", "reason": "request body too large"}
        env = self.env(user=self.env.ref("sync_core.user_sync_bot").id)
        backend = env["sync.backend"]._find_by_webhook_token(
            self.backend.kind, self.path.split("/")[-1]
        )
        info = {"method": "POST", "url": self.url, "headers": headers, "body": body}
        try:
            backend._webhook_verify(info)
        except WebhookAuthError as exc:
            return exc.status, {"status": "error", "reason": exc.reason}
        try:
            events = backend._webhook_parse(info)
        except PayloadError as exc:
            backend.env["sync.event"]._store_rejected(backend, body, headers, exc.message)
            return 400, {"status": "error", "reason": exc.message}
        stored, duplicates = backend.env["sync.event"]._store(backend, events, headers)
        return 200, {"status": "ok", "stored": stored, "duplicates": duplicates}

    def rendered_problems(self, status, answer):
        """The answer of the in-process path as the controller would send it (the backend's
        `_webhook_answer`: JSON, or a SOAP Ack/fault), judged like an HTTP response."""
        content, _headers, http_status = self.backend._webhook_answer(status, dict(answer))
        text = content.decode(errors="replace") if isinstance(content, bytes) else content
        seen_status, seen = self.profile.read_answer(http_status, text)
        broken = []
        if "Traceback" in text or 'File "' in text:
            broken.append("traceback in the rendered answer")
        if not isinstance(seen, dict) or seen.get("status") != answer["status"]:
            broken.append(f"rendered answer does not say {answer['status']}: {text[:200]!r}")
        elif status != 200 and not (isinstance(seen.get("reason"), str) and seen["reason"]):
            broken.append(f"rendered refusal {http_status} without a readable reason")
        elif seen_status >= 500:
            broken.append(f"rendered answer is HTTP {seen_status}")
        return broken

    def post(self, headers, body, path=None):
        return self.url_open(
            self.base_url() + (path or self.path), data=body, headers=headers, method="POST"
        )


FUZZ_SETTINGS = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "print_blob": False,
    "suppress_health_check": list(HealthCheck),
}


class WebhookFuzzMixin(_SuiteBase):
    """Generated webhook deliveries (mix into an HttpCase, set `profile`)."""

    def test_fuzz_webhooks(self):
        label = self.profile.kind
        stats = Counter()  # answers by status
        accepted = Counter()  # stored events by event type (in-process deliveries)
        faults = Counter()  # broken invariants by kind
        failures = []

        def note(body, headers, broken):
            for problem in broken:
                faults["tracebacks"] += "traceback" in problem
                faults["partial writes"] += "business data" in problem
                faults["500"] += problem.startswith("HTTP 5")
            failures.append((body[:300], headers, broken))

        examples, over_http_examples = fuzz_examples(self.profile)
        in_process = examples - over_http_examples
        cr = self.env.cr
        # every in-process delivery is rolled back: the state before each one is this one
        business = self.business_state()
        marks = self.inbox_marks()

        @settings(max_examples=in_process, **FUZZ_SETTINGS)
        @given(request=requests_for(self.profile, self.backend, self.url))
        def deliver_in_process(request):
            headers, body = request
            with contextlib.closing(cr.savepoint()):
                try:
                    status, answer = self.receive(headers, body)
                except Exception as exc:  # what HTTP would answer with a 500
                    status, answer = 500, None
                    faults["500"] += 1
                    note(body, headers, [repr(exc)])
                    raise
                stats[status] += 1
                self.env.flush_all()
                if status == 200:
                    cr.execute("SELECT event_type FROM sync_event WHERE id > %s", [marks[0]])
                    accepted.update(row[0] for row in cr.fetchall())
                broken = self.check_outcome(status, answer, json.dumps(answer), marks, business)
                broken += self.rendered_problems(status, answer)
            self.env.invalidate_all()
            if broken:
                note(body, headers, broken)
            assert not broken, broken

        @settings(max_examples=over_http_examples, **FUZZ_SETTINGS)
        @given(request=requests_for(self.profile, self.backend, self.url))
        def deliver_over_http(request):
            headers, body = request
            if not all(_sendable(item) for item in headers.items()):
                reject()  # not a delivery: the HTTP client cannot send it
            business = self.business_state()
            marks = self.inbox_marks()
            res = self.post(headers, body)
            status, answer = self.profile.read_answer(res.status_code, res.content)
            stats[f"http {status}"] += 1
            self.env.invalidate_all()
            broken = self.check_outcome(status, answer, res.text, marks, business)
            if broken:
                note(body, headers, broken)
            assert not broken, broken

        started = time.monotonic()
        deliver_in_process()
        deliver_over_http()
        total = sum(stats.values())
        refused = sum(v for k, v in stats.items() if str(k).split()[-1] in map(str, REFUSALS))
        self.assertGreaterEqual(total, examples * 0.9)
        self.assertGreater(stats[200] + stats["http 200"], total * 0.1, "too few accepted")
        over_http = sum(v for k, v in stats.items() if str(k).startswith("http"))
        covered = self.profile.covered_event_types()
        missing = [kind for kind in covered if not accepted[kind]]
        report(
            "fuzz",
            label,
            f"{total} bodies ({total - over_http} in-process, {over_http} over HTTP),"
            f" {faults['500']} x 500, {faults['tracebacks']} tracebacks,"
            f" {faults['partial writes']} partial writes, {refused} refused with a"
            f" {self.profile.reason_format},"
            + (
                f" {len(covered) - len(missing)} of {len(covered)} event types accepted"
                f" (fewest: {min(accepted[kind] for kind in covered)}),"
                if covered
                else ""
            )
            + f" {time.monotonic() - started:.0f}s",
        )
        self.assertFalse(failures)
        self.assertFalse(missing, f"event types never accepted: {missing}")


class WebhookForgedMixin(_SuiteBase):
    """Forged and replayed requests over HTTP (mix into an HttpCase, set `profile`)."""

    def forgeries(self):
        """(label, path, headers, body) of every forged request."""
        return self.profile.forgeries(self.backend, self.url, self.path)

    def test_forged_requests_refused(self):
        Event, Job = self.env["sync.event"].sudo(), self.env["sync.job"].sudo()
        business = self.business_state()
        accepted = []
        forged = self.forgeries()
        for label, path, headers, body in forged:
            headers = {"Content-Type": self.profile.content_type, **headers}
            marks = self.inbox_marks()
            res = self.post(headers, body, path)
            self.env.invalidate_all()
            status, answer = self.profile.read_answer(res.status_code, res.content)
            reason = answer.get("reason") if isinstance(answer, dict) else None
            if status < 400 or status >= 500 or not reason or "Traceback" in res.text:
                accepted.append(f"{label}: HTTP {res.status_code} {res.text[:200]}")
            new_events = Event.search([("id", ">", marks[0])])
            if new_events.filtered(lambda e: e.state != "rejected") or Job.search(
                [("id", ">", marks[1])]
            ):
                accepted.append(f"{label}: stored or enqueued")
        # the genuine request goes through: the refusals above are not a broken endpoint
        body = self.profile.encode(self.profile.valid_events())
        res = self.post(
            {
                "Content-Type": self.profile.content_type,
                **self.profile.sign(self.backend, self.url, body),
            },
            body,
        )
        self.assertEqual(self.profile.read_answer(res.status_code, res.content)[0], 200, res.text)
        self.env.invalidate_all()
        self.assertEqual(self.business_state(), business, "a forged request wrote business data")
        report(
            "forged",
            self.profile.kind,
            f"{len(forged) - len(accepted)} of {len(forged)} refused with a"
            f" {self.profile.reason_format} "
            f"({', '.join(label for label, *_ in forged)}), nothing applied",
        )
        self.assertFalse(accepted)
