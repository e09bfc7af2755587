import json

from odoo import api, fields, models


class SyncMappingVersion(models.Model):
    """Frozen copy of a mapping's lines; each applied change records the version it used."""

    _name = "sync.mapping.version"
    _description = "Sync Mapping Version"
    _order = "mapping_id, version desc"

    mapping_id = fields.Many2one("sync.mapping", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    version = fields.Integer(required=True, aggregator=False)
    snapshot = fields.Json(required=True)
    snapshot_text = fields.Text(compute="_compute_snapshot_text")
    diff_text = fields.Text(
        string="Changes",
        compute="_compute_diff_text",
        help="What changed since the version before.",
    )

    _mapping_version_uniq = models.Constraint(
        "UNIQUE(mapping_id, version)", "Mapping versions are unique."
    )

    def _compute_snapshot_text(self):
        for version in self:
            version.snapshot_text = json.dumps(version.snapshot, indent=2)

    @api.depends("snapshot", "mapping_id.version_ids")
    def _compute_diff_text(self):
        for version in self:
            previous = version.mapping_id.version_ids.filtered(
                lambda v, n=version.version: v.version < n
            ).sorted("version")[-1:]
            version.diff_text = "\n".join(
                snapshot_diff(previous.snapshot if previous else {}, version.snapshot or {})
            ) or self.env._("No change")


def _line_label(line):
    return f"{line.get('remote_field')} -> {line.get('odoo_field')}"


def snapshot_diff(old, new):
    """Readable lines saying what changed between two mapping snapshots."""
    out = []
    for key in ("remote_object", "res_model", "default_values", "delete_policy"):
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key) or '-'} -> {new.get(key) or '-'}")
    old_lines = {_line_label(ln): ln for ln in old.get("lines") or []}
    new_lines = {_line_label(ln): ln for ln in new.get("lines") or []}
    for label, line in new_lines.items():
        before = old_lines.get(label)
        if before is None:
            out.append(f"+ {label} ({line.get('transform')}, {line.get('direction')})")
            continue
        for key in sorted(set(line) | set(before)):
            if line.get(key) != before.get(key):
                out.append(f"~ {label}: {key} {before.get(key)} -> {line.get(key)}")
    out.extend(f"- {label}" for label in old_lines if label not in new_lines)
    return out
