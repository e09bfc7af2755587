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
from collections import namedtuple
from dataclasses import dataclass, field
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
# What applying one batch of PSA records of one object reads once (see `_psa_batch`).
PsaBatch = namedtuple(
    "PsaBatch", "backend object_name target Model bindings employees projects tasks now"
)
# What applying one record did: the count it adds to (a STATS key or "conflicts"), whether it
# was applied, the (employee, project) it waits for, the creation it asks for.
PsaOutcome = namedtuple(
    "PsaOutcome", "stat applied wait create", defaults=(None, False, None, None)
)


@dataclass
class PsaBatchResult:
    """What applying one batch of PSA records did: counts by outcome, the external ids applied,
    the records waiting for an employee or a project (cause -> parking-lot entry, `_wait`)."""

    stats: dict = field(default_factory=lambda: dict.fromkeys(STATS, 0))
    applied: list = field(default_factory=list)
    waiting: dict = field(default_factory=dict)

    def as_stats(self):
        """The stats `apply_batch_or_each` adds up (numbers added, lists extended)."""
        return {
            **self.stats,
            "applied_ids": self.applied,
            "waiting_causes": list(self.waiting.items()),
        }


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
                or sweep.last_success_at < fields.Datetime.now() - backend._psa_sweep_every()
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
            stats = self._apply(backend, object_name, page, job, adapter, waiting)
            if job.dry_run:  # what waits is not imported: a rehearsal's rejected records
                stats["record_notes"] = self._waiting_notes(object_name, waiting)
            return stats

        stats = backend._pull(object_name, job=job, dry_run=job.dry_run, apply_page=apply_page)
        if job.dry_run:
            return stats
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
        # The page's unknown projects are read and bound before its savepoints: a remote
        # error while reading one (a 429) then fails the job, which the engine retries,
        # instead of becoming one exception per record of the page.
        refs = {(r.get("data") or {}).get("project_ref") for r in records if psa.is_live(r)}
        self._projects(backend, {ref for ref in refs if isinstance(ref, str)}, adapter, job)
        label = TARGETS[object_name]["label"]

        def apply(batch):
            return self._apply_batch(backend, object_name, batch, job, adapter).as_stats()

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
    def _apply_batch(self, backend, object_name, records, job, adapter):
        """Apply one batch of PSA records of one object (reversals and updates one by one,
        creates in one `create`); return what it did (a `PsaBatchResult`)."""
        batch = self._psa_batch(backend, object_name, records, job, adapter)
        result = PsaBatchResult()
        creates = []
        for rec in records:
            outcome = self._apply_psa_record(batch, rec)
            if outcome.stat:
                result.stats[outcome.stat] = result.stats.get(outcome.stat, 0) + 1
            if outcome.applied:
                result.applied.append(rec["id"])
            if outcome.wait:
                self._wait(result.waiting, object_name, rec, *outcome.wait)
            if outcome.create:
                creates.append(outcome.create)
        if creates:
            result.stats["created"] += self._create_psa_records(batch, creates)
            result.applied.extend(rec["id"] for rec, _b, _bv, _v in creates)
            # a long pull must not drag a growing cache of the project's lines from page to
            # page (recomputes of the order line walk it)
            self.env.flush_all()
            self.env.invalidate_all()
        return result

    @api.model
    def _psa_batch(self, backend, object_name, records, job, adapter):
        """What applying a batch needs, read once for the batch: the target model (PSA write
        context), the records' bindings, employees, projects and tasks."""
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
        now = fields.Datetime.now()
        return PsaBatch(
            backend, object_name, target, Model, bindings, employees, projects, tasks, now
        )

    def _apply_psa_record(self, batch, rec):
        """Apply one PSA record of a batch, but a creation (returned in the outcome, for the
        batch's one `create`); return the `PsaOutcome`."""
        backend, object_name, target, Model = batch[:4]
        data = rec.get("data") or {}
        binding = batch.bindings.get(rec["id"])
        digest = payload_hash([data, bool(rec.get("archived"))])
        record = Model.browse()
        if binding and binding.active and binding.res_id:
            record = Model.browse(binding.res_id).exists()
        if binding and binding.payload_hash == digest and (record or not psa.is_live(rec)):
            return PsaOutcome("identical")
        if binding and binding._is_newer_than(rec):
            return PsaOutcome("older")
        binding_vals = {
            "payload_hash": digest,
            "remote_updated_at": rec.get("updated_at") or batch.now,
            "last_sync_at": batch.now,
        }
        if not psa.is_live(rec):
            outcome = PsaOutcome("skipped")
            if record:
                if self._refuse_change(backend, object_name, rec, record):
                    return PsaOutcome("conflicts")
                record.unlink()
                outcome = PsaOutcome("reversed", applied=True)
            if binding:
                binding.write({**binding_vals, "active": False})
            return outcome
        employee = batch.employees.get(data["person"]["id"])
        project = batch.projects.get(data["project_ref"])
        if not employee or not project:
            return PsaOutcome(wait=(employee, project))
        vals = getattr(self, f"_{object_name}_vals")(backend, data, employee, project)
        vals[target["id_field"]] = rec["id"]
        if object_name == psa.TIME:
            vals["task_id"] = batch.tasks.get(data.get("task_ref")) or False
        if not record:
            return PsaOutcome(create=(rec, binding, binding_vals, vals))
        changed = {k: v for k, v in vals.items() if _differs(record, k, v)}
        if not changed:
            outcome = PsaOutcome("unchanged")
        elif self._refuse_change(backend, object_name, rec, record):
            return PsaOutcome("conflicts")
        else:
            record.write(changed)
            outcome = PsaOutcome("updated", applied=True)
        binding.write(binding_vals)
        return outcome

    def _create_psa_records(self, batch, creates):
        """Create a batch's new records in one `create` and bind them; return how many."""
        backend, object_name, target, Model = batch[:4]
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
        return len(created)

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
