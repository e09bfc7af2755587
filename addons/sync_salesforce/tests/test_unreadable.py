# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A query record the connector cannot read (no Id, as in Salesforce's documentation examples)
is one exception naming it, with its raw record; the rest of its page lands and the watermark
moves on (REST query, Bulk 2.0 CSV, webhook re-fetch)."""

import json

from odoo.tests import tagged

from .common import SalesforceCase


@tagged("post_install", "-at_install")
class TestUnreadableRecords(SalesforceCase):
    def _unreadable_exceptions(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("pattern", "=", "unreadable Account record")]
        )

    def _accounts_with_one_without_id(self, count=5):
        ids = [self.fake.add("Account", {"Name": f"Good {i}"}) for i in range(count)]
        bad = self.fake.add("Account", {"Name": "No Id Inc"}, omit=("Id",))
        ids.append(self.fake.add("Account", {"Name": "Good after"}))
        return ids, bad

    def _assert_one_exception_rest_applied(self, ids):
        exception = self._unreadable_exceptions()
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "payload")
        self.assertIn("A record of Account without an id cannot be read", exception.name)
        self.assertIn("without an Id", exception.name)
        raw = json.loads(exception.payload_text)
        self.assertEqual(raw["Name"], "No Id Inc")
        self.assertFalse(raw.get("Id"), "no Id (REST: no key; Bulk CSV: an empty cell)")
        for external_id in ids:
            self.assertTrue(self.record_of(external_id), external_id)
        return exception

    def test_rest_query_record_without_id(self):
        ids, _bad = self._accounts_with_one_without_id()
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["read"], stats["created"], stats["unreadable"]), (7, 6, 1))
        self._assert_one_exception_rest_applied(ids)
        wm = self.watermark("Account")
        self.assertEqual(wm.cursor_id, ids[-1], "the watermark moved past the unreadable record")
        # the next pull reads it again (look-back): the same exception, counted again
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        exception = self._unreadable_exceptions()
        self.assertEqual((len(exception), exception.occurrences), (1, 2))

    def test_bulk_csv_row_without_id(self):
        self.backend.write({"salesforce_bulk_threshold": 3, "salesforce_bulk_page_size": 4})
        ids, _bad = self._accounts_with_one_without_id()
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        self.assertGreaterEqual(self.fake.calls("/results"), 2)
        stats = json.loads(job.result)
        self.assertEqual((stats["read"], stats["created"], stats["unreadable"]), (7, 6, 1))
        self._assert_one_exception_rest_applied(ids)
        self.assertEqual(self.watermark("Account").cursor_id, ids[-1])

    def test_webhook_refetch_record_without_id(self):
        ids, bad = self._accounts_with_one_without_id(count=2)
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "Account", "ids": [*ids, bad]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["created"], stats["unreadable"]), (3, 1))
        self._assert_one_exception_rest_applied(ids)
