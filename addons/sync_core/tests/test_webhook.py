import json
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.fake.server import GenericFake
from odoo.addons.sync_core.signatures import sign_generic


@tagged("-at_install", "post_install")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {"name": "Hook", "kind": "generic", "webhook_secret": "whsec-1"}
        )
        cls.env["sync.mapping"].create(
            {
                "name": "Customers",
                "backend_id": cls.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "line_ids": [(0, 0, {"remote_field": "name", "odoo_field": "name"})],
            }
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

    def test_event_of_unmapped_object_kept_as_ignored(self):
        res = self.post([{"event_id": "u-1", "object": "invoices", "id": "5"}])
        self.assertEqual(res.status_code, 200)
        event = self.events()
        self.assertEqual(event.state, "ignored")
        self.assertIn("invoices", event.reason)
        self.assertFalse(self.env["sync.job"].search([("backend_id", "=", self.backend.id)]))

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


@tagged("-at_install", "post_install")
class TestWebhookBatch(HttpCase):
    def test_webhook_burst_is_applied_as_one_batch(self):
        fake = GenericFake(token="tok")
        fake.start()
        self.addCleanup(fake.stop)
        backend = self.env["sync.backend"].create(
            {
                "name": "Burst",
                "kind": "generic",
                "webhook_secret": "whsec-b",
                "base_url": fake.base_url,
                "api_token": "tok",
            }
        )
        self.env["sync.mapping"].create(
            {
                "name": "c",
                "backend_id": backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "line_ids": [(0, 0, {"remote_field": "name", "odoo_field": "name"})],
            }
        )
        ids = [fake.put("customers", {"name": f"Burst {i}"}) for i in range(30)]
        body = json.dumps(
            [{"event_id": f"b-{i}", "object": "customers", "id": ext} for i, ext in enumerate(ids)]
        ).encode()
        res = self.url_open(
            f"/sync/generic/{backend.webhook_token}",
            data=body,
            headers={"Content-Type": "application/json", **sign_generic("whsec-b", body)},
        )
        self.assertEqual(res.json()["stored"], 30)
        jobs = self.env["sync.job"].search([("backend_id", "=", backend.id)])
        self.assertEqual(len(jobs), 30)
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertEqual(fake.count("POST", "batch/read"), 1, "one batch read for the burst")
        self.assertEqual(self.env["res.partner"].search_count([("name", "like", "Burst ")]), 30)
        events = self.env["sync.event"].search([("backend_id", "=", backend.id)])
        self.assertEqual(set(events.mapped("state")), {"processed"})
