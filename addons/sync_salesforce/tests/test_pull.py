# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SalesforceCase


def _stats(job):
    return json.loads(job.result or "{}")


@tagged("post_install", "-at_install")
class TestPull(SalesforceCase):
    def test_accounts_then_contacts_under_their_account(self):
        acme = self.fake.add(
            "Account",
            {"Name": "Acme", "Website": "acme.example", "BillingCountry": "Belgium"},
        )
        self.fake.add(
            "Contact",
            {"FirstName": "Ann", "LastName": "Lee", "Email": "ANN@acme.example", "AccountId": acme},
        )
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        company = self.record_of(acme)
        self.assertTrue(company.is_company)
        self.assertEqual(company.country_id.code, "BE")
        job = self.pull("Contact")
        self.assertEqual(job.state, "done", job.error)
        person = self.env["res.partner"].search([("email", "=", "ann@acme.example")])
        self.assertEqual(person.parent_id, company)
        self.assertEqual(person.name, "Ann Lee")
        soql = self.fake.queries()[0]
        self.assertIn("ORDER BY SystemModstamp, Id", soql)
        self.assertNotIn("LastModifiedDate", soql)

    def test_keyset_paging_across_identical_stamps(self):
        """450 accounts share one SystemModstamp; the cursor expires after the first page: the
        query restarts after (stamp, last id), so nothing is skipped or read twice."""
        stamp = self.fake.now() - timedelta(minutes=1)
        ids = [self.fake.add("Account", {"Name": f"Same {i:03d}"}, stamp) for i in range(450)]
        self.fake.fail_next(
            1, 400, "INVALID_QUERY_LOCATOR", "invalid query locator", path_contains="/query/01g"
        )
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertEqual((stats["read"], stats["created"]), (450, 450))
        restart = self.fake.queries()[1]
        self.assertIn(
            f"(SystemModstamp > {stamp:%Y-%m-%dT%H:%M:%S}Z OR (SystemModstamp = "
            f"{stamp:%Y-%m-%dT%H:%M:%S}Z AND Id > '{ids[199]}'))",
            restart,
        )
        wm = self.watermark("Account")
        self.assertEqual((wm.cursor_stamp, wm.cursor_id), (stamp, ids[-1]))
        self.assertEqual(
            len(self.env["sync.binding"].search([("backend_id", "=", self.backend.id)])), 450
        )

    def test_lookback_overlap_reads_late_commits_once(self):
        first = self.fake.add("Account", {"Name": "First"})
        self.pull("Account")
        wm = self.watermark("Account")
        # committed late on the remote: an older stamp than the cursor, inside the lookback
        late = self.fake.add("Account", {"Name": "Late"}, wm.cursor_stamp - timedelta(seconds=90))
        job = self.pull("Account")
        stats = _stats(job)
        self.assertEqual(stats["created"], 1)
        self.assertEqual(stats["identical"], 1)
        self.assertTrue(self.record_of(late))
        self.assertEqual(self.record_of(first).name, "First")
        self.assertIn(
            f"SystemModstamp >= {wm.cursor_stamp - timedelta(seconds=300):%Y-%m-%dT%H:%M:%S}Z",
            self.fake.queries()[-1],
        )

    def test_deletes_in_the_window_archive_and_move_the_delete_cursor(self):
        created = self.fake.now() - timedelta(minutes=20)
        keep = self.fake.add("Account", {"Name": "Keep"}, created)
        gone = self.fake.add("Account", {"Name": "Gone"}, created)
        self.pull("Account")
        wm = self.watermark("Account")
        self.assertTrue(wm.salesforce_deleted_until)  # tracked from the first pull on
        start = fields.Datetime.now() - timedelta(minutes=10)
        wm.salesforce_deleted_until = start
        self.fake.delete("Account", gone, when=start + timedelta(minutes=1))
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(_stats(job)["deleted"], 1, job.result)
        self.assertFalse(self.record_of(gone).active)
        self.assertFalse(self.binding_of(gone).active)
        self.assertTrue(self.record_of(keep).active)
        self.assertGreater(wm.salesforce_deleted_until, start)
        self.assertEqual(wm.salesforce_deleted_until.second, 0)  # latestDateCovered
        self.assertFalse(wm.salesforce_reconciled_at)
        self.assertEqual(self.fake.calls("/sobjects/Account/deleted/"), 1)

    def test_purged_delete_log_runs_a_full_id_reconciliation(self):
        ids = [self.fake.add("Account", {"Name": f"Acc {i}"}) for i in range(3)]
        self.pull("Account")
        wm = self.watermark("Account")
        now = fields.Datetime.now()
        wm.salesforce_deleted_until = now - timedelta(hours=2)
        self.fake.delete("Account", ids[1], when=now - timedelta(minutes=90))
        self.fake.purge_delete_log(before=now - timedelta(hours=1))
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertTrue(stats["reconciled"])
        self.assertEqual((stats["live"], stats["deleted"]), (2, 1))
        self.assertFalse(self.record_of(ids[1]).active)
        self.assertTrue(self.record_of(ids[0]).active and self.record_of(ids[2]).active)
        self.assertTrue(wm.salesforce_reconciled_at)
        self.assertIn("SELECT Id FROM Account", self.fake.queries())
        note = self.backend.message_ids[:1]
        self.assertIn("full id reconciliation", note.body)
        self.assertIn("deleted 1 bound records", note.body)

    def test_initial_load_above_the_threshold_streams_a_bulk_job(self):
        self.backend.write({"salesforce_bulk_threshold": 100, "salesforce_bulk_page_size": 120})
        ids = [self.fake.add("Account", {"Name": f"Bulk {i:03d}"}) for i in range(350)]
        self.fake.update(
            "Account", ids[7], {"Name": "Latest"}, self.fake.now() + timedelta(hours=1)
        )
        # the session times out when the results are read: one re-login, the stream goes on
        self.fake.expire_sessions_next(1, path_contains="/results")
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertEqual((stats["read"], stats["created"]), (350, 350))
        # 3 result pages of at most 120 rows, the last with Sforce-Locator "null"
        self.assertEqual(self.fake.calls("/results"), 3 + 1)  # one page asked for twice
        self.assertEqual(self.fake.calls("/services/Soap/u/"), 2)
        bulk_soql = self.fake.queries()[-1]
        self.assertNotIn("ORDER BY", bulk_soql)
        self.assertTrue(bulk_soql.startswith("SELECT Id, SystemModstamp, Name"))
        wm = self.watermark("Account")
        self.assertEqual(wm.cursor_id, ids[7])  # the latest stamp, though it came unordered
        self.assertEqual(self.record_of(ids[7]).name, "Latest")

    def _bulk_export_failing_on_page_3(self):
        """450 accounts above the Bulk threshold: 5 result pages of 100 (one engine page
        each); page 3 answers 500 to its read and to both inline re-reads."""
        self.backend.write(
            {"salesforce_bulk_threshold": 100, "salesforce_bulk_page_size": 100, "page_size": 100}
        )
        ids = [self.fake.add("Account", {"Name": f"Export {i:03d}"}) for i in range(450)]
        latest = self.fake.now() + timedelta(hours=1)
        self.fake.update("Account", ids[7], {"Name": "Latest"}, latest)
        self.fake.fail_next(3, 500, path_contains="/results", skip=2)
        job = self.pull("Account")
        self.assertEqual(job.state, "pending", "a failed page is retried later")
        self.assertEqual(job.attempt, 0, "two pages applied and saved: progress, no attempt used")
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 1)
        self.assertEqual(self.fake.calls("/results"), 2 + 3)
        wm = self.watermark("Account")
        self.assertFalse(wm.cursor_stamp, "an unordered export moves the cursor at its end only")
        state = wm.export_state
        self.assertEqual((state["pages"], state["adapter"]["skip"]), (2, 0))
        self.assertTrue(state["adapter"]["locator"])
        self.assertEqual(len(self._bindings()), 200)
        self.assertEqual(wm.export_progress, "2 pages applied; the next pull goes on from there")
        return job, ids, latest

    def _bindings(self):
        return self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "res.partner")]
        )

    def _run_again(self, job):
        job.eta = fields.Datetime.now() - timedelta(seconds=1)
        self.run_jobs()

    def _assert_applied_once(self, ids):
        bindings = self._bindings()
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(ids), "each bound once")
        self.env.cr.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM sync_audit"
            " WHERE backend_id = %s AND operation = 'create'",
            [self.backend.id],
        )
        self.assertEqual(self.env.cr.fetchone(), (len(ids), len(ids)), "created once each")

    def test_bulk_export_resumes_at_the_failed_page(self):
        job, ids, latest = self._bulk_export_failing_on_page_3()
        queries = len(self.fake.queries())
        requests = self.fake.calls("/services/data/")
        self._run_again(job)
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertEqual(stats["resumed_after_pages"], 2)
        # the second attempt: the saved job's status and 3 result pages, then getDeleted
        # (starting over cost a count query, a new job, its status polls and 5 result pages)
        self.assertEqual(
            self.fake.calls("/services/data/") - requests,
            1 + 3 + self.fake.calls("/deleted/"),
        )
        self.assertEqual((stats["read"], stats["created"]), (250, 250))
        # the same query job, read on from page 3: 5 result pages read once, page 3 failed 3
        # times; one status check of the saved job, no count query and no new job
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 1)
        self.assertEqual(self.fake.calls("/results"), 5 + 3)
        self.assertEqual(len(self.fake.queries()), queries)
        self._assert_applied_once(ids)
        wm = self.watermark("Account")
        self.assertEqual((wm.cursor_stamp, wm.cursor_id), (latest, ids[7]))
        self.assertFalse(wm.export_state, "a complete export leaves nothing to resume")
        self.assertEqual(self.record_of(ids[7]).name, "Latest")

    def test_bulk_export_whose_job_is_gone_starts_over(self):
        job, ids, latest = self._bulk_export_failing_on_page_3()
        self.fake.forget_bulk_jobs()  # deleted, or its results expired (7 days)
        self._run_again(job)
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertNotIn("resumed_after_pages", stats)
        self.assertEqual((stats["read"], stats["created"], stats["identical"]), (450, 250, 200))
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 2)
        self.assertEqual(self.fake.calls("/results"), 2 + 3 + 5)
        self._assert_applied_once(ids)
        wm = self.watermark("Account")
        self.assertEqual((wm.cursor_stamp, wm.cursor_id), (latest, ids[7]))
        self.assertFalse(wm.export_state)

    def test_saved_export_of_another_window_is_not_resumed(self):
        """The cursor moved (an operator reset it, or another window): the saved export is
        not this pull's; a new one is read."""
        job, ids, _latest = self._bulk_export_failing_on_page_3()
        wm = self.watermark("Account")
        wm.cursor_stamp = self.fake.now() - timedelta(days=1)
        self._run_again(job)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 2)
        self._assert_applied_once(ids)

    def test_bulk_csv_quoting_as_salesforce_writes_it(self):
        """Bulk 2.0 results are CSV with every value quoted, "" for null, quotes doubled and
        line breaks inside quoted values (a Description, an address): read as one record each,
        the count matching Sforce-NumberOfRecords."""
        self.backend.write({"salesforce_bulk_threshold": 1, "salesforce_bulk_page_size": 2})
        names = ['Acme, "The Best" Ltd', "Line one\nLine two", "Zo\u00eb & S\u00f8n"]
        ids = [self.fake.add("Account", {"Name": name}) for name in names]
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(_stats(job)["created"], 3)
        self.assertEqual([self.record_of(i).name for i in ids], names)

    def _end_pause(self):
        """An hour goes by: the backend's pause ends and its waiting jobs are due."""
        past = fields.Datetime.now() - timedelta(seconds=1)
        self.env["sync.channel"].search([("backend_id", "=", self.backend.id)]).write(
            {"blocked_until": past}
        )
        self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "pending")]
        ).write({"eta": past})

    def assert_paused_for_the_daily_limit(self, job):
        """The job waits (attempt kept) and the whole backend pauses for about an hour."""
        now = fields.Datetime.now()
        self.assertEqual(job.state, "pending", job.error)
        self.assertEqual(job.attempt, 0, "waiting for the daily limit is not a failed attempt")
        self.assertGreater(job.eta, now + timedelta(minutes=55))
        self.assertLess(job.eta, now + timedelta(minutes=65))
        self.backend.invalidate_recordset(["paused_until", "pause_reason"])
        self.assertGreater(self.backend.paused_until, now + timedelta(minutes=55))
        self.assertEqual(self.backend.pause_reason, "Salesforce daily API limit")
        channels = self.env["sync.channel"].search([("backend_id", "=", self.backend.id)])
        self.assertTrue(channels)
        self.assertTrue(all(c.blocked_until > now for c in channels), "every channel pauses")

    def test_api_budget_stops_pulls_with_one_exception(self):
        self.backend.salesforce_api_budget = 80.0
        self.fake.api_max, self.fake.api_used = 100, 85
        for i in range(450):
            self.fake.add("Account", {"Name": f"Acc {i:03d}"})
        job = self.pull("Account")
        self.assertIn("daily API usage", job.error)
        self.assert_paused_for_the_daily_limit(job)
        self.assertEqual(self.fake.calls("/query"), 1)  # no second page
        # while paused, no pull of the backend starts (and none spends an API call)
        contact_job = self.pull("Contact")
        self.assertEqual((contact_job.state, contact_job.attempt), ("pending", 0))
        self.assertFalse(contact_job.started_at)
        exceptions = self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )
        self.assertEqual(len(exceptions), 1)
        self.assertEqual(exceptions.category, "rate_limited")
        self.assertEqual(
            (self.backend.salesforce_api_used, self.backend.salesforce_api_max), (86, 100)
        )
        self.assertTrue(self.backend.salesforce_api_over_budget)  # red on the dashboard
        # an hour later, still over the share: one /limits call re-checks, paused again, the
        # same exception counted again (not a second one), attempts still kept
        self._end_pause()
        limits_calls = self.fake.calls("/limits")
        self.run_jobs()
        self.assertGreater(self.fake.calls("/limits"), limits_calls)
        self.assertEqual(self.fake.calls("/query"), 1)
        self.assert_paused_for_the_daily_limit(job)
        self.assertEqual(exceptions.occurrences, 2)
        self.assertEqual(
            self.env["sync.exception"].search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", "open")]
            ),
            1,
        )
        # the window rolled on, usage is back under the share: the pulls go on, the exception
        # closes, the backend is no longer paused
        self.fake.api_used = 0
        self._end_pause()
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(_stats(job)["read"], 450)
        self.assertEqual(contact_job.state, "done", contact_job.error)
        self.assertEqual(exceptions.state, "resolved")
        self.backend.invalidate_recordset(["paused_until"])
        self.assertFalse(self.backend.paused_until)

    def _pull_refused_once(self, message):
        """A pull whose first query Salesforce refuses with REQUEST_LIMIT_EXCEEDED (HTTP 403)."""
        self.fake.add("Account", {"Name": "Acme"})
        self.fake.fail_next(1, 403, "REQUEST_LIMIT_EXCEEDED", message, path_contains="/query")
        job = self.env["sync.job"]._enqueue(
            self.backend, "pull", payload={"object": "Account"}, identity_key="pull:Account"
        )
        self.run_jobs()
        return job

    def test_request_limit_exceeded_403_pauses_the_backend(self):
        """Salesforce's own daily total (REQUEST_LIMIT_EXCEEDED, HTTP 403, not 429)."""
        job = self._pull_refused_once("TotalRequests Limit exceeded.")
        self.assertIn("REQUEST_LIMIT_EXCEEDED", job.error)
        self.assert_paused_for_the_daily_limit(job)
        exceptions = self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )
        self.assertEqual(len(exceptions), 1)
        self.assertIn("REQUEST_LIMIT_EXCEEDED", exceptions.name)
        # an hour later Salesforce answers again: the pull runs, the exception closes
        self._end_pause()
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(exceptions.state, "resolved")

    def test_concurrent_request_limit_blocks_only_the_channel_briefly(self):
        job = self._pull_refused_once("ConcurrentPerOrgLongTxn Limit exceeded.")
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.attempt, 1)
        self.assertLess(job.channel_id.blocked_until, fields.Datetime.now() + timedelta(minutes=5))
        self.backend.invalidate_recordset(["pause_reason"])
        self.assertNotEqual(self.backend.pause_reason, "Salesforce daily API limit")
