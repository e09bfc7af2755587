"""Retention and masking, asserted on the stored rows: sensitive values masked at write time
(events, jobs, audit, exceptions, logs), the daily retention, and "forget this person"."""

import json
import logging
from datetime import timedelta

from odoo import fields

from odoo.addons.sync_core.masking import FORGOTTEN, MASK, mask_text

from .common import SyncCase


class TestPrivacy(SyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.sensitive_keys = "salary, phone"
        cls.env["sync.job.kind"].create(
            {
                "name": "Privacy no-op",
                "code": "noop",
                "model_name": "sync.backend",
                "method_name": "_job_noop",
            }
        )

    def row(self, table, res_id, column):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [res_id])
        return self.env.cr.fetchone()[0]

    def store_event(self, key, payload):
        self.env["sync.event"]._store(
            self.backend,
            [
                {
                    "dedup_key": key,
                    "event_type": "updated",
                    "object_name": "customers",
                    "external_id": str(payload["id"]),
                    "payload": payload,
                }
            ],
            {},
        )
        return self.env["sync.event"].search([("dedup_key", "=", key)])

    # ------------------------------------------------------------------ write time
    def test_masked_at_write_time_everywhere(self):
        event = self.store_event("m-1", {"id": 9, "salary": 5100, "pay": {"Salary": 5200}})
        body = self.row("sync_event", event.id, "body")
        self.assertNotIn("5100", body)
        self.assertNotIn("5200", body)
        self.assertEqual(json.loads(body)["pay"]["Salary"], MASK)
        job = self.env["sync.job"]._enqueue(
            self.backend, "noop", payload={"ids": [1], "salary": 4321}, identity_key="m-job"
        )
        job.write({"result": json.dumps({"salary": 999, "done": 1}), "error": "salary=777 refused"})
        for column in ("payload", "result", "error"):
            stored = self.row("sync_job", job.id, column)
            for value in ("4321", "999", "777"):
                self.assertNotIn(value, stored)
        exc = self.env["sync.exception"].create(
            {
                "backend_id": self.backend.id,
                "name": "Refused",
                "category": "validation",
                "payload_text": '{"contact": {"Phone": "+1 555 0100"}}',
            }
        )
        self.assertNotIn("555", self.row("sync_exception", exc.id, "payload_text"))
        # a pulled customer: the partner keeps its phone, the audit row does not
        self.fake.put("customers", {"name": "Masked Co", "phone": "+1 555 0199"})
        self.assertEqual(self.pull().state, "done")
        partner = self.env["res.partner"].search([("name", "=", "Masked Co")])
        self.assertEqual(partner.phone, "+1 555 0199")
        audit = self.env["sync.audit"].search([("res_id", "=", partner.id)], limit=1)
        self.assertTrue(audit)
        stored = self.row("sync_audit", audit.id, "changes")
        self.assertNotIn("555", stored)
        self.assertIn("Masked Co", stored)

    def test_model_sensitive_fields_and_the_remote_keys_mapped_onto_them(self):
        self.env["sync.mapping"].create(
            {
                "name": "Bank accounts",
                "backend_id": self.backend.id,
                "remote_object": "bank_accounts",
                "res_model": "res.partner.bank",
                "line_ids": [(0, 0, {"remote_field": "iban", "odoo_field": "acc_number"})],
            }
        )
        keys = self.backend._sync_mask_keys()
        self.assertTrue({"acc_number", "iban", "salary", "phone"} <= keys)
        event = self.store_event("b-1", {"id": 3, "iban": "DE89370400440532013000"})
        self.assertNotIn("DE89", self.row("sync_event", event.id, "body"))
        audit = self.env["sync.audit"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "res.partner.bank",
                "res_id": 1,
                "operation": "write",
                "changes": {"acc_number": ["DE00", "DE89370400440532013000"], "active": [0, 1]},
            }
        )
        self.assertEqual(audit.changes["acc_number"], [MASK, MASK])
        self.assertEqual(audit.changes["active"], [0, 1])

    def test_logs_masked(self):
        self.backend._sync_mask_keys()  # the keys this process knows
        record = logging.getLogRecordFactory()(
            "odoo.addons.sync_core.models.sync_job",
            logging.INFO,
            __file__,
            1,
            "payload %s",
            ({"salary": 31337, "id": 1},),
            None,
        )
        self.assertNotIn("31337", record.getMessage())
        self.assertIn("'id': 1", record.getMessage())

    def test_mask_text_of_other_formats(self):
        keys = {"salary"}
        self.assertEqual(mask_text("a=1&salary=100", keys)[0], f"a=1&salary={MASK}")
        self.assertNotIn("100", mask_text("<ns:Salary>100</ns:Salary>", keys)[0])
        self.assertNotIn("100", mask_text("{'salary': 100, 'x': 2}", keys)[0])
        self.assertEqual(mask_text("no value here", keys), ("no value here", 0))

    # ------------------------------------------------------------------ retention
    def test_retention_purges_and_masks_old_rows_only(self):
        self.backend.sensitive_keys = False
        old_event = self.store_event("r-1", {"id": 1, "name": "Old"})
        new_event = self.store_event("r-2", {"id": 2, "name": "New"})
        Job = self.env["sync.job"]
        done = Job._enqueue(self.backend, "noop", payload={"ids": [7]}, identity_key="r-done")
        kept = Job._enqueue(self.backend, "noop", payload={"ids": [8]}, identity_key="r-kept")
        (done | kept).write({"state": "done", "result": '{"n": 1}'})
        kept.state = "failed"
        self.env["sync.exception"].create(
            {"backend_id": self.backend.id, "name": "Open", "category": "remote", "job_id": kept.id}
        )
        audit = self.env["sync.audit"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "res.partner",
                "res_id": 1,
                "operation": "write",
                "changes": {"name": ["Old name", "New name"]},
            }
        )
        closed = self.env["sync.exception"].create(
            {
                "backend_id": self.backend.id,
                "name": "Closed",
                "category": "remote",
                "payload_text": '{"name": "Old"}',
                "state": "resolved",
            }
        )
        self.env.flush_all()
        year_ago = fields.Datetime.now() - timedelta(days=400)
        cr = self.env.cr
        cr.execute("UPDATE sync_event SET received_at = %s WHERE id = %s", [year_ago, old_event.id])
        cr.execute(
            "UPDATE sync_job SET write_date = %s WHERE id IN %s", [year_ago, (done.id, kept.id)]
        )
        cr.execute("UPDATE sync_audit SET date = %s WHERE id = %s", [year_ago, audit.id])
        cr.execute(
            "UPDATE sync_exception SET last_seen_at = %s WHERE id = %s", [year_ago, closed.id]
        )
        result = self.env["sync.backend"]._cron_retention()
        self.assertEqual(
            result[self.backend.id], {"events": 1, "jobs": 1, "audit": 1, "exceptions": 1}
        )
        self.assertIsNone(self.row("sync_event", old_event.id, "body"))
        self.assertIn("New", self.row("sync_event", new_event.id, "body"))
        self.assertEqual(json.loads(self.row("sync_job", done.id, "payload")), {"purged": True})
        self.assertIsNone(self.row("sync_job", done.id, "result"))
        self.assertIn("8", self.row("sync_job", kept.id, "payload"))  # its exception is open
        self.assertEqual(
            json.loads(self.row("sync_audit", audit.id, "changes")), {"name": [MASK, MASK]}
        )
        self.assertIsNone(self.row("sync_exception", closed.id, "payload_text"))
        # logged with counts, never values; a second run has nothing left to do
        note = self.backend.message_ids[:1].body
        self.assertIn("events: 1", note)
        self.assertNotIn("Old name", note)
        self.assertFalse(self.env["sync.backend"]._cron_retention().get(self.backend.id))

    # ------------------------------------------------------------------ forget
    def test_forget_a_person_masks_every_trace_keeps_the_record(self):
        self.backend.sensitive_keys = False
        ext = self.fake.put("customers", {"name": "Jane Forgettable", "email": "jane@forget.test"})
        self.assertEqual(self.pull().state, "done")
        partner = self.partner_of(ext)
        binding = self.binding_of(ext)
        about = self.store_event("f-1", {"id": ext, "name": "Jane Forgettable"})
        other = self.store_event(
            "f-2", {"id": "999", "contact": "jane@forget.test", "keep": "other data"}
        )
        job = self.env["sync.job"]._enqueue(
            self.backend, "noop", payload={"note": "call Jane Forgettable"}, identity_key="f-job"
        )
        exc = self.env["sync.exception"].create(
            {
                "backend_id": self.backend.id,
                "name": "Jane Forgettable has no VAT",
                "category": "validation",
                "res_model": "res.partner",
                "res_id": partner.id,
                "payload_text": '{"email": "jane@forget.test"}',
            }
        )
        wizard = (
            self.env["sync.forget"]
            .with_context(active_model="res.partner", active_id=partner.id)
            .create({})
        )
        self.assertEqual(wizard.record_ref, partner)
        wizard.action_forget()
        self.assertIn("events: 2", wizard.result)
        dump = "".join(
            str(self.row(table, rid, col))
            for table, rid, col in (
                ("sync_event", about.id, "body"),
                ("sync_event", other.id, "body"),
                ("sync_job", job.id, "payload"),
                ("sync_exception", exc.id, "name"),
                ("sync_exception", exc.id, "payload_text"),
            )
        )
        dump += "".join(
            self.row("sync_audit", a.id, "changes")
            for a in self.env["sync.audit"].search([("res_id", "=", partner.id)])
        )
        self.assertNotIn("Jane", dump)
        self.assertNotIn("jane@forget.test", dump)
        self.assertIn(FORGOTTEN, dump)
        self.assertIn("other data", dump)
        # the business record and its binding stay
        self.assertEqual(partner.name, "Jane Forgettable")
        self.assertTrue(binding.exists())
        self.assertIn("events: 2", partner.message_ids[:1].body)
        self.assertNotIn("Jane", partner.message_ids[:1].body)

    def test_forget_an_employee_when_hr_is_installed(self):
        if "hr.employee" not in self.env:
            self.skipTest("hr is not installed")
        employee = self.env["hr.employee"].create(
            {"name": "Erin Payroll", "work_email": "erin@payroll.test"}
        )
        self.assertIn("hr.employee", dict(self.env["sync.forget"]._selection_models()))
        event = self.store_event("e-1", {"id": "55", "owner": "erin@payroll.test", "n": 1})
        audit = self.env["sync.audit"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "hr.employee",
                "res_id": employee.id,
                "operation": "write",
                "changes": {"job_title": ["Junior", "Senior"]},
            }
        )
        wizard = self.env["sync.forget"].create({"record_ref": f"hr.employee,{employee.id}"})
        wizard.action_forget()
        self.assertNotIn("erin@payroll.test", self.row("sync_event", event.id, "body"))
        self.assertEqual(
            json.loads(self.row("sync_audit", audit.id, "changes")),
            {"job_title": [FORGOTTEN, FORGOTTEN]},
        )
        self.assertEqual(employee.work_email, "erin@payroll.test")

    def test_forget_masks_the_chatter_the_sync_wrote(self):
        """Messages and tracking values a sync job wrote about the person are masked on the
        stored rows; what people wrote and the business record stay; counts are logged."""
        ext = self.fake.put("customers", {"name": "Mia Chatty", "email": "mia@chatty.test"})
        self.assertEqual(self.pull().state, "done")
        partner = self.partner_of(ext)
        job = self.env["sync.job"]._enqueue(self.backend, "noop", identity_key="chat-job")
        self.env.flush_all()
        self.env.cr.flush()  # the transaction before the job (the runner commits it)
        # what a handler writes while the runner runs its job (sync.job._perform's context)
        synced = partner.with_context(sync_job_id=job.id, tracking_disable=False)
        synced.write({"email": "mia.new@chatty.test", "phone": "+32 2 555 01 01"})
        self.env.flush_all()
        self.env.cr.flush()  # the tracking message is created before the commit
        posted = synced.message_post(body="Deal won by Mia Chatty in the CRM")
        elsewhere = self.backend.with_context(sync_job_id=job.id).message_post(
            body="Pulled Mia Chatty (mia.new@chatty.test) and 3 others"
        )
        by_user = partner.with_context(tracking_disable=False).message_post(
            body="Phoned Mia Chatty about the renewal"
        )
        sync_msgs = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("sync_written", "=", True),
            ]
        )
        self.assertEqual(len(sync_msgs), 2, "the tracking message and the post are marked")
        self.assertEqual(sync_msgs.sync_job_id, job)
        tracked = sync_msgs.tracking_value_ids
        self.assertEqual(len(tracked), 2, "email and phone tracked")
        self.assertFalse(by_user.sync_written)
        wizard = self.env["sync.forget"].create({"record_ref": f"res.partner,{partner.id}"})
        wizard.action_forget()
        self.assertIn("messages: 3", wizard.result)
        self.assertIn("tracking values: 2", wizard.result)
        note = self.backend.message_ids[:1].body  # the privacy log of the backend
        self.assertIn("messages: 3, tracking values: 2", note)
        self.assertNotIn("Mia", note, "counts, never values")
        stored = "".join(
            str(self.row("mail_message", m.id, "body")) for m in sync_msgs | posted | elsewhere
        )
        for value in tracked:
            stored += str(self.row("mail_tracking_value", value.id, "old_value_char"))
            stored += str(self.row("mail_tracking_value", value.id, "new_value_char"))
        self.assertNotIn("Mia", stored)
        self.assertNotIn("mia", stored)
        self.assertNotIn("555 01 01", stored)
        self.assertIn(FORGOTTEN, stored)
        self.assertIn("and 3 others", self.row("mail_message", elsewhere.id, "body"))
        self.assertIn("Phoned Mia Chatty", self.row("mail_message", by_user.id, "body"))
        self.assertTrue(sync_msgs.exists() and tracked.exists(), "rows kept, values masked")
        self.assertEqual(partner.email, "mia.new@chatty.test", "the business record stays")
