"""Forget this person: mask every stored trace of one partner or employee (or any record)
across webhook events, jobs, audit rows, exceptions and the chatter the sync wrote
(`sync_forget_chatter.py`), keeping the business records, their
bindings and the sync tables' rows (states, dates, counts).  Logged with counts only."""

import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import masking
from ..masking import FORGOTTEN

_logger = logging.getLogger(__name__)

# Fields whose values identify a person, where the model has them.
PERSONAL_FIELDS = (
    "name",
    "email",
    "phone",
    "mobile",
    "vat",
    "ref",
    "work_email",
    "private_email",
    "work_phone",
    "mobile_phone",
    "private_phone",
    "identification_id",
    "passport_id",
    "barcode",
)


class SyncForget(models.TransientModel):
    _name = "sync.forget"
    _description = "Sync: forget a person in the stored sync data"

    record_ref = fields.Reference(selection="_selection_models", string="Person", required=True)
    result = fields.Text(readonly=True)

    @api.model
    def _selection_models(self):
        models_ = [("res.partner", self.env._("Contact"))]
        if "hr.employee" in self.env:
            models_.append(("hr.employee", self.env._("Employee")))
        return models_

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, res_id = self.env.context.get("active_model"), self.env.context.get("active_id")
        if model in dict(self._selection_models()) and res_id and "record_ref" in fields_list:
            values["record_ref"] = f"{model},{res_id}"
        return values

    def action_forget(self):
        self.ensure_one()
        if not self.env.user.has_group("sync_core.sync_core_group_manager"):
            raise UserError(self.env._("Only sync managers forget a person."))
        if not self.record_ref:
            raise UserError(self.env._("Choose the person to forget."))
        counts = self._forget(self.record_ref)
        self.result = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _forget(self, record):
        """Mask every trace of `record`; {kind: rows masked}.  Rows about the record (its
        bindings' remote ids, its model and id) lose their values entirely; other rows lose
        the record's identifying values (name, e-mail, phone...) where they mention them."""
        record = record.sudo().exists()
        if not record:
            raise UserError(self.env._("This record no longer exists."))
        self.env.flush_all()
        needles = self._needles(record)
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search([("res_model", "=", record._name), ("res_id", "=", record.id)])
        )
        remote = [(b.backend_id.id, b.external_id) for b in bindings]
        counts = {
            "events": self._forget_events(remote, needles),
            "jobs": self._forget_jobs(record, needles),
            "audit": self._forget_audit(record, remote, needles),
            "exceptions": self._forget_exceptions(record, remote, needles),
            **self._forget_chatter(record, needles),
        }
        self.env.invalidate_all()
        self._log_forget(record, bindings.backend_id, counts)
        return counts

    @api.model
    def _needles(self, record):
        values = set()
        for name in PERSONAL_FIELDS:
            if name in record._fields and record._fields[name].type == "char":
                values.add(record[name])
        return sorted({v.strip() for v in values if v and len(v.strip()) >= 3})

    @api.model
    def _patterns(self, needles):
        return [
            "%" + n.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            for n in needles
        ]

    @api.model
    def _forget_events(self, remote, needles):
        Event = self.env["sync.event"].sudo()
        about = Event.browse()
        for backend_id, external_id in remote:
            about |= Event.search(
                [("backend_id", "=", backend_id), ("external_id", "=", external_id)]
            )
        about.write({"body": json.dumps({"forgotten": True}), "headers": False})
        mentions = self._mentioning("sync_event", "body", needles, "sync.event").filtered(
            lambda e: e not in about
        )
        for event in mentions:
            event.body = masking.forget_text(event.body, needles)[0]
        return len(about | mentions)

    @api.model
    def _forget_jobs(self, record, needles):
        Job = self.env["sync.job"].sudo()
        jobs = Job.search([("res_model", "=", record._name), ("res_id", "=", record.id)])
        jobs |= self._mentioning("sync_job", "payload::text", needles, "sync.job")
        jobs |= self._mentioning("sync_job", "result", needles, "sync.job")
        jobs |= self._mentioning("sync_job", "error", needles, "sync.job")
        jobs |= self._mentioning("sync_job", "partner_name", needles, "sync.job")
        for job in jobs:
            text = json.dumps(job.payload or {}, ensure_ascii=False)
            payload = json.loads(masking.forget_text(text, needles)[0])
            job.write(
                {
                    "payload": payload,
                    "result": masking.forget_text(job.result, needles)[0],
                    "error": masking.forget_text(job.error, needles)[0],
                    "partner_name": job.partner_name
                    and masking.forget_text(job.partner_name, needles)[0],
                }
            )
        return len(jobs)

    @api.model
    def _forget_audit(self, record, remote, needles):
        Audit = self.env["sync.audit"].sudo()
        audits = Audit.search([("res_model", "=", record._name), ("res_id", "=", record.id)])
        for backend_id, external_id in remote:
            audits |= Audit.search(
                [("backend_id", "=", backend_id), ("external_id", "=", external_id)]
            )
        for audit in audits:
            audit.changes = {name: [FORGOTTEN, FORGOTTEN] for name in (audit.changes or {})}
        mentions = self._mentioning("sync_audit", "changes::text", needles, "sync.audit")
        for audit in mentions - audits:
            text = json.dumps(audit.changes, ensure_ascii=False)
            audit.changes = json.loads(masking.forget_text(text, needles)[0])
        return len(audits | mentions)

    @api.model
    def _forget_exceptions(self, record, remote, needles):
        Exc = self.env["sync.exception"].sudo().with_context(tracking_disable=True)
        excs = Exc.search([("res_model", "=", record._name), ("res_id", "=", record.id)])
        for backend_id, external_id in remote:
            excs |= Exc.search([("backend_id", "=", backend_id), ("external_id", "=", external_id)])
        for column in ("name", "payload_text", "technical_detail"):
            excs |= self._mentioning("sync_exception", column, needles, "sync.exception")
        for exc in excs:
            exc.write(
                {
                    "name": masking.forget_text(exc.name, needles)[0],
                    "payload_text": False,
                    "technical_detail": masking.forget_text(exc.technical_detail, needles)[0],
                }
            )
        return len(excs)

    @api.model
    def _mentioning(self, table, column, needles, model):
        """Rows of `table` whose `column` mentions one of the needles (case-insensitive)."""
        if not needles:
            return self.env[model].browse()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE %s::text ILIKE ANY(%s)",
                SQL.identifier(table),
                SQL(column) if "::" in column else SQL.identifier(column),
                self._patterns(needles),
            )
        )
        return self.env[model].sudo().browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _log_forget(self, record, backends, counts):
        text = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        _logger.info(
            "sync privacy: traces of %s %s forgotten by uid %s: %s",
            record._name,
            record.id,
            self.env.uid,
            text,
        )
        if hasattr(record, "message_post"):
            record.message_post(
                body=self.env._("Sync traces forgotten (counts): %(counts)s", counts=text),
                subtype_xmlid="mail.mt_note",
            )
        for backend in backends:
            backend._log_privacy(self.env._("Person forgotten"), counts, f"{record._name}")
