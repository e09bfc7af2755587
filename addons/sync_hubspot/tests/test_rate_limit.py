# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import time

from odoo import fields
from odoo.tests import BaseCase
from odoo.tools import mute_logger

from odoo.addons.sync_core.exceptions import RateLimitedError
from odoo.addons.sync_hubspot.hubspot_adapter import HubSpotAdapter, rate_limit_from_headers

from .common import TOKEN, HubSpotCase

SEARCH = "/crm/v3/objects/companies/search"


class TestRateLimitHeaders(BaseCase):
    def test_tightest_window(self):
        headers = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Remaining": "150",
            "X-HubSpot-RateLimit-Secondly": "10",
            "X-HubSpot-RateLimit-Secondly-Remaining": "4",
            "X-HubSpot-RateLimit-Daily": "500000",
        }
        # 10 per second is tighter than 190 per 10 seconds
        self.assertEqual(
            rate_limit_from_headers(headers), {"max": 10, "remaining": 4, "interval": 1.0}
        )
        # an exhausted window wins, the longest first
        headers["X-HubSpot-RateLimit-Remaining"] = "0"
        headers["X-HubSpot-RateLimit-Secondly-Remaining"] = "0"
        self.assertEqual(
            rate_limit_from_headers(headers), {"max": 190, "remaining": 0, "interval": 10.0}
        )
        # header names are case-insensitive; no secondly headers on some apps
        self.assertEqual(
            rate_limit_from_headers(
                {
                    "x-hubspot-ratelimit-max": "100",
                    "x-hubspot-ratelimit-remaining": "99",
                    "x-hubspot-ratelimit-interval-milliseconds": "10000",
                }
            ),
            {"max": 100, "remaining": 99, "interval": 10.0},
        )
        self.assertIsNone(rate_limit_from_headers({}))
        self.assertIsNone(rate_limit_from_headers({"X-HubSpot-RateLimit-Max": "many"}))
        self.assertIsNone(rate_limit_from_headers(None))


class TestRateLimit(HubSpotCase):
    def test_deal_pull_throttles_the_channel(self):
        self.fake.add("deals", {"dealname": "Open", "dealstage": "appointmentscheduled"})
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        # the fake announces 190 requests per 10 s (and 19 per second): 90% of 19/s
        info = json.loads(job.result)["rate_limit"]
        self.assertEqual(info["max"] / info["interval"], 19)
        self.assertAlmostEqual(job.channel_id.rate_per_second, 17.1)
        self.assertFalse(job.channel_id.blocked_until)

    def test_exhausted_window_blocks_the_channel(self):
        self.fake.burst_limit = 2  # the deal pull's search and association read use it up
        self.fake.add("deals", {"dealname": "Open", "dealstage": "appointmentscheduled"})
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        channel = job.channel_id
        self.assertGreater(channel.blocked_until, fields.Datetime.now())
        waiting = self.enqueue("hubspot_writeback", {}, "hubspot:writeback")
        self.run_jobs()
        self.assertEqual(waiting.state, "pending", "nothing starts before HubSpot's next window")

    @mute_logger("urllib3.connectionpool")
    def test_search_spacing_provokes_no_429(self):
        self.fake.search_rate_limit = 5  # HubSpot: about 5 searches per second per portal
        self.fake.add_many("companies", [{"name": f"Spaced {n:02d}"} for n in range(60)])
        # without spacing, 12 quick searches hit the search limit (no retry here)
        unspaced = HubSpotAdapter(
            {
                "base_url": self.fake.base_url,
                "access_token": TOKEN,
                "retries": 0,
                "search_interval": 0,
            }
        )
        with self.assertRaises(RateLimitedError):
            list(unspaced.iter_changes("companies", None, page_size=5))
        time.sleep(1.1)
        self.fake.reset_log()
        # the backend's spacing (200 ms between searches of a portal): no 429 at all
        self.backend.hubspot_search_interval_ms = 200
        adapter = self.backend._get_adapter()
        self.assertEqual(adapter.search_interval, 0.2)
        started = time.monotonic()
        pages = list(adapter.iter_changes("companies", None, page_size=5))
        elapsed = time.monotonic() - started
        self.assertEqual(sum(len(page) for page in pages), 60)
        searches = [e for e in self.fake.request_log if e["path"] == SEARCH]
        self.assertEqual(len(searches), 12)
        self.assertEqual({e["status"] for e in searches}, {200})
        self.assertGreaterEqual(elapsed, 11 * 0.2)
