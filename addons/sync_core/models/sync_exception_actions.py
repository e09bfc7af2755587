"""What a user does with an exception: retry or re-read, the fixes by kind (create, use or link
an Odoo record), open the Odoo or remote record, ignore, reopen, assign."""

import json

from odoo import models
from odoo.exceptions import UserError

from ..ui import notification_then_reload


class SyncException(models.Model):
    _inherit = "sync.exception"

    # ------------------------------------------------------------------ actions
    def _payload(self):
        self.ensure_one()
        try:
            return json.loads(self.payload_text or "null")
        except ValueError as exc:
            raise UserError(
                self.env._("The payload is not valid JSON: %(err)s", err=str(exc))
            ) from exc

    def _requeue(self):
        """Re-enqueue the work with the payload as the operator left it; returns the jobs."""
        jobs = self.env["sync.job"]
        for exc in self:
            payload = exc._payload()
            if exc.mapping_id and isinstance(payload, dict) and payload.get("id"):
                # a record of a page: apply that one record as the operator left it
                job_payload = {"mapping_id": exc.mapping_id.id, "record": payload}
                job = self.env["sync.job"]._enqueue(
                    exc.backend_id,
                    "apply_record",
                    payload=job_payload,
                    identity_key=f"apply:{exc.mapping_id.id}:{payload['id']}",
                )
                if job and job.payload != job_payload:  # a pending one, with an older payload
                    job._set_payload_from_text(json.dumps(job_payload))
                exc.job_id = job
            elif exc.job_id:
                if payload != exc.job_id.payload:
                    exc.job_id._set_payload_from_text(exc.payload_text)
                exc.job_id.action_requeue()
            elif job := exc._enqueue_reread():
                exc.job_id = job
            else:
                raise UserError(self.env._("Nothing to retry for %(name)s.", name=exc.name))
            exc.message_post(body=self.env._("Retried by %(user)s.", user=self.env.user.name))
            jobs |= exc.job_id
        return jobs

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

    def action_retry(self):
        """Retry, and say what happened in a notification; the view reloads after it.

        A retry of one record's problem from the form (context `sync_retry_now`) runs its job
        at once (it is small: one record) and tells whether it worked or still fails and why;
        other retries (lists, pulls, a job a worker holds or a full channel) are queued."""
        jobs = self._requeue()
        job = jobs[:1]
        ran = False
        if (
            self.env.context.get("sync_retry_now")
            and len(self) == 1
            and len(jobs) == 1
            and job.state == "pending"
            and (self.external_id or self.res_id)
        ):
            ran = job._run_at_once()
            self.invalidate_recordset()
        if not ran:
            title = self.env._("Retry queued")
            message = self.env._(
                "%(count)s job(s) queued; they run within a minute. Reload to see the outcome.",
                count=len(jobs),
            )
            kind = "info"
        elif self.state == "resolved":
            title = self.env._("Retry succeeded")
            message = self.env._("The problem is resolved.")
            kind = "success"
        elif job.state in ("done", "failed"):
            # failed, or done while the record itself was refused again (a page record)
            title = self.env._("Still failing")
            message = (job.error if job.state == "failed" else "") or self.name
            kind = "danger"
        else:
            title = self.env._("Failed again, retried automatically")
            message = self.env._(
                "%(error)s (next attempt at %(eta)s UTC)", error=job.error or "", eta=job.eta
            )
            kind = "warning"
        return notification_then_reload(title, message, kind)

    # ------------------------------------------------------------------ fixes by kind
    def action_fix_create_record(self):
        """Missing product (or other record keyed by a code): open its form in a dialog,
        prefilled with what the remote knows (e.g. SKU as Internal Reference, the line's name
        and price).  Once saved, Retry."""
        self.ensure_one()
        data = self.fix_data or {}
        model = data.get("model") or "product.product"
        key = self.fix_missing_key
        if not key:
            raise UserError(self.env._("Nothing is missing any more: press Retry."))
        item = next(i for i in data.get("missing") or [] if i.get("key") == key)
        context = {
            f"default_{k}": v
            for k, v in (item.get("values") or {}).items()
            if v or isinstance(v, bool)  # e.g. Purchase unticked
        }
        name = self.env._("Create %(key)s", key=key)
        if item.get("label"):
            name = self.env._("Create %(key)s (%(label)s)", key=key, label=item["label"])
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def action_fix_use_existing(self, res_id, key=None):
        """Missing product: an existing record stands for the remote key (e.g. SKU).  The
        match is by that one field (the product's Internal Reference): it is set to the key;
        a previous value is kept in the chatter.  Then the work is retried (queued)."""
        self.ensure_one()
        data = self.fix_data or {}
        model, key_field = data.get("model") or "product.product", data.get("key_field")
        key = key or self.fix_missing_key
        if not key or not key_field or model not in self.env:
            raise UserError(self.env._("This exception has no missing record to choose."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record does not exist."))
        if self.env[model].search_count([(key_field, "=", key), ("id", "!=", record.id)]):
            raise UserError(self.env._("Another record already has %(key)s: press Retry.", key=key))
        previous = record[key_field]
        record.write({key_field: key})
        self.message_post(
            body=self.env._(
                "%(rec)s now stands for %(key)s (was %(old)s), by %(user)s.",
                rec=record.display_name,
                key=key,
                old=previous or "-",
                user=self.env.user.name,
            )
        )
        self.invalidate_recordset(["fix_missing_key", "fix_status"])
        if self.fix_missing_key:
            return True  # more keys missing: fix them first
        return self.action_retry()

    def action_open_odoo_record(self):
        """The Odoo record of the problem: its own, else the one its remote record is bound to
        now (e.g. the order a retry made from the deal)."""
        self.ensure_one()
        _label, res_model, res_id, _obj, _ext = self._affected_rows()[0]
        if not res_model or not res_id:
            raise UserError(self.env._("No Odoo record is known for this problem."))
        return {
            "type": "ir.actions.act_window",
            "res_model": res_model,
            "res_id": res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_open_remote_record(self):
        self.ensure_one()
        if not self.remote_url:
            raise UserError(self.env._("The remote record has no address."))
        return {"type": "ir.actions.act_url", "url": self.remote_url, "target": "new"}

    def action_ignore(self, reason=None):
        reason = reason or self.env.context.get("ignore_reason")
        if not reason:
            raise UserError(self.env._("Give a reason to ignore an exception."))
        self._with_reason_message(
            self.env._("Ignored by %(user)s: %(reason)s", user=self.env.user.name, reason=reason)
        )
        self.write({"state": "ignored", "reason": reason})
        self.job_id.filtered(lambda j: j.state in ("failed", "pending")).action_cancel()
        return True

    def action_reopen(self):
        self.write({"state": "open"})
        return True

    def _link_target(self):
        """(Odoo model, remote object, remote id) that "Link to record" binds: the missing
        record named by the fix data, else the exception's own remote record."""
        self.ensure_one()
        data = self.fix_data or {}
        if self.fix_kind == "missing_record" and data.get("external_id"):
            return data.get("model"), data.get("remote_object"), str(data["external_id"])
        return (
            self.mapping_id.res_model or self.res_model or False,
            self.remote_object,
            self.external_id,
        )

    def action_link_record(self, res_id):
        """Bind the remote record to an existing Odoo record, then retry."""
        self.ensure_one()
        model, remote_object, external_id = self._link_target()
        if not model or not external_id:
            raise UserError(self.env._("This exception is not about one remote record."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record does not exist."))
        self.env["sync.binding"]._bind(
            self.backend_id, record, external_id, remote_object, last_sync_at=False
        )
        if self.fix_kind != "missing_record":
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
