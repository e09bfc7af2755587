# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import time
from datetime import datetime, timedelta

from hubspot.crm.companies import ApiException

from odoo import fields
from odoo.tests import BaseCase
from odoo.tools import mute_logger

from odoo.addons.sync_core.exceptions import QuotaExhaustedError, RateLimitedError
from odoo.addons.sync_core.retry import next_midnight
from odoo.addons.sync_hubspot.hubspot_adapter import (
    HubSpotAdapter,
    classify,
    rate_limit_from_headers,
)

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


def _api_429(body, headers=None):
    exc = ApiException(status=429, reason="Too Many Requests")
    exc.body = json.dumps(body) if isinstance(body, dict) else body
    exc.headers = headers or {}
    return exc


class TestClassify429(BaseCase):
    """HubSpot names the limit a 429 hit: the daily one is a quota until midnight, portal
    time; the short windows are retried after the window."""

    def test_daily_limit_by_policy_or_header(self):
        daily = {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
            "policyName": "DAILY",
            "requestId": "3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd",
        }
        error = classify(_api_429(daily), "America/New_York")
        self.assertIsInstance(error, QuotaExhaustedError)
        self.assertEqual(error.reset_at, next_midnight("America/New_York"))
        self.assertTrue(error.keep_attempt and error.pause_backend)
        self.assertEqual(error.reason, "HubSpot daily API limit reached")
        # no body worth reading, but the daily remaining header (any case, number as text)
        error = classify(_api_429("not json", {"x-hubspot-ratelimit-daily-remaining": " 0"}), "UTC")
        self.assertIsInstance(error, QuotaExhaustedError)
        self.assertIsInstance(classify(_api_429({"policyName": "daily"})), QuotaExhaustedError)

    def test_short_windows(self):
        cases = [
            ({"policyName": "SECONDLY"}, {}, 1.0),
            ({"policyName": "TEN_SECONDLY_ROLLING"}, {}, 10.0),
            ({"category": "RATE_LIMITS"}, {}, 1.0),
            ({"policyName": "SECONDLY"}, {"Retry-After": "3"}, 3.0),
            (
                {"policyName": "SECONDLY"},
                {"X-HubSpot-RateLimit-Daily-Remaining": "12"},
                1.0,
            ),
        ]
        for body, headers, wait in cases:
            error = classify(_api_429(body, headers))
            self.assertNotIsInstance(error, QuotaExhaustedError, body)
            self.assertIsInstance(error, RateLimitedError)
            self.assertEqual(error.retry_after, wait, body)
            self.assertFalse(error.reset_at)

    def test_next_midnight_in_the_portal_time_zone(self):
        # New York, the day before DST starts: midnight EST is 05:00 UTC
        self.assertEqual(
            next_midnight("America/New_York", now=datetime(2026, 3, 7, 12, 0)),
            datetime(2026, 3, 8, 5, 0),
        )
        # 23:30 UTC is already tomorrow in Brussels: the next midnight is a day later
        self.assertEqual(
            next_midnight("Europe/Brussels", now=datetime(2026, 12, 1, 23, 30)),
            datetime(2026, 12, 2, 23, 0),
        )
        self.assertEqual(next_midnight("", now=datetime(2026, 1, 1, 8)), datetime(2026, 1, 2))
        self.assertEqual(
            next_midnight("Not/AZone", now=datetime(2026, 1, 1, 8)), datetime(2026, 1, 2)
        )


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

    def test_daily_limit_pauses_the_backend_and_keeps_the_attempts(self):
        """HubSpot's daily limit: one request, no retry storm; every channel of the backend
        paused until midnight in the portal's time zone, shown on the backend; the job waits
        for the reset without spending its attempts, however many days it takes."""
        self.backend.hubspot_time_zone = "America/New_York"
        contact = self.fake.add("contacts", {"firstname": "Daily", "lastname": "Limit"})
        writeback_channel = self.env["sync.channel"].create(
            {"backend_id": self.backend.id, "kind_code": "hubspot_writeback"}
        )
        job = self.enqueue(
            "import_record", {"object": "contacts", "ids": [contact]}, f"import:contacts:{contact}"
        )
        self.fake.exhaust_daily_limit()
        self.fake.reset_log()
        self.run_jobs()
        reset = next_midnight("America/New_York")
        self.assertEqual(len(self.fake.request_log), 1, "the daily 429 is not retried")
        self.assertEqual(job.state, "pending")
        self.assertEqual(job.attempt, 0, "waiting for the daily reset spends no attempt")
        self.assertEqual(job.eta, reset)
        self.assertIn("daily API limit", job.error)
        channels = self.env["sync.channel"].search([("backend_id", "=", self.backend.id)])
        self.assertIn(writeback_channel, channels)
        self.assertEqual(set(channels.mapped("blocked_until")), {reset})
        self.assertEqual(
            set(channels.mapped("blocked_reason")), {"HubSpot daily API limit reached"}
        )
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.paused_until, reset)
        self.assertEqual(self.backend.pause_reason, "HubSpot daily API limit reached")
        waiting = self.enqueue("hubspot_writeback", {}, "hubspot:writeback")
        self.run_jobs()
        self.assertEqual((waiting.state, waiting.attempt), ("pending", 0), "paused backend")
        # day after day the limit still holds: never dead-lettered
        for _day in range(job.max_attempts + 1):
            channels.write({"blocked_until": False})
            job.eta = fields.Datetime.now() - timedelta(seconds=1)
            waiting.state = "cancelled"
            self.run_jobs()
            self.assertEqual((job.state, job.attempt), ("pending", 0))
        self.assertFalse(job.exception_ids)
        # the limit resets: the job runs
        self.fake.reset_daily_limit()
        channels.write({"blocked_until": False})
        job.eta = fields.Datetime.now() - timedelta(seconds=1)
        self.run_jobs()
        self.assertEqual((job.state, job.attempt), ("done", 1), job.error)
        self.assertEqual(self.record_of(contact).name, "Daily Limit")

    def _search_gap(self, adapter):
        self.fake.add_many("companies", [{"name": f"Gap {n}"} for n in range(3)])
        self.fake.reset_log()
        pages = list(adapter.iter_changes("companies", None, page_size=10))
        self.assertEqual(sum(len(page) for page in pages), 3)
        searches = [e for e in self.fake.request_log if e["path"] == SEARCH]
        self.assertEqual([e["status"] for e in searches], [429, 200])
        return searches[1]["received_at"] - searches[0]["at"]

    def test_secondly_429_retry_waits_the_window(self):
        """After a secondly 429 the retry comes a window (1 s) later, not 1 ms later."""
        adapter = HubSpotAdapter(
            {"base_url": self.fake.base_url, "access_token": TOKEN, "search_interval": 0}
        )
        self.fake.fail_next(1, status=429, policy="SECONDLY", path_contains="/search")
        self.assertGreaterEqual(self._search_gap(adapter), 1.0)

    def test_429_without_policy_retry_waits_a_window(self):
        adapter = HubSpotAdapter(
            {"base_url": self.fake.base_url, "access_token": TOKEN, "search_interval": 0}
        )
        self.fake.fail_next(1, status=429, path_contains="/search")  # category only
        self.assertGreaterEqual(self._search_gap(adapter), 1.0)

    def test_search_spacing_applies_to_retries(self):
        """A retried search keeps the portal's search spacing (here 1.5 s, longer than the
        1 s window)."""
        adapter = HubSpotAdapter(
            {
                "base_url": self.fake.base_url,
                "access_token": TOKEN,
                "search_interval": 1.5,
                "search_key": f"spacing-{self.fake.base_url}",
            }
        )
        self.fake.fail_next(1, status=429, policy="SECONDLY", path_contains="/search")
        self.assertGreaterEqual(self._search_gap(adapter), 1.5)
