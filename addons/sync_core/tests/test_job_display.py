from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestJobDisplay(SyncCase):
    """Jobs say which record they are about, their kind by its label and their outcome as
    text; tracebacks are for sync managers only."""

    def test_name_kind_and_outcome(self):
        ext = self.fake.put("customers", {"name": "Globex"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.assertEqual(job.subject, f"customers {ext}")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        job.invalidate_recordset()
        self.assertEqual(job.subject, f"customers {ext} (Globex)")
        self.assertEqual(job.display_name, f"Import records (re-fetch): customers {ext} (Globex)")
        self.assertEqual(job.kind_id.name, "Import records (re-fetch)")
        self.assertIn("Created: 1", job.result_text.splitlines())
        self.assertNotIn("{", job.result_text)
        pull = self.pull()
        self.assertEqual(pull.subject, "customers changed since the last pull")
        self.assertIn("Pages: 1", pull.result_text)

    def test_traceback_for_managers_only(self):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "nope", "ids": ["1"]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "failed")
        self.assertIn("Traceback", job.traceback)
        operator = self.env["res.users"].create(
            {
                "name": "Operator",
                "login": "op@x.test",
                "group_ids": [(6, 0, [self.env.ref("sync_core.sync_core_group_operator").id])],
            }
        )
        self.assertTrue(job.with_user(operator).error)
        with self.assertRaises(AccessError):
            job.with_user(operator).read(["traceback"])
        exc = job.exception_ids
        self.assertTrue(exc.with_user(operator).name)
        with self.assertRaises(AccessError):
            exc.with_user(operator).read(["technical_detail"])
        manager = operator.copy({"login": "mgr@x.test"})
        manager.group_ids = [(4, self.env.ref("sync_core.sync_core_group_manager").id)]
        self.assertIn("Traceback", job.with_user(manager).read(["traceback"])[0]["traceback"])
