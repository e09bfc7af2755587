# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot answers in the shapes of HubSpot's documentation examples and of recorded traffic
(not the fake's defaults), served over HTTP by the fake to the real hubspot-api-client: the
adapter reads them, and an error body becomes a readable reason."""

from odoo.tools import mute_logger

from odoo.addons.sync_core.exceptions import RateLimitedError, SyncError
from odoo.addons.sync_hubspot.hubspot_adapter import HubSpotAdapter

from .common import TOKEN, HubSpotCase


def _company(object_id, name, updated, **properties):
    return {
        "id": str(object_id),
        "properties": {
            "createdate": "2019-10-30T03:30:17.883Z",
            "domain": None,
            "hs_lastmodifieddate": updated,
            "hs_object_id": str(object_id),
            "name": name,
            **properties,
        },
        "createdAt": "2019-10-30T03:30:17.883Z",
        "updatedAt": updated,
        "archived": False,
        # keys a newer API version adds are ignored
        "url": f"https://app.hubspot.com/contacts/62515/record/0-2/{object_id}",
        "propertiesWithHistory": {},
    }


class TestWireFormats(HubSpotCase):
    def adapter(self, **config):
        return HubSpotAdapter(
            {"base_url": self.fake.base_url, "access_token": TOKEN, "timeout": 5, **config}
        )

    def test_search_page_as_documented(self):
        """A CRM search answer: ``total``, ids as strings, properties with nulls and empty
        strings, stamps with milliseconds and Z (one with microseconds), no ``paging`` on the
        last page."""
        body = {
            "total": 2,
            "results": [
                _company(18_000_000_001, "Initech", "2019-12-07T16:50:06.678Z", phone=""),
                _company(512, "Biglytics", "2019-12-07T16:50:06.67812Z", city=None),
            ],
        }
        self.fake.fail_next(1, status=200, body=body, path_contains="/search")
        pages = list(self.adapter().iter_changes("companies", None))
        records = [r for page in pages for r in page]
        # in (stamp, id) order: .678 before .67812
        self.assertEqual([r["id"] for r in records], ["18000000001", "512"])
        self.assertEqual(records[0]["data"]["name"], "Initech")
        self.assertIsNone(records[0]["data"]["phone"], "an empty string is no value")
        self.assertEqual(records[0]["updated_at"].isoformat(), "2019-12-07T16:50:06.678000")
        self.assertIsNone(records[1]["data"]["city"])

    @mute_logger("urllib3.connectionpool")
    def test_error_bodies_become_readable_reasons(self):
        adapter = self.adapter(retries=0, backoff=0)
        validation = {
            "status": "error",
            "message": 'Property values were not valid: [{"isValid":false,"message":'
            '"Property \\"amount\\" has an invalid value","error":"INVALID_FLOAT"}]',
            "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
            "category": "VALIDATION_ERROR",
            "errors": [{"message": "invalid", "code": "INVALID_FLOAT", "context": {}}],
            "links": {"knowledge-base": "https://www.hubspot.com/products/service/knowledge-base"},
        }
        self.fake.fail_next(1, status=400, body=validation, methods="POST")
        with self.assertRaises(SyncError) as caught:
            adapter.write_batch("deals", [("1", {"amount": "ten"})])
        message = str(caught.exception)
        self.assertIn("HTTP 400", message)
        self.assertIn("VALIDATION_ERROR", message)
        self.assertIn("Property values were not valid", message)
        self.assertIn("aeb5f871-7f07-4993-9211-075dc63e7cbf", message)
        # a body that is not JSON (a proxy's page): its text, on one line, never a crash
        self.fake.fail_next(1, status=404, body="<html>\n<h1>Not Found</h1></html>")
        with self.assertRaises(SyncError) as caught:
            adapter.read_batch("companies", ["1"])
        self.assertIn("Not Found", str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))
        # the ten-secondly rolling limit of a public app (recorded shape, with groupName)
        limited = {
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": "publicapi-oauth-per-app:1234567",
        }
        self.fake.fail_next(3, status=429, body=limited, methods="POST")
        with self.assertRaises(RateLimitedError) as caught:
            adapter.read_batch("companies", ["1"])
        self.assertGreaterEqual(caught.exception.retry_after, 10)
