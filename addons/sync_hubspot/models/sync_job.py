# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class SyncJob(models.Model):
    _inherit = "sync.job"

    def _subject_refs(self):
        """A deal job's payload names deal ids only."""
        if self.kind == "hubspot_deal" and isinstance(self.payload, dict):
            ids = [str(i) for i in self.payload.get("ids") or []]
            return "deals", ids, None, []
        return super()._subject_refs()
