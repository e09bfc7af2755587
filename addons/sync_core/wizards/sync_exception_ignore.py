from odoo import api, fields, models


class SyncExceptionIgnore(models.TransientModel):
    """Ignore the selected exceptions, with a reason kept on each of them."""

    _name = "sync.exception.ignore"
    _description = "Ignore Sync Exceptions"

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
    reason = fields.Text(required=True, help="Why these exceptions need no action.")

    def action_confirm(self):
        self.ensure_one()
        self.exception_ids.action_ignore(self.reason)
        return {"type": "ir.actions.act_window_close"}
