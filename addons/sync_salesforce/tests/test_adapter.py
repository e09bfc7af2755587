# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import tagged

from odoo.addons.sync_core.exceptions import (
    AuthenticationError,
    RateLimitedError,
    RemoteUnavailableError,
    SyncError,
    ValidationSyncError,
)
from odoo.addons.sync_salesforce.salesforce_adapter import RATE_LIMIT_BACKOFF, login_url

from .common import SalesforceCase


@tagged("post_install", "-at_install")
class TestAdapter(SalesforceCase):
    def test_collections_200_per_call_positional_with_per_item_errors(self):
        ids = [self.fake.add("Account", {"Name": f"A{i}"}) for i in range(250)]
        self.fake.delete("Account", ids[3])
        adapter = self.backend._get_adapter()
        items = [(rec_id, {"Description": f"d{i}"}) for i, rec_id in enumerate(ids)]
        items.insert(5, (None, {"Name": "Created"}))
        results = adapter.write_collection("Account", items)
        self.assertEqual(len(results), 251)
        self.assertEqual(self.fake.calls("/composite/sobjects", "PATCH"), 2)  # 200 + 50
        self.assertEqual(self.fake.calls("/composite/sobjects", "POST"), 1)
        self.assertFalse(results[3]["success"])
        self.assertNotIn("id", results[3])
        self.assertEqual(results[3]["errors"][0]["statusCode"], "ENTITY_IS_DELETED")
        self.assertTrue(results[5]["success"])
        self.assertEqual(self.fake.get("Account", results[5]["id"])["Name"], "Created")
        self.assertEqual(results[6]["id"], ids[5])
        self.assertEqual(self.fake.get("Account", ids[249])["Description"], "d249")
        # the engine's write_batch names each refused record
        with self.assertRaises(ValidationSyncError) as caught:
            adapter.write_batch("Account", [(ids[3], {"Name": "x"}), (ids[4], {"Name": "y"})])
        self.assertIn(f"{ids[3]}: ENTITY_IS_DELETED", caught.exception.message)
        self.assertEqual(self.fake.get("Account", ids[4])["Name"], "y")

    def test_errors_are_classified_by_status_and_error_code(self):
        adapter = self.backend._get_adapter()
        self.fake.fail_next(1, 503, "SERVER_UNAVAILABLE", "down", path_contains="/query")
        with self.assertRaises(RemoteUnavailableError):
            adapter.read_batch("Account", ["0018d0000000001AAA"])
        self.fake.fail_next(1, 400, "INVALID_FIELD", "No such column 'Foo'", path_contains="/query")
        with self.assertRaises(SyncError) as caught:
            adapter.read_batch("Account", ["0018d0000000001AAA"])
        self.assertFalse(caught.exception.retryable)
        self.assertIn("INVALID_FIELD", caught.exception.message)

    def test_429_is_a_rate_limit_that_honours_retry_after(self):
        """A 429 (Salesforce's edge, REQUEST_LIMIT_EXCEEDED) was read as a permanent refusal:
        the job was dead-lettered at once."""
        adapter = self.backend._get_adapter()
        for retry_after, expected in ((42, 42.0), (None, RATE_LIMIT_BACKOFF)):
            self.fake.fail_next(
                1,
                429,
                "REQUEST_LIMIT_EXCEEDED",
                "Too many requests.",
                path_contains="/query",
                retry_after=retry_after,
            )
            with self.assertRaises(RateLimitedError) as caught:
                adapter.read_batch("Account", ["0018d0000000001AAA"])
            self.assertTrue(caught.exception.retryable)
            self.assertEqual(caught.exception.retry_after, expected)
        self.fake.fail_next(1, 503, "SERVER_UNAVAILABLE", "down", path_contains="/query",
                            retry_after=7)  # fmt: skip
        with self.assertRaises(RemoteUnavailableError) as caught:
            adapter.read_batch("Account", ["0018d0000000001AAA"])
        self.assertEqual(caught.exception.retry_after, 7.0)

    def test_bulk_result_page_cut_short_is_retried_not_applied(self):
        """A Bulk 2.0 CSV page cut short was parsed as fewer records (the last one with empty
        fields): the pull ended done without the rest and moved its watermark past them.  Now
        the page is read again inline, and when it stays cut short the job is retried, nothing
        of the page applied."""
        self.backend.write({"salesforce_bulk_threshold": 10, "salesforce_bulk_page_size": 20})
        ids = [self.fake.add("Account", {"Name": f"Bulk {i:03d}"}) for i in range(30)]
        self.fake.malformed_next(3, path_contains="/results")  # the read and its 2 retries
        job = self.pull("Account")
        self.assertEqual(job.state, "pending", "retried")
        self.assertIn("cut short", job.error)
        self.assertFalse(self.watermark("Account").cursor_id, "the watermark did not move")
        self.assertFalse(self.binding_of(ids[19]), "nothing of the page cut short applied")
        self.fake.malformed_next(1, path_contains="/results")  # read again inline
        results = self.fake.calls("/results")
        job.eta = job.create_date
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.calls("/results") - results, 2 + 1)  # 2 pages, 1 read again
        for record_id in ids:
            self.assertTrue(self.binding_of(record_id))
        self.assertFalse(
            self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]),
            "no record was refused for fields the cut took away",
        )

    def test_bulk_export_continues_inside_a_result_page(self):
        """Engine pages smaller than a result page: the saved state after each one names the
        result page and the rows of it applied; a new adapter given that state reads that
        result page again (by its locator) and yields the rows after them, then the rest."""
        self.backend.write({"salesforce_bulk_threshold": 10, "salesforce_bulk_page_size": 100})
        for i in range(250):
            self.fake.add("Account", {"Name": f"Bulk {i:03d}"})
        adapter = self.backend._get_adapter()
        pages = adapter.iter_changes("Account", None, page_size=40)
        first = [next(pages) for _ in range(4)]  # 40 + 40 + 20 of result page 1, then 40
        state = dict(adapter.export_state)
        self.assertEqual((state["skip"], bool(state["locator"])), (40, True))
        every = [r["id"] for page in first for r in page] + [
            r["id"] for page in pages for r in page
        ]
        self.assertEqual(len(set(every)), 250)
        self.assertIsNone(adapter.export_state["locator"], "the last page: nothing left")
        self.assertFalse(adapter.resumed)
        jobs, results = self.fake.calls("/jobs/query", "POST"), self.fake.calls("/results")

        again = self.backend._get_adapter()
        pages = again.iter_changes("Account", None, page_size=40, resume=state)
        rest = [r["id"] for page in pages for r in page]
        self.assertTrue(again.resumed)
        self.assertEqual(rest, every[140:])
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), jobs, "no new query job")
        self.assertEqual(self.fake.calls("/results") - results, 2)  # pages 2 and 3
        # another query (a field left out of the mapping): that export is not continued
        other = self.backend._get_adapter()
        other.config["fields"] = {"Account": ["Name"]}
        list(other.iter_changes("Account", None, page_size=40, resume=state))
        self.assertFalse(other.resumed)
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), jobs + 1)

    def test_timeout_is_retried_later(self):
        self.backend.timeout = 1
        self.fake.add("Account", {"Name": "Slow"})
        self.fake.timeout_next(1, seconds=3, path_contains="/query")
        job = self.pull("Account")
        self.assertEqual(job.state, "pending")
        self.assertIn("timed out", job.error)

    def test_read_batch_marks_deleted_records_and_drops_bad_ids(self):
        live = self.fake.add("Account", {"Name": "Live"})
        gone = self.fake.add("Account", {"Name": "Gone"})
        self.fake.delete("Account", gone)
        records = self.backend._get_adapter().read_batch(
            "Account", [live, gone, "x' OR Name != '", "0018d0000000999AAA"]
        )
        by_id = {r["id"]: r for r in records}
        self.assertEqual(set(by_id), {live, gone})
        self.assertFalse(by_id[live]["archived"])
        self.assertTrue(by_id[gone]["archived"])
        self.assertEqual(by_id[live]["data"]["Name"], "Live")

    def test_job_result_counts_remote_calls(self):
        self.fake.add("Account", {"Name": "One"})
        job = self.pull("Account")
        self.assertGreaterEqual(json.loads(job.result)["remote_calls"], 2)  # login + query

    def test_login_host_by_environment_or_my_domain(self):
        self.assertEqual(login_url({}), "https://login.salesforce.com")
        self.assertEqual(login_url({"sandbox": True}), "https://test.salesforce.com")
        self.assertEqual(
            login_url({"login_url": "acme.my.salesforce.com/", "sandbox": True}),
            "https://acme.my.salesforce.com",
        )
        self.assertEqual(login_url({"login_url": "http://127.0.0.1:8991"}), "http://127.0.0.1:8991")
        with self.assertRaises(AuthenticationError):
            login_url({"login_url": "http://acme.my.salesforce.com"})

    def test_documented_error_bodies_give_readable_reasons(self):
        """Error bodies of Salesforce's REST documentation and of recorded traffic: several
        errors with ``fields``, one object alone, a gateway's HTML page: a reason on one line
        with the errorCode, never a crash."""
        adapter = self.backend._get_adapter()
        several = [
            {
                "message": "Required fields are missing: [Name]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": ["Name"],
            },
            {
                "message": "bad value for picklist",
                "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "fields": [],
            },
        ]
        single = {"errorCode": "MALFORMED_QUERY", "message": "unexpected token: 'FROM'"}
        page = "<html>\n<head><title>Service Unavailable</title></head>\n</html>"
        for status, body, expected, error in (
            (
                400,
                several,
                "REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (and 1 more error)",
                SyncError,
            ),
            (400, single, "MALFORMED_QUERY: unexpected token: 'FROM'", SyncError),
            (503, page, "<head><title>Service Unavailable</title></head>", RemoteUnavailableError),
        ):
            self.fake.fail_next(1, status, body=body, path_contains="/query")
            with self.assertRaises(error) as caught:
                adapter.read_batch("Account", ["0018d0000000001AAA"])
            self.assertIn(expected, caught.exception.message)
            self.assertNotIn("\n", caught.exception.message)

    def test_query_pages_follow_next_records_url(self):
        """A REST query answer as documented: ``totalSize``, ``done`` false with a
        ``nextRecordsUrl``, ``attributes`` per record, a relationship as a nested object or
        null; an answer with ``done`` false and no ``nextRecordsUrl`` is a retried error."""
        adapter = self.backend._get_adapter()
        first = {
            "totalSize": 3,
            "done": False,
            "nextRecordsUrl": "/services/data/v59.0/query/01gD0000002HU6KIAW-2000",
            "records": [
                {
                    "attributes": {
                        "type": "Contact",
                        "url": "/services/data/v59.0/sobjects/Contact/0038d000004XyZ1AAK",
                    },
                    "Id": "0038d000004XyZ1AAK",
                    "Account": {
                        "attributes": {"type": "Account", "url": "/x"},
                        "Name": "Acme",
                    },
                },
                {"attributes": {"type": "Contact"}, "Id": "0038d000004XyZ2AAK", "Account": None},
            ],
        }
        last = {
            "totalSize": 3,
            "done": True,
            "records": [{"attributes": {"type": "Contact"}, "Id": "0038d000004XyZ3AAK"}],
        }
        self.fake.fail_next(1, 200, body=first, path_contains="/query")
        self.fake.fail_next(1, 200, body=last, path_contains="/query/01gD0000002HU6KIAW-2000")
        pages = list(adapter.query_pages("SELECT Id, Account.Name FROM Contact"))
        self.assertEqual([len(p["records"]) for p in pages], [2, 1])
        self.assertEqual(pages[0]["records"][0]["Account"]["Name"], "Acme")
        broken = {k: v for k, v in first.items() if k != "nextRecordsUrl"}
        self.fake.fail_next(1, 200, body=broken, path_contains="/query")
        with self.assertRaises(RemoteUnavailableError) as caught:
            list(adapter.query_pages("SELECT Id FROM Contact"))
        self.assertIn("nextRecordsUrl", caught.exception.message)
