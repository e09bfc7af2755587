# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Vendor-neutral PSA workflows on sync_core.

Approved time -> timesheet lines on the project's sale order line (sale_timesheet invoices
them); approved expenses -> hr.expense (re-invoiced to the customer's order where the product
says so); PSA people -> employees by work email; reversal rules that never change invoiced
data silently; a parking lot (one exception per missing employee) whose retry imports the
waiting records.  A PSA adapter only translates its vendor's records to the canonical shapes
of ``psa.py``; this model never reads a vendor's field names.
"""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.sync_core.exceptions import (
    ConflictError,
    MissingReferenceError,
    SyncError,
    ValidationSyncError,
)
from odoo.addons.sync_core.hashing import payload_hash
from odoo.addons.sync_core.mapping import latest_per_id, line_command
from odoo.addons.sync_core.models.sync_mapping import NO_EXPORT, apply_batch_or_each

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
# How long the PSA keeps its change feed (Kantata: 9 days), minus a safety margin.
FEED_RETENTION = timedelta(days=9) - timedelta(hours=1)
# Re-read this much of the feed again (events are generated with a lag, out of order).
FEED_LOOKBACK = timedelta(minutes=10)
# The approval sweep: approved time performed in the last SWEEP_DAYS, once every SWEEP_EVERY.
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
    def _schedule(self, backend):
        """The change feed when enabled (it falls back to the filtered lists on a gap), else
        the filtered lists; the write-back of references after them."""
        Job = self.env["sync.job"]
        if backend.psa_event_feed:
            Job._enqueue(backend, "psa_events", payload={}, identity_key="psa:events")
        else:
            for object_name in psa.IMPORTED:
                Job._enqueue(
                    backend,
                    "psa_pull",
                    payload={"object": object_name},
                    identity_key=f"pull:{object_name}",
                )
        Job._enqueue(backend, "psa_people", payload={}, identity_key="psa:people")
        sweep = backend._watermark("time_entries:approved")
        if not sweep.last_success_at or sweep.last_success_at < fields.Datetime.now() - SWEEP_EVERY:
            Job._enqueue(backend, "psa_sweep", payload={}, identity_key="psa:sweep")
        Job._enqueue(backend, "psa_writeback", payload={}, identity_key="psa:writeback")

    @api.model
    def _pages_per_commit(self):
        return PAGES_PER_COMMIT

    @api.model
    def _import_job_values(self, object_name, external_id):
        """A feed change of an imported PSA object -> a batched re-read of its current state."""
        if object_name not in psa.IMPORTED:
            return None
        return {
            "kind": "psa_import",
            "identity_key": f"psa:import:{object_name}:{external_id}",
            "batch_key": f"psa:import:{object_name}",
            "payload": {"object": object_name, "ids": [external_id]},
        }

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

    @api.model
    def _job_psa_people(self, job):
        """PSA people -> employees: bind each person to the one employee with their work email,
        and give a bound employee without an hourly cost the PSA's cost rate in use (converted
        to the company currency).  Departments and managers are not in Kantata's user record."""
        backend = job.backend_id
        adapter = backend._get_adapter()
        rates = adapter.cost_rates()
        stats = {"bound": 0, "costed": 0}

        def apply_page(page):
            persons = [r["data"] for r in page if not r["data"].get("disabled")]
            employees = self._employees(backend, persons)
            stats["bound"] += len(employees)
            for person_id, employee in employees.items():
                cents, code = rates.get(person_id, (0, ""))
                currency = self._currency(code)
                if not cents or not currency or employee.hourly_cost:
                    continue
                company = employee.company_id or backend.company_id
                employee.sudo().hourly_cost = currency._convert(
                    psa.amount(cents, currency.decimal_places),
                    company.currency_id,
                    company,
                    fields.Date.context_today(self),
                )
                stats["costed"] += 1
            return {}

        result = backend._pull(psa.PEOPLE, job=job, apply_page=apply_page)
        result.update(stats)
        return result

    @api.model
    def _job_psa_sweep(self, job):
        """Safety net against revenue leakage: every approved entry performed in the last
        SWEEP_DAYS is read (pages of 200) and applied; entries already imported are skipped by
        their payload hash.  It catches approvals that changed no ``updated_at`` and that the
        change feed did not report."""
        backend = job.backend_id
        adapter = backend._get_adapter()
        today = fields.Date.context_today(self)
        waiting = {}
        totals = {"pages": 0, "read": 0}
        for page in adapter.iter_approved_time(today - timedelta(days=SWEEP_DAYS), today):
            stats = self._apply(backend, psa.TIME, page, job, adapter, waiting)
            job._note_progress()  # a long sweep is not a hung job
            totals["pages"] += 1
            totals["read"] += len(page)
            for key, val in stats.items():
                totals[key] = totals.get(key, 0) + val
            self.env["sync.job"]._commit()
        totals["waiting"] = self._park(backend, psa.TIME, waiting)
        totals["remote_calls"] = adapter.calls
        backend._watermark("time_entries:approved").write(
            {
                "last_run_at": fields.Datetime.now(),
                "last_success_at": fields.Datetime.now(),
                "last_stats": json.dumps(totals),
            }
        )
        return totals

    @api.model
    def _job_psa_import(self, jobs):
        """Re-read records by id (feed changes, or records waiting for a reference) and apply
        their current state: ids the PSA no longer returns were deleted."""
        job = jobs[:1]
        backend = job.backend_id
        object_name = job.payload["object"]
        ids = list(dict.fromkeys(str(i) for j in jobs for i in j.payload["ids"]))
        adapter = backend._get_adapter()
        records = adapter.read_batch(object_name, ids)
        backend._note_rate_limit(adapter)
        found = {r["id"] for r in records}
        records += [
            {"id": i, "updated_at": None, "archived": True, "data": {}}
            for i in ids
            if i not in found
        ]
        waiting = {}
        stats = self._apply(backend, object_name, records, job, adapter, waiting)
        cause = job.payload.get("waiting")
        if cause and cause in waiting:
            info = waiting.pop(cause)
            self._park(backend, object_name, waiting)
            raise MissingReferenceError(
                self._waiting_message(object_name, info),
                pattern=info["pattern"],
                external_id=info["external_id"],
                remote_object=info["remote_object"],
                fix_kind="missing_record",
                fix_data={
                    "model": info["res_model"],
                    "remote_object": info["remote_object"],
                    "external_id": info["external_id"],
                },
            )
        stats["waiting"] = self._park(backend, object_name, waiting)
        stats["jobs"] = len(jobs)
        return stats

    @api.model
    def _job_psa_events(self, job):
        """The change feed: events since the cursor are stored once each in the inbox (the
        feed repeats and reorders them) and become batched re-reads.  When the cursor is older
        than the feed keeps (first run, or a gap), the filtered lists are pulled instead."""
        backend = job.backend_id
        wm = backend._watermark("subscribed_events")
        now = fields.Datetime.now()
        Job = self.env["sync.job"]
        if not wm.cursor_stamp or wm.cursor_stamp < now - FEED_RETENTION:
            for object_name in psa.IMPORTED:
                Job._enqueue(
                    backend,
                    "psa_pull",
                    payload={"object": object_name, "sweep": bool(wm.cursor_stamp)},
                    identity_key=f"pull:{object_name}",
                )
            gap = wm.cursor_stamp
            wm.write(
                {
                    "cursor_stamp": now,
                    "last_run_at": now,
                    "last_success_at": now,
                    "last_stats": json.dumps({"fallback": True}),
                }
            )
            return {"fallback": "filtered lists", "gap_since": str(gap or "never")}
        adapter = backend._get_adapter()
        since = wm.cursor_stamp - FEED_LOOKBACK
        last = wm.cursor_stamp
        totals = {"events": 0, "stored": 0, "duplicates": 0}
        for changes in adapter.iter_events(since, psa.IMPORTED):
            backend._note_rate_limit(adapter)
            events = [
                {
                    "dedup_key": f"event:{c['event_id']}",
                    "event_type": "deleted" if c["deleted"] else "changed",
                    "object_name": c["object"],
                    "external_id": c["id"],
                    "payload": {**c, "created_at": str(c["created_at"])},
                }
                for c in changes
            ]
            stored, duplicates = self.env["sync.event"]._store(backend, events, {})
            totals["events"] += len(events)
            totals["stored"] += stored
            totals["duplicates"] += duplicates
            stamps = [c["created_at"] for c in changes if c["created_at"]]
            if stamps:
                last = max(last, *stamps)
        wm.write(
            {
                "cursor_stamp": last,
                "last_run_at": now,
                "last_success_at": now,
                "last_stats": json.dumps(totals),
                "last_error": False,
            }
        )
        totals["remote_calls"] = adapter.calls
        return totals

    @api.model
    def _job_psa_writeback(self, job):
        """Mark each imported PSA record with its Odoo record and, once invoiced, the invoice
        number (external references); only what changed since the last send is sent."""
        backend = job.backend_id
        adapter = None
        sent = 0
        for object_name, target in TARGETS.items():
            bindings = (
                self.env["sync.binding"]
                .sudo()
                .search(
                    [
                        ("backend_id", "=", backend.id),
                        ("res_model", "=", target["model"]),
                        ("remote_object", "=", object_name),
                        ("active", "=", True),
                    ]
                )
            )
            records = self.env[target["model"]].sudo().browse(bindings.mapped("res_id")).exists()
            by_id = {r.id: r for r in records}
            for binding in bindings:
                record = by_id.get(binding.res_id)
                if not record:
                    continue
                invoice = self._locking_document(object_name, record)
                message = invoice.name if invoice and invoice._name == "account.move" else ""
                status = "invoiced" if invoice else "imported"
                digest = payload_hash([record.id, message, status])
                if digest == binding.export_hash:
                    continue
                adapter = adapter or backend._get_adapter()
                adapter.write_reference(
                    object_name,
                    binding.external_id,
                    target["model"],
                    record.id,
                    message=message or None,
                    status=status,
                )
                binding.export_hash = digest
                sent += 1
        return {"sent": sent, "remote_calls": adapter.calls if adapter else 0}

    # ------------------------------------------------------------------ applying records
    @api.model
    def _apply(self, backend, object_name, records, job, adapter, waiting):
        """Apply one page of PSA records (approval gate, reversal rules, references);
        records that wait for an employee or a project are added to `waiting`.  A record that
        cannot be applied is one exception; the rest of the page is applied."""
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
                NO_EXPORT: True,
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

    @api.model
    def _apply_milestones(self, backend, records, job, adapter):
        """A milestone completed in the PSA marks the Odoo milestone of the same name on the
        workspace's project reached, so a milestone-billed order line becomes invoiceable;
        un-completing it after its order line was invoiced is a finance exception (nothing
        changes).  PSA milestones without an Odoo twin are skipped: billing terms are Odoo's."""
        stats = {"reached": 0, "unreached": 0, "unchanged": 0, "skipped": 0, "conflicts": 0}
        records = [r for r in records if (r.get("data") or {}).get("milestone")]
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(
            backend, "project.milestone", [r["id"] for r in records], psa.MILESTONES
        )
        projects = self._projects(
            backend, {r["data"]["project_ref"] for r in records}, adapter, job
        )
        Milestone = self.env["project.milestone"].with_context(
            **{PSA_WRITE: True, NO_EXPORT: True, "tracking_disable": True}
        )
        for rec in records:
            data = rec["data"]
            binding = bindings.get(rec["id"])
            milestone = Milestone.browse(binding.res_id if binding else []).exists()
            project = projects.get(data["project_ref"])
            if not milestone and project:
                name = " ".join(data["name"].lower().split())
                candidates = Milestone.search([("project_id", "=", project.id)]).filtered(
                    lambda m, n=name: " ".join((m.name or "").lower().split()) == n
                )
                milestone = candidates[:1]
                if milestone:
                    Binding.create(
                        {
                            "backend_id": backend.id,
                            "res_model": "project.milestone",
                            "res_id": milestone.id,
                            "remote_object": psa.MILESTONES,
                            "external_id": rec["id"],
                            "last_sync_at": fields.Datetime.now(),
                        }
                    )
            if not milestone:
                stats["skipped"] += 1
                continue
            reached = bool(data["completed"]) and not rec.get("archived")
            if milestone.is_reached == reached:
                stats["unchanged"] += 1
                continue
            line = milestone.sudo().sale_line_id
            if not reached and line and line.qty_invoiced > 0:
                invoice = line.invoice_lines.move_id.filtered(lambda m: m.state == "posted")[:1]
                exc = ConflictError(
                    f"{backend.name} milestone {rec['id']} ({milestone.name}) was re-opened in "
                    f"the PSA after its order line {line.display_name} was invoiced"
                    f"{' on ' + invoice.name if invoice else ''}: the milestone stays reached "
                    "in Odoo; issue a credit note, or complete it again in the PSA",
                    pattern="milestone re-opened in the PSA after invoicing",
                    res_model=invoice._name if invoice else "sale.order.line",
                    res_id=invoice.id if invoice else line.id,
                )
                self._record_exception(backend, psa.MILESTONES, rec, exc)
                stats["conflicts"] += 1
                continue
            milestone.is_reached = reached
            stats["reached" if reached else "unreached"] += 1
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

    # ------------------------------------------------------------------ values
    def _time_entries_vals(self, backend, data, employee, project):
        vals = {
            "psa_backend_id": backend.id,
            "psa_approved": True,
            "psa_state": "synced",
            "project_id": project.id,
            "employee_id": employee.id,
            "date": fields.Date.to_date(data["date"]),
            "unit_amount": psa.hours(data["minutes"]),
            "name": data.get("description") or "/",
            "psa_bill_rate_cents": data.get("bill_rate_cents") or 0,
            "psa_cost_rate_cents": data.get("cost_rate_cents") or 0,
            "psa_currency_id": self._currency(data.get("currency")).id,
        }
        if not data.get("billable"):
            vals["so_line"] = False
        return vals

    def _expenses_vals(self, backend, data, employee, project):
        currency = self._currency(data.get("currency"))
        if not currency:
            raise MissingReferenceError(
                f"currency {data.get('currency')} of a PSA expense is not known in Odoo",
                pattern=f"missing currency {data.get('currency')}",
            )
        product = self._expense_product(backend, data.get("category"))
        vals = {
            "psa_backend_id": backend.id,
            "psa_state": "synced",
            "name": data.get("description") or data.get("category") or "/",
            "employee_id": employee.id,
            "product_id": product.id,
            "date": fields.Date.to_date(data["date"]),
            "currency_id": currency.id,
            "total_amount_currency": psa.amount(data["amount_cents"], currency.decimal_places),
            "payment_mode": "own_account" if data.get("reimbursable") else "company_account",
            "company_id": backend.company_id.id,
        }
        if project.account_id:
            vals["analytic_distribution"] = {str(project.account_id.id): 100}
        order = project.sudo().sale_line_id.order_id
        if data.get("billable") and order and product.expense_policy in ("sales_price", "cost"):
            vals["sale_order_id"] = order.id
        return vals

    def _currency(self, code):
        """res.currency by ISO code (cached for the transaction: a page names a few)."""
        if not code:
            return self.env["res.currency"]
        cache = self.env.cr.cache.setdefault("sync_psa_currencies", {})
        key = code.upper()
        if key not in cache:
            cache[key] = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", key)], limit=1)
                .id
            )
        return self.env["res.currency"].browse(cache[key])

    def _expense_product(self, backend, category):
        Product = self.env["product.product"]
        product = Product.browse()
        if category:
            product = Product.search(
                [("can_be_expensed", "=", True), ("name", "=ilike", category.strip())], limit=1
            )
        return (
            product
            or backend.psa_expense_product_id
            or self.env.ref("hr_expense.product_product_no_cost")
        )

    # ------------------------------------------------------------------ references
    @api.model
    def _employees(self, backend, persons):
        """{person id: hr.employee}: the bound employee, else the one employee whose work
        email is the person's (then bound, so a later email change keeps the link)."""
        Binding = self.env["sync.binding"].sudo()
        Employee = self.env["hr.employee"].sudo().with_context(active_test=True)
        persons = {p["id"]: p for p in persons if p.get("id")}
        found = {}
        bindings = Binding._for_external_ids(backend, "hr.employee", persons, psa.PEOPLE)
        for person_id, binding in bindings.items():
            employee = Employee.browse(binding.res_id).exists() if binding.active else None
            if employee:
                found[person_id] = employee
        by_email = {}
        for person_id, person in persons.items():
            if person_id not in found and person.get("email") and person_id not in bindings:
                by_email.setdefault(person["email"].lower(), []).append(person_id)
        if by_email:
            domain = Domain.OR([Domain("work_email", "=ilike", email) for email in by_email])
            domain &= Domain("company_id", "in", [backend.company_id.id, False])
            candidates = {}
            for employee in Employee.search(domain):
                candidates.setdefault((employee.work_email or "").strip().lower(), []).append(
                    employee
                )
            bound = set(
                Binding.search(
                    [
                        ("backend_id", "=", backend.id),
                        ("res_model", "=", "hr.employee"),
                        ("res_id", "in", [e.id for es in candidates.values() for e in es]),
                    ]
                ).mapped("res_id")
            )
            new = []
            for email, person_ids in by_email.items():
                matches = candidates.get(email, [])
                if len(matches) != 1 or matches[0].id in bound or len(person_ids) != 1:
                    continue
                found[person_ids[0]] = matches[0]
                new.append(
                    {
                        "backend_id": backend.id,
                        "res_model": "hr.employee",
                        "res_id": matches[0].id,
                        "remote_object": psa.PEOPLE,
                        "external_id": person_ids[0],
                        "last_sync_at": fields.Datetime.now(),
                    }
                )
            Binding.create(new)
            self._release_waiting(backend, [vals["external_id"] for vals in new])
        return found

    @api.model
    def _release_waiting(self, backend, person_ids):
        """Records parked for people who just got their employee are imported now (their
        parking job runs again), without waiting for someone to press Retry."""
        if not person_ids:
            return
        identities = [
            f"psa:wait:{object_name}:user:{person_id}"
            for object_name in psa.IMPORTED
            for person_id in person_ids
        ]
        self.env["sync.job"].sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("identity_key", "in", identities),
                ("state", "=", "failed"),
            ]
        ).action_requeue()

    @api.model
    def _tasks(self, backend, records, projects):
        """{task ref: project.task id} of the page's time: the bound task, else the task of
        the same name in the entry's project, else a new task there (then bound)."""
        Binding = self.env["sync.binding"].sudo()
        wanted = {}
        for rec in records:
            data = rec["data"]
            project = projects.get(data["project_ref"])
            if data.get("task_ref") and project:
                wanted[data["task_ref"]] = (project, data.get("task_name") or "")
        if not wanted:
            return {}
        bindings = Binding._for_external_ids(backend, "project.task", wanted, psa.MILESTONES)
        Task = self.env["project.task"].with_context(
            **{NO_EXPORT: True, "tracking_disable": True, "mail_create_nolog": True}
        )
        existing = set(Task.browse([b.res_id for b in bindings.values()]).exists().ids)
        found = {ref: b.res_id for ref, b in bindings.items() if b.active and b.res_id in existing}
        new = []
        for ref, (project, name) in wanted.items():
            if ref in found:
                continue
            key = " ".join(name.lower().split())
            task = Task.search([("project_id", "=", project.id)]).filtered(
                lambda t, k=key: k and " ".join((t.name or "").lower().split()) == k
            )[:1]
            if task and Binding._for_records(backend, task):
                task = Task.browse()
            if not task:
                task = Task.create({"name": name or f"PSA task {ref}", "project_id": project.id})
            found[ref] = task.id
            new.append(
                {
                    "backend_id": backend.id,
                    "res_model": "project.task",
                    "res_id": task.id,
                    "remote_object": psa.MILESTONES,
                    "external_id": ref,
                    "last_sync_at": fields.Datetime.now(),
                }
            )
        Binding.create(new)
        return found

    @api.model
    def _bind_referenced_projects(self, backend, records):
        """Unbound PSA projects bind to an existing, free Odoo project: the one their external
        reference names (written by an earlier push, or by another integration), else the one
        project with the same name (ignoring case and spaces) and the same customer (the
        project's customer vs the workspace's client company; no client matches a project
        without customer).  Two candidates: none is chosen (a new project is created)."""
        Binding = self.env["sync.binding"].sudo()
        bound = Binding._for_external_ids(
            backend, "project.project", [r["id"] for r in records], psa.PROJECTS
        )
        wanted = {}
        by_name = {}
        for rec in records:
            if rec["id"] in bound or rec.get("archived"):
                continue
            data = rec.get("data") or {}
            refs = [r for r in data.get("odoo_refs") or [] if r.isdigit()]
            if len(refs) == 1:
                wanted[rec["id"]] = int(refs[0])
            elif not refs and _norm(data.get("name")):
                by_name[rec["id"]] = (_norm(data.get("name")), _norm(data.get("client")))
        Project = self.env["project.project"]
        projects = Project.browse(list(wanted.values())).exists()
        if by_name:
            names = {name for name, _client in by_name.values()}
            candidates = self._projects_named(names)
            keyed = {}
            for project in candidates:
                customer = project.partner_id.commercial_partner_id.name
                keyed.setdefault((_norm(project.name), _norm(customer)), []).append(project.id)
            for ext_id, key in by_name.items():
                if len(keyed.get(key, [])) == 1:
                    wanted[ext_id] = keyed[key][0]
            projects |= Project.browse([wanted[e] for e in by_name if e in wanted])
        if not wanted:
            return 0
        taken = set(Binding._for_records(backend, projects))
        new, used = [], set()
        for ext_id, project_id in wanted.items():
            if project_id not in projects.ids or project_id in taken or project_id in used:
                continue
            used.add(project_id)
            new.append(
                {
                    "backend_id": backend.id,
                    "res_model": "project.project",
                    "res_id": project_id,
                    "remote_object": psa.PROJECTS,
                    "external_id": ext_id,
                    "last_sync_at": fields.Datetime.now(),
                }
            )
        Binding.create(new)
        return len(new)

    @api.model
    def _projects_named(self, names):
        """Projects whose name is one of `names` (normalised: lower case, single spaces)."""
        if not names:
            return self.env["project.project"]
        Project = self.env["project.project"]
        Project.flush_model(["name"])
        column = Project._field_to_sql(Project._table, "name")
        self.env.cr.execute(
            SQL(
                "SELECT id FROM project_project"
                " WHERE lower(regexp_replace(trim(%s), '\\s+', ' ', 'g')) = ANY(%s)",
                column,
                sorted(names),
            )
        )
        return Project.search([("id", "in", [row[0] for row in self.env.cr.fetchall()])])

    @api.model
    def _projects(self, backend, refs, adapter, job):
        """{project ref: project.project}: bound projects; unknown workspaces are read and
        applied through the backend's workspace mapping (match rule, else a new project)."""
        refs = {r for r in refs if r}
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(backend, "project.project", refs, psa.PROJECTS)
        missing = sorted(r for r in refs if r not in bindings or not bindings[r].active)
        if missing:
            mapping = self.env["sync.mapping"].search(
                [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)], limit=1
            )
            if mapping:
                workspaces = adapter.read_batch(psa.PROJECTS, missing)
                self._bind_referenced_projects(backend, workspaces)
                mapping._apply_page(workspaces, job=job)
                bindings = Binding._for_external_ids(backend, "project.project", refs, psa.PROJECTS)
        projects = self.env["project.project"].browse(
            [b.res_id for b in bindings.values() if b.active]
        )
        existing = {p.id: p for p in projects.exists()}
        return {
            ref: existing[b.res_id]
            for ref, b in bindings.items()
            if b.active and b.res_id in existing
        }

    # ------------------------------------------------------------------ waiting records
    @api.model
    def _wait(self, waiting, object_name, rec, employee, project):
        data = rec["data"]
        person = data["person"]
        if not employee:
            cause = f"user:{person['id']}"
            who = person.get("name") or person["id"]
            email = person.get("email") or "(no email in the PSA)"
            entry = waiting.setdefault(
                cause,
                {
                    "records": [],
                    "external_id": person["id"],
                    "remote_object": psa.PEOPLE,
                    "res_model": "hr.employee",
                    "pattern": f"employee missing for {email}",
                    "head": f"{who} <{email}> has no Odoo employee (no employee has the work "
                    f"email {email})",
                    "fix": "link an employee (or set its work email), then retry",
                },
            )
        else:
            cause = f"project:{data['project_ref']}"
            entry = waiting.setdefault(
                cause,
                {
                    "records": [],
                    "external_id": data["project_ref"],
                    "remote_object": psa.PROJECTS,
                    "res_model": "project.project",
                    "pattern": "project missing for a PSA workspace",
                    "head": f"PSA project {data['project_ref']} is not linked to an Odoo project",
                    "fix": "link a project, then retry",
                },
            )
        entry["records"].append(rec)

    @api.model
    def _waiting_message(self, object_name, info):
        return (
            f"{info['head']}: {psa.waiting_summary(object_name, info['records'])} waiting to "
            f"be imported; {info['fix']}."
        )

    @api.model
    def _park(self, backend, object_name, waiting):
        """One job per missing reference holds the waiting records: it fails with one
        exception naming the person (or project) and what waits; linking the record and
        retrying imports them.  New waiting records join the same job (re-run to refresh the
        exception's figures)."""
        Job = self.env["sync.job"].sudo()
        count = 0
        for cause, info in waiting.items():
            ids = [r["id"] for r in info["records"]]
            count += len(ids)
            identity = f"psa:wait:{object_name}:{cause}"
            job = Job.search(
                [
                    ("backend_id", "=", backend.id),
                    ("kind", "=", "psa_import"),
                    ("identity_key", "=", identity),
                    ("state", "in", ("pending", "failed")),
                ],
                order="id desc",
                limit=1,
            )
            if job:
                merged = sorted(set(job.payload["ids"]) | set(ids), key=_id_key)
                if merged != job.payload["ids"]:
                    job.payload = {**job.payload, "ids": merged}
                    # the exception's retry runs its payload: keep it the job's
                    job.exception_ids.filtered(
                        lambda e: e.state == "open"
                    ).payload_text = json.dumps(job.payload, indent=2, sort_keys=True, default=str)
                    if job.state == "failed":
                        job.action_requeue()
                continue
            Job._enqueue(
                backend,
                "psa_import",
                payload={"object": object_name, "ids": sorted(ids, key=_id_key), "waiting": cause},
                identity_key=identity,
                res_model=info["res_model"],
                name=f"{backend.name}: {info['head']}"[:200],
            )
        return count

    @api.model
    def _sweep_deleted(self, backend, object_name, job, adapter, waiting):
        """Bound records the PSA no longer returns by id were deleted while the feed had a
        gap (the filtered lists never show deleted records)."""
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", TARGETS[object_name]["model"]),
                    ("remote_object", "=", object_name),
                    ("active", "=", True),
                ]
            )
        )
        ids = bindings.mapped("external_id")
        found = {r["id"] for r in adapter.read_batch(object_name, ids)} if ids else set()
        gone = [
            {"id": i, "updated_at": None, "archived": True, "data": {}}
            for i in ids
            if i not in found
        ]
        if not gone:
            return 0
        self._apply(backend, object_name, gone, job, adapter, waiting)
        return len(gone)

    # ------------------------------------------------------------------ set-up
    @api.model
    def _create_default_mappings(self, backends):
        """Projects <-> workspaces: pushed through the outbox (name; the Odoo id marks the
        workspace so a retried create finds it), status and budget pulled back; existing
        workspaces bind to existing projects by reference, or by name + customer
        (``_bind_referenced_projects``), not by name alone."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in backends:
            if Mapping.search_count(
                [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)]
            ):
                continue
            created |= Mapping.create(
                {
                    "name": f"{backend.name}: projects",
                    "backend_id": backend.id,
                    "remote_object": psa.PROJECTS,
                    "res_model": "project.project",
                    "delete_policy": "binding",
                    "export_create": True,
                    "export_domain": "[('allow_timesheets', '=', True)]",
                    "line_ids": [
                        line_command("name", "name", owner="odoo", direction="both"),
                        line_command("_odoo_ref", "id", owner="odoo", direction="export"),
                        line_command("status", "psa_status"),
                        line_command("budget_cents", "psa_budget_cents", "int"),
                        line_command("budget_used_cents", "psa_budget_used_cents", "int"),
                        line_command("currency", "psa_currency"),
                    ],
                }
            )
        return created

    @api.model
    def _demo_setup(self, base_url, token="kantata-demo"):
        """Sandbox Kantata backend on its fake (``python addons/sync_psa/fake --port 8992
        --token kantata-demo --seed demo``): mappings, and a first sync enqueued."""
        url = base_url.rstrip("/")
        if not url.endswith("/api/v1"):
            url += "/api/v1"
        Backend = self.env["sync.backend"]
        backend = Backend.search(
            [("kind", "=", "kantata"), ("base_url", "=", url), ("sandbox", "=", True)], limit=1
        ) or Backend.create(
            {
                "name": "Kantata sandbox",
                "kind": "kantata",
                "sandbox": True,
                "base_url": url,
                "kantata_access_token": token,
            }
        )
        self._create_default_mappings(backend)
        # the demo deal's service (SKU SRV-INSTALL) is billed on timesheets, so its time is
        # invoiceable; whichever demo set-up runs first creates the product
        Product = self.env["product.product"]
        service = Product.search([("default_code", "=", "SRV-INSTALL")], limit=1)
        if not service:
            service = Product.create(
                {
                    "name": "Installation service",
                    "default_code": "SRV-INSTALL",
                    "type": "service",
                    "service_tracking": "project_only",
                    "list_price": 2500.0,
                }
            )
        service.service_policy = "delivered_timesheet"
        self.env["sync.job"]._enqueue(
            backend, "pull", payload={"object": psa.PROJECTS}, identity_key="pull:workspaces"
        )
        self._schedule(backend)
        return backend


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
