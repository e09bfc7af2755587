import json
import logging

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError
from odoo.tools.misc import format_datetime

from ..hashing import body_hash
from ..readable import with_dates
from ..sqllog import expected_sql_errors

_logger = logging.getLogger(__name__)

# Headers worth keeping with an event (never Authorization or cookies), lower case.  A
# connector adds those of its remote when its module is loaded:
# ``KEPT_HEADERS.update({"x-vendor-request-timestamp"})``.
KEPT_HEADERS = {
    "content-type",
    "user-agent",
    "x-request-id",
    "x-sync-timestamp",
}


class SyncEvent(models.Model):
    """Webhook inbox: one row per remote event, unique per (backend, dedup key)."""

    _name = "sync.event"
    _description = "Sync Event (webhook inbox)"
    _order = "id desc"
    _rec_names_search = ["event_type", "object_name", "external_id", "dedup_key"]

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    dedup_key = fields.Char(
        string="Event key", required=True, help="Remote event id, else a hash of the body."
    )
    received_at = fields.Datetime(
        string="Received", default=fields.Datetime.now, required=True, index=True
    )
    event_type = fields.Char(string="Event")
    object_name = fields.Char(string="Remote object")
    external_id = fields.Char(string="Remote id", index=True)
    headers = fields.Json()
    body = fields.Text(help="Raw body as received (for a batch, the event's own JSON).")
    body_pretty = fields.Text(
        string="Body (readable)",
        compute="_compute_body_pretty",
        help="The body as indented JSON, times given as epoch numbers shown as dates (UTC) "
        "beside them; the raw body is kept as received.",
    )
    state = fields.Selection(
        [
            ("received", "Received"),
            ("queued", "Queued"),
            ("processed", "Processed"),
            ("failed", "Failed"),
            ("rejected", "Rejected"),
            ("ignored", "Ignored"),
        ],
        default="received",
        required=True,
        index=True,
    )
    reason = fields.Text()
    delivery_count = fields.Integer(
        string="Deliveries", default=1, help="How many times the remote delivered it."
    )
    job_id = fields.Many2one("sync.job", index=True, ondelete="set null")

    _dedup_uniq = models.Constraint(
        "UNIQUE(backend_id, dedup_key)", "This event was already received."
    )

    @api.depends("event_type", "object_name", "external_id", "received_at")
    def _compute_display_name(self):
        """e.g. "deal.propertyChange, deals 10003, received 12/07/2026 03:20:11"."""
        for event in self:
            what = event.event_type or self.env._("Event")
            record = " ".join(filter(None, [event.object_name, event.external_id]))
            parts = [what, record] if record else [what]
            if event.received_at:
                when = format_datetime(self.env, event.received_at)
                parts.append(self.env._("received %(when)s", when=when))
            event.display_name = ", ".join(parts)

    @api.depends("body")
    def _compute_body_pretty(self):
        for event in self:
            try:
                data = json.loads(event.body or "")
            except ValueError:
                event.body_pretty = event.body or False  # not JSON (a rejected body): as is
                continue
            event.body_pretty = json.dumps(with_dates(data), indent=2, ensure_ascii=False)

    @api.model
    def _store(self, backend, events, headers):
        """Store accepted events idempotently and enqueue their jobs.

        Returns (stored, duplicates).  A redelivered event is counted, not stored twice.
        """
        kept = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        stored = duplicates = 0
        Job = self.env["sync.job"]
        for ev in events:
            ev = {key: _pg_text(value) for key, value in ev.items()}
            vals = {
                "backend_id": backend.id,
                "dedup_key": ev["dedup_key"][:255],
                "event_type": ev.get("event_type"),
                "object_name": ev.get("object_name"),
                "external_id": ev.get("external_id"),
                "headers": kept,
                "body": ev.get("raw") or _json(ev.get("payload")),
            }
            event = self._insert_once(vals)
            if not event:
                duplicates += 1
                continue
            stored += 1
            job_vals = backend._webhook_job_values(ev)
            if not job_vals:
                event.write(
                    {
                        "state": "ignored",
                        "reason": f"nothing to do: no active mapping or handler for "
                        f"'{ev.get('object_name')}' events of type '{ev.get('event_type')}'",
                    }
                )
                continue
            job = Job._enqueue(backend, job_vals.pop("kind"), **job_vals)
            if not job:
                # the same job was enqueued by a concurrent request after our snapshot: retry
                # the request with a fresh one, so that this event is linked to that job
                raise ConcurrencyError("sync job enqueued concurrently")
            event.write({"state": "queued", "job_id": job.id})
        return stored, duplicates

    @api.model
    def _insert_once(self, vals):
        """Create the event, or count a redelivery and return an empty recordset."""
        try:
            with expected_sql_errors(), self.env.cr.savepoint():
                event = self.sudo().create(vals)
                self.env.flush_all()
            return event
        except psycopg2.errors.UniqueViolation:
            self.env.cr.execute(
                "UPDATE sync_event SET delivery_count = delivery_count + 1"
                " WHERE backend_id = %s AND dedup_key = %s",
                [vals["backend_id"], vals["dedup_key"]],
                # a runner that marked the event processed after our snapshot makes this fail
                # to serialize: Odoo's request retry runs the delivery again, no bad query
                log_exceptions=False,
            )
            if not self.env.cr.rowcount:
                # stored by a concurrent delivery after our snapshot: Odoo retries the request
                # with a fresh snapshot, where the redelivery is counted
                raise ConcurrencyError("sync event stored concurrently") from None
            return self.browse()

    @api.model
    def _store_rejected(self, backend, raw, headers, reason):
        """Keep a malformed delivery (raw body) as a rejected event, once."""
        kept = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        return self._insert_once(
            {
                "backend_id": backend.id,
                "dedup_key": "body:" + body_hash(raw),
                "headers": kept,
                "body": _pg_text(raw.decode("utf-8", errors="replace")),
                "state": "rejected",
                "reason": _pg_text(reason),
            }
        )

    def _job_values(self):
        """The job this stored event asks for, as when it was received (or None)."""
        self.ensure_one()
        return self.backend_id._webhook_job_values(
            {
                "dedup_key": self.dedup_key,
                "event_type": self.event_type,
                "object_name": self.object_name,
                "external_id": self.external_id,
                "payload": json.loads(self.body or "null"),
            }
        )

    def action_dry_run(self):
        """Run the event's job in dry-run mode: shows what would change, writes nothing."""
        for event in self.filtered(lambda e: e.state != "rejected"):
            job_vals = event._job_values()
            if job_vals:
                kind = job_vals.pop("kind")
                job_vals["identity_key"] = f"dry:{job_vals.get('identity_key') or event.id}"
                if job_vals.get("batch_key"):
                    job_vals["batch_key"] = f"dry:{job_vals['batch_key']}"
                self.env["sync.job"]._enqueue(event.backend_id, kind, dry_run=True, **job_vals)
        return True

    def action_replay(self):
        """Enqueue the event's job again (operator replay)."""
        for event in self.filtered(lambda e: e.state != "rejected"):
            job_vals = event._job_values()
            if job_vals:
                job = self.env["sync.job"]._enqueue(
                    event.backend_id, job_vals.pop("kind"), **job_vals
                )
                event.write({"state": "queued", "job_id": job.id or False})
        return True


def _json(data):
    return json.dumps(data, default=str)


def _pg_text(value):
    """PostgreSQL text cannot hold NUL characters: a remote's string can (it becomes U+FFFD)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value
