# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SyncBoundMixin(models.AbstractModel):
    """A smart button from a business record (customer, order, project, opportunity) to its
    bindings: which remote record of which backend it is."""

    _name = "sync.bound.mixin"
    _description = "Sync: link to the remote records a record is bound to"

    sync_binding_count = fields.Integer(
        string="Remote records",
        compute="_compute_sync_binding_count",
        compute_sudo=True,
        groups="sync_core.sync_core_group_user",
    )

    @api.depends_context("uid")
    def _compute_sync_binding_count(self):
        counts = dict(
            self.env["sync.binding"]
            .sudo()
            ._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for record in self:
            record.sync_binding_count = counts.get(record.id, 0)

    def action_open_sync_bindings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Remote records"),
            "res_model": "sync.binding",
            "view_mode": "list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
            "context": {"active_test": False, "create": False},
        }
