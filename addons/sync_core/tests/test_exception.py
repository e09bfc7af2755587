import json

from .common import SyncCase


class TestExceptionQueue(SyncCase):
    def test_edit_payload_then_retry(self):
        ext = self.fake.put("customers", {"name": "Fixme", "country": "XX"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        exc = self.env["sync.exception"].search([("external_id", "=", ext)])
        self.assertEqual(exc.category, "missing_reference")
        self.assertIn("XX", exc.name)
        self.assertFalse(self.binding_of(ext))
        # the operator fixes the country in the payload and retries
        payload = json.loads(exc.payload_text)
        payload["data"]["country"] = "BE"
        exc.payload_text = json.dumps(payload)
        exc.action_retry()
        self.run_jobs()
        self.assertEqual(exc.job_id.state, "done", exc.job_id.error)
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(self.partner_of(ext).country_id.code, "BE")
        self.assertEqual(job.state, "done")

    def test_job_payload_edit_keeps_history(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "wrong", "ids": ["1"]}
        )
        self.run_jobs()
        exc = job.exception_ids
        ext = self.fake.put("customers", {"name": "Edited"})
        exc.payload_text = json.dumps({"object": "customers", "ids": [ext]})
        exc.action_retry()
        self.assertIn("wrong", job.message_ids[:1].body)
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(self.partner_of(ext).name, "Edited")

    def test_link_ignore_assign(self):
        ext = self.fake.put("customers", {"name": "Link me", "country": "ZZ"})
        self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        exc = self.env["sync.exception"].search([("external_id", "=", ext)])
        user = self.env["res.users"].create({"name": "Fin", "login": "fin@x.test"})
        exc.action_assign(user)
        self.assertEqual(exc.user_id, user)
        self.assertEqual(exc.activity_ids.user_id, user)
        partner = self.env["res.partner"].create({"name": "Linked partner"})
        exc.action_link_record(partner.id)
        self.assertEqual(self.partner_of(ext), partner)
        other = self.env["sync.exception"]._open(
            self.backend, Exception("noise"), remote_object="customers", external_id="n1"
        )
        other.action_ignore("known test data")
        self.assertEqual(other.state, "ignored")

    def test_grouped_by_pattern(self):
        for code in ("Q1", "Q2"):
            ext = self.fake.put("customers", {"name": f"Bad {code}", "country": "QQ"})
            self.env["sync.job"]._enqueue(
                self.backend, "import_record", {"object": "customers", "ids": [ext]}
            )
        self.run_jobs()
        excs = self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(excs), 2)
        self.assertEqual(len(set(excs.mapped("pattern_key"))), 1)
