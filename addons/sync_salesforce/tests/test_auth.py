# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

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
