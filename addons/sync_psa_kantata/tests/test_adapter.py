# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

import requests

from odoo.tests import tagged

from odoo.addons.sync_core.exceptions import AuthenticationError, PayloadError, RateLimitedError
from odoo.addons.sync_psa.psa_adapter import PsaAdapter
from odoo.addons.sync_psa_kantata.kantata_adapter import KantataAdapter

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestKantataAdapter(PsaCase):
    def adapter(self):
        return self.backend._get_adapter()

    def test_kantata_implements_the_psa_contract_and_registers_as_a_psa(self):
        """Every method the PSA layer asks of an adapter (PsaAdapter) is Kantata's own; the
        feed's retention is the adapter's (9 days); the kind is registered as a PSA."""
        contract = [
            name
            for name, value in vars(PsaAdapter).items()
            if callable(value) and not name.startswith("_")
        ]
        self.assertEqual(len(contract), 12)
        for name in contract:
            self.assertIsNot(getattr(KantataAdapter, name), getattr(PsaAdapter, name), name)
        adapter = self.adapter()
        self.assertIsInstance(adapter, PsaAdapter)
        self.assertEqual(adapter.event_retention().days, 9)
        self.assertIn("kantata", self.env["sync.backend"]._psa_kinds())
        self.assertTrue(self.backend.is_psa)
        generic = self.env["sync.backend"].new({"name": "Generic", "kind": "generic"})
        self.assertFalse(generic.is_psa)

    def test_time_off_of_a_user_is_found_by_day(self):
        """find_time_off: the user's entries between two dates (bounds included), by day; other
        users' and days' entries are not taken."""
        adapter = self.adapter()
        bob = self.fake.add_user("Bob Other", "bob@example.com")
        uid = self.alice_user["id"]
        monday, tuesday = date(2026, 12, 14), date(2026, 12, 15)
        ids = [adapter.write_time_off(uid, day, 8.0) for day in (monday, tuesday)]
        adapter.write_time_off(bob["id"], monday, 4.0)
        adapter.write_time_off(uid, date(2026, 12, 16), 8.0)
        self.assertEqual(
            adapter.find_time_off(uid, monday, tuesday), {monday: ids[0], tuesday: ids[1]}
        )
        self.assertEqual(adapter.find_time_off(uid, date(2026, 12, 17), date(2026, 12, 18)), {})
        params = self.fake.calls("GET", "/time_off_entries")[-1][2]
        self.assertEqual(params["user_ids"], uid)

    def test_results_walk_the_ordered_list_not_the_maps(self):
        body = {
            "count": 2,
            "results": [{"key": "stories", "id": "9"}, {"key": "stories", "id": "3"}],
            # maps also hold included associations of the same type (sub-stories)
            "stories": {"3": {"id": "3"}, "5": {"id": "5"}, "9": {"id": "9"}},
        }
        self.assertEqual([r["id"] for r in KantataAdapter.results(body)], ["9", "3"])

    def test_include_users_and_canonical_time_entry(self):
        entry = self.entry(135, notes="Workshop", rate_in_cents=20000, currency="EUR")
        (record,) = self.adapter().read_batch("time_entries", [entry["id"]])
        self.assertEqual(record["id"], entry["id"])
        data = record["data"]
        self.assertEqual(data["minutes"], 135)
        self.assertEqual(data["person"]["email"], "alice@example.com")
        self.assertEqual((data["bill_rate_cents"], data["currency"]), (20000, "EUR"))
        self.assertEqual(
            self.fake.calls("GET", "/time_entries")[-1][2]["include"], "user,story,workspace"
        )

    def test_expense_approval_comes_from_its_report_submission(self):
        approved = self.fake.add_expense(self.workspace_id, self.alice_user["id"], 1000)
        pending = self.fake.add_expense(
            self.workspace_id, self.alice_user["id"], 2000, approved=False
        )
        loose = self.fake.add_expense(self.workspace_id, self.alice_user["id"], 3000)
        loose["recent_submission_id"] = None  # never submitted
        ids = [approved["id"], pending["id"], loose["id"]]

        def approvals():
            records = self.adapter().read_batch("expenses", ids)
            return {r["id"]: r["data"]["approved"] for r in records}

        self.assertEqual(
            approvals(), {approved["id"]: True, pending["id"]: False, loose["id"]: False}
        )
        # a workspace that requires no expense approval: every expense counts as approved
        self.fake.data["workspaces"][self.workspace_id]["require_expense_approvals"] = False
        self.assertTrue(approvals()[loose["id"]])
        self.assertFalse(approvals()[pending["id"]], "a pending submission still waits")

    def test_test_connection_says_who_we_are(self):
        self.backend.action_test_connection()
        self.assertIn("Alice Consultant <Alice@Example.com>", self.backend.status_message)
        self.assertIn("access: administrator", self.backend.status_message)
        self.assertEqual(self.backend.kantata_account_id, self.fake.account_id)
        (call,) = self.fake.calls("GET", "/users/me")
        self.assertEqual(call[2]["include"], "account_membership")
        # a token of a collaborator, and a user record without account id: said, no crash
        bob = self.fake.add_user("Bob Viewer", "bob@example.com")
        del self.fake.data["users"][bob["id"]]["account_id"]
        self.fake.me = bob["id"]
        self.backend.kantata_account_id = False
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok")
        self.assertIn("access: collaborator", self.backend.status_message)
        self.assertIn("change feed is not readable", self.backend.status_message)
        self.assertIn(self.fake.account_id, self.backend.status_message, "from the membership")
        # stored as data: account, user, access level and the warning
        info = self.backend.connection_info
        self.assertEqual(info["account_id"], str(self.fake.account_id))
        self.assertEqual(info["user"], "Bob Viewer <bob@example.com>")
        self.assertEqual(info["details"], {"access": "collaborator"})
        self.assertEqual(
            info["warnings"], ["not an account administrator: the change feed is not readable"]
        )
        self.assertEqual(self.backend.kantata_account_id, str(self.fake.account_id))

    def test_client_credentials_fetch_the_token_once(self):
        self.backend.write(
            {
                "kantata_auth": "client_credentials",
                "kantata_access_token": False,
                "kantata_client_id": "fake-client-id",
                "kantata_client_secret": "fake-client-secret",
                "kantata_token_url": self.backend.base_url.removesuffix("/api/v1") + "/oauth/token",
            }
        )
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok")
        self.assertEqual(self.backend.kantata_access_token, "kantata-test-token")
        self.backend.action_test_connection()
        self.assertEqual(len(self.fake.calls("POST", "/oauth/token")), 1)
        self.backend.write({"kantata_access_token": False, "kantata_client_secret": "wrong"})
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "error")

    def test_errors_in_kantata_shape_are_classified(self):
        self.backend.kantata_access_token = "wrong"
        with self.assertRaises(AuthenticationError) as caught:
            self.adapter().read_batch("time_entries", ["1"])
        self.assertIn("Invalid OAuth 2 Request", caught.exception.message)
        # the reason is read out of Kantata's {"errors": [{"type", "message"}]}, on one line
        self.assertIn("oauth: Invalid OAuth 2 Request", caught.exception.message)
        self.assertNotIn('"errors"', caught.exception.message)
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "error")
        self.assertIn("Invalid OAuth 2 Request", self.backend.status_message)
        self.backend.kantata_access_token = "kantata-test-token"
        self.fake.fail_next(429, count=1)
        with self.assertRaises(RateLimitedError):
            self.adapter().read_batch("time_entries", ["1"])

    def test_unavailable_reads_are_retried_by_the_session(self):
        entry = self.entry(60)
        self.fake.fail_next(503, count=1, method="GET")
        before = len(self.fake.calls("GET", "/time_entries"))
        records = self.adapter().read_batch("time_entries", [entry["id"]])
        self.assertEqual([r["id"] for r in records], [entry["id"]])
        self.assertEqual(len(self.fake.calls("GET", "/time_entries")) - before, 2)

    def test_rate_limited_pull_is_retried_later(self):
        self.entry(60)
        self.fake.fail_next(429, count=1, method="GET", path="/time_entries")
        job = self.pull()
        self.assertEqual(job.state, "pending")
        self.assertIn("429", job.error)

    def test_writeback_marks_entries_with_timesheet_and_invoice(self):
        entry = self.entry(60)
        self.pull()
        line = self.line_of(entry)
        self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        (ref,) = self.fake.references_of("time_entries", entry["id"])
        self.assertEqual(
            (ref["service_model"], ref["service_model_ref"], ref["external_status"]),
            ("account.analytic.line", str(line.id), "imported"),
        )
        invoice = self.invoice_order()
        self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        (ref,) = self.fake.references_of("time_entries", entry["id"])
        self.assertEqual(
            (ref["external_status"], ref["external_message"]), ("invoiced", invoice.name)
        )
        sent = len(self.fake.calls("POST", "/external_references"))
        self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        self.assertEqual(len(self.fake.calls("POST", "/external_references")), sent, "sent once")

    def test_records_link_to_their_page_in_kantata(self):
        frank = self.fake.add_user("Frank Field", "frank@example.com")
        self.entry(120, user=frank)
        self.pull()
        exc = self.exceptions(category="missing_reference")
        self.assertEqual(exc.remote_object, "users")
        root = self.backend.base_url.removesuffix("/api/v1")
        self.assertEqual(exc.remote_url, f"{root}/users/{frank['id']}")
        page = requests.get(exc.remote_url, timeout=10)
        self.assertEqual(page.status_code, 200, "the fake serves the web app's record page")
        self.assertEqual(page.json()["users"][frank["id"]]["full_name"], "Frank Field")
        workspace = self.backend._remote_record_url("projects", self.workspace_id)
        self.assertEqual(requests.get(workspace, timeout=10).status_code, 200)
        missing = self.backend._remote_record_url("projects", "999999")
        self.assertEqual(requests.get(missing, timeout=10).status_code, 404)
        self.assertFalse(self.backend._remote_record_url("cost_rates", "1"), "no page of its own")
        # production: the web app's host next to the API's
        self.backend.base_url = "https://api.mavenlink.com/api/v1"
        self.assertEqual(
            self.backend._remote_record_url("time_entries", "42"),
            "https://app.mavenlink.com/time_entries/42",
        )

    def test_documented_shapes_are_read(self):
        """Kantata's documented answer shapes (developer.kantata.com Response Format, the
        mavenlink gem's specs), served over HTTP: ids as strings in ``results`` but numbers in
        some foreign keys, stamps with a UTC offset, a null story, no ``meta`` on a last page,
        included maps holding more records than asked, keys the adapter does not know."""
        body = {
            "count": 1,
            "results": [{"key": "time_entries", "id": "7001"}],
            "time_entries": {
                "7001": {
                    "id": "7001",
                    "created_at": "2013-07-01T10:17:40-07:00",
                    "updated_at": "2013-07-02T10:17:40-07:00",
                    "date_performed": "2013-07-01",
                    "time_in_minutes": 45,
                    "billable": True,
                    "approved": True,
                    "notes": "",
                    "rate_in_cents": 15000,
                    "cost_rate_in_cents": None,
                    "currency": "USD",
                    "currency_symbol": "$",
                    "currency_base_unit": 100,
                    "user_can_edit": False,
                    "is_invoiced": False,
                    "workspace_id": 3003,
                    "user_id": "4004",
                    "story_id": None,
                    "taxable": False,
                }
            },
            "users": {
                "4004": {"id": "4004", "full_name": "Ada L.", "email_address": " Ada@Example.com"},
                "4005": {"id": "4005", "full_name": "Other", "email_address": "o@example.com"},
            },
            "workspaces": {"3003": {"id": "3003", "title": "Rollout"}},
        }
        self.fake.add_fault("status", 1, "GET", "/time_entries", status=200, body=body)
        (record,) = self.adapter().read_batch("time_entries", ["7001"])
        self.assertEqual(record["id"], "7001")
        self.assertEqual(record["updated_at"].isoformat(), "2013-07-02T17:17:40")
        data = record["data"]
        self.assertEqual((data["project_ref"], data["task_ref"]), ("3003", ""))
        self.assertEqual(
            data["person"], {"id": "4004", "email": "ada@example.com", "name": "Ada L."}
        )
        self.assertEqual((data["minutes"], data["bill_rate_cents"]), (45, 15000))
        self.assertIsNone(data["cost_rate_cents"])

    def test_subscribed_events_as_the_gem_sees_them(self):
        """Subscribed events with numeric subject and user ids, a ``subject_ref``, payloads and
        ``subject_changed_at``; a result that is not a reference is a readable error."""
        body = {
            "count": 2,
            "results": [
                {"key": "subscribed_events", "id": "90001"},
                {"key": "subscribed_events", "id": "90002"},
            ],
            "subscribed_events": {
                "90001": {
                    "id": 90001,
                    "created_at": "2022-01-02T00:00:01Z",
                    "subject_changed_at": "2022-01-02T00:00:00Z",
                    "previous_payload": {},
                    "current_payload": {},
                    "subject_type": "Workspace",
                    "subject_id": 1,
                    "user_id": 2222,
                    "event_type": "workspace:updated",
                    "subject_ref": {"id": "1", "key": "workspaces"},
                },
                "90002": {
                    "id": "90002",
                    "created_at": "2022-01-03T00:00:01+00:00",
                    "subject_type": "Workspace",
                    "subject_id": "1",
                    "event_type": "workspace:deleted",
                },
            },
            "meta": {"count": 2, "page_count": 1, "page_number": 1, "page_size": 200},
        }
        self.fake.add_fault("status", 1, "GET", "/subscribed_events", status=200, body=body)
        (changes,) = list(self.adapter().iter_events(None, ["projects"]))
        self.assertEqual(
            [(c["event_id"], c["object"], c["id"], c["deleted"]) for c in changes],
            [("90001", "projects", "1", False), ("90002", "projects", "1", True)],
        )
        bad = dict(body, results=["90001"])
        self.fake.add_fault("status", 1, "GET", "/subscribed_events", status=200, body=bad)
        with self.assertRaisesRegex(PayloadError, "not a key and an id"):
            list(self.adapter().iter_events(None, ["projects"]))
