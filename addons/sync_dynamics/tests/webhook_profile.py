# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 in the shared webhook suite (sync_core/tests/webhook_suite.py): a backend whose
service endpoint authenticates by HttpHeader (the key the suite's sender puts in a header),
and the RemoteExecutionContext the fake builds as Dataverse posts it.  Dataverse sends no
timestamp: a replay with the right key is a redelivery (deduplicated by RequestId), not a
forgery, so the timestamp forgeries of the default profile do not apply."""

from hypothesis import strategies as st

from odoo.addons.sync_core.controllers.main import MAX_BODY
from odoo.addons.sync_core.tests.webhook_suite import WebhookProfile, bodies
from odoo.addons.sync_dynamics.fake import DataverseFake

KEY_HEADER = "x-sync-key"
MESSAGES = ["Create", "Update", "Delete", "Win", "Lose", "Assign", "SetState"]
ENTITY_SETS = ["accounts", "contacts", "opportunities", "opportunityproducts"]
COVERED = ["Create", "Update", "Delete"]


class DynamicsProfile(WebhookProfile):
    kind = "dynamics"
    secret = "suite-dynamics-webhook-key"
    fuzz_examples = 200  # a few hundred deliveries (about 30 s on a loaded machine)
    fake = DataverseFake()

    def create_backend(self, env):
        backend = env["sync.backend"].create({
            "name": "Suite Dynamics 365", "kind": "dynamics", "webhook_secret": self.secret,
            "dynamics_webhook_auth": "HttpHeader", "dynamics_webhook_key_name": KEY_HEADER,
        })  # fmt: skip
        backend.action_dynamics_create_default_mappings()
        return backend

    def sign(self, backend, url, body, stamp=None, secret=None):
        return {KEY_HEADER: secret or self.secret}

    def noise_headers(self):
        return [KEY_HEADER, "x-ms-dynamics-organization", "x-ms-dynamics-entity-name",
                "x-ms-correlation-request-id", "User-Agent"]  # fmt: skip

    def event(self):
        guid = st.uuids().map(str)
        return st.builds(
            lambda message, entity_set, record_id: self.fake.execution_context(
                message, entity_set, record_id
            ),
            st.sampled_from(MESSAGES),
            st.sampled_from(ENTITY_SETS),
            guid,
        )

    def valid_events(self):
        return self.fake.execution_context("Update", "accounts", self.fake.guid())

    def bodies(self):
        """Mostly one context (what Dataverse posts), besides the suite's generated ones."""
        single = self.event().map(self.encode)
        return st.one_of(single, single, bodies(self))

    def covered_event_types(self):
        return COVERED

    def forgeries(self, backend, url, path):
        body = self.encode(self.valid_events())
        huge = b"{" + b" " * MAX_BODY + b"}"
        key = self.sign(backend, url, body)
        return [
            ("wrong key", None, self.sign(backend, url, body, secret="guessed-key"), body),
            ("no key", None, {}, body),
            ("empty key", None, {KEY_HEADER: ""}, body),
            ("key in upper case", None, {KEY_HEADER: self.secret.upper()}, body),
            ("key with a suffix", None, {KEY_HEADER: self.secret + "x"}, body),
            ("key in another header", None, {"x-other-key": self.secret}, body),
            ("key as ?code= (WebhookKey)", f"{path}?code={self.secret}", {}, body),
            ("unknown token", f"/sync/{backend.kind}/{'x' * 32}", key, body),
            ("other kind's path", f"/sync/other_kind/{path.split('/')[-1]}", key, body),
            ("oversized body", None, key, huge),
        ]
