"""Retention of what the engine keeps of remote data, per backend and kind of data: a daily
cron purges raw webhook bodies, masks job payloads, results and errors, audit before/after
values and exception payloads older than the backend's number of days (0 = kept).  Rows stay
(dedup keys, states, which fields changed, who and when); only values go.  Every run is
logged with its counts, never values (server log and the backend's chatter)."""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..masking import MASK

_logger = logging.getLogger(__name__)

PURGED = "purged"
MASKED_PAIR = json.dumps([MASK, MASK])
# kind of data -> (backend field, default days)
RETENTION = {
    "events": ("retention_event_days", 30),
    "jobs": ("retention_job_days", 30),
    "audit": ("retention_audit_days", 365),
    "exceptions": ("retention_exception_days", 90),
}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    retention_event_days = fields.Integer(
        string="Keep webhook bodies (days)",
        default=RETENTION["events"][1],
        help="Raw bodies of received webhooks older than this are purged (the event, its "
        "state and dedup key stay). 0 = kept.",
    )
    retention_job_days = fields.Integer(
        string="Keep job payloads (days)",
        default=RETENTION["jobs"][1],
        help="Payloads, results and errors of finished jobs older than this are masked "
        "(failed jobs with an open exception are kept). 0 = kept.",
    )
    retention_audit_days = fields.Integer(
        string="Keep audit values (days)",
        default=RETENTION["audit"][1],
        help="Before/after values of audit rows older than this are masked (which fields "
        "changed, when and by which job stay). 0 = kept.",
    )
    retention_exception_days = fields.Integer(
        string="Keep exception payloads (days)",
        default=RETENTION["exceptions"][1],
        help="Raw payloads of resolved or ignored exceptions older than this are purged. "
        "0 = kept.",
    )

    @api.model
    def _cron_retention(self):
        """Daily: apply every backend's retention; {backend id: {kind: rows}}."""
        done = {}
        for backend in self.with_context(active_test=False).search([("id", "!=", False)]):
            counts = backend._apply_retention()
            if any(counts.values()):
                done[backend.id] = counts
                backend._log_privacy(self.env._("Retention applied"), counts)
        return done

    def _apply_retention(self, now=None):
        """Purge and mask this backend's data older than its retention; {kind: rows}."""
        self.ensure_one()
        self.env.flush_all()
        now = now or fields.Datetime.now()
        counts = {}
        for kind, (field, _default) in RETENTION.items():
            days = self[field]
            if days and days > 0:
                limit = now - timedelta(days=days)
                counts[kind] = getattr(self, f"_retain_{kind}")(limit)
        if any(counts.values()):
            self.env.invalidate_all()
        return counts

    def _retain_events(self, limit):
        return self._retention_update(
            SQL(
                "UPDATE sync_event SET body = NULL, headers = NULL"
                " WHERE backend_id = %s AND received_at < %s AND body IS NOT NULL",
                self.id,
                limit,
            )
        )

    def _retain_jobs(self, limit):
        purged = json.dumps({PURGED: True})
        return self._retention_update(
            SQL(
                """UPDATE sync_job j SET payload = %s::jsonb, result = NULL, error = NULL,
                          traceback = NULL
                    WHERE j.backend_id = %s AND j.write_date < %s
                      AND j.state IN ('done', 'cancelled', 'failed')
                      AND NOT (j.payload ? %s)
                      AND NOT EXISTS (SELECT 1 FROM sync_exception x
                                       WHERE x.job_id = j.id AND x.state = 'open')""",
                purged,
                self.id,
                limit,
                PURGED,
            )
        )

    def _retain_audit(self, limit):
        return self._retention_update(
            SQL(
                """UPDATE sync_audit a
                      SET changes = (SELECT jsonb_object_agg(e.key, %s::jsonb)
                                       FROM jsonb_each(a.changes) e)
                    WHERE a.backend_id = %s AND a.date < %s
                      AND jsonb_typeof(a.changes) = 'object'
                      AND EXISTS (SELECT 1 FROM jsonb_each(a.changes) e
                                   WHERE e.value <> %s::jsonb)""",
                MASKED_PAIR,
                self.id,
                limit,
                MASKED_PAIR,
            )
        )

    def _retain_exceptions(self, limit):
        return self._retention_update(
            SQL(
                """UPDATE sync_exception SET payload_text = NULL
                    WHERE backend_id = %s AND state IN ('resolved', 'ignored')
                      AND COALESCE(last_seen_at, create_date) < %s
                      AND payload_text IS NOT NULL""",
                self.id,
                limit,
            )
        )

    def _retention_update(self, query):
        self.env.cr.execute(query)
        return self.env.cr.rowcount

    def _log_privacy(self, title, counts, subject=None):
        """Log a purge or a mask: counts only, never values (server log and chatter)."""
        self.ensure_one()
        text = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        _logger.info(
            "sync privacy, backend %s%s: %s: %s",
            self.id,
            f" ({subject})" if subject else "",
            title,
            text,
        )
        self.sudo().message_post(
            body=self.env._("%(title)s: %(counts)s", title=title, counts=text),
            subtype_xmlid="mail.mt_note",
        )
