# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 pulls: the engine's pull reads the watermark's delta link (change tracking)
and keeps the new one; after an expired token's full re-read, bound ids not seen are deleted."""

from odoo import fields, models

from odoo.addons.sync_core.adapter import counted_adapters


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        if self.kind != "dynamics":
            return super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)
        with counted_adapters() as made:
            totals = super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)
        reader = next((a for a in made if object_name in getattr(a, "new_delta_links", {})), None)
        if reader is None or dry_run or "skipped" in totals:
            return totals
        wm = self._watermark(object_name)
        seen = reader.full_reads.get(object_name)
        if seen is not None:
            totals.update(self._pull_reconcile(object_name, seen, job, apply_page))
            wm.dynamics_reconciled_at = fields.Datetime.now()
        wm.dynamics_delta_link = reader.new_delta_links[object_name]
        return totals
