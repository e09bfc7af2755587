# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Vendor-neutral PSA workflows on sync_core.

Approved time -> timesheet lines on the project's sale order line (sale_timesheet invoices
them); approved expenses -> hr.expense (re-invoiced to the customer's order where the product
says so); PSA people -> employees by work email; reversal rules that never change invoiced
data silently; a parking lot (one exception per missing employee) whose retry imports the
waiting records.  A PSA adapter only translates its vendor's records to the canonical shapes
of ``psa.py``; this model never reads a vendor's field names.

This file holds the model, the scheduling and the apply core (approval gate, reversal rules);
the roles extend it in their own files: ``psa_time``, ``psa_expenses``, ``psa_people``
(people and the parking lot), ``psa_projects`` (projects, tasks, milestones, mappings) and
``psa_feed`` (change feed, re-reads, sweep).
"""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import (
    ConflictError,
    SyncError,
    ValidationSyncError,
)
from odoo.addons.sync_core.hashing import payload_hash
from odoo.addons.sync_core.mapping import latest_per_id
from odoo.addons.sync_core.models.sync_mapping import apply_batch_or_each, no_export_context

from .. import psa
from .account_analytic_line import PSA_WRITE

_logger = logging.getLogger(__name__)

# PSA object -> what it becomes in Odoo
TARGETS = {
    psa.TIME: {
        "model": "account.analytic.line",
        "id_field": "psa_entry_id",
        "label": "time entry",
    },
    psa.EXPENSES: {
        "model": "hr.expense",
        "id_field": "psa_expense_id",
        "label": "expense",
    },
}
# The adapter says how long its PSA keeps the change feed (`event_retention()`); a cursor older
# than that minus this margin has a gap.
FEED_MARGIN = timedelta(hours=1)
# Re-read this much of the feed again (events are generated with a lag, out of order).
FEED_LOOKBACK = timedelta(minutes=10)
# The approval sweep: time performed and expenses dated in the last SWEEP_DAYS, once every
# SWEEP_EVERY per object.
SWEEP_DAYS = 35
SWEEP_EVERY = timedelta(hours=24)
# Remote pages (of 200) applied per transaction by a pull: creating timesheets recomputes the
# order line's delivered quantity over all its timesheets, once per batch.
PAGES_PER_COMMIT = 25
STATS = ("created", "updated", "unchanged", "identical", "older", "reversed", "skipped")


class SyncPsa(models.AbstractModel):
    _name = "sync.psa"
    _description = "PSA workflows (time, expenses, people)"

    # ------------------------------------------------------------------ scheduling
    @api.model
    def _schedule(self, backend, scheduled=False):
        """The change feed when enabled (it falls back to the filtered lists on a gap), else
        the filtered lists; the write-back of references after them.  `scheduled` (the cron):
        a list is pulled only when its interval has elapsed (`sync.backend._pull_due`)."""
        Job = self.env["sync.job"]
        if backend.psa_event_feed:
            Job._enqueue(backend, "psa_events", payload={}, identity_key="psa:events")
        else:
            for object_name in psa.IMPORTED:
                if scheduled and not backend._pull_due(object_name):
                    continue
                Job._enqueue(
                    backend,
                    "psa_pull",
                    payload={"object": object_name},
                    identity_key=f"pull:{object_name}",
                )
        Job._enqueue(backend, "psa_people", payload={}, identity_key="psa:people")
        for object_name in psa.SWEPT:
            sweep = backend._watermark(f"{object_name}:approved")
            if (
                not sweep.last_success_at
                or sweep.last_success_at < fields.Datetime.now() - SWEEP_EVERY
            ):
                Job._enqueue(
                    backend,
                    "psa_sweep",
                    payload={"object": object_name},
                    identity_key=f"psa:sweep:{object_name}",
                )
        Job._enqueue(backend, "psa_writeback", payload={}, identity_key="psa:writeback")

    @api.model
    def _health_objects(self):
        """{object: label} of what a PSA backend brings in besides its mappings (the backend
        health says when not one of them ever arrived)."""
        return {psa.TIME: self.env._("Time entries"), psa.EXPENSES: self.env._("Expenses")}

    @api.model
    def _pages_per_commit(self):
        return PAGES_PER_COMMIT

    # ------------------------------------------------------------------ job handlers
    @api.model
    def _job_psa_pull(self, job):
        """Filtered-list pull (updated_after, pages of 200) through the engine's watermark
        pull; with ``sweep``, bound records the lists no longer show are read by id, so a
        deletion missed while the feed had a gap is found too."""
        backend = job.backend_id
        object_name = job.payload["object"]
        adapter = backend._get_adapter()
        waiting = {}

        def apply_page(page):
            return self._apply(backend, object_name, page, job, adapter, waiting)

        stats = backend._pull(object_name, job=job, apply_page=apply_page)
        if job.payload.get("sweep") and object_name in TARGETS:
            stats["sweep"] = self._sweep_deleted(backend, object_name, job, adapter, waiting)
        stats["waiting"] = self._park(backend, object_name, waiting)
        return stats

    # ------------------------------------------------------------------ applying records
    @api.model
    def _apply(self, backend, object_name, records, job, adapter, waiting):
        """Apply one page of PSA records (approval gate, reversal rules, references);
        records that wait for an employee or a project are added to `waiting`.  A record that
        cannot be applied is one exception; the rest of the page is applied (one the PSA
        connector could not read too: pulls, sweeps and re-reads all come here)."""
        records, unreadable = backend._set_aside_unreadable(records, object_name, job)
        records = latest_per_id(records)
        if object_name == psa.MILESTONES:
            return self._apply_milestones(backend, records, job, adapter)
        label = TARGETS[object_name]["label"]

        def apply(batch):
            local = {}
            stats = self._apply_batch(backend, object_name, batch, job, adapter, local)
            stats["waiting_causes"] = list(local.items())
            return stats

        def on_error(rec, exc):
            if not isinstance(exc, SyncError):
                exc = ValidationSyncError(
                    f"{backend.name} {label} {rec['id']} could not be applied: {exc}",
                    pattern=f"{label} not applicable ({type(exc).__name__})",
                )
            self._record_exception(backend, object_name, rec, exc)

        stats = apply_batch_or_each(self.env.cr, records, apply, on_error)
        self._resolve_record_exceptions(backend, object_name, stats.pop("applied_ids", []))
        for cause, info in stats.pop("waiting_causes", []):
            if cause in waiting:
                waiting[cause]["records"].extend(info["records"])
            else:
                waiting[cause] = info
        if unreadable:
            stats["unreadable"] = len(unreadable)
        return stats

    @api.model
    def _record_exception(self, backend, object_name, rec, exc):
        """One open exception per PSA record (counted again when it recurs).  It belongs to no
        job: a job that re-reads the record succeeds even when the record is refused again, and
        must not close it; applying the record does (``_resolve_record_exceptions``)."""
        exception = self.env["sync.exception"]._open(
            backend,
            exc,
            external_id=rec["id"],
            remote_object=object_name,
            payload_text=json.dumps(rec, indent=2, sort_keys=True, default=str),
        )
        if exception.job_id:
            exception.job_id = False
        return exception

    @api.model
    def _resolve_record_exceptions(self, backend, object_name, external_ids):
        if not external_ids:
            return
        self.env["sync.exception"].sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("remote_object", "=", object_name),
                ("external_id", "in", external_ids),
                ("state", "=", "open"),
                ("category", "in", ("conflict", "validation")),
            ]
        )._mark_resolved(self.env._("The PSA record was applied."))

    @api.model
    def _apply_batch(self, backend, object_name, records, job, adapter, waiting):
        target = TARGETS[object_name]
        Model = self.env[target["model"]].with_context(
            **{
                PSA_WRITE: True,
                **no_export_context(backend),
                "tracking_disable": True,
                "mail_create_nolog": True,
                "mail_notrack": True,
            }
        )
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(
            backend, target["model"], [r["id"] for r in records], object_name
        )
        live = [r for r in records if psa.is_live(r)]
        employees = self._employees(backend, [r["data"]["person"] for r in live])
        projects = self._projects(backend, {r["data"]["project_ref"] for r in live}, adapter, job)
        tasks = self._tasks(backend, live, projects) if object_name == psa.TIME else {}
        stats = dict.fromkeys(STATS, 0)
        stats["applied_ids"] = applied = []
        now = fields.Datetime.now()
        creates = []
        for rec in records:
            data = rec.get("data") or {}
            binding = bindings.get(rec["id"])
            digest = payload_hash([data, bool(rec.get("archived"))])
            record = Model.browse()
            if binding and binding.active and binding.res_id:
                record = Model.browse(binding.res_id).exists()
            if binding and binding.payload_hash == digest and (record or not psa.is_live(rec)):
                stats["identical"] += 1
                continue
            if binding and binding._is_newer_than(rec):
                stats["older"] += 1
                continue
            binding_vals = {
                "payload_hash": digest,
                "remote_updated_at": rec.get("updated_at") or now,
                "last_sync_at": now,
            }
            if not psa.is_live(rec):
                if record:
                    if self._refuse_change(backend, object_name, rec, record):
                        stats["conflicts"] = stats.get("conflicts", 0) + 1
                        continue
                    record.unlink()
                    stats["reversed"] += 1
                    applied.append(rec["id"])
                else:
                    stats["skipped"] += 1
                if binding:
                    binding.write({**binding_vals, "active": False})
                continue
            employee = employees.get(data["person"]["id"])
            project = projects.get(data["project_ref"])
            if not employee or not project:
                self._wait(waiting, object_name, rec, employee, project)
                continue
            vals = getattr(self, f"_{object_name}_vals")(backend, data, employee, project)
            vals[target["id_field"]] = rec["id"]
            if object_name == psa.TIME:
                vals["task_id"] = tasks.get(data.get("task_ref")) or False
            if record:
                changed = {k: v for k, v in vals.items() if _differs(record, k, v)}
                if not changed:
                    stats["unchanged"] += 1
                elif self._refuse_change(backend, object_name, rec, record):
                    stats["conflicts"] = stats.get("conflicts", 0) + 1
                    continue
                else:
                    record.write(changed)
                    stats["updated"] += 1
                    applied.append(rec["id"])
                binding.write(binding_vals)
                continue
            creates.append((rec, binding, binding_vals, vals))
        if creates:
            created = Model.create([vals for _r, _b, _bv, vals in creates])
            new_bindings = []
            for (rec, binding, binding_vals, _v), record in zip(creates, created, strict=True):
                binding_vals.update(res_id=record.id, active=True)
                if binding:
                    binding.write(binding_vals)
                else:
                    new_bindings.append(
                        {
                            **binding_vals,
                            "backend_id": backend.id,
                            "res_model": target["model"],
                            "remote_object": object_name,
                            "external_id": rec["id"],
                        }
                    )
            self.env["sync.mapping"]._insert_rows(
                "sync.binding", new_bindings, company=backend.company_id
            )
            stats["created"] += len(created)
            applied.extend(rec["id"] for rec, _b, _bv, _v in creates)
            # a long pull must not drag a growing cache of the project's lines from page to
            # page (recomputes of the order line walk it)
            self.env.flush_all()
            self.env.invalidate_all()
        return stats

    def _refuse_change(self, backend, object_name, rec, record):
        """Invoiced (or posted) data is never changed: one finance exception showing the
        invoice, the record flagged for reconciliation.  Returns True when refused."""
        document = self._locking_document(object_name, record)
        if not document:
            return False
        target = TARGETS[object_name]
        verb = psa.change_verb(rec)
        what = f"{backend.name} {target['label']} {rec['id']} ({record.display_name})"
        if document._name == "account.move":
            where = f"invoice {document.name}"
            fix = "issue a credit note, or restore the entry in the PSA"
        else:
            where = f"posted expense {document.display_name}"
            fix = "reverse its journal entry, or restore the expense in the PSA"
        exc = ConflictError(
            f"{what} was {verb} in the PSA after it was billed on {where}: nothing was changed "
            f"in Odoo; {fix}",
            pattern=f"{target['label']} {verb} in the PSA after invoicing",
            res_model=document._name,
            res_id=document.id,
        )
        self._record_exception(backend, object_name, rec, exc)
        state = {
            "time_entries": {
                "deleted": "deleted_after_invoice",
                "unapproved": "revoked_after_invoice",
                "edited": "changed_after_invoice",
            },
            "expenses": {
                "deleted": "revoked_after_posting",
                "unapproved": "revoked_after_posting",
                "edited": "changed_after_posting",
            },
        }[object_name][verb]
        vals = {"psa_state": state}
        if object_name == psa.TIME:
            vals["psa_approved"] = verb == "edited"
        record.write(vals)
        return True

    @api.model
    def _locking_document(self, object_name, record):
        """The document that bills the record (a posted invoice of the timesheet, the journal
        entry of a posted expense), or None."""
        if object_name == psa.TIME:
            invoice = record.sudo().timesheet_invoice_id
            return invoice if invoice and invoice.state != "cancel" else None
        if record.state in ("posted", "in_payment", "paid"):
            return record.sudo().account_move_id or record
        return None


def _norm(value):
    """A name compared ignoring case and runs of spaces."""
    return " ".join(str(value or "").split()).lower()


def _id_key(value):
    return (len(str(value)), str(value))


def _differs(record, fname, value):
    field = record._fields[fname]
    current = record[fname]
    if field.type == "many2one":
        return current.id != (value or False)
    if field.type in ("float", "monetary"):
        return abs((current or 0.0) - (value or 0.0)) > 1e-6
    if field.type == "json":
        return (current or {}) != (value or {})
    return (current or False) != (value or False)
