# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.tests.common import (
    PROJECTS_OF_ORDERS,
    drain_jobs,
    duplicate_counts,
    log_duplicates,
)
from odoo.addons.sync_hubspot.fake import webhooks
from odoo.addons.sync_hubspot.fake.server import HubSpotFake

from .common import SECRET, TOKEN

_logger = logging.getLogger(__name__)
DEALS = 12
PER_BODY = 4


@tagged("-at_install", "post_install", "reliability")
class TestDuplicateOrders(HttpCase):
    """Nothing doubled down to the business documents: won deals announced by signed webhooks
    delivered 3 times before their jobs ran and once more after, then every deal page pulled
    twice (from an empty watermark): one event per delivery identity, one sale order, one
    project, one customer and one binding per remote record."""

    def run_jobs(self):
        drain_jobs(self, self.backend)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.fake = HubSpotFake(token=TOKEN, client_secret=SECRET)
        base_url = cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "HubSpot duplicates",
                "kind": "hubspot",
                "hubspot_access_token": TOKEN,
                "hubspot_client_secret": SECRET,
                "base_url": base_url,
                "timeout": 10,
                "hubspot_search_interval_ms": 0,
                "page_size": 5,
            }
        )
        cls.backend._hubspot_create_default_mappings()
        Product = cls.env["product.product"]
        Product.create(
            {"name": "Robot arm", "default_code": "RA-200", "type": "consu", "list_price": 10}
        )
        Product.create(
            {
                "name": "Installation",
                "default_code": "SRV-INSTALL",
                "type": "service",
                "service_tracking": "project_only",
                "invoice_policy": "order",
            }
        )

    def won_deal(self, n):
        company = self.fake.add(
            "companies", {"name": f"Dup Corp {n:02d}", "domain": f"dup{n}.example"}
        )
        deal = self.fake.add(
            "deals",
            {"dealname": f"Dup deal {n:02d}", "dealstage": "closedwon", "pipeline": "default"},
            [("companies", company)],
        )
        for sku in ("RA-200", "SRV-INSTALL"):
            self.fake.add(
                "line_items",
                {"name": f"Item {sku}", "hs_sku": sku, "quantity": "1", "price": "100.00"},
                [("deals", deal)],
            )
        return company, deal

    def post(self, events):
        url = f"{self.base_url()}/sync/hubspot/{self.backend.webhook_token}"
        body = json.dumps(events, separators=(",", ":")).encode()
        stamp = int(time.time() * 1000)
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": webhooks.sign_v3(SECRET, "POST", url, body, stamp),
            "X-HubSpot-Request-Timestamp": str(stamp),
        }
        return self.url_open(url, data=body, headers=headers, timeout=60)

    def counts(self):
        return duplicate_counts(
            self,
            self.backend,
            (
                ("orders", "SELECT count(*), count(DISTINCT origin) FROM sale_order"
                           " WHERE origin LIKE 'HubSpot deal %%'"),
                ("projects", PROJECTS_OF_ORDERS % "HubSpot deal %%"),
                ("customers", "SELECT count(*), count(DISTINCT name) FROM res_partner"
                              " WHERE name LIKE 'Dup Corp %%' AND parent_id IS NULL"),
            ),
        )  # fmt: skip

    def test_won_deals_delivered_four_times_and_pulled_twice(self):
        deals = [self.won_deal(n)[1] for n in range(DEALS)]
        events = [
            webhooks.build_event(
                "deal.propertyChange",
                int(deal),
                property_name="dealstage",
                property_value="closedwon",
                event_id=5_000 + n,
            )
            for n, deal in enumerate(deals)
        ]
        bodies = [events[i : i + PER_BODY] for i in range(0, DEALS, PER_BODY)]
        # three deliveries of every body before any job ran (HubSpot retries when an ack is
        # slow), the third with attemptNumber 1 as HubSpot's redeliveries carry
        for attempt in range(3):
            for body in bodies:
                body = [dict(e, attemptNumber=min(attempt, 1)) for e in body]
                res = self.post(body)
                self.assertEqual(res.status_code, 200, res.text)
        self.run_jobs()
        for body in bodies:  # once more after the orders exist
            self.assertEqual(self.post(body).status_code, 200)
        self.run_jobs()
        # every page of deals read twice: the pull from an empty watermark, twice
        Job = self.env["sync.job"]
        for _round in range(2):
            self.env["sync.watermark"].search([("backend_id", "=", self.backend.id)]).unlink()
            Job._enqueue(
                self.backend,
                "hubspot_pull_deals",
                payload={"object": "deals"},
                identity_key="pull:deals",
            )
            self.run_jobs()
        jobs = Job.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertFalse(
            self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]).mapped("name")
        )
        counts = self.counts()
        self.assertEqual(counts["events"], (DEALS, DEALS))
        self.assertEqual(counts["orders"], (DEALS, DEALS))
        self.assertEqual(counts["projects"], (DEALS, DEALS))
        self.assertEqual(counts["customers"], (DEALS, DEALS))
        rows, distinct = counts["bindings"]
        self.assertEqual(rows, distinct)
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(events.mapped("delivery_count")), {4})
        log_duplicates(
            _logger,
            "hubspot",
            "won deals' webhooks delivered 4x, deal pages pulled twice",
            DEALS,
            "deals",
            counts,
        )
