# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Remote faults (issue 11, section 2 item 4): a pull and a webhook re-fetch burst against a
HubSpot portal that answers about 20% of the requests with a seeded random fault (429 with
and without Retry-After, 5xx, timeouts, reset connections, truncated JSON) and expires the
OAuth access token once; the job runner is driven pass by pass, the due jobs' eta and the
channels' block moved to now between passes instead of sleeping (sync_core's
`RemoteFaultsMixin`)."""

import json
import logging
import os
import time
from datetime import timedelta

from odoo import fields
from odoo.tools import mute_logger

from odoo.addons.sync_core.tests.remote_faults import RemoteFaultsMixin
from odoo.addons.sync_hubspot.hubspot_adapter import READ_RETRIES

from .common import HubSpotCase

_logger = logging.getLogger(__name__)

PULLED, REFETCHED = 100, 100
# the random faults: kind and fields of sync_core.fake.faults.Fault
FAULT_KINDS = [
    {"kind": "status", "status": 429, "retry_after": 30},  # beyond the inline wait: the job
    {"kind": "status", "status": 429},  # no Retry-After: the adapter retries after 1 s
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 503},
    {"kind": "timeout", "seconds": 1.5},  # the backend's timeout is 1 s
    {"kind": "reset"},
    {"kind": "malformed"},
]
# Remote requests per record, bounded: a page of the pull reads 25 records in one search
# (plus a batch read of its associations) and a re-fetch job batch reads 2 records (plus
# their companies);
# each fault costs one more request, at most 4 per job attempt (the adapter's 3 inline 429
# retries, or a failed read and its 2 re-reads) and max_attempts (5) attempts per job, the
# token refresh one request once.
# Without a tight loop that is far below 1 + 4 * 5 = 21 per record; we allow 3.
MAX_REQUESTS_PER_RECORD = 3


class TestRemoteFaults(RemoteFaultsMixin, HubSpotCase):
    def setUp(self):
        super().setUp()
        tokens = self.fake.issue_tokens()
        self.backend.write(
            {
                "hubspot_auth": "oauth",
                "hubspot_client_id": self.fake.client_id,
                "hubspot_client_secret": self.fake.client_secret,
                "hubspot_refresh_token": tokens["refresh_token"],
                "hubspot_access_token": tokens["access_token"],
                "hubspot_token_expires_at": fields.Datetime.now() + timedelta(hours=1),
                "timeout": 1,
                "page_size": 25,  # 4 pages: see the report on long pulls
            }
        )
        # webhook re-fetches read in batches of 2: many batch reads to fault
        self.env.ref("sync_core.job_kind_import_record").batch_size = 2

    def refetch(self, ids):
        """Enqueue the re-fetch jobs of contact change webhooks, as the webhook receiver does."""
        for contact_id in ids:
            values = self.backend._webhook_job_values(
                {
                    "event_type": "contact.propertyChange",
                    "object_name": "contacts",
                    "external_id": contact_id,
                    "payload": {"objectId": int(contact_id)},
                }
            )
            self.env["sync.job"]._enqueue(self.backend, **values)

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_hubspot.hubspot_adapter",
    )
    def test_transient_faults_all_synced(self):
        started = time.monotonic()
        pulled = self.fake.add_many(
            "contacts",
            [{"firstname": f"Pulled{n:03d}", "lastname": "Fault"} for n in range(PULLED)],
        )
        self.fake.reset_log()
        self.fake.random_faults(0.2, FAULT_KINDS, seed=11, path_contains="/crm/")
        self.enqueue("pull", {"object": "contacts"}, "pull:contacts")
        passes, blocked = self.drive()
        # the webhook burst: new contacts changed in HubSpot, with an access token HubSpot
        # expired before the backend's known expiry (a 401 the OAuth refresh recovers)
        refetched = self.fake.add_many(
            "contacts",
            [{"firstname": f"Hooked{n:03d}", "lastname": "Fault"} for n in range(REFETCHED)],
        )
        self.fake.expire_access_tokens()
        self.refetch(refetched)
        more_passes, more_blocked = self.drive()
        passes, blocked = passes + more_passes, blocked + more_blocked
        self.fake.clear_faults()
        elapsed = time.monotonic() - started

        ids = [str(i) for i in pulled + refetched]
        bindings = self.env["sync.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "res.partner"),
                ("external_id", "in", ids),
            ]
        )
        self.assertEqual(
            len(bindings),
            len(ids),
            "every record bound once",
        )
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(ids))
        partners = self.env["res.partner"].search([("name", "=like", "% Fault")])
        self.assertEqual(len(partners), len(ids), "every record created once")
        self.assertEqual(set(bindings.mapped("res_id")), set(partners.ids))
        jobs = self.fault_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        max_attempt = max(jobs.mapped("attempt"))
        self.assertLessEqual(max_attempt, min(jobs.mapped("max_attempts")))
        retried = jobs.filtered(lambda j: j.attempt > 1)
        self.assertTrue(retried, "the faults made jobs retry")
        self.assertGreater(blocked, 0, "a 429 blocked the channel")
        self.assertFalse(self.open_exceptions(), "every fault was transient")
        faults = self.fake.faults_injected
        requests = self.fake.calls()
        fault_count = sum(faults.values())
        self.assertGreaterEqual(fault_count / requests, 0.1)
        for kind in ("429", "502", "503", "timeout", "reset", "malformed"):
            self.assertIn(kind, faults)
        # the expired token: refreshed on a 401 and the call sent again; the new token is
        # stored apart from the job (and remembered by the process), so a job that fails
        # after refreshing does not roll it back: one 401, one refresh
        statuses = [entry["status"] for entry in self.fake.request_log]
        unauthorized = statuses.count(401)
        refreshes = self.fake.calls("POST", "/oauth/v1/token")
        self.assertEqual(refreshes, 1)
        self.assertEqual(unauthorized, 1)
        per_record = requests / len(ids)
        self.assertLessEqual(per_record, MAX_REQUESTS_PER_RECORD)
        figures = (
            f"{len(ids)} records ({PULLED} pulled, {REFETCHED} re-fetched by {REFETCHED} "
            f"webhook jobs), {requests} remote requests of which {fault_count} faults "
            f"({fault_count / requests:.0%}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(faults.items()))
            + f", expired token: {unauthorized} 401 -> {refreshes} refreshes), 100% synced "
            f"({len(bindings)} bindings, "
            f"{len(partners)} partners, once each), {len(retried)} jobs retried, max attempt "
            f"{max_attempt}/{min(jobs.mapped('max_attempts'))}, {per_record:.2f} requests per "
            f"record (bound {MAX_REQUESTS_PER_RECORD}), channel blocked {blocked}x after 429s, "
            f"0 open exceptions, {passes} runner passes, {elapsed:.1f} s"
        )
        _logger.info("RELIABILITY: faults hubspot: %s", figures)

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_hubspot.hubspot_adapter",
    )
    def test_one_record_always_failing_one_exception_after_last_attempt(self):
        ok = self.fake.add_many(
            "contacts", [{"firstname": "Fine", "lastname": f"N{n}"} for n in range(3)]
        )
        broken = self.fake.add("contacts", {"firstname": "Always", "lastname": "Failing"})
        self.refetch(ok)
        self.drive()
        self.fake.fail_next(1000, status=503, path_contains="/batch/read")
        self.fake.reset_log()
        self.refetch([broken])
        job = self.fault_jobs().filtered(lambda j: str(broken) in (j.payload or {}).get("ids", []))
        self.assertEqual(len(job), 1)
        # each attempt reads, and reads again twice at once (READ_RETRIES)
        self.always_failing(
            job,
            lambda: self.fake.calls("POST", "/crm/v3/objects/contacts/batch/read"),
            per_attempt=1 + READ_RETRIES,
        )
        for contact in ok:
            self.assertEqual(len(self.binding_of(contact)), 1)
        self.assertFalse(self.binding_of(broken))


DEALS, LINES = 30, 6
# The deal pull searches 15 deals a page (plus the batch read of their companies) and enqueues
# a deal job per won deal; a deal job reads its deal (and company association), its line item
# associations, its line items and its company: about 5 requests, each fault one more.
MAX_REQUESTS_PER_DEAL = 8


class TestRemoteFaultsDeals(RemoteFaultsMixin, HubSpotCase):
    """Won deals with line items pulled through the shared quote-to-order workflow (customer,
    sale order, project) while the portal answers about 20% of the requests with a fault:
    every order and project made exactly once, never an order short of its lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        Product.create(
            {"name": "Robot arm", "default_code": "HS-ARM", "type": "consu",
             "invoice_policy": "order"}
        )  # fmt: skip
        Product.create(
            {"name": "Installation day", "default_code": "HS-INSTALL", "type": "service",
             "service_tracking": "project_only", "invoice_policy": "order"}
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.backend.write({"timeout": 1, "page_size": 15})

    def won_deals(self):
        """{deal id: [(sku, quantity)]}: arm lines, and one installation line (a project) on
        every other deal; each deal with a company of its own."""
        deals = {}
        for n in range(DEALS):
            company = self.fake.add("companies", {"name": f"Won {n:02d} Fault Corp"})
            deal = self.fake.add(
                "deals",
                {"dealname": f"Won {n:02d} Fault", "dealstage": "closedwon",
                 "pipeline": "default", "amount": "1000"},
                [("companies", company)],
            )  # fmt: skip
            lines = [("HS-ARM", float(1 + i)) for i in range(LINES - n % 2)]
            lines += [("HS-INSTALL", 2.0)] * (n % 2)
            for index, (sku, quantity) in enumerate(lines):
                self.fake.add(
                    "line_items",
                    {"name": f"Item {index} of {n}", "hs_sku": sku, "quantity": str(quantity),
                     "price": "100.00"},
                    [("deals", deal)],
                )  # fmt: skip
            deals[deal] = lines
        return deals

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_hubspot.hubspot_adapter",
    )
    def test_won_deals_pulled_under_faults_one_order_and_project_each(self):
        started = time.monotonic()
        deals = self.won_deals()
        self.fake.reset_log()
        seed = int(os.environ.get("SYNC_FAULT_SEED") or 23)  # other seeds: the same invariants
        self.fake.random_faults(0.2, FAULT_KINDS, seed=seed, path_contains="/crm/")
        # a line item association read and a line item read cut short, once each
        self.fake.malformed_next(1, path_contains="/associations/deals/line_items/batch/read")
        self.fake.malformed_next(1, path_contains="/objects/line_items/batch/read")
        self.enqueue("hubspot_pull_deals", {"object": "deals"}, "pull:deals")
        passes, blocked = self.drive()
        self.fake.clear_faults()
        elapsed = time.monotonic() - started

        Order, Project = self.env["sale.order"], self.env["project.project"]
        orders = Order.browse()
        for deal, lines in deals.items():
            mine = Order.search([("origin", "=", f"HubSpot deal {deal}")])
            self.assertEqual(len(mine), 1, f"one order for deal {deal}")
            self.assertEqual(mine.state, "sale")
            self.assertEqual(
                sorted(
                    (sol.product_id.default_code, sol.product_uom_qty) for sol in mine.order_line
                ),
                sorted(lines),
                f"the order of deal {deal} has every line item of the deal",
            )
            wanted = int(("HS-INSTALL", 2.0) in lines)
            self.assertEqual(Project.search_count([("sale_order_id", "=", mine.id)]), wanted, deal)
            orders |= mine
        customers = orders.partner_id
        self.assertEqual(len(customers), DEALS, "one customer per company")
        self.assertEqual(
            self.env["res.partner"].search_count([("name", "=like", "Won % Fault Corp")]), DEALS
        )
        bindings = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "sale.order")]
        )
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(deals))
        projects = Project.search([("sale_order_id", "in", orders.ids)])
        self.assertEqual(len(projects), DEALS // 2)
        jobs = self.fault_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertLessEqual(max(jobs.mapped("attempt")), min(jobs.mapped("max_attempts")))
        self.assertTrue(jobs.filtered(lambda j: j.attempt > 1), "the faults made jobs retry")
        self.assertFalse(self.open_exceptions(), "every fault was transient")
        requests = self.fake.calls()
        self.assert_fault_mix(requests, ("429", "malformed"))
        per_deal = requests / DEALS
        deal_jobs = jobs.filtered(lambda j: j.kind == "hubspot_deal")
        # the jobs' results count the calls of their successful attempts, each through all
        # of its adapters; the failed attempts' calls are in no result
        counted = sum(json.loads(j.result)["remote_calls"] for j in jobs)
        self.assertLessEqual(counted, requests)
        self.assertGreaterEqual(counted, 5 * DEALS, "a deal job's 5 reads at least")
        self.fault_figures(
            "hubspot",
            f"won deals (pulled with {sum(map(len, deals.values()))} line items ->"
            f" {len(orders)} orders, {len(projects)} projects, {len(customers)} customers)",
            DEALS,
            len(bindings),
            requests,
            jobs,
            f"{len(deal_jobs)} deal jobs",
            f"{counted} requests in the jobs' results (their failed attempts' not)",
            f"channel blocked {blocked}x",
            f"{passes} runner passes, {elapsed:.1f} s",
        )
        self.assertLessEqual(per_deal, MAX_REQUESTS_PER_DEAL)
