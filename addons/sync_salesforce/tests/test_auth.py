# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import SalesforceCase

MODES = ("password", "jwt", "client_credentials")


@tagged("post_install", "-at_install")
class TestAuth(SalesforceCase):
    def test_connection_shows_org_user_and_api_calls_left_in_each_mode(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                self.backend.write({"salesforce_auth": mode, "salesforce_org_id": False})
                self.backend.base_url = (
                    self.fake.start() if not self.fake._server else self.fake.base_url
                )
                self.backend.action_test_connection()
                self.assertEqual(self.backend.state, "ok")
                self.assertIn("org 00D8d0000000001EAA", self.backend.status_message)
                self.assertIn(f"as {self.fake.username}", self.backend.status_message)
                self.assertIn("daily API calls left:", self.backend.status_message)
                self.assertEqual(self.backend.salesforce_org_id, "00D8d0000000001EAA")
                self.fake.expire_sessions()  # next mode logs in afresh
        self.assertEqual(self.fake.calls("/services/Soap/u/"), 1)
        self.assertEqual(self.fake.calls("/services/oauth2/token"), 2)

    def test_connection_stores_its_facts_and_one_api_usage_figure(self):
        """Test connection stores what it learnt (org, user, the daily API calls left), the
        org id is taken from it, and the backend's daily API figure (card, tab) is the newest
        reading of Sforce-Limit-Info, whether a pull or the test read it: one figure."""
        self.fake.api_used = 6999
        self.backend.salesforce_org_id = False
        # an older pull's reading, kept on its watermark
        self.backend._watermark("Account").write(
            {
                "salesforce_api_used": 50,
                "salesforce_api_max": 15000,
                "salesforce_api_checked_at": fields.Datetime.now() - timedelta(hours=2),
            }
        )
        self.backend.action_test_connection()
        info = self.backend.connection_info
        used = self.fake.api_used  # the test's own calls counted
        self.assertEqual(info["account_id"], self.fake.org_id)
        self.assertEqual(info["user"], self.fake.username)
        self.assertEqual(
            info["limits"],
            [{"label": "daily API calls", "remaining": 15000 - used, "max": 15000, "used": used}],
        )
        self.assertEqual(self.backend.salesforce_org_id, self.fake.org_id)
        self.assertIn(
            f"daily API calls left: {15000 - used:,} of 15,000", self.backend.status_message
        )
        self.backend.invalidate_recordset()
        self.assertEqual(
            (self.backend.salesforce_api_used, self.backend.salesforce_api_max), (used, 15000)
        )
        # a later pull reads another figure: the backend shows that one
        self.backend._watermark("Account").write(
            {
                "salesforce_api_used": used + 40,
                "salesforce_api_max": 15000,
                "salesforce_api_checked_at": fields.Datetime.now() + timedelta(minutes=1),
            }
        )
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.salesforce_api_used, used + 40)
        self.assertEqual(self.backend.salesforce_api_checked_at.date(), fields.Date.today())
        # labels a user reads, not field names
        labels = {name: self.backend._fields[name].string for name in (
            "salesforce_api_used", "salesforce_api_max", "salesforce_api_over_budget",
            "salesforce_bulk_threshold", "salesforce_bulk_page_size")}  # fmt: skip
        self.assertEqual(
            labels,
            {
                "salesforce_api_used": "Daily API calls used",
                "salesforce_api_max": "Daily API call limit",
                "salesforce_api_over_budget": "Over its API budget",
                "salesforce_bulk_threshold": "Bulk export above (records)",
                "salesforce_bulk_page_size": "Bulk export page (records)",
            },
        )
        self.assertTrue(all(self.backend._fields[name].help for name in labels))

    def test_wrong_credentials_fail_the_test_with_the_reason(self):
        self.backend.action_test_connection()
        # the session the right password opened is not lent to other credentials
        self.backend.salesforce_password = "wrong"
        action = self.backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.backend.state, "error")
        self.assertIn("INVALID_LOGIN", self.backend.status_message)
        self.assertIn("INVALID_LOGIN", action["params"]["message"])

    def _pull_with_expiry_mid_way(self, mode):
        self.backend.salesforce_auth = mode
        for i in range(450):
            self.fake.add("Account", {"Name": f"Acc {i:03d}"})
        # the session times out between the first and the second page of the query
        self.fake.expire_sessions_next(1, path_contains="/query/01g")
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["created"], 450)
        logins = self.fake.calls("/services/oauth2/token") + self.fake.calls("/services/Soap/u/")
        self.assertEqual(logins, 2)  # the first login and one re-login

    def test_session_expiry_mid_pull_password(self):
        self._pull_with_expiry_mid_way("password")
        self.assertEqual(self.fake.calls("/services/Soap/u/"), 2)

    def test_session_expiry_mid_pull_jwt_bearer(self):
        self._pull_with_expiry_mid_way("jwt")

    def test_session_expiry_mid_pull_client_credentials(self):
        self._pull_with_expiry_mid_way("client_credentials")

    def test_relogin_only_once_then_authentication_exception(self):
        self.backend.salesforce_auth = "client_credentials"
        self.fake.add("Account", {"Name": "Acme"})
        self.fake.expire_sessions_next(2, path_contains="/query")
        job = self.env["sync.job"]._enqueue(
            self.backend, "pull", payload={"object": "Account"}, identity_key="pull:Account"
        )
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("INVALID_SESSION_ID", job.error)
        self.assertEqual(self.fake.calls("/services/oauth2/token"), 2)
        self.assertEqual(job.exception_ids.category, "authentication")

    def test_cached_session_is_reused_across_jobs(self):
        self.fake.add("Account", {"Name": "Acme"})
        self.pull("Account")
        self.pull("Contact")
        self.assertEqual(self.fake.calls("/services/Soap/u/"), 1)
