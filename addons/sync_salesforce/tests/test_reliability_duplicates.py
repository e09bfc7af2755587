# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo.tests import tagged

from odoo.addons.sync_core.tests.common import (
    PROJECTS_OF_ORDERS,
    duplicate_counts,
    log_duplicates,
)
from odoo.addons.sync_salesforce.fake import outbound as sender

from .test_opportunities import OpportunityCase

_logger = logging.getLogger(__name__)
OPPORTUNITIES = 10
PER_MESSAGE = 5


@tagged("-at_install", "post_install", "reliability")
class TestDuplicateOrders(OpportunityCase):
    """Nothing doubled down to the orders: Outbound Messages of won opportunities delivered 3
    times before their jobs ran (Salesforce resends a message it saw no Ack for) and once more
    after, then every page of opportunities pulled twice from an empty watermark: one event,
    one order, one project and one customer per opportunity."""

    def counts(self):
        return duplicate_counts(
            self,
            self.backend,
            (
                ("orders", "SELECT count(*), count(DISTINCT origin) FROM sale_order"
                           " WHERE origin LIKE 'Salesforce opportunity %%'"),
                ("projects", PROJECTS_OF_ORDERS % "Salesforce opportunity %%"),
                ("customers", "SELECT count(*), count(DISTINCT name) FROM res_partner"
                              " WHERE name LIKE 'Dup %%' AND parent_id IS NULL"),
            ),
        )  # fmt: skip

    def test_messages_delivered_four_times_and_pages_pulled_twice(self):
        opps = [
            self.opportunity(name=f"Dup {n:02d}", lines=(("SF-LIC", 1, 100.0, 0.0),
                                                         ("SF-CONSULT", 1, 500.0, 0.0)))[1]
            for n in range(OPPORTUNITIES)
        ]  # fmt: skip
        messages = [
            [
                (sender.notification_id(), "Opportunity", {"Id": opp, "StageName": "Closed Won"})
                for opp in opps[start : start + PER_MESSAGE]
            ]
            for start in range(0, OPPORTUNITIES, PER_MESSAGE)
        ]
        for _attempt in range(3):
            for notes in messages:
                self.notify(notes)
        self.run_jobs()
        for notes in messages:
            self.notify(notes)
        self.run_jobs()
        for _round in range(2):
            self.env["sync.watermark"].search([("backend_id", "=", self.backend.id)]).unlink()
            job = self.pull_opportunities()
            self.assertEqual(job.state, "done", job.error)
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        self.assertFalse(self.open_exceptions().mapped("name"))
        counts = self.counts()
        for what in ("events", "orders", "projects", "customers"):
            self.assertEqual(counts[what], (OPPORTUNITIES, OPPORTUNITIES), what)
        self.assertEqual(counts["bindings"][0], counts["bindings"][1])
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(events.mapped("delivery_count")), {4})
        log_duplicates(
            _logger,
            "salesforce",
            "won opportunities' Outbound Messages delivered 4x, opportunities pulled twice",
            OPPORTUNITIES,
            "opportunities",
            counts,
        )
