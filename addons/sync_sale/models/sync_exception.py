# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SyncException(models.Model):
    _inherit = "sync.exception"

    affected_ids = fields.One2many("sync.affected", "exception_id", string="Affected")
    affected_partner_id = fields.Many2one(
        "res.partner", string="Customer", related="affected_ids.partner_id"
    )
    affected_project_id = fields.Many2one(
        "project.project", string="Project", related="affected_ids.project_id"
    )
    affected_order_id = fields.Many2one(
        "sale.order", string="Sales order", related="affected_ids.order_id"
    )

    @api.model
    def _main_binding(self, bindings):
        """A won deal is bound to its order and its project: a problem about the deal points
        at the order (the project is reached from it)."""
        orders = bindings.filtered(lambda b: b.active and b.res_model == "sale.order")
        return orders[:1] or super()._main_binding(bindings)
