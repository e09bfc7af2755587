from odoo import api, fields, models


class SyncExceptionWizard(models.AbstractModel):
    """A dialog opened from one exception (its form's button)."""

    _name = "sync.exception.wizard"
    _description = "Dialog on One Sync Exception"

    @api.model
    def _default_exception_id(self):
        if self.env.context.get("active_model") != "sync.exception":
            return False
        return self.env.context.get("active_id")

    exception_id = fields.Many2one(
        "sync.exception",
        required=True,
        ondelete="cascade",
        default=lambda self: self._default_exception_id(),
    )


class SyncExceptionLink(models.TransientModel):
    """Bind the remote record of an exception to an existing Odoo record, then retry."""

    _name = "sync.exception.link"
    _inherit = ["sync.exception.wizard"]
    _description = "Link Sync Exception to a Record"

    backend_id = fields.Many2one(related="exception_id.backend_id")
    remote_object = fields.Char(compute="_compute_res_model", store=True)
    external_id = fields.Char(string="Remote id", compute="_compute_res_model", store=True)
    res_model = fields.Char(
        string="Odoo model", compute="_compute_res_model", store=True, readonly=True
    )
    res_id = fields.Many2oneReference(
        string="Existing record", model_field="res_model", required=True
    )

    @api.depends("exception_id")
    def _compute_res_model(self):
        for wizard in self:
            target = wizard.exception_id._link_target() if wizard.exception_id else (False,) * 3
            wizard.res_model, wizard.remote_object, wizard.external_id = target

    def action_confirm(self):
        self.ensure_one()
        return _close_after(self.exception_id.action_link_record(self.res_id))


def _close_after(action):
    """A notification action from the exception (what the retry did), closing the dialog."""
    if isinstance(action, dict) and action.get("tag") == "display_notification":
        action["params"]["next"] = {"type": "ir.actions.act_window_close"}
        return action
    return {"type": "ir.actions.act_window_close"}
