import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import CATEGORIES
from .sync_binding import record_display_name


class SyncException(models.Model):
    """One business problem for a finance or ops user to resolve (not one stack trace).

    Grouped by pattern (same backend, category and cause).  Actions: retry, edit the payload
    then retry, link an existing Odoo record then retry, ignore with a reason, assign.
    """

    _name = "sync.exception"
    _description = "Sync Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, last_seen_at desc, id desc"

    name = fields.Char(string="Problem", required=True, tracking=True)
    category = fields.Selection(CATEGORIES, required=True, index=True, tracking=True)
    pattern_key = fields.Char(index=True, readonly=True)
    pattern = fields.Char(readonly=True, help="The cause shared by exceptions of one group.")
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    job_id = fields.Many2one("sync.job", index=True, ondelete="set null", readonly=True)
    event_id = fields.Many2one("sync.event", ondelete="set null", readonly=True)
    mapping_id = fields.Many2one("sync.mapping", ondelete="set null", readonly=True)
    remote_object = fields.Char(readonly=True)
    external_id = fields.Char(readonly=True, index=True)
    res_model = fields.Char(string="Affected model", readonly=True)
    res_id = fields.Many2oneReference(string="Affected record id", model_field="res_model")
    record_name = fields.Char(compute="_compute_record_name", string="Affected record")
    payload_text = fields.Text(string="Payload (JSON)", help="Edit, then Retry.")
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one("res.users", string="Assigned to", tracking=True, index=True)
    reason = fields.Text(string="Resolution / ignore reason", tracking=True)
    occurrences = fields.Integer(default=1, readonly=True)
    first_seen_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    last_seen_at = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    technical_detail = fields.Text(readonly=True)

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for exc in self:
            exc.record_name = record_display_name(self.env, exc.res_model, exc.res_id)

    @api.model
    def _pattern_key(self, backend, category, pattern):
        raw = f"{backend.id}|{category}|{pattern}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    @api.model
    def _open(self, backend, exc, **vals):
        """Open (or count again) the exception for one problem."""
        category = getattr(exc, "category", "remote")
        pattern = getattr(exc, "pattern", None) or str(exc)
        message = getattr(exc, "message", None) or str(exc)
        key_domain = [("backend_id", "=", backend.id), ("state", "=", "open")]
        if vals.get("job_id"):
            key_domain.append(("job_id", "=", vals["job_id"]))
        elif vals.get("external_id"):
            key_domain += [
                ("external_id", "=", vals["external_id"]),
                ("remote_object", "=", vals.get("remote_object")),
            ]
        else:
            key_domain = None
        existing = self.sudo().search(key_domain, limit=1) if key_domain else self.browse()
        common = {
            "name": message[:500],
            "category": category,
            "pattern": pattern[:250],
            "pattern_key": self._pattern_key(backend, category, pattern),
            "last_seen_at": fields.Datetime.now(),
            "technical_detail": vals.pop("technical_detail", False),
        }
        if getattr(exc, "res_model", None) and exc.res_id:
            common.update(res_model=exc.res_model, res_id=exc.res_id)
        if getattr(exc, "external_id", None):
            common.update(external_id=exc.external_id, remote_object=exc.remote_object)
        if existing:
            existing.write({**common, "occurrences": existing.occurrences + 1})
            return existing
        return self.sudo().create({"backend_id": backend.id, **vals, **common})

    @api.model
    def _open_for_job(self, job, exc):
        return self._open(
            job.backend_id,
            exc,
            job_id=job.id,
            payload_text=json.dumps(job.payload, indent=2, sort_keys=True, default=str),
            res_model=job.res_model or False,
            res_id=job.res_id or False,
            technical_detail=job.traceback or job.error,
        )

    @api.model
    def _open_for_record(self, mapping, rec, exc, job=None):
        """A remote record that could not be applied (the rest of its page was)."""
        return self._open(
            mapping.backend_id,
            exc,
            job_id=False,
            mapping_id=mapping.id,
            remote_object=mapping.remote_object,
            external_id=rec["id"],
            payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
            technical_detail=f"job {job.id if job else '-'}: {exc!r}",
        )

    def _mark_resolved(self, reason):
        self.write({"state": "resolved", "reason": reason})

    # ------------------------------------------------------------------ actions
    def _payload(self):
        self.ensure_one()
        try:
            return json.loads(self.payload_text or "null")
        except ValueError as exc:
            raise UserError(
                self.env._("The payload is not valid JSON: %(err)s", err=str(exc))
            ) from exc

    def action_retry(self):
        """Re-enqueue the work with the payload as the operator left it."""
        for exc in self:
            payload = exc._payload()
            if exc.job_id:
                if payload != exc.job_id.payload:
                    exc.job_id._set_payload_from_text(exc.payload_text)
                exc.job_id.action_requeue()
            elif exc.mapping_id and isinstance(payload, dict) and payload.get("id"):
                # a record of a page: enqueue a re-fetch of that one record
                job = self.env["sync.job"]._enqueue(
                    exc.backend_id,
                    "apply_record",
                    payload={"mapping_id": exc.mapping_id.id, "record": payload},
                    identity_key=f"apply:{exc.mapping_id.id}:{payload['id']}",
                )
                exc.job_id = job
            elif job := exc._enqueue_reread():
                exc.job_id = job
            else:
                raise UserError(self.env._("Nothing to retry for %(name)s.", name=exc.name))
            exc.message_post(body=self.env._("Retried by %(user)s.", user=self.env.user.name))
        return True

    def _enqueue_reread(self):
        """A problem about one remote record: re-read its current state, the way a webhook
        event of that record would (the backend's ``_webhook_job_values``)."""
        self.ensure_one()
        if not (self.remote_object and self.external_id):
            return self.env["sync.job"]
        values = self.backend_id._webhook_job_values(
            {
                "dedup_key": f"retry:{self.id}",
                "event_type": "retry",
                "object_name": self.remote_object,
                "external_id": self.external_id,
                "payload": {},
            }
        )
        if not values:
            return self.env["sync.job"]
        return self.env["sync.job"]._enqueue(self.backend_id, values.pop("kind"), **values)

    def action_ignore(self, reason=None):
        reason = reason or self.env.context.get("ignore_reason")
        if not reason:
            raise UserError(self.env._("Give a reason to ignore an exception."))
        self.write({"state": "ignored", "reason": reason})
        self.job_id.filtered(lambda j: j.state in ("failed", "pending")).action_cancel()
        return True

    def action_reopen(self):
        self.write({"state": "open"})
        return True

    def action_link_record(self, res_id):
        """Bind the remote record to an existing Odoo record, then retry."""
        self.ensure_one()
        model = self.mapping_id.res_model or self.res_model
        if not model or not self.external_id:
            raise UserError(self.env._("This exception is not about one remote record."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record does not exist."))
        self.env["sync.binding"].sudo().create(
            {
                "backend_id": self.backend_id.id,
                "res_model": model,
                "res_id": record.id,
                "remote_object": self.remote_object,
                "external_id": self.external_id,
            }
        )
        self.write({"res_model": model, "res_id": record.id})
        self.message_post(
            body=self.env._(
                "Linked to %(rec)s by %(user)s.", rec=record.display_name, user=self.env.user.name
            )
        )
        return self.action_retry()

    def action_assign(self, user):
        """Assign to a user (record or id, e.g. over JSON-RPC) and schedule a to-do activity."""
        if isinstance(user, int):
            user = self.env["res.users"].browse(user).exists()
        if not user:
            raise UserError(self.env._("Choose the user to assign."))
        for exc in self:
            exc.user_id = user
            exc.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("Resolve sync exception"),
                note=exc.name,
            )
        return True
