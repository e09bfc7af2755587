# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""BambooHR's OAuth 2.0 through the HTTP wire: Connect (the action) sends the browser to the
fake's ``/authorize.php?request=authorize`` (approved at once), back to our callback with the
code and the state; the code is exchanged at ``/token.php?request=token``; the API is then
called with ``Authorization: Bearer`` and never with the API key (Basic)."""

from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.secrets_at_rest import is_encrypted

from .common import BambooCase

TOKENS = ("oauth_access_token", "oauth_refresh_token")


@tagged("-at_install", "post_install")
class TestBambooOAuth(BambooCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.fake.add_oauth_client("bamboo-app", "bamboo-app-secret")
        self.backend.write(
            {
                "auth_mode": "oauth",
                "oauth_server_url": self.fake.base_url,
                "oauth_client_id": "bamboo-app",
                "oauth_client_secret": "bamboo-app-secret",
                "bamboohr_api_key": False,
            }
        )
        self.admin = self.env.ref("base.user_admin")
        self.authenticate("admin", "admin")

    def connect(self):
        """Connect -> the fake's consent -> our callback; the callback's answer."""
        url = self.backend.with_user(self.admin).action_oauth_connect()["url"]
        parts = urlsplit(url)
        self.assertEqual(
            f"{parts.scheme}://{parts.netloc}{parts.path}", self.fake.base_url + "/authorize.php"
        )
        query = parse_qs(parts.query)
        self.assertEqual(query["request"], ["authorize"])
        self.assertEqual(query["response_type"], ["code"])
        self.assertEqual(query["client_id"], ["bamboo-app"])
        self.assertEqual(query["scope"][0].split(), ["openid", "email", "offline_access"])
        self.assertTrue(query["redirect_uri"][0].endswith("/sync/oauth/callback"))
        self.assertNotIn("code_challenge", query)
        consent = requests.get(url, allow_redirects=False, timeout=10)
        self.assertEqual(consent.status_code, 302, consent.text)
        back = urlsplit(consent.headers["Location"])
        self.assertEqual(parse_qs(back.query)["state"], query["state"])
        answer = self.url_open(f"{back.path}?{back.query}", allow_redirects=False)
        self.assertEqual(answer.status_code, 303, answer.text)
        self.assertIn(f"/odoo/sync.backend/{self.backend.id}", answer.headers["Location"])
        self.backend.invalidate_recordset()
        return answer

    def tokens(self):
        return {name: self.backend.sudo()[name] for name in TOKENS}

    def test_connect_stores_encrypted_tokens_and_pulls_with_bearer(self):
        self.connect()
        tokens = self.tokens()
        self.assertIn(tokens["oauth_access_token"], self.fake.access)
        self.assertIn(tokens["oauth_refresh_token"], self.fake.refresh)
        self.env.flush_all()
        for name in TOKENS:
            self.env.cr.execute(f"SELECT {name} FROM sync_backend WHERE id = %s", [self.backend.id])
            raw = self.env.cr.fetchone()[0]
            self.assertTrue(is_encrypted(raw), name)
            self.assertNotIn(tokens[name], raw)
        self.assertTrue(self.backend.oauth_expires_at)
        # the callback ran the connection test with the bearer token
        self.assertEqual(self.backend.state, "ok", self.backend.status_message)
        self.fake.add_employee("Nora", "Analyst", "nora@example.com", department="Delivery")
        self.fake.schemes.clear()
        self.sync()
        self.assertEqual(self.employee_of("1").work_email, "nora@example.com")
        self.assertEqual(self.job("hr_pull").state, "done")
        self.assertGreater(self.fake.schemes["Bearer"], 0)
        self.assertEqual(self.fake.schemes["Basic"], 0, "no Basic header sent")

    def test_refresh_when_expired_and_after_a_401(self):
        self.connect()
        first = self.tokens()
        # expired by the expiry we know: refreshed before the call, the refresh token rotated
        self.backend.sudo().oauth_expires_at = "2020-01-01 00:00:00"
        self.assertEqual(self.backend._get_adapter().time_off_types()["1"], "Vacation")
        second = self.tokens()
        self.assertNotEqual(second["oauth_access_token"], first["oauth_access_token"])
        self.assertNotIn(first["oauth_refresh_token"], self.fake.refresh, "used once")
        self.assertIn(second["oauth_refresh_token"], self.fake.refresh)
        self.assertGreater(self.backend.oauth_expires_at, self.backend.write_date)
        # refused before that expiry (revoked, clocks apart): a 401, refreshed once, sent again
        self.fake.expire_tokens()
        self.fake.add_employee("Marc", "Demo", "marc@example.com")
        self.sync()
        self.assertEqual(self.employee_of("1").name, "Marc Demo")
        self.assertEqual(self.job("hr_pull").state, "done")
        third = self.tokens()
        for name in TOKENS:
            self.assertNotEqual(third[name], second[name], name)
        self.assertGreater(self.fake.access[third["oauth_access_token"]], self.fake.now())

    def test_token_endpoint_refusal_is_readable_on_the_backend(self):
        self.backend.oauth_client_secret = "not-the-secret"
        self.connect()
        self.assertEqual(self.backend.state, "error")
        self.assertIn("BambooHR refused the authorization_code grant", self.backend.status_message)
        self.assertIn("invalid_client: Client authentication failed", self.backend.status_message)
        self.assertFalse(any(self.tokens().values()))
        # a refresh token BambooHR no longer knows: the pull fails and says why
        self.backend.oauth_client_secret = "bamboo-app-secret"
        self.connect()
        self.fake.refresh.clear()
        self.backend.sudo().oauth_expires_at = "2020-01-01 00:00:00"
        self.fake.add_employee("Nora", "Analyst", "nora@example.com")
        self.sync()
        job = self.job("hr_pull")
        self.assertNotEqual(job.state, "done")
        self.assertIn("BambooHR refused the refresh_token grant", job.error or "")
        self.assertFalse(self.employee_of("1"))
