import json
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.signatures import sign_generic


@tagged("-at_install", "post_install")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {"name": "Hook", "kind": "generic", "webhook_secret": "whsec-1"}
        )
        cls.url = f"/sync/generic/{cls.backend.webhook_token}"

    def post(self, body, secret="whsec-1", url=None, timestamp=None, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **sign_generic(secret, raw, timestamp)}
        hdrs.update(headers or {})
        return self.url_open(url or self.url, data=raw, headers=hdrs)

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_accept_and_redelivery_stored_once(self):
        body = [{"event_id": "ev-1", "object": "customers", "id": "42", "type": "updated"}]
        started = time.monotonic()
        res = self.post(body)
        elapsed = time.monotonic() - started
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(res.json(), {"status": "ok", "received": 1, "stored": 1, "duplicates": 0})
        self.assertLess(elapsed, 2.0)
        res = self.post(body)
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json()["duplicates"], 1)
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.delivery_count, 2)
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.job_id.kind, "import_record")
        self.assertEqual(event.job_id.payload, {"object": "customers", "ids": ["42"]})
        self.assertNotIn("X-Sync-Signature", event.headers)

    def test_events_of_one_record_share_one_pending_job(self):
        self.post(
            [
                {"event_id": "a", "object": "customers", "id": "7"},
                {"event_id": "b", "object": "customers", "id": "7"},
            ]
        )
        events = self.events()
        self.assertEqual(len(events), 2)
        self.assertEqual(len(events.job_id), 1)

    def test_bad_signature_refused_nothing_stored(self):
        body = [{"event_id": "ev-2", "object": "customers", "id": "1"}]
        res = self.post(body, secret="forged")
        self.assertEqual(res.status_code, 401)
        self.assertEqual(res.json()["reason"], "bad signature")
        res = self.post(body, timestamp=time.time() - 3600)
        self.assertEqual(res.status_code, 401)
        self.assertIn("stale", res.json()["reason"])
        raw = json.dumps(body).encode()
        res = self.url_open(self.url, data=raw, headers={"Content-Type": "application/json"})
        self.assertEqual(res.status_code, 401)
        self.assertFalse(self.events())

    def test_unknown_token_refused_nothing_stored(self):
        res = self.post(
            [{"event_id": "x", "object": "c", "id": "1"}],
            url="/sync/generic/not-a-real-token-at-all",
        )
        self.assertEqual(res.status_code, 404)
        self.assertEqual(res.json()["status"], "error")
        self.assertFalse(self.env["sync.event"].search([]))

    def test_malformed_body_kept_as_rejected(self):
        res = self.post(b"{not json")
        self.assertEqual(res.status_code, 400)
        self.assertIn("not JSON", res.json()["reason"])
        event = self.events()
        self.assertEqual(event.state, "rejected")
        self.assertEqual(event.body, "{not json")
        res = self.post([{"no": "id"}])
        self.assertEqual(res.status_code, 400)
        self.assertEqual(len(self.events()), 2)

    def test_get_not_allowed_and_body_limit(self):
        res = self.url_open(self.url)
        self.assertEqual(res.status_code, 405)
        res = self.post(b"x" * (5 * 1024 * 1024 + 1))
        self.assertEqual(res.status_code, 413)
        self.assertFalse(self.events())
