import hmac
import json
import logging
import secrets
import threading
from datetime import timedelta

import psycopg2
from psycopg2 import errorcodes

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import signatures
from ..adapter import GenericRestAdapter
from ..exceptions import PayloadError, SyncError
from ..hashing import payload_hash
from ..mapping import parse_datetime
from ..secret_fields import SecretChar

_logger = logging.getLogger(__name__)
MANAGER = "sync_core.sync_core_group_manager"
# Tokens this process saw refreshed: (database, backend id, old access token) -> the values
# that replaced it (see _store_credentials)
_REPLACED = {}
_REPLACED_LOCK = threading.Lock()
REPLACED_KEPT = 20  # per backend and token field
# kind -> (adapter class, most records a page may ask for or None): connectors add their kind
ADAPTERS = {"generic": (GenericRestAdapter, None)}


def kind_option(kind, label):
    """The ``kind`` field of a connector's sync.backend: `label` added for `kind`, whose
    backends go when the connector is uninstalled."""
    return fields.Selection(selection_add=[(kind, label)], ondelete={kind: "cascade"})


class SyncBackend(models.Model):
    _name = "sync.backend"
    _description = "Sync Backend (connection to a remote system)"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [("generic", "Generic REST (JSON)")],
        required=True,
        default="generic",
        tracking=True,
        help="Connectors add their own kinds.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    sandbox = fields.Boolean(
        string="Sandbox", help="A sandbox or test account of the remote system."
    )
    state = fields.Selection(
        [("draft", "Not tested"), ("ok", "Connected"), ("error", "Error")],
        string="Connection",
        default="draft",
        readonly=True,
        tracking=True,
    )
    status_message = fields.Text(string="Connection message", readonly=True)
    base_url = fields.Char(string="API base URL")
    # Credentials: only the sync manager reads or writes them (field groups).
    # Credentials are stored encrypted (SecretChar: secret_fields.py, key outside the database)
    api_token = SecretChar(string="API token", groups=MANAGER, copy=False)
    webhook_token = fields.Char(
        groups=MANAGER,
        copy=False,
        index="btree_not_null",
        default=lambda self: secrets.token_urlsafe(24),
        help="Unguessable path token of this backend's webhook URL. Rotate it if it leaked.",
    )
    webhook_secret = SecretChar(string="Webhook signing secret", groups=MANAGER, copy=False)
    webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_webhook_url",
        groups=MANAGER,
        help="Give this address to the remote system as the webhook target.",
    )
    webhook_window = fields.Integer(
        string="Webhook time window (s)",
        default=300,
        help="Seconds a signed webhook timestamp stays acceptable.",
    )
    timeout = fields.Integer(
        string="Timeout (s)", default=30, help="Seconds before a remote call times out."
    )
    page_size = fields.Integer(
        string="Records per call", default=200, help="Page size of the remote's list calls."
    )
    channel_capacity = fields.Integer(
        string="Jobs in parallel",
        default=2,
        help="Jobs of this backend that may run at the same time (default channel).",
    )
    job_retention_days = fields.Integer(
        string="Keep finished jobs (days)",
        default=lambda self: self._default_job_retention_days(),
        help="Done and cancelled jobs older than this are deleted.",
    )
    watermark_ids = fields.One2many("sync.watermark", "backend_id", string="Watermarks")
    mapping_ids = fields.One2many("sync.mapping", "backend_id", string="Synchronised objects")
    job_ids = fields.One2many("sync.job", "backend_id", string="Jobs")
    exception_ids = fields.One2many("sync.exception", "backend_id", string="Exceptions")
    paused_until = fields.Datetime(
        compute="_compute_pause",
        help="No job of this backend starts before this time (a remote rate limit or quota).",
    )
    pause_reason = fields.Char(compute="_compute_pause")

    _webhook_token_uniq = models.UniqueIndex("(webhook_token) WHERE webhook_token IS NOT NULL")

    @api.model
    def _default_job_retention_days(self):
        """Settings > Sync: the retention new backends start with (30 days if unset)."""
        value = self.env["ir.config_parameter"].sudo().get_param("sync_core.job_retention_days")
        return int(value) if value and value.isdigit() else 30

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            for name, value in self._kind_defaults(vals.get("kind") or "generic").items():
                vals.setdefault(name, value)
        backends = super().create(vals_list)
        for backend in backends:
            self.env["sync.channel"].sudo().create(
                {"backend_id": backend.id, "capacity": backend.channel_capacity}
            )
        return backends

    @api.model
    def _kind_defaults(self, kind):
        """Hook: {field: value} a new backend of `kind` starts with, unless given (data:
        a connector's defaults that differ from the field's own)."""
        return {}

    @api.depends("kind")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.webhook_url = (
                f"{base}/sync/{backend.kind}/{backend.webhook_token}"
                if backend.webhook_token
                else False
            )

    def _compute_pause(self):
        """The latest block of the backend's channels still ahead, and why (e.g. "HubSpot
        daily API limit reached")."""
        now = fields.Datetime.now()
        channels = (
            self.env["sync.channel"]
            .sudo()
            .search(
                [("backend_id", "in", self.ids), ("blocked_until", ">", now)],
                order="blocked_until desc",
            )
        )
        for backend in self:
            latest = channels.filtered(lambda c, b=backend: c.backend_id == b)[:1]
            backend.paused_until = latest.blocked_until
            backend.pause_reason = latest.blocked_reason

    # ------------------------------------------------------------------ actions
    def _remote_record_url(self, remote_object, external_id):
        """Address of one remote record in the remote system's own UI (a link for users), or
        False.  Connectors override for their kind."""
        self.ensure_one()
        return False

    def action_rotate_webhook_token(self):
        for backend in self:
            backend.sudo().webhook_token = secrets.token_urlsafe(24)
        return True

    def action_pull(self, object_name=None, dry_run=False):
        """Enqueue a pull of one mapped object, or of all of them (button and JSON-RPC)."""
        for backend in self:
            mappings = self.env["sync.mapping"].search([("backend_id", "=", backend.id)])
            objects = (
                [object_name] if object_name else sorted(set(mappings.mapped("remote_object")))
            )
            for name in objects:
                self.env["sync.job"]._enqueue(
                    backend,
                    "pull",
                    payload={"object": name},
                    identity_key=f"pull{'-dry' if dry_run else ''}:{name}",
                    dry_run=bool(dry_run),
                )
        return True

    def action_open_jobs(self):
        return self._open_related("sync.job", self.env._("Jobs"))

    def action_open_queue(self):
        return self._open_related(
            "sync.job", self.env._("Queued jobs"), [("state", "in", ("pending", "started"))]
        )

    def action_open_failed_jobs(self):
        return self._open_related(
            "sync.job",
            self.env._("Failed jobs (last 24 h)"),
            [
                ("state", "=", "failed"),
                ("write_date", ">=", fields.Datetime.now() - timedelta(hours=24)),
            ],
        )

    def action_open_exceptions(self):
        return self._open_related(
            "sync.exception", self.env._("Exceptions"), [("state", "=", "open")]
        )

    def _open_related(self, model, name, extra=None):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "name": name,
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id), *(extra or [])],
            "context": {"default_backend_id": self.id},
        }

    # ------------------------------------------------------------------ adapter
    def _store_credentials(self, values, token_field=None, replaced=None):
        """Save refreshed credentials (an OAuth access token, its expiry, a rotated refresh
        token) in a transaction of their own, committed at once: a job that refreshes a token
        and then fails rolls its own transaction back, and would otherwise lose the new token
        (the next attempt refreshes again and meets another 401).

        Concurrency: the row is written with a short lock wait; when another worker holds or
        just committed it (it refreshed too: its token is as good), or when this transaction
        itself wrote the row earlier (its lock would be waited for by the other cursor), the
        values are written in this transaction instead.  Either way this transaction sees them
        (cache) and this process remembers that `replaced` (the old value of `token_field`,
        the access token) became `values`, so a job whose transaction still reads the old
        token uses the new one (`_fresh_credentials`)."""
        self.ensure_one()
        me = self.sudo()
        dirty = self.env.transaction.field_dirty
        # fields this transaction will write anyway (it keeps the newest) are not stored apart
        stored = not any(self.id in dirty.get(self._fields[name], ()) for name in values)
        if stored:
            try:
                stored = self._store_apart(values)
            except psycopg2.Error as exc:
                if exc.pgcode not in (
                    errorcodes.LOCK_NOT_AVAILABLE,
                    errorcodes.SERIALIZATION_FAILURE,
                    errorcodes.DEADLOCK_DETECTED,
                ):
                    raise
                _logger.info("credentials of %s stored with the job, not apart: %s", me, exc)
                stored = False
        if stored:
            # the row was committed after this transaction's snapshot: writing it here too
            # would fail to serialize; the cache carries the values for the rest of the job
            me._update_cache(values, validate=False)
        else:
            me.write(values)
        new = values.get(token_field) if token_field else None
        if new and replaced and new != replaced:
            with _REPLACED_LOCK:
                _REPLACED[(self.env.cr.dbname, self.id, token_field, replaced)] = dict(values)
                # the new token is the current one: whatever it once replaced is over
                _REPLACED.pop((self.env.cr.dbname, self.id, token_field, new), None)
                # a long-running process refreshes every half hour: keep the last few
                mine = [k for k in _REPLACED if k[:3] == (self.env.cr.dbname, self.id, token_field)]
                for key in mine[:-REPLACED_KEPT]:
                    del _REPLACED[key]

    def _store_apart(self, values):
        """Write `values` on this backend through a cursor of its own, committed at once
        (waiting at most 2 s for the row); False when that cursor does not see the row (this
        transaction created it and has not committed)."""
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '2s'")
            cr.execute("SELECT id FROM sync_backend WHERE id = %s FOR NO KEY UPDATE", [self.id])
            if not cr.fetchone():
                return False
            self.sudo().with_env(self.env(cr=cr, su=True)).write(values)
        return True

    def _fresh_credentials(self, token_field, token):
        """The credential values that replaced access token `token` (field `token_field`) in
        this process, following refreshes to the newest; {} when it was not replaced (a token
        a user entered is never overridden)."""
        found = {}
        with _REPLACED_LOCK:
            for _hop in range(20):
                values = _REPLACED.get((self.env.cr.dbname, self.id, token_field, token))
                if not values:
                    break
                found, token = values, values.get(token_field)
        return found

    @api.model
    def _forget_replaced_credentials(self):
        """Forget the tokens this process saw replaced (tests; credentials entered again)."""
        with _REPLACED_LOCK:
            _REPLACED.clear()

    def _adapter_config(self):
        """Plain dict handed to the adapter; credentials read with sudo, never logged."""
        self.ensure_one()
        me = self.sudo()
        return {
            "base_url": me.base_url or "",
            "api_token": me.api_token or "",
            "timeout": me.timeout or 30,
            "page_size": me.page_size or 200,
            "sandbox": me.sandbox,
        }

    def _get_adapter(self):
        """Adapter for this backend: its kind's class in `ADAPTERS` (a connector adds its kind;
        one that sets more on its adapter overrides this), paged as the backend says (at most
        the kind's cap, when it has one)."""
        self.ensure_one()
        if self.kind not in ADAPTERS:
            raise UserError(self.env._("No adapter for backend kind %(kind)s", kind=self.kind))
        adapter_class, most = ADAPTERS[self.kind]
        adapter = adapter_class(self._adapter_config())
        adapter.page_size = (
            min(self.page_size or 200, most) if most else self.page_size or adapter.page_size
        )
        return adapter

    # ------------------------------------------------------------------ webhooks
    @api.model
    def _find_by_webhook_token(self, kind, token):
        if not token or len(token) < 16:
            return self.browse()
        # compared in constant time here, not by the database's index (whose timing depends on
        # how much of the token matches); a kind has few backends
        backends = (
            self.sudo()
            .with_context(active_test=True)
            .search([("kind", "=", kind), ("webhook_token", "!=", False)])
        )
        given = token.encode("utf-8", "replace")
        for backend in backends:
            if hmac.compare_digest(backend.webhook_token.encode(), given):
                return backend
        return self.browse()

    def _webhook_verify(self, request_info):
        """Raise WebhookAuthError unless the request is authentic.

        request_info: dict(method, url, headers (case-insensitive mapping), body (bytes)).
        """
        self.ensure_one()
        headers = request_info["headers"]
        signatures.verify_generic(
            self.sudo().webhook_secret,
            request_info["body"],
            headers.get("X-Sync-Signature"),
            headers.get("X-Sync-Timestamp"),
            window=self.webhook_window or signatures.DEFAULT_WINDOW,
        )

    def _webhook_parse(self, request_info):
        """Raw request -> list of event dicts (dedup_key, event_type, object_name, external_id,
        occurred_at, payload).  Raise PayloadError when the body is malformed."""
        self.ensure_one()
        data = self._webhook_json(request_info)
        if isinstance(data, dict) and isinstance(data.get("events"), list):
            data = data["events"]
        items = data if isinstance(data, list) else [data]
        if not items:
            raise PayloadError("no event in the body")
        events = []
        for item in items:
            if not isinstance(item, dict):
                raise PayloadError("each event must be a JSON object")
            object_name = _first(item, "object", "object_type", "objectType")
            external_id = _first(item, "id", "object_id", "objectId", "external_id")
            if not object_name or external_id in (None, ""):
                raise PayloadError("each event needs the object type ('object') and its 'id'")
            event_id = _first(item, "event_id", "eventId")
            events.append(
                {
                    "dedup_key": str(event_id or payload_hash(item)),
                    "event_type": str(_first(item, "type", "event_type", "eventType") or "change"),
                    "object_name": str(object_name),
                    "external_id": str(external_id),
                    "payload": item,
                }
            )
        return events

    def _webhook_answer(self, http_status, body):
        """The webhook route's answer for this backend: (http status, body dict) -> (content,
        headers, http status).  JSON by default; a connector whose remote expects another
        format (e.g. a SOAP acknowledgement) overrides it.  A 200 is answered only after the
        delivery's events are stored; errors (401/403/400/413) are answered the same way."""
        return json.dumps(body), [("Content-Type", "application/json")], http_status

    @api.model
    def _webhook_json(self, request_info):
        """The request body as JSON; PayloadError (HTTP 400, kept as rejected) otherwise."""
        try:
            return json.loads(request_info["body"] or b"null")
        except ValueError as exc:
            raise PayloadError(f"body is not JSON: {exc}") from exc
        except RecursionError as exc:
            raise PayloadError("body is not JSON this server accepts: nested too deeply") from exc

    def _webhook_member(self, request_info, key, kind, message):
        """(the body's JSON object, its `key` member) when that member is a non-empty `kind`
        (a type); PayloadError(`message`) otherwise."""
        data = self._webhook_json(request_info)
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, kind) or not value:
            raise PayloadError(message)
        return data, value

    def _webhook_job_values(self, event):
        """The job an accepted event enqueues: re-fetch the record's current state.  None when
        nothing maps the event's object (the event is kept as ignored)."""
        if not self.env["sync.mapping"].search_count(
            [("backend_id", "=", self.id), ("remote_object", "=", event["object_name"])], limit=1
        ):
            return None
        return {
            "kind": "import_record",
            "identity_key": f"import:{event['object_name']}:{event['external_id']}",
            "batch_key": f"import:{event['object_name']}",
            "payload": {"object": event["object_name"], "ids": [event["external_id"]]},
        }

    def _remote_field_label(self, remote_object, remote_field):
        """How a message names what feeds a remote field (connectors name derived fields,
        e.g. a contact's name made of first name, last name, email)."""
        return f"'{remote_field}'"

    def _note_rate_limit(self, adapter):
        """Feed what the remote said of its rate limit into the backend's channels: throttle
        job starts to 90% of the remote's rate, and block them until the next interval when
        nothing remains."""
        self.ensure_one()
        info = adapter.rate_limit
        if not info or not info.get("interval") or not info.get("max"):
            return
        rate = 0.9 * info["max"] / info["interval"]
        channels = self.env["sync.channel"].sudo().search([("backend_id", "=", self.id)])
        for channel in channels:
            if not channel.rate_per_second or channel.rate_per_second > rate:
                channel.rate_per_second = rate
            if info.get("remaining") is not None and info["remaining"] <= 0:
                channel.blocked_until = fields.Datetime.now() + timedelta(seconds=info["interval"])

    # ------------------------------------------------------------------ job handlers
    @api.model
    def _job_import_record(self, jobs):
        """Webhook-driven: re-fetch the current state of the ids (batch read) and apply it, so
        out-of-order events cannot roll a record back.  A batch of jobs (same backend, object
        and dry-run flag: their batch key) is read and applied as one page."""
        job = jobs[:1]
        backend = job.backend_id
        object_name = job.payload["object"]
        ids = list(dict.fromkeys(str(i) for j in jobs for i in j.payload["ids"]))
        mapping = self.env["sync.mapping"]._for(backend, object_name)
        adapter = backend._get_adapter()
        records = adapter.read_batch(object_name, ids)
        backend._note_rate_limit(adapter)
        stats = mapping._apply_page(records, job=job, dry_run=job.dry_run)
        # remote records that are gone: what became of their Odoo records, in words
        if notes := mapping._deletion_outcome(records, ids, job.dry_run):
            stats["remote_deletions"] = notes
        stats["jobs"] = len(jobs)
        stats["not_found"] = len(set(ids) - {r["id"] for r in records})
        return stats

    @api.model
    def _job_apply_record(self, job):
        """Apply one remote record as given in the payload (operator-edited)."""
        mapping = self.env["sync.mapping"].browse(job.payload["mapping_id"]).exists()
        if not mapping:
            raise SyncError("the mapping of this record was deleted", category="validation")
        rec = dict(job.payload["record"])
        rec["updated_at"] = parse_datetime(rec.get("updated_at")) or None
        return mapping._apply_page([rec], job=job, dry_run=job.dry_run)

    @api.model
    def _job_noop(self, jobs):
        """Does nothing: a kind with this method measures the runner's own cost per job
        (bench/bench_runner.py) and lets several servers drain a backlog (reliability suite)."""
        return {"noop": len(jobs)}

    @api.model
    def _job_pull(self, job):
        return job.backend_id._pull(job.payload["object"], job=job, dry_run=job.dry_run)

    @api.model
    def _job_export(self, jobs):
        """Outbox: write the records of one mapping (a batch of export jobs) in batches."""
        job = jobs[:1]
        mapping = self.env["sync.mapping"].browse(job.payload["mapping_id"]).exists()
        if not mapping:
            return {"skipped": "mapping deleted"}
        res_ids = list(dict.fromkeys(i for j in jobs for i in j.payload["res_ids"]))
        records = self.env[mapping.res_model].browse(res_ids).exists()
        stats = mapping._export_records(records, job=job)
        stats["jobs"] = len(jobs)
        return stats


def _first(item, *keys):
    """First present value among alternative key spellings (be liberal in what you accept)."""
    for key in keys:
        if item.get(key) not in (None, ""):
            return item[key]
    return None
