# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sync_core.tests.common import duplicate_counts, log_duplicates

from .common import PsaCase

_logger = logging.getLogger(__name__)
ENTRIES = 30


@tagged("post_install", "-at_install", "reliability")
class TestDuplicateTimesheets(PsaCase):
    """Nothing doubled down to the invoiceable lines: approved time entries read by the event
    feed with every event served twice and out of order, the feed read again over its
    lookback, then every page of the filtered lists pulled twice from an empty watermark:
    one timesheet line and one binding per entry, the hours once."""

    def counts(self):
        return duplicate_counts(
            self,
            self.backend,
            (
                ("timesheet lines", "SELECT count(*), count(DISTINCT psa_entry_id)"
                                    " FROM account_analytic_line"
                                    " WHERE psa_backend_id = %(backend)s"),
            ),
        )  # fmt: skip

    def feed(self):
        job = self.enqueue("psa_events", {}, "psa:events")
        self.run_jobs()
        return json.loads(job.result or "{}")

    def test_feed_served_twice_and_pages_pulled_twice(self):
        self.backend._watermark("subscribed_events").cursor_stamp = (
            fields.Datetime.now() - timedelta(hours=1)
        )
        entries = [self.entry(15 + n) for n in range(ENTRIES)]
        self.fake.duplicate_events = True
        self.fake.shuffle_events = True
        first = self.feed()
        self.assertGreater(first["duplicates"], 0, first)
        second = self.feed()  # the same events again over the lookback
        self.assertEqual(second["stored"], 0, second)
        self.backend.page_size = 7  # several pages per list
        before = len(self.fake.calls("GET", "/time_entries"))
        for _round in range(2):
            self.env["sync.watermark"].search(
                [("backend_id", "=", self.backend.id), ("object_name", "=", "time_entries")]
            ).unlink()
            self.pull()
        pages = len(self.fake.calls("GET", "/time_entries")) - before
        self.assertGreaterEqual(pages, 2 * -(-ENTRIES // 7), "every page read by both pulls")
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertFalse(self.exceptions())
        counts = self.counts()
        self.assertEqual(counts["timesheet lines"], (ENTRIES, ENTRIES))
        for what, (rows, distinct) in counts.items():
            self.assertEqual(rows, distinct, what)
        minutes = sum(e["time_in_minutes"] for e in entries)
        lines = self.env["account.analytic.line"].search([("psa_backend_id", "=", self.backend.id)])
        self.assertAlmostEqual(sum(lines.mapped("unit_amount")), minutes / 60, places=2)
        self.assertEqual(set(lines.so_line.ids), set(self.so_line.ids))
        log_duplicates(
            _logger,
            "kantata",
            "feed events served twice and out of order, read again over the lookback, list"
            f" pages pulled twice ({first['duplicates']} duplicate events recognised)",
            ENTRIES,
            "time entries",
            counts,
        )
