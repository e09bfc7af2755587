from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import mapping as mapping_logic
from ..exceptions import SyncError


class SyncMappingPreview(models.TransientModel):
    """Dry run of one mapping on the last record it synced: the remote record is read again
    and mapped with the mapping as it is now; nothing is written.  Shows, field by field, the
    Odoo value now and the value a sync would set."""

    _name = "sync.mapping.preview"
    _description = "Sync Mapping Preview (dry run)"

    mapping_id = fields.Many2one("sync.mapping", required=True, readonly=True)
    external_id = fields.Char(string="Remote record", readonly=True)
    record_name = fields.Char(string="Odoo record", readonly=True)
    summary = fields.Char(readonly=True)
    line_ids = fields.One2many("sync.mapping.preview.line", "preview_id", readonly=True)

    @api.model
    def _for_mapping(self, mapping):
        """A preview of `mapping` on its most recently synced record (read from the remote)."""
        mapping.ensure_one()
        binding = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", mapping.backend_id.id),
                    ("res_model", "=", mapping.res_model),
                    ("remote_object", "in", (mapping.remote_object, False)),
                    ("active", "=", True),
                ],
                order="last_sync_at desc, id desc",
                limit=1,
            )
        )
        if not binding:
            raise UserError(
                self.env._(
                    "Nothing synced yet for %(mapping)s: pull once, then preview.",
                    mapping=mapping.display_name,
                )
            )
        try:
            records = mapping.backend_id._get_adapter().read_batch(
                mapping.remote_object, [binding.external_id]
            )
        except SyncError as exc:
            raise UserError(
                self.env._("Reading the remote record failed: %(msg)s", msg=exc.message)
            ) from exc
        if not records:
            raise UserError(
                self.env._(
                    "%(object)s %(id)s no longer exists in the remote system.",
                    object=mapping.remote_object,
                    id=binding.external_id,
                )
            )
        return self.create(self._values(mapping, records[0], binding))

    @api.model
    def _values(self, mapping, rec, binding):
        """The preview of one remote record `rec` (adapter format) bound by `binding`."""
        Model = self.env[mapping.res_model]
        record = Model.browse(binding.res_id).exists()
        line_checks = mapping.line_ids._remote_field_checks()
        mapping.line_ids._keep_remote_field_checks(line_checks)
        checks = {line.remote_field: check for line, check in line_checks.items()}
        lines = mapping._lines()
        fnames = [ln["odoo_field"] for ln in lines if ln["odoo_field"] in Model._fields]
        before = record.read([*fnames, "write_date"], load=None)[0] if record else {}
        vals, ref_vals, conflicts = mapping_logic.map_inbound(
            lines,
            rec.get("data") or {},
            is_new=not record,
            remote_updated_at=rec.get("updated_at"),
            odoo_updated_at=before.get("write_date"),
        )
        errors = {}
        refs = mapping._resolve_refs([rec], lines)
        for fname, ref in ref_vals.items():
            try:
                vals.update(mapping._ref_values(rec, {fname: ref}, refs))
            except SyncError as exc:
                errors[fname] = exc.message
        rows = preview_lines(
            self.env, Model, lines, before, vals, conflicts, errors, checks, rec.get("data") or {}
        )
        changed = sum(1 for row in rows if row["changed"])
        unchecked = sorted({note for state, note in checks.values() if state == "unchecked"})
        return {
            "mapping_id": mapping.id,
            "external_id": f"{mapping.remote_object} {rec['id']}",
            "record_name": record.display_name if record else self.env._("(would be created)"),
            "summary": self.env._(
                "%(n)s of %(total)s field(s) would change (mapping version %(v)s); nothing "
                "was written.",
                n=changed,
                total=len(rows),
                v=mapping.version,
            )
            + "".join(f" {self.env._('Remote fields')} {note}." for note in unchecked if note),
            "line_ids": [(0, 0, row) for row in rows],
        }


class SyncMappingPreviewLine(models.TransientModel):
    _name = "sync.mapping.preview.line"
    _description = "Sync Mapping Preview Line"
    _order = "preview_id, sequence, id"

    preview_id = fields.Many2one("sync.mapping.preview", required=True, ondelete="cascade")
    sequence = fields.Integer()
    field_label = fields.Char(string="Odoo field")
    remote_field = fields.Char()
    before = fields.Char(string="In Odoo now")
    after = fields.Char(string="After a sync")
    changed = fields.Boolean()
    flagged = fields.Boolean(help="The remote field is unknown to the remote system.")
    note = fields.Char()


def display_value(env, field, value):
    """A value as a user reads it (names of linked records, labels of selections)."""
    if value in (False, None, ""):
        return ""
    if field is not None and field.type == "many2one" and isinstance(value, int):
        return env[field.comodel_name].browse(value).exists().display_name or str(value)
    if field is not None and field.type == "selection" and not callable(field.selection):
        return dict(field.selection).get(value, str(value))
    if field is not None and field.type == "boolean":
        return env._("Yes") if value else env._("No")
    return str(value)


def preview_lines(env, model, lines, before, vals, conflicts, errors, checks=None, data=None):
    """Preview lines, one per mapped field (what `_preview_values` shows); `checks`:
    {remote field: (state, note)} of the remote field checks, `data` the remote record's."""
    out = []
    checks = checks or {}
    for seq, line in enumerate(lines):
        fname = line["odoo_field"]
        field = model._fields.get(fname)
        label = field.get_description(env)["string"] if field is not None else fname
        old = before.get(fname)
        if isinstance(old, tuple):  # many2one read as (id, name)
            old = old[0]
        note = ""
        state, check_note = checks.get(line["remote_field"], ("unchecked", ""))
        if state == "unknown":
            new, note = (
                old,
                env._(
                    "%(note)s Nothing is read from it or written to it: the Odoo value is kept.",
                    note=check_note,
                ),
            )
        elif line["direction"] == "export":
            new, note = old, env._("Exported only: Odoo's value is sent")
        elif fname in errors:
            new, note = old, errors[fname]
        elif fname in conflicts:
            new, note = old, env._("Odoo is the system of record: kept")
        elif data is not None and not mapping_logic.has_path(data, line["remote_field"]):
            new, note = old, env._("Not in the remote record: the Odoo value is kept")
        else:
            new = vals.get(fname, old)
        out.append(
            {
                "sequence": seq,
                "field_label": label,
                "remote_field": line["remote_field"],
                "before": display_value(env, field, old),
                "after": display_value(env, field, new),
                "changed": old != new and fname not in errors,
                "flagged": state == "unknown",
                "note": note,
            }
        )
    return out
