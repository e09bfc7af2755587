from odoo import api, fields, models


class SyncExceptionWizardMixin(models.AbstractModel):
    """The exceptions a wizard acts on: those selected in the list it was opened from."""

    _name = "sync.exception.wizard.mixin"
    _description = "Wizard on selected sync exceptions"

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
