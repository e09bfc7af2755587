# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Browser tours (headless Chromium): a finance user opens a reconciliation run and its
control report, one with figures and one that compared nothing."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import ReconcileCase


@tagged("post_install", "-at_install")
class TestTours(ReconcileCase, HttpCase):
    browser_size = "1440x900"

    def finance_user(self):
        return new_test_user(
            self.env,
            "finance",
            name="Fiona Finance",
            groups="sync_core.sync_core_group_user,account.group_account_manager",
        )

    def test_run_and_report_with_figures(self):
        self.entry(60, date_performed=self.day(45), rate_in_cents=15000)
        self.entry(120, date_performed=self.day(5), rate_in_cents=15000)
        self.pull()
        run = self.reconcile()
        self.assertEqual((run.state, run.staged_count), ("done", 2))
        self.assertEqual(self.so_line.currency_id.symbol, "$")
        self.start_tour(
            "/odoo/action-sync_reconcile.sync_reconcile_run_action",
            "sync_reconcile_tour_run_report",
            login=self.finance_user().login,
        )

    def test_run_that_compared_nothing(self):
        run = self.reconcile(check_drift=False)
        self.assertEqual(run.state, "empty")
        self.start_tour(
            "/odoo/action-sync_reconcile.sync_reconcile_run_action",
            "sync_reconcile_tour_nothing_compared",
            login=self.finance_user().login,
        )
