from odoo import api, fields, models


class SyncConfigSnapshot(models.Model):
    """A restore point: the configuration of a backend as it was applied (the exported file's
    text), who applied it and when.  "Roll back" opens the import wizard with this text."""

    _name = "sync.config.snapshot"
    _description = "Sync Configuration Restore Point"
    _order = "id desc"

    name = fields.Char(string="Applied", required=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    content = fields.Text(string="Configuration", required=True, readonly=True)
    diff_text = fields.Text(string="Changes applied", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Applied by", default=lambda self: self.env.user, readonly=True
    )
    is_current = fields.Boolean(compute="_compute_is_current")

    @api.depends("content")
    def _compute_is_current(self):
        current = {backend.id: backend._config_dump() for backend in self.backend_id}
        for snapshot in self:
            snapshot.is_current = snapshot.content == current.get(snapshot.backend_id.id)

    def action_rollback(self):
        """Show what going back to this restore point changes; applied after confirmation."""
        self.ensure_one()
        wizard = self.env["sync.config.import"].create(
            {"backend_id": self.backend_id.id, "snapshot_id": self.id}
        )
        wizard.action_review()
        return wizard._reopen()
