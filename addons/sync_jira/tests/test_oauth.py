# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""OAuth 2.0 through the HTTP wire: the admin presses Connect (the action), the browser follows
the authorize URL to the fake (which consents at once) and comes back to our callback with the
code and the state; Atlassian first, then Tempo.  Tokens are stored encrypted, refreshed when
they expire or when the remote refuses them (rotated refresh tokens kept), and a forged, stale
or replayed state stores nothing."""

import json
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.secrets_at_rest import is_encrypted

from .common import JiraCase

HOUR = 3600
TOKEN_FIELDS = (
    "oauth_access_token",
    "oauth_refresh_token",
    "tempo_api_token",
    "tempo_refresh_token",
)


@tagged("-at_install", "post_install")
class TestOAuth(JiraCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.fake.add_oauth_client("atlassian", "atl-client", "atl-secret")
        self.fake.add_oauth_client("tempo", "tempo-client", "tempo-secret")
        self.backend.write(
            {
                "auth_mode": "oauth",
                "oauth_server_url": self.fake.base_url,
                "oauth_client_id": "atl-client",
                "oauth_client_secret": "atl-secret",
                "tempo_client_id": "tempo-client",
                "tempo_client_secret": "tempo-secret",
                "jira_api_token": False,
                "tempo_api_token": False,
            }
        )
        self.admin = self.env.ref("base.user_admin")
        self.authenticate("admin", "admin")

    def consent(self, url):
        """Our authorize URL -> the fake's consent (a redirect to our callback): the callback's
        path and query, and its parameters."""
        answer = requests.get(url, allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302, answer.text)
        back = urlsplit(answer.headers["Location"])
        self.assertEqual(back.path, "/sync/oauth/callback")
        return f"{back.path}?{back.query}", parse_qs(back.query)

    def callback(self, path):
        return self.url_open(path, allow_redirects=False)

    def connect(self):
        """Connect, Atlassian's consent, our callback, then Tempo's consent and callback."""
        url = self.backend.with_user(self.admin).action_oauth_connect()["url"]
        self.assertTrue(url.startswith(f"{self.fake.base_url}/authorize?"), url)
        query = parse_qs(urlsplit(url).query)
        self.assertEqual(query["audience"], ["api.atlassian.com"])
        self.assertIn("offline_access", query["scope"][0].split())
        answer = self.callback(self.consent(url)[0])
        self.assertEqual(answer.status_code, 303, answer.text)
        tempo_url = answer.headers["Location"]
        self.assertIn("/plugins/servlet/ac/io.tempo.jira/oauth-authorize/", tempo_url)
        answer = self.callback(self.consent(tempo_url)[0])
        self.assertEqual(answer.status_code, 303, answer.text)
        self.assertIn(f"/odoo/sync.backend/{self.backend.id}", answer.headers["Location"])
        self.backend.invalidate_recordset()

    def tokens(self):
        return {name: self.backend.sudo()[name] for name in TOKEN_FIELDS}

    def stored_raw(self, name):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT {name} FROM sync_backend WHERE id = %s", [self.backend.id])
        return self.env.cr.fetchone()[0]

    def log_approved(self, hours=2):
        wid = self.fake.log(self.issue, self.alice_id, hours * HOUR, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        return wid

    def test_connect_stores_encrypted_tokens_and_pulls_with_bearer(self):
        self.connect()
        tokens = self.tokens()
        self.assertEqual(self.fake.access[tokens["oauth_access_token"]][0], "atlassian")
        self.assertEqual(self.fake.access[tokens["tempo_api_token"]][0], "tempo")
        self.assertIn(tokens["oauth_refresh_token"], self.fake.refresh)
        for name in TOKEN_FIELDS:
            raw = self.stored_raw(name)
            self.assertTrue(is_encrypted(raw), name)
            self.assertNotIn(tokens[name], raw)
        self.assertEqual(self.backend.oauth_resource_id, self.fake.cloud_id)
        self.assertTrue(self.backend.oauth_expires_at and self.backend.tempo_token_expires_at)
        self.assertFalse(self.backend.sudo().oauth_pending)
        # the callback ran the connection test: Jira through the gateway, Tempo with its token
        self.assertEqual(self.backend.state, "ok", self.backend.status_message)
        wid = self.log_approved()
        self.fake.calls.clear()
        self.pull()
        self.assertEqual(self.lines(wid).mapped("unit_amount"), [2.0])
        paths = [path for _method, path, _args in self.fake.calls]
        self.assertTrue(
            any(p.startswith(f"/ex/jira/{self.fake.cloud_id}/rest/api/3/") for p in paths)
        )
        self.assertFalse([p for p in paths if p.startswith("/rest/api/3/")], "no Basic auth")

    def test_refresh_when_expired_and_after_a_401_keeps_rotated_tokens(self):
        self.connect()
        first = self.tokens()
        # expired by the expiry we know: refreshed before the call
        self.backend.sudo().oauth_expires_at = "2020-01-01 00:00:00"
        token = self.backend._oauth_token("atlassian")
        second = self.tokens()
        self.assertEqual(token, second["oauth_access_token"])
        self.assertNotEqual(second["oauth_refresh_token"], first["oauth_refresh_token"])
        self.assertNotIn(first["oauth_refresh_token"], self.fake.refresh, "rotated")
        self.assertGreater(self.backend.oauth_expires_at, self.backend.write_date)
        # refused before that expiry (revoked, or the clocks disagree): refreshed on the 401
        self.fake.expire_tokens()
        wid = self.log_approved(3)
        self.pull()
        self.assertEqual(self.lines(wid).mapped("unit_amount"), [3.0])
        third = self.tokens()
        for name in TOKEN_FIELDS:
            self.assertNotEqual(third[name], second[name], name)
        self.assertTrue(self.fake._valid(third["oauth_access_token"], "atlassian"))
        self.assertTrue(self.fake._valid(third["tempo_api_token"], "tempo"))

    def test_forged_stale_and_replayed_states_store_nothing(self):
        url = self.backend.with_user(self.admin).action_oauth_connect()["url"]
        path, params = self.consent(url)
        state = params["state"][0]
        forged = state[:-4] + ("0000" if not state.endswith("0000") else "1111")
        answer = self.callback(path.replace(state, forged))
        self.assertEqual(answer.status_code, 400)
        self.assertIn("forged", answer.text)
        self.backend.invalidate_recordset()
        self.assertFalse(any(self.tokens().values()))
        # the genuine answer in another manager's session
        self.env["res.users"].create(
            {
                "name": "Other manager",
                "login": "other-manager",
                "password": "other-manager-pw-1234",
                "group_ids": [(4, self.env.ref("sync_core.sync_core_group_manager").id)],
            }
        )
        self.authenticate("other-manager", "other-manager-pw-1234")
        answer = self.callback(path)
        self.assertEqual(answer.status_code, 400)
        self.assertIn("another user", answer.text)
        self.authenticate("admin", "admin")
        # the genuine answer still works once ...
        answer = self.callback(path)
        self.assertEqual(answer.status_code, 303, answer.text)
        self.backend.invalidate_recordset()
        stored = self.tokens()
        self.assertTrue(stored["oauth_access_token"])
        # ... and never twice
        answer = self.callback(path)
        self.assertEqual(answer.status_code, 400)
        self.assertIn("already used", answer.text)
        self.backend.invalidate_recordset()
        self.assertEqual(self.tokens(), stored)
        # an authorization left for longer than it may take
        url = self.backend.with_user(self.admin).action_oauth_connect()["url"]
        pending = json.loads(self.backend.sudo().oauth_pending)
        self.backend.sudo().oauth_pending = json.dumps(pending | {"at": pending["at"] - 3600})
        answer = self.callback(self.consent(url)[0])
        self.assertEqual(answer.status_code, 400)
        self.assertIn("expired", answer.text)
        self.backend.invalidate_recordset()
        self.assertEqual(self.tokens(), stored)

    def test_token_endpoint_refusal_is_readable_on_the_backend(self):
        self.backend.oauth_client_secret = "not-the-secret"
        url = self.backend.with_user(self.admin).action_oauth_connect()["url"]
        answer = self.callback(self.consent(url)[0])
        self.assertEqual(answer.status_code, 303)
        self.assertIn(f"/odoo/sync.backend/{self.backend.id}", answer.headers["Location"])
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.state, "error")
        self.assertIn("Atlassian refused the authorization_code grant", self.backend.status_message)
        self.assertIn("access_denied: Unauthorized", self.backend.status_message)
        self.assertFalse(any(self.tokens().values()))
