# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The delivery figures tie out with sync_reconcile's billing figures for the same project
and months (approved billable time, invoiced, WIP and its age buckets). It needs a PSA
connector's wire fake to stage approved entries: run when sync_psa_kantata is installed (as
in ``make test``), skipped otherwise."""

import unittest

from odoo.modules.registry import Registry
from odoo.tests import get_db_name, tagged

from odoo.addons.sync_reconcile.tests.common import ReconcileCase


@tagged("post_install", "-at_install")
class TestTieOutWithReconcile(ReconcileCase):
    @classmethod
    def setUpClass(cls):
        if "sync_psa_kantata" not in Registry(get_db_name())._init_modules:
            raise unittest.SkipTest("sync_psa_kantata is not installed")
        super().setUpClass()

    def test_same_numbers_where_they_overlap(self):
        self.entry(60, date_performed=self.day(75), rate_in_cents=15000)
        self.entry(120, date_performed=self.day(45), rate_in_cents=15000)
        self.pull()
        self.invoice_order()  # the three hours so far
        self.entry(90, date_performed=self.day(40), rate_in_cents=15000)
        self.entry(30, date_performed=self.day(2), rate_in_cents=15000)
        self.pull()
        run = self.reconcile()
        self.env["sync.insight.view"]._refresh_figures()
        measures = {
            "amount_approved": "delivered_time",
            "amount_invoiced": "invoiced_time",
            "amount_unbilled": "wip",
            "unbilled_0_30": "wip_0_30",
            "unbilled_31_60": "wip_31_60",
            "unbilled_61_90": "wip_61_90",
            "unbilled_90_plus": "wip_90_plus",
        }
        figures = run.figure_ids.filtered(lambda f: f.project_id == self.project)
        self.assertTrue(figures)
        self.assertEqual(figures.currency_id, self.env.company.currency_id)
        Delivery = self.env["sync.insight.delivery"]
        for figure in figures:
            row = Delivery.search(
                [("project_id", "=", self.project.id), ("month", "=", figure.month)]
            )
            for theirs, ours in measures.items():
                self.assertAlmostEqual(row[ours], figure[theirs] or 0.0, msg=(figure.month, ours))
        self.assertAlmostEqual(sum(figures.mapped("amount_approved")), 5.0 * 150)
        self.assertAlmostEqual(sum(figures.mapped("amount_invoiced")), 3.0 * 150)
