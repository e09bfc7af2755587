from odoo import api, fields, models


class SyncWatermarkResync(models.TransientModel):
    """Full resync from a date: move the watermark's cursor back, then pull now."""

    _name = "sync.watermark.resync"
    _description = "Resync a Watermark from a Date"

    @api.model
    def _default_watermark_id(self):
        if self.env.context.get("active_model") != "sync.watermark":
            return False
        return self.env.context.get("active_id")

    watermark_id = fields.Many2one(
        "sync.watermark",
        required=True,
        ondelete="cascade",
        default=lambda self: self._default_watermark_id(),
    )
    backend_id = fields.Many2one(related="watermark_id.backend_id")
    object_name = fields.Char(related="watermark_id.object_name")
    cursor_stamp = fields.Datetime(related="watermark_id.cursor_stamp", string="Current cursor")
    since = fields.Datetime(
        string="Resync from",
        required=True,
        help="Every remote record modified since this date is read again. "
        "Records whose payload did not change are skipped.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.watermark_id.write({"cursor_stamp": self.since, "cursor_id": False})
        self.watermark_id.action_pull_now()
        return {"type": "ir.actions.act_window_close"}
