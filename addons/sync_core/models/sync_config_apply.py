"""Configuration promotion, the receiving side: what a configuration document would change
(added, changed, removed, per field), what it names that this database cannot resolve, and
applying it (all or nothing, audited, a restore point before and after)."""

from odoo import fields, models
from odoo.exceptions import UserError

from .sync_config import FORMAT, resolve_ref


def _title(section):
    return section.replace("_", " ").capitalize()


def _show(value):
    if isinstance(value, dict):
        return next(iter(value.values()), "")
    return "(empty)" if value is None else str(value)


class SyncAudit(models.Model):
    _inherit = "sync.audit"

    operation = fields.Selection(
        selection_add=[("config_remove", "Removed by a configuration")],
        ondelete={"config_remove": "cascade"},
    )


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ diff
    def _config_diff(self, doc):
        """Readable lines: what applying `doc` changes here."""
        self.ensure_one()
        current = self._config_export()
        out = []
        for spec in self._config_specs():
            if spec.section in doc:
                self._config_diff_rows(
                    spec, current.get(spec.section) or {}, doc[spec.section] or {}, "", out
                )
        return out

    def _config_diff_rows(self, spec, old_rows, new_rows, prefix, out):
        label = f"{prefix}{_title(spec.section)}"
        for key in sorted(set(old_rows) | set(new_rows)):
            old, new = old_rows.get(key), new_rows.get(key)
            where = f"{label} {key}"
            if old is None:
                if spec.create:
                    out.append(f"+ {where}: added")
                    self._config_diff_rows_children(spec, {}, new, where, out)
                continue
            if new is None:
                if spec.remove:
                    out.append(f"- {where}: removed")
                elif spec.scope:  # e.g. a schedule: it keeps its pull position, said here
                    out.append(f"= {where}: {self.env._('kept (an import never removes it)')}")
                continue
            for fname in spec.fields:
                if fname in new and new[fname] != old.get(fname):
                    field = self.env[spec.model]._fields[fname]
                    out.append(
                        f"~ {where}: {field._description_string(self.env)} "
                        f"{self._config_show(field, old.get(fname))} -> "
                        f"{self._config_show(field, new[fname])}"
                    )
            self._config_diff_rows_children(spec, old, new, where, out)

    def _config_show(self, field, value):
        """A value as the form shows it: a selection's label, Yes/No, (empty)."""
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if field.type == "many2one" and value:  # by its name here, else its natural key
            record = resolve_ref(self.env, field.comodel_name, value)
            return record.display_name if record else _show(value)
        if field.type == "selection" and value is not None:
            selection = field._description_selection(self.env)
            if isinstance(selection, list):
                return dict(selection).get(value, str(value))
        return _show(value)

    def _config_diff_rows_children(self, spec, old, new, where, out):
        for child in spec.children:
            if child.section in new:
                self._config_diff_rows(
                    child, old.get(child.section) or {}, new[child.section] or {},
                    f"{where} > ", out,
                )  # fmt: skip

    # ------------------------------------------------------------------ checks
    def _config_problems(self, doc):
        """What `doc` names that this database cannot resolve, as sentences; empty: it applies."""
        self.ensure_one()
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return [self.env._("This is not a configuration file of format %s.", FORMAT)]
        problems = []
        if doc.get("backend_kind") != self.kind:
            problems.append(
                self.env._(
                    "The file is for a backend of kind %(file)s, this backend is %(here)s.",
                    file=doc.get("backend_kind"),
                    here=self.kind,
                )  # fmt: skip
            )
        specs = {spec.section: spec for spec in self._config_specs()}
        header = {"format", "odoo_version", "addons", "backend_kind"}
        for section in sorted(set(doc) - header - set(specs)):
            problems.append(
                self.env._("Section %s needs an addon that is not installed here.", section)
            )
        current = self._config_export()
        for section, spec in specs.items():
            for key, row in sorted((doc.get(section) or {}).items()):
                known = key in (current.get(section) or {})
                problems += self._config_row_problems(spec, key, row, None, known)
        return problems

    def _config_row_problems(self, spec, key, row, parent_row, known):
        where = f"{_title(spec.section)} {key}"
        problems = []
        if not known and not spec.create:
            problems.append(self.env._("%s does not exist in this database.", where))
        Model = self.env[spec.model]
        for fname in (*spec.key, *spec.fields):
            field = Model._fields.get(fname)
            if field and field.type == "many2one" and row.get(fname):
                if not resolve_ref(self.env, field.comodel_name, row[fname]):
                    problems.append(
                        self.env._(
                            "%(where)s: %(field)s %(ref)s not found in this database.",
                            where=where,
                            field=fname,
                            ref=_show(row[fname]),
                        )  # fmt: skip
                    )
        problems += self._config_names_problems(spec, row, parent_row, where)
        for child in spec.children:
            for child_key, child_row in sorted((row.get(child.section) or {}).items()):
                problems += self._config_row_problems(
                    child, f"{key} > {child_key}", child_row, row, True
                )
        return problems

    def _config_names_problems(self, spec, row, parent_row, where):
        """Model and field names must exist here (mappings, their lines and match rules)."""
        if spec.model == "sync.mapping" and row.get("res_model") not in self.env:
            return [self.env._("%(where)s: model %(model)s is not installed.", where=where,
                               model=row.get("res_model"))]  # fmt: skip
        if spec.model in ("sync.mapping.line", "sync.mapping.match") and parent_row:
            model = parent_row.get("res_model")
            fname = (row.get("odoo_field") or "").split(".")[0]
            if model in self.env and fname not in self.env[model]._fields:
                return [self.env._("%(where)s: field %(field)s does not exist on %(model)s.",
                                   where=where, field=fname, model=model)]  # fmt: skip
        return []

    # ------------------------------------------------------------------ apply
    def _config_apply(self, doc, label):
        """Apply `doc` here: all or nothing, every change audited; the configuration before
        (when not already a restore point) and after become restore points."""
        self.ensure_one()
        problems = self._config_problems(doc)
        if problems:
            raise UserError(
                self.env._(
                    "Nothing was changed, this configuration cannot be applied:\n%s",
                    "\n".join(f"- {p}" for p in problems),
                )  # fmt: skip
            )
        diff = self._config_diff(doc)
        Snapshot = self.env["sync.config.snapshot"].sudo()
        before = self._config_dump()
        last = Snapshot.search([("backend_id", "=", self.id)], limit=1)
        if last.content != before:
            Snapshot.create(
                {"backend_id": self.id, "name": self.env._("Before %s", label), "content": before}
            )
        for spec in self._config_specs():
            if spec.section in doc:
                scope = self._config_scope_records(spec)
                self._config_apply_rows(spec, scope, doc[spec.section] or {}, None, label)
        snapshot = Snapshot.create(
            {
                "backend_id": self.id,
                "name": label,
                "content": self._config_dump(),
                "diff_text": "\n".join(diff),
            }  # fmt: skip
        )
        self.message_post(
            body=self.env._(
                "Configuration applied: %(label)s\n%(diff)s",
                label=label,
                diff="\n".join(diff) or self.env._("No change"),
            )  # fmt: skip
        )
        return snapshot

    def _config_apply_rows(self, spec, records, rows, parent, label):
        index = self._config_index(spec, records)
        Model = self.env[spec.model].sudo()
        for key, row in sorted(rows.items()):
            record = index.get(key)
            if record is None:
                if not spec.create:
                    continue
                vals = self._config_vals(spec, row, (*spec.key, *spec.fields))
                vals[spec.scope] = (parent or self).id
                record = Model.create(vals)
                self._config_audit(record, "create", {f: [None, v] for f, v in vals.items()},
                                   key, label)  # fmt: skip
            else:
                changed = [
                    f for f in spec.fields
                    if f in row and self._config_value(record, f) != row[f]
                ]  # fmt: skip
                if changed:
                    before = {f: self._config_value(record, f) for f in changed}
                    vals = self._config_vals(spec, row, changed)
                    record.write(vals)
                    changes = {f: [before[f], row[f]] for f in changed}
                    self._config_audit(record, "write", changes, key, label)
            for child in spec.children:
                if child.section in row:
                    self._config_apply_rows(
                        child, self._config_scope_records(child, record),
                        row[child.section] or {}, record, label,
                    )  # fmt: skip
        if spec.remove:
            for key, record in index.items():
                if key not in rows:
                    self._config_audit(record, "config_remove", {}, key, label)
                    record.unlink()

    def _config_vals(self, spec, row, names):
        Model = self.env[spec.model]
        vals = {}
        for fname in names:
            if fname not in row:
                continue
            field = Model._fields[fname]
            value = row[fname]
            if field.type == "many2one":
                value = resolve_ref(self.env, field.comodel_name, value).id or False
            elif value is None and field.type not in ("integer", "float"):
                value = False
            vals[fname] = value or 0 if field.type in ("integer", "float") else value
        return vals

    def _config_audit(self, record, operation, changes, key, label):
        self.env["sync.audit"].sudo().create(
            {
                "backend_id": self.id,
                "correlation_id": f"config: {label}"[:200],
                "user_id": self.env.uid,
                "external_id": key,
                "res_model": record._name,
                "res_id": record.id,
                "operation": operation,
                "changes": {f: [_jsonable(b), _jsonable(a)] for f, (b, a) in changes.items()},
            }
        )


def _jsonable(value):
    return _show(value) if isinstance(value, dict) else value
