from odoo import api, models

from .sync_mapping import NO_EXPORT


class Base(models.AbstractModel):
    """Outbox hook: a change to an exported field of a mapped model enqueues an export job in
    the same transaction.  Writes made by the sync itself carry `sync_no_export` and never do
    (echo suppression)."""

    _inherit = "base"

    def _sync_export_candidate(self):
        if self.env.context.get(NO_EXPORT) or not self or self._transient:
            return False
        if self._name.startswith(("sync.", "ir.", "mail.", "bus.", "res.users")):
            return False
        if "sync.mapping" not in self.env.registry:
            return False
        return self._name in self.env["sync.mapping"]._export_models()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if records._sync_export_candidate():
            self.env["sync.mapping"]._enqueue_exports(records)
        return records

    def write(self, vals):
        res = super().write(vals)
        if self._sync_export_candidate():
            self.env["sync.mapping"]._enqueue_exports(self, changed_fields=vals.keys())
        return res
