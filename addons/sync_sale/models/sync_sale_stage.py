# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncSaleStage(models.Model):
    """Stage routing of mirrored opportunities: a remote deal stage (id or label) -> the CRM
    stage its opportunity is put in.  Without a row, a CRM stage of the same name is used."""

    _name = "sync.sale.stage"
    _description = "Sync: CRM stage of a remote deal stage"
    _order = "backend_id, remote_stage, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    remote_stage = fields.Char(
        required=True, help="Remote stage id or label (compared case-insensitively)."
    )
    stage_id = fields.Many2one("crm.stage", string="CRM stage", required=True, ondelete="cascade")

    _remote_stage_uniq = models.UniqueIndex(
        "(backend_id, lower(remote_stage))",
        "This remote stage is already mapped on this backend.",
    )
