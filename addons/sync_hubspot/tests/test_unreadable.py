# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A HubSpot record the connector cannot read (no id) is one exception naming it, its raw
record kept; the rest of the page lands and the watermark moves on (search pull, deals pull,
webhook re-fetch)."""

import json

from .common import HubSpotCase
from .test_deals import DealCase
from .test_pull import T0


class UnreadableMixin:
    def unreadable(self, object_name):
        return self.env["sync.exception"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("pattern", "=", f"unreadable {object_name} record"),
            ]
        )

    def assert_one_exception(self, object_name, name):
        exception = self.unreadable(object_name)
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "payload")
        self.assertIn(f"A record of {object_name} without an id cannot be read", exception.name)
        raw = json.loads(exception.payload_text)
        self.assertIsNone(raw["id"])
        self.assertEqual(raw["properties"].get("name") or raw["properties"].get("dealname"), name)
        return exception


class TestUnreadableCompanies(UnreadableMixin, HubSpotCase):
    def _companies(self):
        good = [
            self.fake.add("companies", {"name": f"Good {n}"}, updated_at=T0 + n * 1000)
            for n in range(3)
        ]
        bad = self.fake.add("companies", {"name": "No id"}, updated_at=T0 + 3500, omit=("id",))
        good.append(self.fake.add("companies", {"name": "Good last"}, updated_at=T0 + 9000))
        return good, bad

    def test_search_pull_with_a_record_without_id(self):
        good, _bad = self._companies()
        job = self.pull("companies")
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["read"], stats["created"], stats["unreadable"]), (5, 4, 1))
        for external_id in good:
            self.assertTrue(self.record_of(external_id), external_id)
        self.assert_one_exception("companies", "No id")
        wm = self.backend.watermark_ids.filtered(lambda w: w.object_name == "companies")
        self.assertEqual(wm.cursor_id, good[-1], "the watermark moved past it")

    def test_webhook_refetch_with_a_record_without_id(self):
        good, bad = self._companies()
        job = self.enqueue("import_record", {"object": "companies", "ids": [*good, bad]}, None)
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["created"], stats["unreadable"]), (4, 1))
        self.assert_one_exception("companies", "No id")


class TestUnreadableDeals(UnreadableMixin, DealCase):
    def test_deals_pull_with_a_deal_without_id(self):
        _company, won = self.won_deal()
        self.fake.add(
            "deals", {"dealname": "Deal without id", "dealstage": "closedwon"}, omit=("id",)
        )
        job = self.pull("deals")
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["enqueued"], stats["unreadable"]), (1, 1))
        self.assertTrue(self.orders_of(won))
        self.assert_one_exception("deals", "Deal without id")

    def test_deal_job_with_a_deal_without_id(self):
        _company, won = self.won_deal()
        bad = self.fake.add(
            "deals", {"dealname": "Deal without id", "dealstage": "closedwon"}, omit=("id",)
        )
        job = self.enqueue("hubspot_deal", {"ids": [won, bad]}, f"hubspot:deal:{won}")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        result = json.loads(job.result)
        self.assertEqual(len(result["unreadable"]), 1)
        self.assertEqual(result["not_found"], [bad], "the id asked for never came back as such")
        self.assertTrue(self.orders_of(won))
        self.assert_one_exception("deals", "Deal without id")

    def test_deal_with_an_unreadable_line_item_fails_naming_it(self):
        _company, deal = self.won_deal(skus=("RA-200",))
        self.fake.add(
            "line_items",
            {"name": "No id", "hs_sku": "SRV-INSTALL", "quantity": "1", "price": "10"},
            [("deals", deal)],
            omit=("id",),
        )
        job = self.deliver(deal)
        self.assertEqual(job.state, "failed", "never an order with only some of its lines")
        self.assertIn(f"HubSpot deal {deal}: line item unreadable-", job.error)
        self.assertIn("cannot be read", job.error)
        self.assertFalse(self.orders_of(deal))
