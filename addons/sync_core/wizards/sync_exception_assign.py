from odoo import fields, models


class SyncExceptionAssign(models.TransientModel):
    """Assign the selected exceptions to a user (with a to-do activity for them)."""

    _name = "sync.exception.assign"
    _inherit = ["sync.exception.wizard.mixin"]
    _description = "Assign Sync Exceptions"

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
