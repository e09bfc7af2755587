"""Credentials encrypted at rest: what a dump of the database holds, a wrong or missing key,
the rotation and the encryption of credentials stored in clear before."""

import io
import json
import os
from contextlib import contextmanager
from unittest.mock import patch

from cryptography.fernet import Fernet

from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.sync_core import secrets_at_rest
from odoo.addons.sync_core.secret_fields import _SecretMixin
from odoo.addons.sync_core.secrets_at_rest import PREFIX, SecretKeyError
from odoo.addons.sync_core.signatures import sign_generic

from .common import SyncCase

CREDENTIAL_WORDS = ("token", "secret", "password", "private_key")


@contextmanager
def server_key(keys, test_mode=True):
    """The server's configuration as an operator sets it (odoo.conf `sync_secret_key`): `keys`
    ("" = none); test_mode False = a server not started with --test-enable."""
    env = {k: v for k, v in os.environ.items() if k != secrets_at_rest.ENV_VARIABLE}
    options = {secrets_at_rest.CONFIG_OPTION: keys}
    if not test_mode:
        options["test_enable"] = False
    with patch.dict(os.environ, env, clear=True), patch.dict(config._runtime_options, options):
        yield


def current_keys():
    return secrets_at_rest.configured_keys()


@tagged("post_install", "-at_install")
class TestSecretsAtRest(SyncCase):
    def column(self, name, backend=None):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT {name} FROM sync_backend WHERE id = %s",
            [(backend or self.backend).id],
        )
        return self.env.cr.fetchone()[0]

    def dump_of(self, table):
        """What pg_dump writes of a table's rows (COPY ... TO STDOUT)."""
        self.env.flush_all()
        out = io.BytesIO()
        self.env.cr.copy_expert(f"COPY {table} TO STDOUT", out)
        return out.getvalue().decode()

    def test_credential_fields_of_every_installed_connector_are_encrypted(self):
        fields = self.env["sync.backend"]._fields
        credentials = [
            name
            for name, field in fields.items()
            if field.store
            and field.type in ("char", "text")
            and any(word in name for word in CREDENTIAL_WORDS)
            and name != "webhook_token"  # the webhook address, not a credential
            and not name.endswith("_url")  # an endpoint (e.g. a token URL), not a credential
        ]
        self.assertIn("api_token", credentials)
        plain = [name for name in credentials if not isinstance(fields[name], _SecretMixin)]
        self.assertFalse(plain, "credential fields stored in clear")
        self.assertFalse(any(fields[n].prefetch for n in credentials))

    def test_dump_holds_no_usable_secret(self):
        self.backend.write({"webhook_secret": "whsec-do-not-leak"})
        dump = self.dump_of("sync_backend") + self.dump_of("mail_tracking_value")
        for secret in ("secret-token", "whsec-do-not-leak"):
            self.assertNotIn(secret, dump)
        stored = self.column("api_token")
        self.assertTrue(stored.startswith(PREFIX))
        # the stored value opens with the server's key only
        self.assertEqual(secrets_at_rest.decrypt(stored, current_keys()), "secret-token")
        with self.assertRaises(SecretKeyError):
            secrets_at_rest.decrypt(stored, Fernet.generate_key().decode())
        # code that needs it (the adapter) reads it in clear
        self.assertEqual(self.backend._get_adapter().config["api_token"], "secret-token")
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)

    def test_wrong_key_is_a_clear_error_on_the_backend(self):
        with server_key(Fernet.generate_key().decode()):
            self.env.invalidate_all()
            with self.assertRaisesRegex(SecretKeyError, "not the key it was saved with"):
                self.backend.sudo().api_token  # noqa: B018
            # the form opens: credentials read as empty, the problem is shown
            values = self.backend.read(["api_token", "name", "secret_problem"])[0]
            self.assertFalse(values["api_token"])
            self.assertIn("API token of sync backend 'Generic test'", values["secret_problem"])
            self.assertEqual(self.backend.health, "red")
            self.assertIn("cannot be decrypted", self.backend.health_reason)
            result = self.backend.action_test_connection()
            self.assertIn("not the key", result["params"]["message"])
            job = self.pull()
        self.assertEqual(job.state, "failed")
        exc = self.env["sync.exception"].search([("job_id", "=", job.id)])
        self.assertEqual(exc.category, "authentication")
        self.assertIn("cannot be decrypted", exc.name)
        self.assertEqual(self.backend.state, "error")
        self.assertNotIn("secret-token", exc.name + (job.error or ""))
        # the right key again: it works
        self.env.invalidate_all()
        self.assertFalse(self.backend.secret_problem)
        self.assertEqual(self.backend.sudo().api_token, "secret-token")

    def test_missing_key_never_stores_in_clear(self):
        with server_key("", test_mode=False):
            with self.assertRaisesRegex(SecretKeyError, "No encryption key"):
                self.backend.write({"api_token": "new-token"})
                self.env.flush_all()
            self.env.invalidate_all()
            with self.assertRaisesRegex(SecretKeyError, "No encryption key"):
                self.backend.sudo().api_token  # noqa: B018
        self.env.invalidate_all()
        self.assertTrue(self.column("api_token").startswith(PREFIX))
        self.assertNotIn("new-token", self.dump_of("sync_backend"))

    def test_rotation_re_encrypts_everything(self):
        old = current_keys()
        before = self.column("api_token")
        new = Fernet.generate_key().decode()
        with server_key(f"{new},{old}"):
            counts = self.env["sync.backend"]._secrets_reencrypt()
        self.assertGreaterEqual(counts["api_token"], 1)
        self.assertGreaterEqual(counts["webhook_secret"], 1)
        after = self.column("api_token")
        self.assertNotEqual(before, after)
        self.assertEqual(secrets_at_rest.decrypt(after, new), "secret-token")
        with self.assertRaises(SecretKeyError):
            secrets_at_rest.decrypt(after, old)
        # the old key dropped from the configuration: still readable with the new one only
        with server_key(new):
            self.env.invalidate_all()
            self.assertEqual(self.backend.sudo().api_token, "secret-token")
            # a value no configured key opens: nothing rotated, a clear error
            with server_key(Fernet.generate_key().decode()):
                with self.assertRaisesRegex(SecretKeyError, "any configured key"):
                    self.env["sync.backend"]._secrets_reencrypt()
            self.assertEqual(self.column("api_token"), after)

    def test_clear_text_of_earlier_versions_encrypted_on_upgrade(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE sync_backend SET api_token = 'legacy-token' WHERE id = %s", [self.backend.id]
        )
        self.env.invalidate_all()
        with self.assertRaisesRegex(SecretKeyError, "stored unencrypted"):
            self.backend.sudo().api_token  # noqa: B018
        self.env["sync.backend"].init()  # what -u does
        self.assertTrue(self.column("api_token").startswith(PREFIX))
        self.assertEqual(self.backend.sudo().api_token, "legacy-token")

    def test_reencrypt_action_is_for_managers(self):
        user = self.env["res.users"].create(
            {
                "name": "Sync operator",
                "login": "sync-operator-secrets",
                "group_ids": [(6, 0, [self.env.ref("sync_core.sync_core_group_operator").id])],
            }
        )
        with self.assertRaises(Exception):  # noqa: B017  AccessError
            self.env["sync.backend"].with_user(user).action_reencrypt_secrets()
        action = self.env["sync.backend"].action_reencrypt_secrets()
        self.assertEqual(action["params"]["type"], "success")


@tagged("-at_install", "post_install")
class TestWebhookWrongKey(HttpCase):
    def test_webhook_answers_503_and_stores_nothing(self):
        backend = self.env["sync.backend"].create(
            {"name": "Hook key", "kind": "generic", "webhook_secret": "whsec-k"}
        )
        raw = json.dumps([{"event_id": "k-1", "object": "customers", "id": "1"}]).encode()
        headers = {"Content-Type": "application/json", **sign_generic("whsec-k", raw)}
        with server_key(Fernet.generate_key().decode()):
            self.env.invalidate_all()
            res = self.url_open(f"/sync/generic/{backend.webhook_token}", data=raw, headers=headers)
        self.assertEqual(res.status_code, 503)
        self.assertEqual(res.json()["reason"], "credentials unavailable")
        self.assertFalse(self.env["sync.event"].search([("backend_id", "=", backend.id)]))
