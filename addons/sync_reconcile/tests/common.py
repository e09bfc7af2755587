# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields

from odoo.addons.sync_psa_kantata.tests.common import PsaCase


class ReconcileCase(PsaCase):
    """The sync_psa test set-up (Kantata fake over HTTP, a timesheet-billed order and its
    project pushed as a workspace, Alice) with rates that agree: the order line bills 150/h,
    the PSA's entries too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.so_line.price_unit = 150.0
        cls.today = fields.Date.context_today(cls.env["sync.reconcile.run"])
        cls.backend.reconcile_leakage_days = 30

    def day(self, days_ago):
        return (self.today - timedelta(days=days_ago)).isoformat()

    def reconcile(self, date_from=None, date_to=None, **values):
        run = self.env["sync.reconcile.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": date_from or self.today - timedelta(days=120),
                "date_to": date_to or self.today,
                **values,
            }
        )
        self.assertTrue(run._execute(), run.error)
        return run

    def of(self, run, category):
        return run.line_ids.filtered(lambda line: line.category == category)
