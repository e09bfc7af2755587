"""Webhook inbox: thin.  Look up the backend by its path token, let the connector verify the
raw request, store the events idempotently, enqueue their jobs, answer.  No business writes."""

import json
import logging
import re
import time

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from ..exceptions import PayloadError, WebhookAuthError
from ..secrets_at_rest import SecretKeyError

_logger = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024
_last_security_log = {}
# (the query too: the OAuth callback's carries the authorization code)
_WEBHOOK_PATH_RE = re.compile(r"(/sync/[^/\s]+/)[^/\s?#\"]+(\?[^\s\"]*)?")


class _MaskWebhookTokens(logging.Filter):
    """The path token of a webhook URL is a credential: access log lines show it masked."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(
                _WEBHOOK_PATH_RE.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


logging.getLogger("werkzeug").addFilter(_MaskWebhookTokens())


def _security_log(remote, reason, every=60.0):
    """One warning per (remote address, reason) per minute: an attack cannot flood the log."""
    now = time.monotonic()
    key = (remote, reason)
    if now - _last_security_log.get(key, 0.0) >= every:
        if len(_last_security_log) > 10000:
            _last_security_log.clear()
        _last_security_log[key] = now
        _logger.warning("sync webhook refused from %s: %s", remote, reason)


def _answer(http_status, backend=None, **body):
    """The route's answer: JSON, unless the backend's connector answers in its remote's own
    format (``sync.backend._webhook_answer``, e.g. a SOAP Ack)."""
    if backend:
        content, headers, http_status = backend._webhook_answer(http_status, body)
    else:
        content, headers = json.dumps(body), [("Content-Type", "application/json")]
    return request.make_response(content, headers=headers, status=http_status)


class SyncWebhookController(http.Controller):
    @http.route(
        "/sync/<string:kind>/<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def sync_webhook(self, kind, token, **_kw):
        httpreq = request.httprequest
        remote = httpreq.remote_addr
        if (httpreq.content_length or 0) > MAX_BODY:
            _security_log(remote, "body too large")
            return _answer(413, status="error", reason="request body too large")
        try:
            raw = httpreq.get_data(cache=True)
        except RequestEntityTooLarge:
            return _answer(413, status="error", reason="request body too large")
        if len(raw) > MAX_BODY:
            return _answer(413, status="error", reason="request body too large")
        env = request.env(user=request.env.ref("sync_core.user_sync_bot").id)
        backend = env["sync.backend"]._find_by_webhook_token(kind, token)
        if not backend:
            _security_log(remote, "unknown webhook token")
            return _answer(404, status="error", reason="unknown webhook endpoint")
        info = {
            "method": httpreq.method,
            "url": httpreq.url,
            "headers": httpreq.headers,
            "body": raw,
        }
        try:
            backend._webhook_verify(info)
        except WebhookAuthError as exc:
            _security_log(remote, f"backend {backend.id}: {exc.reason}")
            return _answer(exc.status, backend, status="error", reason=exc.reason)
        except SecretKeyError as exc:
            # the server cannot read the signing secret (key missing or wrong): nothing stored,
            # the remote retries later; the backend's form says why
            _logger.warning("sync webhook of backend %s not verified: %s", backend.id, exc.message)
            return _answer(503, backend, status="error", reason="credentials unavailable")
        try:
            events = backend._webhook_parse(info)
        except PayloadError as exc:
            backend.env["sync.event"]._store_rejected(backend, raw, httpreq.headers, exc.message)
            return _answer(400, backend, status="error", reason=exc.message)
        stored, duplicates = backend.env["sync.event"]._store(backend, events, httpreq.headers)
        return _answer(
            200, backend, status="ok", received=len(events), stored=stored, duplicates=duplicates
        )
