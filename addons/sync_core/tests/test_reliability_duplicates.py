import json
import logging

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.fake.server import GenericFake
from odoo.addons.sync_core.signatures import sign_generic
from odoo.addons.sync_core.tests.common import duplicate_counts, log_duplicates

_logger = logging.getLogger(__name__)
RECORDS = 60
PER_BODY = 10


@tagged("-at_install", "post_install", "reliability")
class TestDuplicates(HttpCase):
    """Nothing doubled: every webhook delivered 3 times before its jobs ran and once more
    after, every pull page fetched twice (the pull run
    again from an empty watermark): each remote record is one event, one binding, one partner,
    one 'create' audit row.  Connectors with orders or timesheet lines add their own counts
    through `duplicate_counts`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = GenericFake(token="dup-token")
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)
        cls.backend = cls.env["sync.backend"].create(
            {
                "name": "Duplicates",
                "kind": "generic",
                "base_url": cls.fake.base_url,
                "api_token": "dup-token",
                "webhook_secret": "whsec-dup",
                "page_size": 20,
                "timeout": 5,
            }
        )
        cls.env["sync.mapping"].create(
            {
                "name": "Duplicates customers",
                "backend_id": cls.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "line_ids": [
                    (0, 0, {"remote_field": "name", "odoo_field": "name"}),
                    (0, 0, {"remote_field": "email", "odoo_field": "email"}),
                ],
            }
        )

    def deliver(self, raw):
        headers = {"Content-Type": "application/json", **sign_generic("whsec-dup", raw)}
        return self.url_open(
            f"/sync/generic/{self.backend.webhook_token}", data=raw, headers=headers, timeout=60
        )

    def run_jobs(self):
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        self.env.invalidate_all()

    def _duplicate_counts(self):
        """{what: (rows, distinct)} of the records the sync wrote for this backend."""
        return duplicate_counts(
            self,
            self.backend,
            (
                ("partners", "SELECT count(*), count(DISTINCT email) FROM res_partner"
                             " WHERE name LIKE 'Dup %%'"),
                ("create audit rows", "SELECT count(*), count(DISTINCT external_id)"
                                      " FROM sync_audit WHERE backend_id = %(backend)s"
                                      " AND operation = 'create'"),
            ),
        )  # fmt: skip

    def test_delivered_three_times_and_pages_fetched_twice(self):
        ids = [
            self.fake.put("customers", {"name": f"Dup {i:03d}", "email": f"dup{i}@dup.example"})
            for i in range(RECORDS)
        ]
        bodies = [
            json.dumps(
                [
                    {"event_id": f"dup-{n}", "object": "customers", "id": ext, "type": "updated"}
                    for n, ext in enumerate(ids[start : start + PER_BODY], start=start)
                ]
            ).encode()
            for start in range(0, RECORDS, PER_BODY)
        ]
        # interleaved: body 1, 2, ... then each again twice (the test server runs one request
        # at a time: deliveries at the same instant are bench_webhook.py's probes on a real
        # server, and TestConcurrentEnqueue / TestConcurrentAbsorb on two cursors)
        statuses = [self.deliver(raw).status_code for raw in bodies * 3]
        self.assertEqual(set(statuses), {200})
        self.env.invalidate_all()
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(jobs), RECORDS, "one re-fetch job per record, whatever the deliveries")
        self.run_jobs()
        statuses = [self.deliver(raw).status_code for raw in bodies]  # redelivered once more
        self.assertEqual(set(statuses), {200})
        self.run_jobs()
        # the pull reads every page (page size 20: 3 pages), then again from an empty watermark
        Job = self.env["sync.job"]
        for _round in range(2):
            self.env["sync.watermark"].search([("backend_id", "=", self.backend.id)]).unlink()
            Job._enqueue(
                self.backend, "pull", payload={"object": "customers"}, identity_key="pull:dup"
            )
            self.run_jobs()
        pages = self.fake.count("GET")
        self.assertGreaterEqual(pages, 2 * 3, "every page of 20 read by both pulls")
        jobs = Job.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(jobs.mapped("state")), {"done"}, jobs.mapped("error"))
        events = self.env["sync.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(events.mapped("delivery_count")), {4})
        counts = self._duplicate_counts()
        for what, (rows, distinct) in counts.items():
            self.assertEqual((rows, distinct), (RECORDS, RECORDS), what)
        self.assertFalse(self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]))
        log_duplicates(
            _logger,
            "generic",
            "webhooks delivered 4x (3 before their jobs ran), pull pages fetched twice",
            RECORDS,
            "records",
            counts,
        )
