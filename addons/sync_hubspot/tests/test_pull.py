# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging
import math
import time

from odoo.addons.sync_hubspot.fake import webhooks
from odoo.addons.sync_hubspot.fake.server import to_ms

from .common import HubSpotCase

T0 = to_ms("2024-05-01T10:00:00.000Z")
_logger = logging.getLogger(__name__)
SEARCH = "/crm/v3/objects/companies/search"
LIST = "/crm/v3/objects/companies"


class TestPull(HubSpotCase):
    def seed_companies(self, count, step_ms=1000):
        return self.fake.add_many(
            "companies",
            [{"name": f"Pulled {n:05d}", "domain": f"pulled{n}.example"} for n in range(count)],
            [T0 + n * step_ms for n in range(count)],
        )

    def partners(self):
        return self.env["res.partner"].search([("name", "=like", "Pulled %")])

    def test_pull_companies_few_calls_overlap_and_archived(self):
        ids = self.seed_companies(450)
        job = self.pull("companies")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(len(self.partners()), 450)
        self.assertTrue(all(self.partners().mapped("is_company")))
        # first pull: search pages only (no archive listing without a watermark)
        self.assertEqual(self.calls("POST", SEARCH), math.ceil(450 / 200))
        self.assertLessEqual(json.loads(job.result)["remote_calls"], math.ceil(450 / 200) + 2)
        # lookback overlap: everything is read again, nothing is duplicated
        self.backend.watermark_ids.lookback_seconds = 3600
        self.fake.update("companies", ids[10], {"name": "Pulled renamed"}, updated_at=T0 + 500_000)
        self.fake.reset_log()
        job = self.pull("companies")
        self.assertEqual(job.state, "done", job.error)
        result = json.loads(job.result)
        self.assertEqual(result["identical"], 449)
        self.assertEqual(len(self.partners()), 450)
        self.assertEqual(self.record_of(ids[10]).name, "Pulled renamed")
        self.assertEqual(self.calls("POST", SEARCH), math.ceil(450 / 200))
        self.assertEqual(self.calls("GET", LIST), 1, "one archived listing")
        # archived in HubSpot: the mapping's delete policy decides (here: archive the partner)
        self.mappings.filtered(lambda m: m.remote_object == "companies").delete_policy = "archive"
        self.fake.archive("companies", ids[3])
        job = self.pull("companies")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["deleted"], 1)
        binding = self.binding_of(ids[3])
        self.assertFalse(binding.active)
        self.assertFalse(self.env["res.partner"].browse(binding.res_id).active)

    def test_search_window_of_ten_thousand(self):
        """10,500 matching records, three per stamp: the search restarts from the last stamp
        before the 10,000-result window; nothing lost, nothing doubled."""
        count = 10_500
        ids = self.fake.add_many(
            "companies",
            [{"name": f"C{n}"} for n in range(count)],
            [T0 + (n // 3) * 1000 for n in range(count)],
        )
        started = time.monotonic()
        job = self.pull("companies")
        elapsed = time.monotonic() - started
        self.assertEqual(job.state, "done", job.error)
        result = json.loads(job.result)
        self.assertEqual((result["read"], result["created"]), (count, count), "nothing doubled")
        bindings = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("remote_object", "=", "companies")]
        )
        self.assertEqual(set(bindings.mapped("external_id")), set(ids), "nothing lost")
        self.assertLessEqual(result["remote_calls"], math.ceil(count / 200) + 2)
        _logger.info(
            "pulled %s companies across the 10k search window in %.1f s, %s remote calls",
            count,
            elapsed,
            result["remote_calls"],
        )

    def test_pull_contacts_attached_to_their_company(self):
        acme = self.fake.add("companies", {"name": "Acme", "domain": "acme.example"})
        alice = self.fake.add(
            "contacts",
            {"firstname": "Alice", "lastname": "Martin", "email": "Alice@Acme.example"},
            [("companies", acme)],
        )
        lone = self.fake.add("contacts", {"firstname": "", "lastname": "Solo", "email": None})
        self.assertEqual(self.pull("companies").state, "done")
        job = self.pull("contacts")
        self.assertEqual(job.state, "done", job.error)
        partner = self.record_of(alice)
        self.assertEqual(partner.name, "Alice Martin")
        self.assertEqual(partner.email, "alice@acme.example")
        self.assertEqual(partner.parent_id, self.record_of(acme))
        self.assertEqual(self.record_of(lone).name, "Solo")
        self.assertFalse(self.record_of(lone).parent_id)

    def test_existing_customer_bound_not_duplicated(self):
        existing = self.env["res.partner"].create(
            {"name": "Globex (Odoo)", "is_company": True, "website": "https://www.globex.example"}
        )
        globex = self.fake.add("companies", {"name": "Globex", "domain": "globex.example"})
        self.assertEqual(self.pull("companies").state, "done")
        self.assertEqual(self.record_of(globex), existing)
        self.assertEqual(existing.name, "Globex")

    def test_webhook_burst_read_in_one_batch(self):
        ids = [self.fake.add("companies", {"name": f"Burst {i}"}) for i in range(25)]
        events = [webhooks.build_event("company.creation", ext) for ext in ids]
        parsed = self.backend._webhook_parse({"body": json.dumps(events).encode()})
        self.env["sync.event"]._store(self.backend, parsed, {})
        jobs = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "import_record")]
        )
        self.assertEqual(len(jobs), 25)
        before = self.fake.calls("POST", "/crm/v3/objects/companies/batch/read")
        self.run_jobs()
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        reads = self.fake.calls("POST", "/crm/v3/objects/companies/batch/read") - before
        self.assertEqual(reads, 1, "25 webhook re-fetches, one batch read")
        burst = self.env["res.partner"].search([("name", "=like", "Burst %")])
        self.assertEqual(len(burst), 25)

    def test_out_of_order_event_cannot_roll_back(self):
        company = self.fake.add("companies", {"name": "Old name"})
        self.pull("companies")
        self.fake.update("companies", company, {"name": "New name"})
        old_ms = int(time.time() * 1000) - 60_000
        events = [
            webhooks.build_event(
                "company.propertyChange",
                company,
                occurred_at=old_ms + 1000,
                property_name="name",
                property_value="New name",
            ),
            webhooks.build_event(
                "company.propertyChange",
                company,
                occurred_at=old_ms,
                property_name="name",
                property_value="Old name",
            ),
        ]
        parsed = self.backend._webhook_parse({"body": json.dumps(events).encode()})
        self.env["sync.event"]._store(self.backend, parsed, {})
        jobs = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "import_record")]
        )
        self.assertEqual(len(jobs), 1, "both events share one re-fetch job")
        self.run_jobs()
        self.assertEqual(jobs.state, "done", jobs.error)
        self.assertEqual(self.record_of(company).name, "New name")
