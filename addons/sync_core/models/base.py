from odoo import api, models

from .sync_mapping import suppressed_backends


class Base(models.AbstractModel):
    """Outbox hook: a change to an exported field of a mapped model enqueues an export job in
    the same transaction.  Writes made by the sync itself carry `sync_no_export` naming the
    backend(s) they come from: they are not exported back there (echo suppression), but are to
    every other backend whose mapping exports the model (a project made from a CRM deal goes
    to the PSA).  `sync_no_export=True` exports to no backend at all."""

    _inherit = "base"

    def _sync_export_candidate(self):
        if not self or self._transient:
            return False
        origins = suppressed_backends(self.env.context)
        if origins is True:
            return False
        if self._name.startswith(("sync.", "ir.", "mail.", "bus.", "res.users")):
            return False
        if "sync.mapping" not in self.env.registry:
            return False
        # no query: the exporting backends of each model are cached
        backends = self.env["sync.mapping"]._export_backends().get(self._name)
        return bool(backends) and not backends <= origins

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
