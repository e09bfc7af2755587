import json

from odoo import fields, models


class SyncMappingVersion(models.Model):
    """Frozen copy of a mapping's lines; each applied change records the version it used."""

    _name = "sync.mapping.version"
    _description = "Sync Mapping Version"
    _order = "mapping_id, version desc"

    mapping_id = fields.Many2one("sync.mapping", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    version = fields.Integer(required=True)
    snapshot = fields.Json(required=True)
    snapshot_text = fields.Text(compute="_compute_snapshot_text")

    _mapping_version_uniq = models.Constraint(
        "UNIQUE(mapping_id, version)", "Mapping versions are unique."
    )

    def _compute_snapshot_text(self):
        for version in self:
            version.snapshot_text = json.dumps(version.snapshot, indent=2)
