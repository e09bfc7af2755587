# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The plain part of the OAuth 2.0 authorization code grant (sync_core/oauth.py): the authorize
URL a connector's data makes, and PKCE.  The whole flow over HTTP is tested by a connector
with its vendor's fake (sync_jira's TestOAuth)."""

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from odoo.tests import BaseCase, tagged

from odoo.addons.sync_core import oauth

PROVIDER = {
    "label": "Acme",
    "authorize_url": "https://auth.example.com/authorize?tenant=t1",
    "scopes": ["read", "offline_access"],
    "params": {"audience": "api.example.com", "prompt": "consent"},
}


@tagged("post_install", "-at_install")
class TestOAuthPlain(BaseCase):
    def test_authorize_url_carries_the_data_state_and_challenge(self):
        verifier, challenge = oauth.pkce_pair()
        url = oauth.authorize_url(PROVIDER, "cid", "https://odoo/cb", "1.k.n.sig", challenge)
        parts = urlsplit(url)
        self.assertEqual(
            f"{parts.scheme}://{parts.netloc}{parts.path}", "https://auth.example.com/authorize"
        )
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.assertEqual(
            query,
            {
                "tenant": "t1",
                "client_id": "cid",
                "redirect_uri": "https://odoo/cb",
                "response_type": "code",
                "state": "1.k.n.sig",
                "scope": "read offline_access",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "audience": "api.example.com",
                "prompt": "consent",
            },
        )
        digest = hashlib.sha256(verifier.encode()).digest()
        self.assertEqual(challenge, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())
        self.assertGreaterEqual(len(verifier), 43)  # RFC 7636: 43 to 128 characters

    def test_without_pkce_or_scopes(self):
        url = oauth.authorize_url({"authorize_url": "https://a/x"}, "c", "https://o/cb", "s")
        query = parse_qs(urlsplit(url).query)
        self.assertNotIn("code_challenge", query)
        self.assertNotIn("scope", query)
