from odoo import fields, models


class SyncAudit(models.Model):
    """One applied change: who (backend, job, correlation id), what (remote id, Odoo record),
    with which mapping version, and the field-level before/after of the mapped fields."""

    _name = "sync.audit"
    _description = "Sync Audit Entry"
    _order = "id desc"
    _log_access = False

    date = fields.Datetime(default=fields.Datetime.now, required=True, index=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    job_id = fields.Many2one("sync.job", ondelete="set null", index=True)
    correlation_id = fields.Char(index=True)
    mapping_id = fields.Many2one("sync.mapping", ondelete="set null")
    mapping_version = fields.Integer()
    external_id = fields.Char(index=True)
    res_model = fields.Char(string="Odoo model", index=True)
    res_id = fields.Many2oneReference(string="Odoo record id", model_field="res_model", index=True)
    operation = fields.Selection(
        [
            ("create", "Created"),
            ("write", "Updated"),
            ("delete", "Deleted remotely"),
            ("export", "Exported"),
        ],
        required=True,
    )
    changes = fields.Json(help="{field: [before, after]}")
    changes_text = fields.Text(compute="_compute_changes_text")

    def _compute_changes_text(self):
        for audit in self:
            audit.changes_text = "\n".join(
                f"{field}: {before!r} -> {after!r}"
                for field, (before, after) in sorted((audit.changes or {}).items())
            )
