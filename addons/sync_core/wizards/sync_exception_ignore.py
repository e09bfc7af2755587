from odoo import fields, models


class SyncExceptionIgnore(models.TransientModel):
    """Ignore the selected exceptions, with a reason kept on each of them."""

    _name = "sync.exception.ignore"
    _inherit = ["sync.exception.wizard.mixin"]
    _description = "Ignore Sync Exceptions"

    reason = fields.Text(required=True, help="Why these exceptions need no action.")

    def action_confirm(self):
        self.ensure_one()
        self.exception_ids.action_ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
