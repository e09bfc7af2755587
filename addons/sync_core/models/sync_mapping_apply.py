"""The import path of a mapping: a page of remote records applied in batches (skip, match,
create, update, remote delete), one record at a time under savepoints when a batch fails, and
the rows (bindings, audit) written in bulk."""

import json
import logging
from collections import Counter, namedtuple
from dataclasses import dataclass, field

import psycopg2

from odoo import api, fields, models, tools
from odoo.tools import SQL

from .. import mapping as mapping_logic
from ..exceptions import MissingReferenceError, SyncError, ValidationSyncError
from ..hashing import payload_hash
from .sync_job import CONCURRENCY_ERRORS
from .sync_mapping import no_export_context

# the log channel stays the one of sync_mapping
_logger = logging.getLogger(__package__ + ".sync_mapping")

# What a step of `_apply_batch` works with: the target model (sync context), the mapping's
# lines, the references resolved for the batch, the job and the time of the batch.
BatchStep = namedtuple("BatchStep", "Model lines refs job now")


@dataclass
class BatchPlan:
    """A batch's records sorted by what they need, as (record, binding, payload hash); `stats`
    counts the ones skipped (identical, older) and matched, `matched` maps the matched ones'
    external ids to the Odoo ids found."""

    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    deletes: list = field(default_factory=list)
    matched: dict = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)


@dataclass
class BatchResult:
    """What applying (part of) a batch did: counts by outcome, the changes a dry run shows,
    and the binding and audit rows left to insert."""

    stats: Counter = field(default_factory=Counter)
    changes: list = field(default_factory=list)
    bindings: list = field(default_factory=list)
    audits: list = field(default_factory=list)

    def add(self, other):
        self.stats.update(other.stats)
        self.changes.extend(other.changes)
        self.bindings.extend(other.bindings)
        self.audits.extend(other.audits)
        return self


class SyncMapping(models.Model):
    _inherit = "sync.mapping"

    # ------------------------------------------------------------------ import
    def _apply_page(self, records, job=None, dry_run=False):
        """Apply one page of remote records in batches; return stats (and changes on dry run).

        One query for all bindings of the page, one per match rule, one per reference field,
        `create(vals_list)` for new records, writes grouped by identical values.  If the batch
        fails, it is retried record by record under savepoints so one bad record becomes one
        exception, not a failed page.  A dry run does all of it inside a savepoint that is
        rolled back, so it shows exactly what would change and leaves nothing behind.
        """
        self.ensure_one()
        stats = dict.fromkeys(
            (
                "created",
                "updated",
                "matched",
                "unchanged",
                "identical",
                "older",
                "deleted",
                "failed",
            ),
            0,
        )
        # records the connector could not read: one exception each (a webhook's re-fetch;
        # a pull set them aside already)
        records, unreadable = self.backend_id._set_aside_unreadable(
            records, self.remote_object, job, dry_run
        )
        changes = []
        latest = {}
        for rec in records:
            prev = latest.get(rec["id"])
            if prev is None or (rec.get("updated_at") or 0) >= (prev.get("updated_at") or 0):
                latest[rec["id"]] = rec
        records = list(latest.values())
        cr = self.env.cr
        failed_ids = set()
        savepoint = cr.savepoint(flush=True)
        with savepoint:
            try:
                with cr.savepoint():
                    batch = self._apply_batch(records, job)
                for key, val in batch.stats.items():
                    stats[key] += val
                changes.extend(batch.changes)
            except CONCURRENCY_ERRORS:
                raise  # not the records' fault: the whole job gives way and is retried
            except Exception as exc:  # noqa: BLE001  fall back to one record at a time
                _logger.info("batch of %s failed (%s): applying one by one", len(records), exc)
                for rec in records:
                    try:
                        with cr.savepoint():
                            one = self._apply_batch([rec], job)
                    except CONCURRENCY_ERRORS:
                        raise
                    except Exception as rec_exc:  # noqa: BLE001  one bad record, one exception
                        stats["failed"] += 1
                        if isinstance(rec_exc, psycopg2.IntegrityError):
                            rec_exc = self._refused(rec, rec_exc)
                        failed_ids.add(rec["id"])
                        if not dry_run:
                            self.env["sync.exception"]._open_for_record(self, rec, rec_exc, job=job)
                        changes.append(
                            {"external_id": rec["id"], "operation": "error", "error": str(rec_exc)}
                        )
                        continue
                    for key, val in one.stats.items():
                        stats[key] += val
                    changes.extend(one.changes)
            if dry_run:
                savepoint.rollback()
        if unreadable:
            stats["unreadable"] = len(unreadable)
        if dry_run:
            stats["changes"] = unreadable + changes
        else:
            self.env["sync.exception"]._resolve_applied(self, set(latest) - failed_ids, job)
        return stats

    def _apply_batch(self, records, job):
        """Apply one batch of remote records with a few queries: skip what was applied
        already, create, update, archive; return what it did (a `BatchResult`)."""
        backend = self.backend_id
        Model = self.env[self.res_model].with_context(
            **no_export_context(backend, self.env.context),
            tracking_disable=True,
            mail_create_nolog=True,
        )
        Binding = self.env["sync.binding"].sudo()
        bindings = Binding._for_external_ids(
            backend, self.res_model, [r["id"] for r in records], self.remote_object
        )
        lines = self._lines()
        now = fields.Datetime.now()
        plan = self._plan_batch(records, bindings, Model)
        refs = self._resolve_refs([rec for rec, _b, _h in plan.to_create + plan.to_update], lines)
        step = BatchStep(Model, lines, refs, job, now)
        result = BatchResult(stats=plan.stats)
        result.add(self._create_batch(plan.to_create, step))
        result.add(self._update_batch(plan.to_update, plan.matched, step))
        result.add(self._delete_batch(plan.deletes, step))
        # the rows carry what differs per record; what a batch's rows share is bound once
        self._insert_rows("sync.binding", result.bindings, shared=self._binding_base(now))
        self._insert_rows("sync.audit", result.audits, shared=self._audit_base(job))
        return result

    def _plan_batch(self, records, bindings, Model):
        """Sort a batch's records, as (record, binding, payload hash), by what they need:
        the ones identical to or older than what was applied are only counted, new ones that
        a match rule finds in Odoo are updates of the record found (match before create:
        attach to existing records instead of duplicating them)."""
        plan = BatchPlan()
        to_create = []
        for rec in records:
            binding = bindings.get(rec["id"])
            rec_hash = payload_hash([rec.get("data"), bool(rec.get("archived"))])
            if binding and binding.payload_hash == rec_hash:
                plan.stats["identical"] += 1
                continue
            if binding and binding._is_newer_than(rec):
                plan.stats["older"] += 1
                continue
            if rec.get("archived"):
                plan.deletes.append((rec, binding, rec_hash))
            elif binding and binding.active and binding.res_id:
                plan.to_update.append((rec, binding, rec_hash))
            else:
                to_create.append((rec, binding, rec_hash))
        plan.matched = self._match_existing([rec for rec, _b, _h in to_create], Model)
        for rec, binding, rec_hash in to_create:
            if rec["id"] in plan.matched:
                plan.to_update.append((rec, binding, rec_hash))
                bindings[rec["id"]] = binding or self.env["sync.binding"].sudo().browse()
                plan.stats["matched"] += 1
            else:
                plan.to_create.append((rec, binding, rec_hash))
        return plan

    def _create_batch(self, still_new, step):
        """Create the Odoo records of a batch's new remote records, in one `create`."""
        result = BatchResult()
        Model, lines, refs, job, now = step
        defaults = self._defaults()
        create_vals, diffs = [], []
        required = self._required_on_create(Model) if still_new else {}
        for rec, _binding, _h in still_new:
            vals, ref_vals, _conflicts = mapping_logic.map_inbound(lines, rec.get("data") or {})
            vals.update(self._ref_values(rec, ref_vals, refs))
            self._check_required(rec, {**defaults, **vals}, required, lines)
            # a new record's audit lists the values it got, not the empty ones it did not
            diffs.append({k: [False, v] for k, v in vals.items() if not _empty(v)})
            create_vals.append({**defaults, **vals})
        created = Model.create(create_vals) if create_vals else Model.browse()
        binding_base = self._binding_base(now)
        for (rec, binding, rec_hash), res_id, diff in zip(
            still_new, created._ids, diffs, strict=True
        ):
            result.stats["created"] += 1
            binding_row = self._binding_row(rec, rec_hash, res_id)
            if binding:
                binding.write({**binding_base, **binding_row})
            else:
                result.bindings.append(binding_row)
            result.audits.append(self._audit_row(rec, res_id, "create", diff))
            result.changes.append(
                {"external_id": rec["id"], "operation": "create", "changes": diff}
            )
        return result

    def _update_batch(self, to_update, matched, step):
        """Update the Odoo records of a batch's changed remote records: one read of their
        current values, one `write` per set of identical new values."""
        result = BatchResult()
        if not to_update:
            return result
        Model, lines, refs, job, now = step
        res_ids = [matched.get(rec["id"]) or b.res_id for rec, b, _h in to_update]
        current = Model.browse(res_ids)
        fnames = sorted(
            {line["odoo_field"] for line in lines if line["odoo_field"] in Model._fields}
        )
        before_rows = {row["id"]: row for row in current.read([*fnames, "write_date"], load=None)}
        binding_base = self._binding_base(now)
        grouped = {}
        for (rec, binding, rec_hash), res_id in zip(to_update, res_ids, strict=True):
            before = before_rows.get(res_id)
            if before is None:
                raise MissingReferenceError(
                    f"the Odoo record bound to {self.remote_object} {rec['id']} was deleted",
                    pattern=f"bound record deleted ({self.res_model})",
                )
            vals, ref_vals, _conflicts = mapping_logic.map_inbound(
                lines,
                rec.get("data") or {},
                is_new=False,
                remote_updated_at=rec.get("updated_at"),
                odoo_updated_at=before["write_date"],
            )
            vals.update(self._ref_values(rec, ref_vals, refs))
            diff = mapping_logic.diff(before, vals)
            binding_row = self._binding_row(rec, rec_hash, res_id)
            if binding:
                binding.write({**binding_base, **binding_row})
            else:
                result.bindings.append(binding_row)
            if not diff:
                result.stats["unchanged"] += 1
                continue
            result.stats["updated"] += 1
            new_vals = {k: v[1] for k, v in diff.items()}
            key = tools.frozendict(
                {k: tuple(v) if isinstance(v, list) else v for k, v in new_vals.items()}
            )
            grouped.setdefault(key, (new_vals, []))[1].append(res_id)
            result.audits.append(self._audit_row(rec, res_id, "write", diff))
            result.changes.append({"external_id": rec["id"], "operation": "write", "changes": diff})
        for new_vals, ids in grouped.values():
            Model.browse(ids).write(new_vals)
        return result

    def _delete_batch(self, deletes, step):
        """Follow the mapping's delete policy for a batch's records deleted remotely."""
        result = BatchResult()
        Model, _lines, _refs, job, now = step
        for rec, binding, rec_hash in deletes:
            result.stats["deleted"] += 1
            if not binding:
                continue
            if self.delete_policy == "exception":
                raise SyncError(
                    f"{self.remote_object} {rec['id']} was deleted in {self.backend_id.name}; "
                    f"decide what to do with the Odoo record",
                    category="conflict",
                    pattern=f"remote delete of {self.remote_object}",
                    res_model=self.res_model,
                    res_id=binding.res_id,
                )
            if self.delete_policy == "archive":
                record = Model.browse(binding.res_id).exists()
                if record and "active" in record._fields:
                    record.active = False
            binding.write(
                {**self._binding_vals(rec, rec_hash, now, binding.res_id), "active": False}
            )
            result.audits.append(self._audit_row(rec, binding.res_id, "delete", {}))
            result.changes.append({"external_id": rec["id"], "operation": "delete"})
        return result

    @api.model
    def _required_on_create(self, Model):
        """{field name: label} a new record of `Model` cannot do without and gets no default:
        its required stored fields and its name field (`_rec_name`: a record without a name
        is junk, and e.g. res.partner refuses a contact without one in SQL).  The link to an
        `_inherits` parent is not one of them: the ORM creates the parent record when the link
        is missing (e.g. a project's mail alias, a product variant's template)."""
        parent_links = set(Model._inherits.values())
        names = {
            name
            for name, field in Model._fields.items()
            if field.required
            and field.store
            and not field.compute
            and name not in parent_links
            and field.type not in ("boolean", "integer", "float", "monetary")
        }
        rec_name = Model._fields.get(Model._rec_name or "")
        if rec_name and rec_name.store and not rec_name.compute and rec_name.type == "char":
            names.add(rec_name.name)
        defaults = Model.default_get(sorted(names)) if names else {}
        return {
            name: Model._fields[name]._description_string(self.env)
            for name in sorted(names)
            if defaults.get(name) in (None, False, "")
        }

    def _refused(self, rec, exc):
        """A database constraint refused a record: a validation error naming the record with
        the constraint's own message (never raw SQL text)."""
        backend = self.backend_id
        reason = self.env[self.res_model]._sql_error_to_message(exc)
        return ValidationSyncError(
            f"{backend.name}: Odoo refused {self.remote_object} {rec['id']}: {reason}",
            pattern=f"{self.remote_object} refused: {reason}",
        )

    def _check_required(self, rec, vals, required, lines):
        """Refuse, before any INSERT, a remote record that lacks what Odoo needs: one
        validation exception naming the record and what is missing, never a SQL error."""
        missing = [
            name for name in required if vals.get(name) in (None, False, "") or vals[name] == []
        ]
        if not missing:
            return
        sources = {}
        for line in lines:
            if line["odoo_field"] in missing and line["direction"] != "export":
                sources.setdefault(line["odoo_field"], line["remote_field"])
        backend = self.backend_id
        parts = []
        for name in missing:
            source = sources.get(name)
            origin = (
                backend._remote_field_label(self.remote_object, source) if source else "not mapped"
            )
            parts.append(f"{required[name]} (from {origin}) is empty")
        model_label = self.env["ir.model"]._get(self.res_model).name or self.res_model
        raise ValidationSyncError(
            f"{backend.name}: {self.remote_object} {rec['id']} cannot be created as "
            f"{model_label}: {'; '.join(parts)}. Complete the record in {backend.name}, "
            "or edit the payload here and retry.",
            pattern=f"{self.remote_object} without {', '.join(required[n] for n in missing)}",
        )

    def _insert_rows(self, model_name, rows, company=None, shared=None):
        """Insert many rows of a plain sync table in one statement (bindings and audit rows of a
        page): the ORM's per-record create overhead would halve the pull's throughput.
        `shared`: values every row has (bound once, not repeated per row; every row has the
        same keys).  `company` defaults to the mapping's backend's (connectors' own page
        handlers pass it on an empty mapping recordset)."""
        if not rows:
            return
        Model = self.env[model_name]
        shared = dict(shared or {})
        if hasattr(Model, "_sync_mask_rows"):  # sensitive values masked (sync.masked.mixin)
            Model._sync_mask_rows(rows, backend_id=shared.get("backend_id"))
        columns = sorted(rows[0])
        types = []
        for name in columns:
            field = Model._fields[name]
            types.append(SQL("%s %s", SQL.identifier(name), SQL(field.column_type[1])))
        extra = shared
        if (
            "company_id" in Model._fields
            and "company_id" not in rows[0]
            and "company_id" not in extra
        ):
            extra["company_id"] = (company or self.backend_id.company_id).id
        if "date" in Model._fields and "date" not in rows[0] and "date" not in extra:
            extra["date"] = fields.Datetime.now()
        if Model._log_access:
            extra |= {
                "create_uid": self.env.uid,
                "write_uid": self.env.uid,
                "create_date": fields.Datetime.now(),
                "write_date": fields.Datetime.now(),
            }
        # False is NULL but in boolean columns; dates become ISO text (json.dumps' `default`)
        nulls = [n for n in columns if Model._fields[n].type != "boolean"]
        payload = [
            {**row, **{n: None for n in nulls if row[n] is False}} if False in row.values() else row
            for row in rows
        ]
        # the values every row shares are parameters of the statement, not repeated per row
        shared = [
            SQL(
                "%s::%s",
                None if val is False and Model._fields[name].type != "boolean" else val,
                SQL(Model._fields[name].column_type[1]),
            )
            for name, val in extra.items()
        ]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM jsonb_to_recordset(%s::jsonb) AS x(%s)",
                SQL.identifier(Model._table),
                SQL(", ").join(SQL.identifier(n) for n in [*columns, *extra]),
                SQL(", ").join([*(SQL.identifier(n) for n in columns), *shared]),
                json.dumps(payload, default=_sql_value),
                SQL(", ").join(types),
            )
        )
        Model.invalidate_model()

    def _binding_base(self, now):
        """The values of a binding of this mapping that do not depend on the record."""
        return {
            "backend_id": self.backend_id.id,
            "res_model": self.res_model,
            "remote_object": self.remote_object,
            "last_sync_at": now,
            "active": True,
        }

    def _binding_vals(self, rec, rec_hash, now, res_id):
        """The binding of `res_id` to the remote record `rec`."""
        return {**self._binding_base(now), **self._binding_row(rec, rec_hash, res_id)}

    @api.model
    def _binding_row(self, rec, rec_hash, res_id):
        """What a binding of a batch has of its own (the rest: `_binding_base`)."""
        return {
            "res_id": res_id,
            "external_id": rec["id"],
            "remote_updated_at": rec.get("updated_at") or False,
            "payload_hash": rec_hash,
        }

    def _audit_base(self, job):
        """The values of an audit row of this mapping and `job` that do not depend on the
        record."""
        return {
            "backend_id": self.backend_id.id,
            "job_id": job.id if job else False,
            "correlation_id": job.correlation_id if job else False,
            "mapping_id": self.id,
            "mapping_version": self.version,
            "res_model": self.res_model,
        }

    def _audit_vals(self, job, rec, res_id, operation, diff):
        """The audit row of one applied change."""
        return {**self._audit_base(job), **self._audit_row(rec, res_id, operation, diff)}

    @api.model
    def _audit_row(self, rec, res_id, operation, diff):
        """What an audit row of a batch has of its own (the rest: `_audit_base`)."""
        return {
            "external_id": rec["id"],
            "res_id": res_id,
            "operation": operation,
            "changes": {k: [_jsonable(a), _jsonable(b)] for k, (a, b) in diff.items()},
        }


def _sql_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _jsonable(value):
    if isinstance(value, models.BaseModel):
        return value.ids
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _empty(value):
    """An empty mapped value (a field left blank), not a real False or 0."""
    return value is None or value is False or value == "" or value == [] or value == ()
