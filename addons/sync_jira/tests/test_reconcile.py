# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from datetime import timedelta
from unittest import SkipTest

from odoo.tests import tagged

from .common import JiraCase


@tagged("post_install", "-at_install")
class TestJiraReconcile(JiraCase):
    """sync_reconcile on a Tempo backend, unchanged (when installed): approved Tempo seconds,
    timesheets and invoice lines tie out; a planted loss is one difference."""

    def setUp(self):
        super().setUp()
        if "sync.reconcile.run" not in self.env:
            raise SkipTest("sync_reconcile is not installed")

    def reconcile(self):
        run = self.env["sync.reconcile.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": self.monday - timedelta(days=7),
                "date_to": self.monday + timedelta(days=13),
            }
        )
        self.assertTrue(run._execute(), run.error)
        return run

    def test_tempo_time_ties_out_then_a_planted_loss_is_one_difference(self):
        split = self.fake.log(self.issue, self.alice_id, 3 * 3600, self.monday, 2 * 3600)
        lost = self.fake.log(self.issue, self.alice_id, 3600, self.monday + timedelta(days=1))
        self.fake.log(self.issue, self.alice_id, 3600, self.monday + timedelta(days=7))  # open
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        self.assertEqual(len(self.lines(split)), 2)
        run = self.reconcile()
        self.assertFalse(run.line_ids, run.line_ids.mapped("message"))
        self.env.cr.execute(
            "DELETE FROM account_analytic_line WHERE psa_entry_id = %s", [str(lost)]
        )
        self.env.invalidate_all()
        run = self.reconcile()
        self.assertEqual(run.line_ids.mapped("category"), ["missing"])
        self.assertEqual(run.line_ids.entry_id, str(lost))
