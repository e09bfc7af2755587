from odoo import api, fields, models


class SyncExceptionAssign(models.TransientModel):
    """Assign the selected exceptions to a user (with a to-do activity for them)."""

    _name = "sync.exception.assign"
    _description = "Assign Sync Exceptions"

    @api.model
    def _default_exception_ids(self):
        if self.env.context.get("active_model") != "sync.exception":
            return False
        return [(6, 0, self.env.context.get("active_ids") or [])]

    exception_ids = fields.Many2many(
        "sync.exception",
        string="Exceptions",
        required=True,
        default=lambda self: self._default_exception_ids(),
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assign to",
        required=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )

    def action_confirm(self):
        self.ensure_one()
        self.exception_ids.action_assign(self.user_id)
        return {"type": "ir.actions.act_window_close"}
