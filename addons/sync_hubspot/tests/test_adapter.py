# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from hubspot.crm.deals import SimplePublicObjectInput

from odoo import fields
from odoo.tools import mute_logger

from odoo.addons.sync_core.exceptions import (
    AuthenticationError,
    RateLimitedError,
    RemoteUnavailableError,
)
from odoo.addons.sync_hubspot.hubspot_adapter import HubSpotAdapter

from .common import TOKEN, HubSpotCase


class TestAdapter(HubSpotCase):
    def adapter(self, **config):
        return HubSpotAdapter(
            {"base_url": self.fake.base_url, "access_token": TOKEN, "timeout": 5, **config}
        )

    def test_429_on_patch_then_success(self):
        deal = self.fake.add("deals", {"dealname": "Robots"})
        self.fake.fail_next(1, status=429, retry_after=0, methods="PATCH")
        adapter = self.backend._get_adapter()
        api = adapter.client.crm.deals.basic_api
        adapter._call(
            api.update_with_http_info, deal, SimplePublicObjectInput(properties={"amount": "10"})
        )
        self.assertEqual(self.calls("PATCH", f"/crm/v3/objects/deals/{deal}"), 2)
        self.assertEqual(self.fake.get("deals", deal)["properties"]["amount"], "10")
        # the batch update (POST) of the write-back is retried the same way
        self.fake.fail_next(1, status=429, retry_after=0, methods="POST")
        written = self.backend._get_adapter().write_batch("deals", [(deal, {"amount": "20"})])
        self.assertEqual(written, [deal])
        self.assertEqual(self.calls("POST", "/crm/v3/objects/deals/batch/update"), 2)
        self.assertEqual(self.fake.get("deals", deal)["properties"]["amount"], "20")

    @mute_logger("urllib3.connectionpool")
    def test_error_classification(self):
        adapter = self.adapter(retries=1, backoff=0)
        # a 429 with no Retry-After and only category RATE_LIMITS in its body
        self.fake.fail_next(5, status=429, methods="POST")
        with self.assertRaises(RateLimitedError) as caught:
            adapter.read_batch("companies", ["1"])
        self.assertGreater(caught.exception.retry_after, 0)
        self.fake.clear_faults()
        # a read that fails on the way is read again at once, twice: a third 503 is the job's
        self.fake.fail_next(2, status=503)
        adapter.read_batch("companies", ["1"])
        self.fake.fail_next(3, status=503)
        with self.assertRaises(RemoteUnavailableError):
            adapter.read_batch("companies", ["1"])
        # a write is never sent again (a timed out POST may have been applied)
        self.fake.fail_next(1, status=503, methods="POST")
        with self.assertRaises(RemoteUnavailableError):
            adapter.write_batch("companies", [(None, {"name": "Once"})])
        with self.assertRaises(AuthenticationError):
            self.adapter(access_token="pat-wrong").read_batch("companies", ["1"])
        self.fake.timeout_next(3, seconds=2.0)
        with self.assertRaises(RemoteUnavailableError):
            self.adapter(timeout=0.3).read_batch("companies", ["1"])

    def test_associations_follow_each_records_paging(self):
        """HubSpot answers at most 500 associations per record in a batch read, with the
        record's own ``paging.next.after``: its next page is asked for, none is left out."""
        deal = self.fake.add("deals", {"dealname": "Many lines"})
        other = self.fake.add("deals", {"dealname": "Two lines"})
        items = self.fake.add_many("line_items", [{"name": f"L{n}"} for n in range(503)])
        for item in items:
            self.fake.associate("line_items", item, "deals", deal)
        for item in items[:2]:
            self.fake.associate("line_items", item, "deals", other)
        adapter = self.adapter()
        links = adapter.associations("deals", "line_items", [deal, other])
        self.assertEqual(sorted(to for to, _types in links[deal]), sorted(items))
        self.assertEqual(sorted(to for to, _types in links[other]), sorted(items[:2]))
        self.assertEqual(adapter.calls, 2, "the first answer, then the deal's next page")

    def test_read_batch_missing_and_archived(self):
        live = self.fake.add("companies", {"name": "Live"})
        gone = self.fake.add("companies", {"name": "Gone"})
        self.fake.archive("companies", gone)
        records = {r["id"]: r for r in self.adapter().read_batch("companies", [live, gone, "9"])}
        self.assertEqual(set(records), {live, gone})
        self.assertFalse(records[live]["archived"])
        self.assertTrue(records[gone]["archived"])

    def test_oauth_token_refreshed_proactively(self):
        tokens = self.fake.issue_tokens()
        backend = self.backend.copy(
            {
                "name": "HubSpot OAuth",
                "hubspot_auth": "oauth",
                "hubspot_client_id": self.fake.client_id,
                "hubspot_client_secret": self.fake.client_secret,
                "hubspot_refresh_token": tokens["refresh_token"],
                "hubspot_access_token": tokens["access_token"],
            }
        )
        # HubSpot said expires_in; two minutes are left: refresh before any call, not on a 401
        backend.hubspot_token_expires_at = fields.Datetime.now() + timedelta(minutes=2)
        self.fake.advance_clock(tokens["expires_in"] - 120)
        company = self.fake.add("companies", {"name": "Acme"})
        self.fake.reset_log()
        records = backend._get_adapter().read_batch("companies", [company])
        self.assertEqual(records[0]["data"]["name"], "Acme")
        self.assertEqual(self.calls("POST", "/oauth/v1/token"), 1)
        self.assertNotEqual(backend.hubspot_access_token, tokens["access_token"])
        self.assertGreater(
            backend.hubspot_token_expires_at, fields.Datetime.now() + timedelta(minutes=29)
        )
        self.assertNotIn(401, [entry["status"] for entry in self.fake.request_log])
        # a fresh token is reused, not refreshed again; test connection reports the scopes
        backend._get_adapter().read_batch("companies", [company])
        backend.action_test_connection()
        self.assertEqual(self.calls("POST", "/oauth/v1/token"), 1)
        self.assertIn("crm.objects.deals.write", backend.status_message)

    def test_connection_reports_portal(self):
        self.backend.hubspot_time_zone = "UTC"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok")
        self.assertEqual(self.backend.hubspot_portal_id, str(self.fake.portal_id))
        # the portal's time zone (its daily API limit resets at midnight there)
        self.assertEqual(self.backend.hubspot_time_zone, self.fake.time_zone)
        # what the test learnt is stored as data, not parsed back out of the message
        info = self.backend.connection_info
        self.assertEqual(info["system"], "HubSpot")
        self.assertEqual(info["account_id"], str(self.fake.portal_id))
        self.assertEqual(info["details"]["time zone"], self.fake.time_zone)
        self.assertEqual(info["details"]["currency"], self.fake.currency)
        self.assertEqual(info["warnings"], [])
        self.assertTrue(
            self.backend.status_message.startswith(f"HubSpot portal {self.fake.portal_id}; ")
        )
