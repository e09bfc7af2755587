import ast
import json
import logging

import psycopg2

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL

from .. import mapping as mapping_logic
from ..exceptions import MissingReferenceError, SyncError, ValidationSyncError
from ..hashing import payload_hash
from .sync_audit import readable_values
from .sync_job import CONCURRENCY_ERRORS
from .sync_mapping_match import IEXACT_SQL

_logger = logging.getLogger(__name__)

# Context key set on every write the sync makes (echo suppression).  Its value says who wrote:
# a tuple of backend ids (`no_export_context`): the change is not sent back to those backends,
# but is to every other backend whose mapping exports it; True: the change is exported nowhere.
NO_EXPORT = "sync_no_export"


def no_export_context(backend, context=None):
    """{NO_EXPORT: origins} for the writes `backend`'s sync makes: never exported back to
    `backend` (nor to the origins `context` already names), exported to the other backends
    that map the model.  A context that suppresses every export keeps doing so."""
    current = suppressed_backends(context or {})
    if current is True:
        return {NO_EXPORT: True}
    return {NO_EXPORT: tuple(sorted(current | set(backend.ids)))}


def suppressed_backends(context):
    """The backends a write under `context` is not exported to: True (none at all), else a
    frozenset of backend ids (empty: export everywhere)."""
    value = context.get(NO_EXPORT)
    if not value:
        return frozenset()
    if value is True:
        return True
    if isinstance(value, int):
        return frozenset((value,))
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(int(v) for v in value)
    return True  # any other truthy value: the old boolean meaning


class SyncMapping(models.Model):
    """Declarative mapping of one remote object to one Odoo model, for one backend.

    Applies pages of remote records in batches (`_apply_page`) and exports Odoo records
    (`_export_records`).  Versioned: any change of its lines freezes a new version.
    """

    _name = "sync.mapping"
    _description = "Sync Mapping"
    _inherit = ["mail.thread"]
    _order = "backend_id, sequence, id"

    name = fields.Char(required=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    active = fields.Boolean(default=True)
    remote_object = fields.Char(
        string="Remote object", required=True, help="Remote object, e.g. companies."
    )
    res_model = fields.Char(string="Odoo model", required=True)
    res_model_id = fields.Many2one(
        "ir.model",
        string="Odoo model ",
        compute="_compute_res_model_id",
        inverse="_inverse_res_model_id",
        domain=[("transient", "=", False)],
        help="The Odoo model the remote object is synchronised with.",
    )
    line_ids = fields.One2many("sync.mapping.line", "mapping_id", copy=True)
    direction = fields.Char(
        compute="_compute_direction", help="Where the fields of this object flow (see its lines)."
    )
    match_ids = fields.One2many("sync.mapping.match", "mapping_id", copy=True)
    sequence = fields.Integer(default=10, aggregator=False)
    version = fields.Integer(default=0, readonly=True, tracking=True, aggregator=False)
    version_ids = fields.One2many(
        "sync.mapping.version", "mapping_id", string="Versions", readonly=True
    )
    default_values = fields.Char(
        string="Values of new records (Python)",
        help="Python-literal dict of values set on records created by the sync, "
        "e.g. {'is_company': True}.",
    )
    default_values_text = fields.Text(
        string="Values of new records",
        compute="_compute_default_values_text",
        help="Values set on the records the sync creates, as the Odoo form names them.",
    )
    delete_policy = fields.Selection(
        [
            ("binding", "Archive the binding only"),
            ("archive", "Archive the Odoo record"),
            ("exception", "Open an exception for a human"),
        ],
        default="binding",
        required=True,
        help="What a record deleted (archived) in the remote system does in Odoo.",
    )
    export_create = fields.Boolean(
        string="Create new records remotely",
        help="Export Odoo records that have no binding yet (creates them remotely).",
    )
    export_domain = fields.Char(
        string="Records to export",
        default="[]",
        help="Python-literal domain of the Odoo records this mapping exports.",
    )

    _backend_object_uniq = models.Constraint(
        "UNIQUE(backend_id, remote_object, res_model)",
        "One mapping per backend, remote object and Odoo model.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings._bump_version()
        return mappings

    def write(self, vals):
        res = super().write(vals)
        if {"default_values", "delete_policy", "res_model", "remote_object"} & set(vals):
            self._bump_version()
        self.env.registry.clear_cache()
        return res

    @api.depends("line_ids.direction")
    def _compute_direction(self):
        labels = {
            "import": self.env._("From the remote"),
            "export": self.env._("To the remote"),
            "both": self.env._("Both ways"),
        }
        for mapping in self:
            found = set(mapping.line_ids.mapped("direction"))
            if "both" in found or {"import", "export"} <= found:
                mapping.direction = labels["both"]
            else:
                mapping.direction = labels.get(next(iter(found), ""), "")

    @api.depends("default_values", "res_model")
    def _compute_default_values_text(self):
        for mapping in self:
            mapping.default_values_text = readable_values(
                self.env, mapping.res_model, mapping.default_values
            )

    @api.depends("res_model")
    def _compute_res_model_id(self):
        for mapping in self:
            mapping.res_model_id = (
                self.env["ir.model"]._get_id(mapping.res_model)
                if mapping.res_model in self.env
                else False
            )

    def _inverse_res_model_id(self):
        for mapping in self:
            if mapping.res_model_id and mapping.res_model != mapping.res_model_id.model:
                mapping.res_model = mapping.res_model_id.model

    def action_preview(self):
        """Dry run on the last record this mapping synced, with the mapping as it is now."""
        self.ensure_one()
        preview = self.env["sync.mapping.preview"]._for_mapping(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview: %(name)s", name=self.name),
            "res_model": "sync.mapping.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def _snapshot(self):
        self.ensure_one()
        return {
            "remote_object": self.remote_object,
            "res_model": self.res_model,
            "default_values": self.default_values or False,
            "delete_policy": self.delete_policy,
            "lines": [line._as_dict() for line in self.line_ids],
        }

    def _bump_version(self):
        """Freeze the current definition as a new version (when it differs from the last)."""
        for mapping in self:
            snap = mapping._snapshot()
            # read, not the cached one2many: a version created earlier in this transaction
            # (one form save can change the lines and the header) may be missing or last there
            last = (
                self.env["sync.mapping.version"]
                .sudo()
                .search([("mapping_id", "=", mapping.id)], order="version desc", limit=1)
            )
            if last and last.snapshot == snap:
                continue
            mapping.sudo().version = mapping.version + 1
            self.env["sync.mapping.version"].sudo().create(
                {"mapping_id": mapping.id, "version": mapping.version, "snapshot": snap}
            )
        self.env.registry.clear_cache()

    @api.model
    def _for(self, backend, remote_object):
        mapping = self.search(
            [("backend_id", "=", backend.id), ("remote_object", "=", remote_object)], limit=1
        )
        if not mapping:
            raise SyncError(
                f"no active mapping for '{remote_object}' on backend {backend.name}",
                category="validation",
                pattern=f"no mapping {remote_object}",
            )
        return mapping

    def _lines(self):
        return [line._as_dict() for line in self.line_ids]

    def _defaults(self):
        return ast.literal_eval(self.default_values) if self.default_values else {}

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
                    self._apply_batch(records, job, stats, changes)
            except CONCURRENCY_ERRORS:
                raise  # not the records' fault: the whole job gives way and is retried
            except Exception as exc:  # noqa: BLE001  fall back to one record at a time
                _logger.info("batch of %s failed (%s): applying one by one", len(records), exc)
                for key in stats:
                    stats[key] = 0
                changes.clear()
                for rec in records:
                    one_stats = dict.fromkeys(stats, 0)
                    one_changes = []
                    try:
                        with cr.savepoint():
                            self._apply_batch([rec], job, one_stats, one_changes)
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
                    for key, val in one_stats.items():
                        stats[key] += val
                    changes.extend(one_changes)
            if dry_run:
                savepoint.rollback()
        if unreadable:
            stats["unreadable"] = len(unreadable)
        if dry_run:
            stats["changes"] = unreadable + changes
        else:
            self.env["sync.exception"]._resolve_applied(self, set(latest) - failed_ids, job)
        return stats

    def _apply_batch(self, records, job, stats, changes):
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
        to_create, to_update, deletes = [], [], []
        for rec in records:
            binding = bindings.get(rec["id"])
            rec_hash = payload_hash([rec.get("data"), bool(rec.get("archived"))])
            if binding and binding.payload_hash == rec_hash:
                stats["identical"] += 1
                continue
            if binding and binding._is_newer_than(rec):
                stats["older"] += 1
                continue
            if rec.get("archived"):
                deletes.append((rec, binding, rec_hash))
            elif binding and binding.active and binding.res_id:
                to_update.append((rec, binding, rec_hash))
            else:
                to_create.append((rec, binding, rec_hash))
        # match before create: attach to existing records instead of duplicating them
        matched = self._match_existing([rec for rec, _b, _h in to_create], Model)
        still_new = []
        for rec, binding, rec_hash in to_create:
            if rec["id"] in matched:
                to_update.append((rec, binding, rec_hash))
                bindings[rec["id"]] = binding or Binding.browse()
                stats["matched"] += 1
            else:
                still_new.append((rec, binding, rec_hash))
        refs = self._resolve_refs([rec for rec, _b, _h in still_new + to_update], lines)
        audits = []
        binding_creates = []
        # ---- creates
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
        for (rec, binding, rec_hash), record, diff in zip(still_new, created, diffs, strict=True):
            stats["created"] += 1
            binding_vals = self._binding_vals(rec, rec_hash, now, record.id)
            if binding:
                binding.write(binding_vals)
            else:
                binding_creates.append(binding_vals)
            audits.append(self._audit_vals(job, rec, record.id, "create", diff))
            changes.append({"external_id": rec["id"], "operation": "create", "changes": diff})
        # ---- updates
        if to_update:
            res_ids = [matched.get(rec["id"]) or b.res_id for rec, b, _h in to_update]
            current = Model.browse(res_ids)
            fnames = sorted(
                {line["odoo_field"] for line in lines if line["odoo_field"] in Model._fields}
            )
            before_rows = {
                row["id"]: row for row in current.read([*fnames, "write_date"], load=None)
            }
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
                binding_vals = self._binding_vals(rec, rec_hash, now, res_id)
                if binding:
                    binding.write(binding_vals)
                else:
                    binding_creates.append(binding_vals)
                if not diff:
                    stats["unchanged"] += 1
                    continue
                stats["updated"] += 1
                new_vals = {k: v[1] for k, v in diff.items()}
                key = tools.frozendict(
                    {k: tuple(v) if isinstance(v, list) else v for k, v in new_vals.items()}
                )
                grouped.setdefault(key, (new_vals, []))[1].append(res_id)
                audits.append(self._audit_vals(job, rec, res_id, "write", diff))
                changes.append({"external_id": rec["id"], "operation": "write", "changes": diff})
            for new_vals, ids in grouped.values():
                Model.browse(ids).write(new_vals)
        # ---- deletes (archived remotely)
        for rec, binding, rec_hash in deletes:
            stats["deleted"] += 1
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
            audits.append(self._audit_vals(job, rec, binding.res_id, "delete", {}))
            changes.append({"external_id": rec["id"], "operation": "delete"})
        self._insert_rows("sync.binding", binding_creates)
        self._insert_rows("sync.audit", audits)

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

    def _insert_rows(self, model_name, rows, company=None):
        """Insert many rows of a plain sync table in one statement (bindings and audit rows of a
        page): the ORM's per-record create overhead would halve the pull's throughput.
        `company` defaults to the mapping's backend's (connectors' own page handlers pass it
        on an empty mapping recordset)."""
        if not rows:
            return
        Model = self.env[model_name]
        columns = sorted(rows[0])
        types = []
        for name in columns:
            field = Model._fields[name]
            types.append(SQL("%s %s", SQL.identifier(name), SQL(field.column_type[1])))
        extra = {}
        if "company_id" in Model._fields and "company_id" not in rows[0]:
            extra["company_id"] = (company or self.backend_id.company_id).id
        if "date" in Model._fields and "date" not in rows[0]:
            extra["date"] = fields.Datetime.now()
        if Model._log_access:
            extra |= {
                "create_uid": self.env.uid,
                "write_uid": self.env.uid,
                "create_date": fields.Datetime.now(),
                "write_date": fields.Datetime.now(),
            }
        names = [*columns, *extra]
        bools = {n for n in names if Model._fields[n].type == "boolean"}
        payload = [
            {
                k: (None if v is False and k not in bools else _sql_value(v))
                for k, v in {**row, **extra}.items()
            }
            for row in rows
        ]
        for name in extra:
            types.append(
                SQL("%s %s", SQL.identifier(name), SQL(Model._fields[name].column_type[1]))
            )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM jsonb_to_recordset(%s::jsonb) AS x(%s)",
                SQL.identifier(Model._table),
                SQL(", ").join(SQL.identifier(n) for n in names),
                SQL(", ").join(SQL.identifier(n) for n in names),
                json.dumps(payload),
                SQL(", ").join(types),
            )
        )
        Model.invalidate_model()

    def _binding_vals(self, rec, rec_hash, now, res_id):
        return {
            "backend_id": self.backend_id.id,
            "res_model": self.res_model,
            "res_id": res_id,
            "remote_object": self.remote_object,
            "external_id": rec["id"],
            "remote_updated_at": rec.get("updated_at") or False,
            "payload_hash": rec_hash,
            "last_sync_at": now,
            "active": True,
        }

    def _audit_vals(self, job, rec, res_id, operation, diff):
        return {
            "backend_id": self.backend_id.id,
            "job_id": job.id if job else False,
            "correlation_id": job.correlation_id if job else False,
            "mapping_id": self.id,
            "mapping_version": self.version,
            "external_id": rec["id"],
            "res_model": self.res_model,
            "res_id": res_id,
            "operation": operation,
            "changes": {k: [_jsonable(a), _jsonable(b)] for k, (a, b) in diff.items()},
        }

    def _match_existing(self, records, Model):
        """{external_id: res_id} of unbound remote records that match an existing record.

        One SQL prefilter per rule and page on the normalised column (no ORM OR-chains of
        ILIKE), then one ORM search on the few candidates (record rules and the rule's extra
        domain apply), then one query for the bindings the candidates already have.
        """
        found = {}
        if not records or not self.match_ids:
            return found
        Binding = self.env["sync.binding"].sudo()
        taken = set()
        for rule in self.match_ids:
            field = Model._fields.get(rule.odoo_field)
            if not field or not field.store or field.type not in ("char", "text"):
                continue
            keys = {}
            for rec in records:
                if rec["id"] in found:
                    continue
                raw = mapping_logic.get_path(rec.get("data") or {}, rule.remote_field)
                key = _match_key(rule.method, raw)
                if key:
                    keys.setdefault(key, []).append(rec["id"])
            if not keys:
                continue
            # translated fields are jsonb: compare their value in the current language
            column = Model._field_to_sql(Model._table, rule.odoo_field)
            if rule.method == "email_domain":
                where = SQL("lower(%s) LIKE ANY(%s)", column, [f"%{k}%" for k in keys])
            elif rule.method == "iexact":
                # the expression of the rule's index (sync.mapping.match._ensure_indexes)
                where = SQL(IEXACT_SQL % "%s" + " = ANY(%s)", column, list(keys))
            else:
                where = SQL("%s = ANY(%s)", column, list(keys))
            Model.flush_model([rule.odoo_field])
            self.env.cr.execute(
                SQL("SELECT id FROM %s WHERE %s", SQL.identifier(Model._table), where)
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                continue
            domain = Domain("id", "in", ids) & Domain(ast.literal_eval(rule.extra_domain or "[]"))
            candidates = Model.search(domain, order="id")
            bound = set(
                Binding.search(
                    [
                        ("backend_id", "=", self.backend_id.id),
                        ("res_model", "=", self.res_model),
                        ("res_id", "in", candidates.ids),
                    ]
                ).mapped("res_id")
            )
            for cand in candidates:
                if cand.id in bound or cand.id in taken:
                    continue
                ext_ids = keys.pop(_match_key(rule.method, cand[rule.odoo_field]), None)
                if ext_ids:  # one remote record per existing record; the others are created
                    found[ext_ids[0]] = cand.id
                    taken.add(cand.id)
        return found

    def _resolve_refs(self, records, lines):
        """{(odoo_field, raw): res_id} for every ref: transform of the page, one query each."""
        resolved = {}
        for line in lines:
            name = line["transform"]
            if not name.startswith("ref:"):
                continue
            raws = {
                mapping_logic.TRANSFORMS[name][1](
                    mapping_logic.get_path(rec.get("data") or {}, line["remote_field"])
                )
                for rec in records
            } - {False, None}
            if not raws:
                continue
            if name == "ref:country_code":
                for country in self.env["res.country"].search(
                    [("code", "in", [r.upper() for r in raws])]
                ):
                    resolved[(line["odoo_field"], country.code)] = country.id
                    resolved[(line["odoo_field"], country.code.lower())] = country.id
            elif name == "ref:country_name":
                lowered = {r.lower(): r for r in raws}
                domain = Domain("code", "in", [r.upper() for r in raws if len(r) == 2])
                for raw in raws:
                    domain |= Domain("name", "=ilike", raw)
                Country = self.env["res.country"].with_context(lang="en_US")
                for country in Country.search(domain):
                    for key in (country.name.lower(), country.code.lower()):
                        if key in lowered:
                            resolved[(line["odoo_field"], lowered[key])] = country.id
            elif name == "ref:binding":
                field = self.env[self.res_model]._fields[line["odoo_field"]]
                bindings = (
                    self.env["sync.binding"]
                    .sudo()
                    ._for_external_ids(
                        self.backend_id, field.comodel_name, raws, line["ref_object"]
                    )
                )
                for ext, binding in bindings.items():
                    resolved[(line["odoo_field"], ext)] = binding.res_id
        return resolved

    def _ref_values(self, rec, ref_vals, resolved):
        vals = {}
        for fname, (name, raw) in ref_vals.items():
            if raw in (False, None):
                vals[fname] = False
                continue
            res_id = resolved.get((fname, raw))
            if not res_id:
                what = "country" if name.startswith("ref:country") else "related record"
                raise MissingReferenceError(
                    f"{self.remote_object} {rec['id']}: {what} '{raw}' for {fname} is not "
                    f"known in Odoo",
                    pattern=f"missing {what} for {self.res_model}.{fname}",
                )
            vals[fname] = res_id
        return vals

    # ------------------------------------------------------------------ export
    @api.model
    def _export_models(self):
        """Models with an active mapping that exports at least one field."""
        return frozenset(self._export_backends())

    @api.model
    @tools.ormcache()
    def _export_backends(self):
        """{model: frozenset of backend ids}: the backends with an active mapping of the model
        that exports at least one field (cached: the outbox hook reads it on every write)."""
        lines = (
            self.env["sync.mapping.line"]
            .sudo()
            .search(
                [
                    ("direction", "in", ("export", "both")),
                    ("mapping_id.active", "=", True),
                    ("mapping_id.backend_id.active", "=", True),
                ]
            )
        )
        backends = {}
        for mapping in lines.mapping_id:
            backends.setdefault(mapping.res_model, set()).add(mapping.backend_id.id)
        return {model: frozenset(ids) for model, ids in backends.items()}

    def _exported_fields(self):
        return {
            line["odoo_field"] for line in self._lines() if line["direction"] in ("export", "both")
        }

    @api.model
    def _enqueue_exports(self, records, changed_fields=None):
        """Outbox: one pending export job per (mapping, record), in the same transaction as the
        change, so the job exists if and only if the change was committed.  A change written by
        a backend's sync (`no_export_context`) is not exported back to that backend."""
        origins = suppressed_backends(self.env.context)
        if origins is True:
            return
        mappings = self.sudo().search([("res_model", "=", records._name)])
        Job = self.env["sync.job"].sudo()
        for mapping in mappings:
            if mapping.backend_id.id in origins:
                continue
            exported = mapping._exported_fields()
            if changed_fields is not None and not exported & set(changed_fields):
                continue
            targets = records
            if mapping.export_domain and mapping.export_domain.strip() not in ("", "[]"):
                targets = records.filtered_domain(ast.literal_eval(mapping.export_domain))
            if not mapping.export_create:
                bound = self.env["sync.binding"].sudo()._for_records(mapping.backend_id, targets)
                targets = targets.filtered(lambda r, b=bound: r.id in b)
            for record in targets:
                Job._enqueue(
                    mapping.backend_id,
                    "export",
                    payload={"mapping_id": mapping.id, "res_ids": [record.id]},
                    identity_key=f"export:{mapping.id}:{record.id}",
                    batch_key=f"export:{mapping.id}",
                    res_model=record._name,
                    res_id=record.id,
                )

    def _export_records(self, records, job=None):
        """Write the Odoo-owned fields of `records` to the remote in batches; skip records whose
        values were already sent (same hash): a change is never sent twice."""
        self.ensure_one()
        backend = self.backend_id
        lines = self._lines()
        bindings = self.env["sync.binding"].sudo()._for_records(backend, records)
        fnames = sorted(self._exported_fields())
        style = backend._value_style()  # how the remote wants values typed
        items, metas = [], []
        stats = {"sent": 0, "unchanged": 0}
        for row in records.read([*fnames, "write_date"], load=None):
            binding = bindings.get(row["id"])
            out = mapping_logic.map_outbound(
                lines,
                row,
                is_new=not binding,
                remote_updated_at=binding.remote_updated_at if binding else None,
                odoo_updated_at=row["write_date"],
                style=style,
            )
            out_hash = payload_hash(out)
            if not out or (binding and binding.export_hash == out_hash):
                stats["unchanged"] += 1
                continue
            items.append((binding.external_id if binding else None, out))
            metas.append((row["id"], binding, out_hash))
        if not items:
            return stats
        adapter = backend._get_adapter()
        written = adapter.write_batch(self.remote_object, items)
        backend._note_rate_limit(adapter)
        if len(written) != len(items):
            raise ValidationSyncError(
                f"the remote wrote {len(written)} of {len(items)} {self.remote_object}",
                pattern=f"partial write of {self.remote_object}",
            )
        now = fields.Datetime.now()
        for (res_id, binding, out_hash), ext_id in zip(metas, written, strict=True):
            vals = {"export_hash": out_hash, "last_sync_at": now}
            if binding:
                binding.write(vals)
            else:
                self.env["sync.binding"]._bind(
                    backend, self.env[self.res_model].browse(res_id), ext_id, self.remote_object,
                    **vals,
                )  # fmt: skip
            self.env["sync.audit"].sudo().create(
                self._audit_vals(job, {"id": ext_id}, res_id, "export", {})
            )
            stats["sent"] += 1
        return stats


def apply_batch_or_each(cr, records, apply, on_error):
    """Apply `records` as one batch under a savepoint; if the batch fails, apply them one by
    one under savepoints, so one bad record costs one `on_error(rec, exc)`, not the page.
    Lock timeouts, serialization failures and deadlocks are not the records' fault: they are
    raised, so the whole job gives way and is retried.

    `apply(records)` and `on_error(rec, exc)` return stats dicts: numbers are added, lists
    extended; failed records are counted as ``failed``.
    """
    try:
        with cr.savepoint():
            return apply(records)
    except CONCURRENCY_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001  fall back to one record at a time
        _logger.info("batch of %s failed (%s): applying one by one", len(records), exc)
    totals = {"failed": 0}
    for rec in records:
        try:
            with cr.savepoint():
                result = apply([rec])
        except CONCURRENCY_ERRORS:
            raise
        except Exception as rec_exc:  # noqa: BLE001  one bad record, one exception
            totals["failed"] += 1
            result = on_error(rec, rec_exc) or {}
        for key, val in result.items():
            if isinstance(val, list):
                totals.setdefault(key, []).extend(val)
            else:
                totals[key] = totals.get(key, 0) + val
    return totals


def _match_key(method, value):
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if method == "email_domain":
        value = value.lower().rsplit("@", 1)[-1]
        for prefix in ("https://", "http://", "www."):
            value = value.removeprefix(prefix)
        return value.split("/")[0] or None
    if method == "iexact":
        return " ".join(value.lower().split())
    return value


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
