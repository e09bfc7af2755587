import json

import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..exceptions import MissingReferenceError
from .common import SyncCase, retry_from_form


@tagged("post_install", "-at_install")
class TestOneProblemOneException(SyncCase):
    """The same unresolved problem seen again and again is one exception whose occurrences
    grow; a later successful run for the record resolves it once and it stops counting."""

    def import_record(self, ext):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        return job

    def test_same_record_three_times_then_fixed(self):
        ext = self.fake.put("customers", {"name": "Bad country", "country": "XX"})
        jobs = [self.import_record(ext) for _i in range(3)]
        excs = self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(excs), 1, "one problem, one exception")
        self.assertEqual(excs.state, "open")
        self.assertEqual(excs.occurrences, 3)
        self.assertEqual(excs.external_id, ext)
        self.assertEqual(excs.first_seen_at <= excs.last_seen_at, True)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.exception_open_count, 1)
        self.assertEqual(self.backend.health, "amber")
        self.assertIn("need attention", self.backend.health_reason)
        # the remote record is corrected: the next run applies it and resolves the problem
        self.fake.put("customers", {"name": "Bad country", "country": "BE"}, ext_id=ext)
        fixing_job = self.import_record(ext)
        self.assertEqual(fixing_job.state, "done", fixing_job.error)
        self.assertEqual(self.partner_of(ext).country_id.code, "BE")
        self.assertEqual(excs.state, "resolved")
        self.assertEqual(excs.occurrences, 3)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.exception_open_count, 0)
        self.assertEqual(self.backend.failed_24h, 0)
        self.assertEqual(self.backend.health, "green", self.backend.health_reason)
        self.assertTrue(all(j.state == "done" for j in jobs))

    def test_failed_jobs_of_one_problem_counted_once_and_resolved_by_a_later_run(self):
        Job = self.env["sync.job"]
        jobs = Job
        for _i in range(3):
            job = Job._enqueue(
                self.backend,
                "import_record",
                {"object": "nope", "ids": ["1"]},
                identity_key="import:nope:1",
            )
            self.run_jobs()
            jobs |= job
        exc = self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.occurrences, 3)
        self.assertEqual(exc.job_id, jobs.sorted("id")[-1], "linked to the latest job")
        self.assertEqual(jobs.mapped("state").count("failed"), 1, "older ones superseded")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.failed_24h, 1)
        # the same exception object cannot be opened twice for one problem (index)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            with self.env.cr.savepoint():
                exc.copy({"problem_key": exc.problem_key})
                self.env.flush_all()
        # a later successful run of the same record (same job identity) fixes it once
        ext = self.fake.put("customers", {"name": "Now fine"})
        fixed = Job._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": [ext]},
            identity_key="import:nope:1",
        )
        self.run_jobs()
        self.assertEqual(fixed.state, "done", fixed.error)
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(jobs.mapped("state").count("failed"), 0)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.failed_24h, 0)
        self.assertEqual(self.backend.exception_open_count, 0)

    def test_invalid_json_refused_at_save(self):
        exc = self.env["sync.exception"]._open(
            self.backend, Exception("x"), remote_object="customers", external_id="7"
        )
        with self.assertRaises(ValidationError):
            exc.payload_text = '{"ids": ["10010"'
            exc.flush_recordset()
        exc.payload_text = '{"ids": ["10010"]}'
        exc.flush_recordset()
        self.assertEqual(json.loads(exc.payload_text), {"ids": ["10010"]})

    def test_retry_from_the_form_runs_and_says_what_happened(self):
        ext = self.fake.put("customers", {"name": "Retry me", "country": "XX"})
        self.import_record(ext)
        exc = self.env["sync.exception"].search([("external_id", "=", ext)])
        # still failing: the notification gives the reason; the same exception counts it
        action = retry_from_form(self, exc)
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "danger", action["params"])
        self.assertIn("XX", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(exc.state, "open")
        self.assertEqual(
            self.env["sync.exception"].search_count([("backend_id", "=", self.backend.id)]), 1
        )
        # the operator corrects the payload: the retry runs at once and succeeds
        payload = json.loads(exc.payload_text)
        payload["data"]["country"] = "BE"
        exc.payload_text = json.dumps(payload)
        action = retry_from_form(self, exc)
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(self.partner_of(ext).country_id.code, "BE")
        # without the form's context (a list, JSON-RPC) a retry is queued and says so
        exc.action_reopen()
        action = exc.action_retry()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(exc.job_id.state, "pending")

    def test_missing_record_shows_link_and_links_the_named_record(self):
        err = MissingReferenceError(
            "Timesheet 5: no employee for person 77",
            pattern="no employee for person",
            remote_object="timesheets",
            external_id="5",
            fix_kind="missing_record",
            fix_data={"model": "res.partner", "remote_object": "people", "external_id": "77"},
        )
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ["5"]}
        )
        job.state = "failed"
        exc = self.env["sync.exception"]._open(self.backend, err, job_id=job.id)
        self.assertTrue(exc.fix_status)
        partner = self.env["res.partner"].create({"name": "Person 77"})
        wizard = (
            self.env["sync.exception.link"]
            .with_context(active_model="sync.exception", active_id=exc.id)
            .create({"res_id": partner.id})
        )
        self.assertEqual(
            (wizard.res_model, wizard.remote_object, wizard.external_id),
            ("res.partner", "people", "77"),
        )
        action = wizard.action_confirm()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"]["type"], "ir.actions.act_window_close")
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", "77")]
        )
        self.assertEqual((binding.remote_object, binding.res_id), ("people", partner.id))
        self.assertEqual(job.state, "pending", "retried")


@tagged("post_install", "-at_install")
class TestHealth(SyncCase):
    def test_never_then_working(self):
        backend = self.backend
        self.assertEqual(backend.last_success_text, "never")
        self.assertEqual(backend.last_pull_text, "never")
        self.assertEqual(backend.health, "amber")
        self.assertIn("Nothing synced yet", backend.health_reason)
        self.fake.put("customers", {"name": "Pulled"})
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        backend.invalidate_recordset()
        self.assertEqual(backend.last_pull_text, "just now")
        self.assertEqual(backend.last_success_text, "just now")
        self.assertEqual(backend.health, "green", backend.health_reason)
        self.assertEqual(backend.state, "draft", "not tested, and still healthy")

    def test_connection_test_result_is_kept_and_the_form_reloads(self):
        backend = self.backend
        backend.api_token = "wrong"
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(backend.state, "error")
        self.assertTrue(backend.last_test_at)
        backend.invalidate_recordset()
        self.assertEqual(backend.health, "red")
        self.assertIn("Connection test failed", backend.health_reason)
        backend.api_token = "secret-token"
        action = backend.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        backend.invalidate_recordset()
        self.assertEqual(backend.state, "ok")
        # connected, but not one customer arrived yet: not "Healthy"
        self.assertEqual(backend.health, "amber", backend.health_reason)
        self.assertEqual(backend.health_reason, "Never pulled: Customers")
        self.assertEqual(backend.last_success_text, "just now")
        # the adapter's ConnectionInfo is stored as data and rendered by the core
        self.assertEqual(backend.connection_info["system"], "generic fake")
        self.assertEqual(backend.status_message, "connected to generic fake")
        # a later failing test keeps the last facts learnt, shown apart from the error
        backend.api_token = "wrong"
        backend.action_test_connection()
        self.assertEqual(backend.state, "error")
        self.assertEqual(backend.connection_text, "connected to generic fake")
        self.assertIn("HTTP 401", backend.status_message)

    def test_webhook_counts_as_success(self):
        self.env["sync.event"].create(
            {
                "backend_id": self.backend.id,
                "dedup_key": "h-1",
                "object_name": "customers",
                "external_id": "1",
                "body": "{}",
                "state": "processed",
            }
        )
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.last_webhook_text, "just now")
        self.assertNotEqual(self.backend.last_success_text, "never")
