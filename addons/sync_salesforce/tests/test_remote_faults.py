# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Remote faults (issue 11, section 2 item 4) for Salesforce: a REST keyset pull, a Bulk 2.0
pull and an Outbound Message re-fetch burst against an org that answers about 20% of the API
requests with a seeded random fault in Salesforce's shapes (429 / 403 / 503
``REQUEST_LIMIT_EXCEEDED`` and ``SERVER_UNAVAILABLE`` with and without Retry-After, 500
``UNKNOWN_EXCEPTION``, timeouts, reset connections, JSON and CSV bodies cut short) and expires
every session once (401 ``INVALID_SESSION_ID``); the runner is driven pass by pass (sync_core's
`RemoteFaultsMixin`)."""

import time

from odoo.tools import mute_logger

from odoo.addons.sync_core.tests.remote_faults import TRANSIENT_KINDS, RemoteFaultsMixin

from .common import SalesforceCase

ACCOUNTS, CONTACTS, NOTIFIED = 300, 150, 100
FAULT_KINDS = [
    {
        "kind": "status",
        "status": 429,
        "retry_after": 30,  # the channel waits (no tight loop), the job retries later
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": "Too many requests. Please retry after the time in the Retry-After header.",
    },
    {
        "kind": "status",
        "status": 429,
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": "Too many requests.",
    },
    {
        "kind": "status",
        "status": 403,
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
    },
    {
        "kind": "status",
        "status": 503,
        "retry_after": 5,
        "error_code": "SERVER_UNAVAILABLE",
        "message": "Server unavailable. Please try again later.",
    },
    {
        "kind": "status",
        "status": 500,
        "error_code": "UNKNOWN_EXCEPTION",
        "message": "An unexpected error occurred. Please include this ErrorId if you contact "
        "support: 1234567890-12345 (-1234567890)",
    },
    *TRANSIENT_KINDS,
]
# Remote requests per record: a REST query answers up to 200 records, a Bulk result page 50,
# a re-fetch job reads 2 records in one query; each fault costs one more request (a Bulk pull
# that fails goes on with its query job at the next attempt: one status call more, no new job)
# and 5 attempts at most per job.
MAX_REQUESTS_PER_RECORD = 3


class TestRemoteFaults(RemoteFaultsMixin, SalesforceCase):
    def setUp(self):
        super().setUp()
        self.backend.write({"timeout": 1, "page_size": 50})
        # notifications re-read in batches of 2: many queries to fault
        self.env.ref("sync_core.job_kind_import_record").batch_size = 2

    def refetch(self, sobject, ids):
        """Enqueue the re-reads of Outbound Message notifications, as the listener does."""
        for record_id in ids:
            values = self.backend._webhook_job_values(
                {"event_type": "notification", "object_name": sobject, "external_id": record_id}
            )
            self.env["sync.job"]._enqueue(self.backend, **values)

    def enqueue_pull(self, sobject):
        self.env["sync.job"]._enqueue(
            self.backend, "pull", payload={"object": sobject}, identity_key=f"pull:{sobject}"
        )

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_salesforce.salesforce_adapter",
    )
    def test_transient_faults_all_synced(self):
        started = time.monotonic()
        accounts = [
            self.fake.add("Account", {"Name": f"Pulled {n:03d} Fault"}) for n in range(ACCOUNTS)
        ]
        contacts = [
            self.fake.add("Contact", {"FirstName": "Bulk", "LastName": f"{n:03d} Fault"})
            for n in range(CONTACTS)
        ]
        self.fake.random_faults(0.2, FAULT_KINDS, seed=11, path_contains="/services/data/")
        # accounts: REST keyset pull; contacts: above the threshold, a Bulk 2.0 query job
        self.backend.write({"salesforce_bulk_threshold": 0})
        self.enqueue_pull("Account")
        passes, blocked = self.drive()
        self.backend.write({"salesforce_bulk_threshold": 100, "salesforce_bulk_page_size": 50})
        self.fake.malformed_next(1, path_contains="/results")  # a CSV result page cut short
        self.enqueue_pull("Contact")
        more = self.drive()
        passes, blocked = passes + more[0], blocked + more[1]
        # the burst: accounts changed in Salesforce, notified by Outbound Messages, read back
        # after every session expired (401 INVALID_SESSION_ID: one login again)
        notified = [
            self.fake.add("Account", {"Name": f"Notified {n:03d} Fault"}) for n in range(NOTIFIED)
        ]
        logins = len(self.fake.logins)
        self.fake.expire_sessions()
        self.refetch("Account", notified)
        more = self.drive()
        passes, blocked = passes + more[0], blocked + more[1]
        self.fake.clear_faults()
        elapsed = time.monotonic() - started

        ids = accounts + contacts + notified
        bindings = self.env["sync.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "res.partner"),
                ("external_id", "in", ids),
            ]
        )
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(ids), "each bound once")
        partners = self.env["res.partner"].search([("name", "=like", "% Fault")])
        self.assertEqual(len(partners), len(ids), "every record created once")
        self.assertEqual(set(bindings.mapped("res_id")), set(partners.ids))
        jobs = self.fault_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertLessEqual(max(jobs.mapped("attempt")), min(jobs.mapped("max_attempts")))
        self.assertTrue(jobs.filtered(lambda j: j.attempt > 1), "the faults made jobs retry")
        self.assertGreater(blocked, 0, "a 429 blocked the channel")
        self.assertFalse(self.open_exceptions(), "every fault was transient")
        requests = self.fake.calls("/services/data/")
        self.assert_fault_mix(
            requests, ("429", "403", "503", "500", "timeout", "reset", "malformed")
        )
        unauthorized = self.fake.statuses[401]
        relogins = len(self.fake.logins) - logins
        self.assertGreaterEqual(relogins, 1, "the expired session was renewed")
        self.assertLessEqual(relogins, 2)
        per_record = requests / len(ids)
        self.assertLessEqual(per_record, MAX_REQUESTS_PER_RECORD)
        self.fault_figures(
            "salesforce",
            f"records ({ACCOUNTS} REST pull, {CONTACTS} Bulk 2.0 pull, {NOTIFIED} re-read by "
            f"{NOTIFIED} notification jobs)",
            len(ids),
            len(bindings),
            requests,
            jobs,
            f"expired session: {unauthorized} 401 INVALID_SESSION_ID -> {relogins} logins again",
            f"channel blocked {blocked}x",
            f"{passes} runner passes, {elapsed:.1f} s",
        )

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_salesforce.salesforce_adapter",
    )
    def test_bulk_pull_under_heavy_faults_goes_on_with_its_job(self):
        """Half of the Bulk result reads fail (500): a page fails after its two inline re-reads
        about once in eight, so an export of 8 result pages rarely completes in one attempt.
        Started over at each attempt it moved nothing forward and was dead-lettered; continued
        from its last applied page, it completes with its one query job, each result page read
        and applied once."""
        self.backend.write(
            {"salesforce_bulk_threshold": 10, "salesforce_bulk_page_size": 50, "page_size": 50}
        )
        ids = [self.fake.add("Account", {"Name": f"Heavy {n:03d} Fault"}) for n in range(400)]
        self.fake.random_faults(
            0.5,
            [{"kind": "status", "status": 500, "error_code": "UNKNOWN_EXCEPTION"}],
            seed=14,  # 6 pages fail after their re-reads, at most 2 attempts in a row in vain
            path_contains="/results",
        )
        self.enqueue_pull("Account")
        passes, _blocked = self.drive()
        self.fake.clear_faults()
        job = self.fault_jobs()
        self.assertEqual(job.state, "done", job.error)
        # more attempts than a job has: those that applied pages were progress, not failures
        self.assertGreater(passes, job.max_attempts)
        self.assertLessEqual(job.attempt, 3)
        self.assertEqual(self.fake.calls("/jobs/query", "POST"), 1, "one query job")
        self.assertEqual(
            self.fake.calls("/jobs/query/", "GET") - self.fake.calls("/results"), 2 + passes - 1
        )
        bindings = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "res.partner")]
        )
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(ids), "each bound once")
        self.env.cr.execute(
            "SELECT count(*) FROM sync_audit WHERE backend_id = %s AND operation = 'create'",
            [self.backend.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], len(ids), "each created once")
        results = self.fake.calls("/results")
        faults = self.fake.faults_injected["500"]
        self.assertEqual(results - faults, 8, "each result page read once")
        self.fault_figures(
            "salesforce",
            "records (Bulk 2.0 pull, 8 result pages, half of the result reads failing)",
            len(ids),
            len(bindings),
            self.fake.calls("/services/data/"),
            job,
            f"1 query job, {results} result reads ({faults} failed) for 8 pages",
            f"{passes} attempts",
        )

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_salesforce.salesforce_adapter",
    )
    def test_one_record_always_failing_one_exception_after_last_attempt(self):
        ok = [self.fake.add("Account", {"Name": f"Fine {n}"}) for n in range(3)]
        broken = self.fake.add("Account", {"Name": "Always Failing"})
        self.refetch("Account", ok)
        self.drive()
        self.fake.fail_next(
            1000, 503, "SERVER_UNAVAILABLE", "Server unavailable", path_contains="/queryAll"
        )
        self.refetch("Account", [broken])
        job = self.fault_jobs().filtered(lambda j: broken in (j.payload or {}).get("ids", []))
        self.assertEqual(len(job), 1)
        exceptions = self.always_failing(job, lambda: self.fake.calls("/queryAll"))
        self.assertEqual(exceptions.job_id, job)
        for record_id in ok:
            self.assertTrue(self.binding_of(record_id))
        self.assertFalse(self.binding_of(broken))


OPPORTUNITIES, LINES = 30, 14
# A page of the opportunity pull (15 opportunities, 210 line items) reads its opportunities in
# one query and their line items in one more, followed to its second response (200 records a
# response); a deal that fails is handed to a job of its own (its re-read and line query), and
# every fault costs one request more.
MAX_REQUESTS_PER_OPPORTUNITY = 2


class TestRemoteFaultsOpportunities(RemoteFaultsMixin, SalesforceCase):
    """Won opportunities with line items pulled through the shared quote-to-order workflow
    (customer, sale order, project) while the org answers about 20% of the requests with a
    fault: every order and project made exactly once, never an order short of its lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        Product.create(
            {"name": "CRM licence", "default_code": "SF-LIC", "type": "consu",
             "invoice_policy": "order"}
        )  # fmt: skip
        Product.create(
            {"name": "Consulting day", "default_code": "SF-CONSULT", "type": "service",
             "service_tracking": "project_only", "invoice_policy": "order"}
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        # pull pages of 15 opportunities: two pages, each with a line item query of two
        # responses (210 items, 200 a response) to fault
        self.backend.write({"timeout": 1, "page_size": 15})

    def won_opportunities(self):
        """{opportunity id: [(product code, quantity)]}: licence lines, and one consulting
        line (a project) on every other opportunity."""
        products = {
            code: self.fake.add("Product2", {"Name": f"Product {code}", "ProductCode": code})
            for code in ("SF-LIC", "SF-CONSULT")
        }
        opportunities = {}
        for n in range(OPPORTUNITIES):
            account = self.fake.add("Account", {"Name": f"Won {n:02d} Fault Inc"})
            opp = self.fake.add(
                "Opportunity",
                {"Name": f"Won {n:02d} Fault", "StageName": "Closed Won", "IsWon": True,
                 "IsClosed": True, "CloseDate": "2026-12-15", "AccountId": account},
            )  # fmt: skip
            lines = [("SF-LIC", float(1 + i)) for i in range(LINES - n % 2)]
            lines += [("SF-CONSULT", 2.0)] * (n % 2)
            for code, quantity in lines:
                self.fake.add(
                    "OpportunityLineItem",
                    {"OpportunityId": opp, "Product2Id": products[code], "Quantity": quantity,
                     "UnitPrice": 100.0, "Discount": 0.0},
                )  # fmt: skip
            opportunities[opp] = lines
        return opportunities

    @mute_logger(
        "urllib3.connectionpool",
        "odoo.addons.sync_core.models.sync_job",
        "odoo.addons.sync_salesforce.salesforce_adapter",
    )
    def test_won_opportunities_pulled_under_faults_one_order_and_project_each(self):
        started = time.monotonic()
        opportunities = self.won_opportunities()
        self.fake.random_faults(0.2, FAULT_KINDS, seed=23, path_contains="/services/data/")
        # the second response of the first line item query is cut short: the items of the
        # opportunity that spans both responses were only half read
        self.fake.malformed_next(1, path_contains="/query/01g")
        self.env["sync.job"]._enqueue(
            self.backend,
            "salesforce_pull_opportunities",
            payload={"object": "Opportunity"},
            identity_key="pull:Opportunity",
        )
        passes, blocked = self.drive()
        self.fake.clear_faults()
        elapsed = time.monotonic() - started

        Order, Project = self.env["sale.order"], self.env["project.project"]
        orders = Order.browse()
        for opp, lines in opportunities.items():
            mine = Order.search([("origin", "=", f"Salesforce opportunity {opp}")])
            self.assertEqual(len(mine), 1, f"one order for {opp}")
            self.assertEqual(mine.state, "sale")
            self.assertEqual(
                sorted(
                    (sol.product_id.default_code, sol.product_uom_qty) for sol in mine.order_line
                ),
                sorted(lines),
                f"the order of {opp} has every line of the opportunity",
            )
            projects = Project.search([("sale_order_id", "=", mine.id)])
            wanted = int(("SF-CONSULT", 2.0) in lines)
            self.assertEqual(len(projects), wanted, f"projects of {opp}")
            orders |= mine
        customers = orders.partner_id
        self.assertEqual(len(customers), OPPORTUNITIES, "one customer per account")
        bindings = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "sale.order")]
        )
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(opportunities))
        projects = Project.search([("sale_order_id", "in", orders.ids)])
        self.assertEqual(len(projects), OPPORTUNITIES // 2)
        jobs = self.fault_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertLessEqual(max(jobs.mapped("attempt")), min(jobs.mapped("max_attempts")))
        self.assertTrue(jobs.filtered(lambda j: j.attempt > 1), "the faults made jobs retry")
        self.assertFalse(self.open_exceptions(), "every fault was transient")
        requests = self.fake.calls("/services/data/")
        self.assert_fault_mix(requests, ("429", "malformed"))
        per_opportunity = requests / OPPORTUNITIES
        deal_jobs = jobs.filtered(lambda j: j.kind == "salesforce_opportunity")
        self.fault_figures(
            "salesforce",
            f"won opportunities (pulled with {sum(map(len, opportunities.values()))} line"
            f" items -> {len(orders)} orders, {len(projects)} projects,"
            f" {len(customers)} customers)",
            OPPORTUNITIES,
            len(bindings),
            requests,
            jobs,
            f"{len(deal_jobs)} deals handed to a job of their own",
            f"channel blocked {blocked}x",
            f"{passes} runner passes, {elapsed:.1f} s",
        )
        self.assertLessEqual(per_opportunity, MAX_REQUESTS_PER_OPPORTUNITY)
