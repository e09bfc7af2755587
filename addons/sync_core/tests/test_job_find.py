import ast
import json
from datetime import datetime

from lxml import etree

from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestJobFind(SyncCase):
    """Issue 15 point 6: jobs found by remote id and customer; technical fields for managers
    (or debug) only; a readable outcome; events named and shown readably, their state
    following their job; exception chatter and tracebacks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.operator = Users.create(
            {
                "name": "Olga Operator",
                "login": "olga@find.test",
                "group_ids": [(6, 0, [cls.env.ref("sync_core.sync_core_group_operator").id])],
            }
        )
        cls.manager = Users.create(
            {
                "name": "Max Manager",
                "login": "max@find.test",
                "group_ids": [(6, 0, [cls.env.ref("sync_core.sync_core_group_manager").id])],
            }
        )

    def form_arch(self, model, user):
        views = self.env[model].with_user(user).get_views([(False, "form")])
        return etree.fromstring(views["views"]["form"]["arch"])

    def failing_job(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "nope", "ids": ["1"]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        return job

    # ------------------------------------------------------------------ search
    def test_jobs_found_by_remote_id_and_customer(self):
        ext = self.fake.put("customers", {"name": "Initech", "email": "it@initech.example"})
        Job = self.env["sync.job"]
        first = Job._enqueue(self.backend, "import_record", {"object": "customers", "ids": [ext]})
        self.run_jobs()
        self.assertEqual(first.state, "done", first.error)
        initech = self.partner_of(ext)
        self.assertEqual(initech.name, "Initech")
        # the next job about the same remote record knows its customer when it is enqueued
        second = Job._enqueue(self.backend, "import_record", {"object": "customers", "ids": [ext]})
        self.assertEqual(second.remote_ref, f"customers {ext}")
        self.assertEqual(second.partner_name, "Initech")
        # stored and indexed: found by SQL, as the job search's default field does
        self.assertTrue(Job._fields["remote_ref"].store and Job._fields["partner_name"].store)
        self.assertEqual(Job._fields["remote_ref"].index, "trigram")
        found = Job.with_user(self.operator).search([("remote_ref", "ilike", ext)])
        self.assertEqual(found, first | second)
        by_name = Job.with_user(self.operator).name_search(ext, limit=10)
        self.assertEqual({r[0] for r in by_name}, {first.id, second.id})
        by_customer = Job.with_user(self.operator).name_search("Initech", limit=10)
        self.assertIn(second.id, {r[0] for r in by_customer})
        arch = etree.fromstring(
            Job.with_user(self.operator).get_views([(False, "search")])["views"]["search"]["arch"]
        )
        first_field = arch.xpath("//field")[0]
        self.assertEqual(first_field.get("name"), "remote_ref")
        domain = first_field.get("filter_domain").replace("self", repr("initech"))
        self.assertIn(second, Job.with_user(self.operator).search(ast.literal_eval(domain)))

    # ------------------------------------------------------------------ job form
    def test_job_form_technical_fields_for_managers_only(self):
        technical = {"kind", "identity_key", "worker", "correlation_id"}
        arch = self.form_arch("sync.job", self.operator)
        names = {f.get("name") for f in arch.xpath("//field")}
        self.assertFalse(names & technical, "an operator sees no internal field")
        self.assertFalse(arch.xpath("//page[@name='technical']"))
        self.assertIn("partner_name", names)
        arch = self.form_arch("sync.job", self.manager)
        page = arch.xpath("//page[@name='technical']")
        self.assertEqual(len(page), 1)
        in_page = {f.get("name") for f in page[0].xpath(".//field")}
        self.assertTrue(technical <= in_page, technical - in_page)
        self.assertIn("traceback", in_page)
        main = {f.get("name") for f in arch.xpath("//group[@name='main']//field")}
        self.assertFalse(main & technical, "in the technical tab, not the main group")

    def test_outcome_is_readable_whenever_a_result_is_stored(self):
        job = self.env["sync.job"]._enqueue(self.backend, "pull", {"object": "customers"})
        job.result = json.dumps(
            {"10003": "created S00042", "not_found": [], "counts": {"created": 2, "updated": 1}}
        )
        self.assertEqual(
            job.result_text.splitlines(),
            ["10003: created S00042", "Not found: -", "Counts: created 2, updated 1"],
        )
        job.result = json.dumps({"deals": {"10003": {"status": "failed", "sku": None}}})
        self.assertEqual(
            job.result_text.splitlines(),
            ["Deals:", "  10003: status failed, sku -"],
        )
        job.result = "{}"
        self.assertEqual(job.result_text, "The job reported no figures.")
        job.result = json.dumps("order exists")
        self.assertEqual(job.result_text, "order exists")
        arch = self.form_arch("sync.job", self.operator)
        page = arch.xpath("//page[@name='result']")[0]
        self.assertEqual(page.get("invisible"), "not result_text")

    # ------------------------------------------------------------------ events
    def event(self, **values):
        return self.env["sync.event"].create(
            {
                "backend_id": self.backend.id,
                "dedup_key": "evt-5",
                "event_type": "deal.propertyChange",
                "object_name": "deals",
                "external_id": "10003",
                "received_at": datetime(2026, 12, 7, 3, 20, 11),
                "body": '{"eventId":5,"occurredAt":1733541611000,"objectId":10003,'
                '"propertyName":"dealstage","subscriptionType":"deal.propertyChange"}',
                **values,
            }
        )

    def test_event_display_name_and_readable_body(self):
        event = self.event()
        self.env.user.tz = "UTC"
        event.invalidate_recordset()
        self.assertEqual(
            event.display_name,
            "deal.propertyChange, deals 10003, received 12/07/2026 03:20:11 AM",
        )
        self.assertEqual(
            self.env["sync.event"].name_search("10003")[0][0], event.id, "found by remote id"
        )
        pretty = json.loads(event.body_pretty)
        self.assertEqual(pretty["occurredAt"], "1733541611000 (2024-12-07 03:20:11 UTC)")
        self.assertEqual(pretty["objectId"], 10003, "an id is not a time")
        self.assertIn('\n  "eventId": 5', event.body_pretty)
        self.assertTrue(event.body.startswith('{"eventId":5,"occurredAt":1733541611000'))
        arch = self.form_arch("sync.event", self.operator)
        self.assertEqual(arch.xpath("//h1/field")[0].get("name"), "display_name")
        self.assertEqual(arch.xpath("//page[@name='body']/field")[0].get("name"), "body_pretty")
        self.assertEqual(arch.xpath("//page[@name='raw_body']/field")[0].get("name"), "body")

    def test_event_state_follows_its_job(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "nope", "ids": ["1"]}
        )
        event = self.event(job_id=job.id, state="queued")
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertEqual(event.state, "failed")
        self.assertIn(f"Job {job.id} failed", event.reason)
        job.action_requeue()
        self.assertEqual((event.state, event.reason), ("queued", False))

    # ------------------------------------------------------------------ exceptions
    def test_exception_chatter_says_why_without_none(self):
        job = self.failing_job()
        exc = job.exception_ids.with_context(tracking_disable=False)
        exc._mark_resolved(f"Job {job.id} succeeded.")
        self.env.flush_all()
        self.env.cr.precommit.run()
        message = exc.message_ids.filtered("tracking_value_ids")[:1]
        self.assertEqual(message.tracking_value_ids.field_id.mapped("name"), ["state"])
        self.assertIn(f"Job {job.id} succeeded.", message.body)
        self.assertNotIn("None", message.body)
        exc.action_reopen()
        exc.with_context(tracking_disable=False).action_ignore("known test data")
        self.env.flush_all()
        self.env.cr.precommit.run()
        message = exc.message_ids.filtered("tracking_value_ids")[:1]
        self.assertIn("known test data", message.body)

    def test_traceback_in_a_managers_section_only(self):
        job = self.failing_job()
        exc = job.exception_ids
        self.assertNotIn("Traceback", exc.with_user(self.operator).name)
        arch = self.form_arch("sync.exception", self.operator)
        self.assertFalse(arch.xpath("//field[@name='technical_detail']"))
        self.assertFalse(arch.xpath("//page[@name='traceback']"))
        arch = self.form_arch("sync.exception", self.manager)
        field = arch.xpath("//page[@name='traceback']/field[@name='technical_detail']")
        self.assertEqual(len(field), 1, "a tab of its own, closed until opened")
        self.assertIn("Traceback", exc.with_user(self.manager).technical_detail)
