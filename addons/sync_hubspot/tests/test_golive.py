# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.sync_core.tests.common import go_live_as_worker, row_counts

from .test_deals import DealCase

BUSINESS = (
    "sale_order",
    "sale_order_line",
    "project_project",
    "res_partner",
    "crm_lead",
    "sync_binding",
    "sync_job",
    "sync_exception",
    "sync_watermark",
    "sync_audit",
)


class TestGoLiveDeals(DealCase):
    """Deals, which the connector applies itself (no mapping), in the go-live preview: their
    pull rehearsed and rolled back, then pulled for real by the go-live."""

    def counts(self):
        return row_counts(self.env, BUSINESS)

    def test_preview_rehearses_deals_then_go_live_pulls_them(self):
        _company, won = self.won_deal()
        _company, broken = self.won_deal("Broken deal", skus=("RA-200", "NOPE-1"))
        open_deal = self.fake.add(
            "deals", {"dealname": "Still open", "dealstage": "appointmentscheduled"}
        )
        preview = self.env["sync.golive.preview"].create({"backend_id": self.backend.id})
        before = self.counts()
        preview.action_run_preview()
        self.assertEqual(self.counts(), before, "a preview writes no business row")
        lines = {ln.external_id: ln for ln in preview.line_ids if ln.remote_object == "deals"}
        self.assertEqual(set(lines), {won, broken, open_deal})
        self.assertEqual(lines[won].outcome, "create")
        self.assertEqual(lines[won].remote_name, "Warehouse automation")
        self.assertIn("sale.order", lines[won].detail)
        self.assertEqual(lines[broken].outcome, "rejected")
        self.assertIn("NOPE-1", lines[broken].detail)
        self.assertEqual(lines[open_deal].outcome, "unchanged")
        self.assertIn("not won", lines[open_deal].detail)
        self.assertIn("data-outcome='create'", preview.summary)

        lines[broken].action_skip()
        go_live_as_worker(self, preview)
        self.assertIn("deals: pull job", preview.live_result)
        self.run_jobs()
        self.assertEqual(len(self.orders_of(won)), 1, "the go-live pulls the deals for real")
        self.assertFalse(self.orders_of(broken))
        self.assertFalse(
            self.env["sync.exception"].search(
                [("backend_id", "=", self.backend.id), ("name", "ilike", "NOPE-1")]
            ),
            "the skipped deal is left out",
        )
        wm = self.backend.watermark_ids.filtered(lambda w: w.object_name == "deals")
        self.assertTrue(wm.cursor_stamp, "the deals' watermark is set")
