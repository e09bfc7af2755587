from odoo import api, fields, models


class SyncExceptionLink(models.TransientModel):
    """Bind the remote record of an exception to an existing Odoo record, then retry."""

    _name = "sync.exception.link"
    _description = "Link Sync Exception to a Record"

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
    backend_id = fields.Many2one(related="exception_id.backend_id")
    remote_object = fields.Char(related="exception_id.remote_object")
    external_id = fields.Char(related="exception_id.external_id")
    res_model = fields.Char(
        string="Odoo model", compute="_compute_res_model", store=True, readonly=True
    )
    res_id = fields.Many2oneReference(
        string="Existing record", model_field="res_model", required=True
    )

    @api.depends("exception_id")
    def _compute_res_model(self):
        for wizard in self:
            exc = wizard.exception_id
            wizard.res_model = exc.mapping_id.res_model or exc.res_model or False

    def action_confirm(self):
        self.ensure_one()
        self.exception_id.action_link_record(self.res_id)
        return {"type": "ir.actions.act_window_close"}
