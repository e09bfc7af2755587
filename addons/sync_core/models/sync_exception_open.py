"""How a problem becomes an exception and stops being one: the grouping keys (one record per
backend, category, subject and pattern), opening for a job or a record, superseding, and
resolution when a later job fixes or applies what failed."""

import hashlib
import json
import logging

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models

from ..sqllog import expected_sql_errors

# the log channel stays the one of sync_exception
_logger = logging.getLogger(__package__ + ".sync_exception")


class SyncException(models.Model):
    _inherit = "sync.exception"

    @api.model
    def _pattern_key(self, backend, category, pattern):
        raw = f"{backend.id}|{category}|{pattern}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    @api.model
    def _problem_key(self, backend_id, category, subject, pattern):
        """Key of one problem (False when nothing identifies its subject)."""
        if not subject:
            return False
        raw = f"{backend_id}|{category}|{subject}|{(pattern or '')[:250]}"
        return hashlib.sha1(raw.encode()).hexdigest()

    @api.model
    def _problem_subject(self, vals):
        """What the problem is about: the remote record, else the job identity, else the Odoo
        record, else the job.  None: nothing identifies it (a new exception each time)."""
        if vals.get("external_id"):
            return f"remote:{vals.get('remote_object') or ''}:{vals['external_id']}"
        if vals.get("identity_key"):
            return f"job:{vals['identity_key']}"
        if vals.get("res_model") and vals.get("res_id"):
            return f"record:{vals['res_model']}:{vals['res_id']}"
        if vals.get("job_id"):
            return f"job-id:{vals['job_id']}"
        return None

    @api.model
    def _open(self, backend, exc, **vals):
        """Open the exception of one problem, or count it again (occurrences, last seen,
        latest job).  Atomic: the partial unique index on the open problem key decides between
        two concurrent openers."""
        category = getattr(exc, "category", "remote")
        pattern = getattr(exc, "pattern", None) or str(exc)
        message = getattr(exc, "message", None) or str(exc)
        for attr in ("res_model", "res_id", "remote_object", "external_id"):
            if getattr(exc, attr, None) and not vals.get(attr):
                vals[attr] = getattr(exc, attr)
        if getattr(exc, "fix_kind", None):
            vals["fix_kind"] = exc.fix_kind
            vals["fix_data"] = exc.fix_data or {}
        elif category == "conflict":
            vals["fix_kind"] = "conflict"
        self._complete_from_binding(backend, vals)
        problem_key = self._problem_key(backend.id, category, self._problem_subject(vals), pattern)
        common = {
            "name": message[:500],
            "category": category,
            "pattern": pattern[:250],
            "pattern_key": self._pattern_key(backend, category, pattern),
            "problem_key": problem_key,
            "last_seen_at": fields.Datetime.now(),
            "technical_detail": vals.pop("technical_detail", False),
        }
        Exc = self.sudo()
        existing = (
            Exc.search([("problem_key", "=", problem_key), ("state", "=", "open")], limit=1)
            if problem_key
            else Exc
        )
        if not existing and vals.get("job_id"):
            # the same job failing again for the same cause (e.g. an operator's retry of a
            # page record): that exception, whatever key it was opened under
            existing = Exc.search(
                [
                    ("job_id", "=", vals["job_id"]),
                    ("state", "=", "open"),
                    ("category", "=", category),
                    ("pattern", "=", pattern[:250]),
                ],
                limit=1,
            )
            if existing:
                common.pop("problem_key")
        if existing:
            existing._supersede_job(vals.get("job_id"))
            update = {k: v for k, v in vals.items() if v or k in ("fix_kind", "fix_data")}
            existing.write({**update, **common, "occurrences": existing.occurrences + 1})
            return existing
        create_vals = {"backend_id": backend.id, **vals, **common}
        if not problem_key:
            return Exc.create(create_vals)
        try:
            with expected_sql_errors(), self.env.cr.savepoint():
                created = Exc.create(create_vals)
                created.flush_recordset()
            return created
        except psycopg2.errors.UniqueViolation:
            # A concurrent transaction opened the same problem after our snapshot was taken:
            # it is open once; this occurrence stays recorded on its job.
            _logger.info("sync exception %s opened concurrently", pattern)
            return Exc.browse()

    @api.model
    def _complete_from_binding(self, backend, vals):
        """Both sides of the affected record: the remote record of a bound Odoo record, or
        the Odoo record of a bound remote record."""
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        if vals.get("res_model") and vals.get("res_id") and not vals.get("external_id"):
            binding = Binding.search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", vals["res_model"]),
                    ("res_id", "=", vals["res_id"]),
                ],
                limit=1,
            )
            if binding:
                vals.update(remote_object=binding.remote_object, external_id=binding.external_id)
        elif vals.get("external_id") and not vals.get("res_model"):
            domain = [("backend_id", "=", backend.id), ("external_id", "=", vals["external_id"])]
            if vals.get("remote_object"):
                domain.append(("remote_object", "=", vals["remote_object"]))
            binding = Binding.search(domain, limit=1)
            if binding:
                vals.update(res_model=binding.res_model, res_id=binding.res_id)

    def _supersede_job(self, new_job_id):
        """The problem was seen again by another job: the failed job that saw it before is
        cancelled as superseded (one failed job per open problem, the latest)."""
        old = self.job_id
        if new_job_id and old and old.id != new_job_id and old.state == "failed":
            old.sudo().write(
                {
                    "state": "cancelled",
                    "result": self.env._(
                        "Superseded by job %(job)s: same problem (exception %(exc)s).",
                        job=new_job_id,
                        exc=self.id,
                    ),
                }
            )

    @api.model
    def _open_for_job(self, job, exc):
        opened = self._open(
            job.backend_id,
            exc,
            job_id=job.id,
            identity_key=job.identity_key or False,
            payload_text=json.dumps(job.payload, indent=2, sort_keys=True, default=str),
            res_model=job.res_model or False,
            res_id=job.res_id or False,
            technical_detail=job.sudo().traceback or job.error,
        )
        if opened and not job.partner_name:
            # the job is found by the customer its failure touches (e.g. a new deal's company)
            customer = opened._affected_customer()
            if customer:
                job._refresh_search_refs(customer)
        if opened:
            # the record's work now fails for another cause (e.g. one of two missing products
            # was created): the problems it had before are gone
            same_work = [("job_id", "=", job.id)]
            if job.identity_key:
                same_work = [
                    "|",
                    *same_work,
                    "&",
                    ("backend_id", "=", job.backend_id.id),
                    ("identity_key", "=", job.identity_key),
                ]
            before = self.sudo().search(
                [*same_work, ("state", "=", "open"), ("id", "!=", opened.id)]
            )
            before._mark_resolved(
                self.env._(
                    "The work now fails for another cause: see exception %(exc)s.", exc=opened.id
                ),
                by_job=job,
                job_result=self.env._("Superseded by job %(job)s.", job=job.id),
            )
        return opened

    def _affected_customer(self):
        """The customer of the first affected record that has one (a partner, an order...)."""
        self.ensure_one()
        Job = self.env["sync.job"]
        for _label, res_model, res_id, _obj, _ext in self._affected_rows():
            customer = Job._customer_of(res_model, [res_id])
            if customer:
                return customer
        return self.env["res.partner"]

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

    @api.model
    def _resolve_fixed_by(self, jobs):
        """Jobs that succeeded: the open problems of their records (linked to them, or to
        their identity) are fixed, once."""
        jobs = jobs.filtered(lambda j: not j.dry_run)
        if not jobs:
            return self.browse()
        # a record of a page is resolved when it is applied (_resolve_applied), not because
        # the job that carried it ran: the page apply refuses a bad record without failing
        domain = [
            ("state", "=", "open"),
            ("mapping_id", "=", False),
            "|",
            ("job_id", "in", jobs.ids),
        ]
        keys = [(j.backend_id.id, j.identity_key) for j in jobs if j.identity_key]
        identity_domain = [("id", "=", 0)]
        for backend_id, key in keys:
            identity_domain = [
                "|",
                "&",
                ("backend_id", "=", backend_id),
                ("identity_key", "=", key),
                *identity_domain,
            ]
        fixed = self.sudo().search(domain + identity_domain)
        for exc in fixed:
            by = exc.job_id if exc.job_id in jobs else jobs[:1]
            exc._mark_resolved(
                self.env._("Job %(job)s succeeded.", job=by.id) if by else "", by_job=by
            )
        return fixed

    @api.model
    def _resolve_applied(self, mapping, external_ids, job=None):
        """Remote records of a mapping that were applied: their open problems are fixed."""
        if not external_ids:
            return self.browse()
        fixed = self.sudo().search(
            [
                ("backend_id", "=", mapping.backend_id.id),
                ("remote_object", "=", mapping.remote_object),
                ("external_id", "in", list(external_ids)),
                ("state", "=", "open"),
            ]
        )
        fixed._mark_resolved(
            self.env._("The record was applied by job %(job)s.", job=job.id if job else "-"),
            by_job=job,
        )
        return fixed

    def _mark_resolved(self, reason, by_job=None, job_result=None):
        """Resolved once; the failed job of the problem, when another job fixed (or
        superseded) it, is cancelled (it no longer counts as failed)."""
        for exc in self:
            old = exc.job_id
            if by_job and old and old != by_job and old.state == "failed":
                old.sudo().write(
                    {
                        "state": "cancelled",
                        "result": job_result or self.env._("Fixed by job %(job)s.", job=by_job.id),
                    }
                )
        self._with_reason_message(reason)
        self.write({"state": "resolved", "reason": reason})

    def _with_reason_message(self, reason):
        """The chatter message of the coming state change says why (its body), beside the
        tracked "Open -> Resolved"."""
        if reason:
            self._track_set_log_message(Markup("<p>%s</p>") % reason)
