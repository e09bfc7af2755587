# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

CATEGORY = "reconciliation"
# context key of a reconciliation run closing the differences it no longer finds
RUN_CLOSES = "sync_reconcile_closing"


class SyncException(models.Model):
    _inherit = "sync.exception"

    category = fields.Selection(
        selection_add=[(CATEGORY, "Reconciliation")],
        ondelete={CATEGORY: "cascade"},
    )

    def _mark_resolved(self, reason, by_job=None, job_result=None):
        """A reconciliation difference is closed by the run that no longer finds it, never by
        a job or a pull that applied its record (the difference may well remain)."""
        if not self.env.context.get(RUN_CLOSES):
            self = self.filtered(lambda e: e.category != CATEGORY)
        return super()._mark_resolved(reason, by_job=by_job, job_result=job_result)
