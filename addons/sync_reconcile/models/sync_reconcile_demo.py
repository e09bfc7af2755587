# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The sandbox demo's controls: a reconciliation run of each sandbox PSA once its time and
expenses arrived (`make demo`, step "check")."""

from datetime import timedelta

from odoo import api, fields, models


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _demo_step(self, step):
        """Demo "check": each sandbox PSA is reconciled over its daily window, as the daily
        cron does (without mailing the control report)."""
        res = super()._demo_step(step)
        if step == "check":
            today = fields.Date.context_today(self)
            for backend in self.search([("system_role", "=", "psa"), ("sandbox", "=", True)]):
                run = self.env["sync.reconcile.run"].create(
                    {
                        "backend_id": backend.id,
                        "date_from": today - timedelta(days=backend.reconcile_window_days or 90),
                        "date_to": today,
                    }
                )
                run._execute()
        return res
