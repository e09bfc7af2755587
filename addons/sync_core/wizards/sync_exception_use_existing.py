from odoo import api, fields, models

from .sync_exception_link import _close_after


class SyncExceptionUseExisting(models.TransientModel):
    """Missing product (record keyed by a code, e.g. a SKU): choose the existing record that
    stands for it; its key field (the product's Internal Reference) is set to the code, then
    the work is retried."""

    _name = "sync.exception.use.existing"
    _inherit = ["sync.exception.wizard"]
    _description = "Use an Existing Record for a Sync Exception"

    key = fields.Char(string="Remote code (SKU)", compute="_compute_key", store=True)
    res_model = fields.Char(compute="_compute_key", store=True)
    res_id = fields.Many2oneReference(
        string="Existing product", model_field="res_model", required=True
    )
    current_key = fields.Char(string="Its current reference", compute="_compute_current_key")

    @api.depends("exception_id")
    def _compute_key(self):
        for wizard in self:
            exc = wizard.exception_id
            wizard.key = exc.fix_missing_key or False
            wizard.res_model = (exc.fix_data or {}).get("model") or "product.product"

    @api.depends("res_model", "res_id")
    def _compute_current_key(self):
        for wizard in self:
            key_field = (wizard.exception_id.fix_data or {}).get("key_field")
            record = (
                self.env[wizard.res_model].browse(wizard.res_id).exists()
                if wizard.res_model in self.env and wizard.res_id and key_field
                else None
            )
            wizard.current_key = record[key_field] if record else False

    def action_confirm(self):
        self.ensure_one()
        return _close_after(self.exception_id.action_fix_use_existing(self.res_id, self.key))
