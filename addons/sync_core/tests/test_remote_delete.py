"""A webhook re-fetch (or the replay of its event) that finds the remote record deleted says in
the job's outcome what became of the Odoo record, following the mapping's delete policy; the
"ask" policy opens an exception for a user to decide."""

import json

from .common import SyncCase


class TestRemoteDelete(SyncCase):
    def setUp(self):
        super().setUp()
        self.ext = self.fake.put("customers", {"name": "Gone Ltd", "email": "a@gone.test"})
        self.assertEqual(self.pull().state, "done")
        self.partner = self.partner_of(self.ext)
        self.assertTrue(self.partner.active)

    def delete_remotely(self):
        self.fake.put("customers", {"name": "Gone Ltd"}, ext_id=self.ext, archived=True)

    def import_record(self, ids=None):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": ids or [self.ext]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        return job, json.loads(job.result)

    def binding(self):
        return (
            self.env["sync.binding"]
            .with_context(active_test=False)
            .search([("backend_id", "=", self.backend.id), ("external_id", "=", self.ext)])
        )

    def test_keep_policy_says_the_partner_is_kept(self):
        self.assertEqual(self.mapping.delete_policy, "binding")
        self.delete_remotely()
        job, result = self.import_record()
        expected = (
            f"customers {self.ext} was deleted in Generic test; its link was removed and "
            "Gone Ltd is kept (delete policy: “Archive the binding only”)."
        )
        self.assertEqual(result["remote_deletions"], [expected])
        self.assertEqual(result["deleted"], 1)
        self.assertIn(expected, job.result_text)
        self.assertTrue(self.partner.active)
        self.assertFalse(self.binding().active)
        # replaying the event later says it again (the delete itself was applied once)
        job, result = self.import_record()
        self.assertEqual(result["remote_deletions"], [expected])
        self.assertEqual((result["deleted"], result["identical"]), (0, 1))

    def test_archive_policy_archives_and_says_so(self):
        self.mapping.delete_policy = "archive"
        self.delete_remotely()
        _job, result = self.import_record()
        self.assertEqual(
            result["remote_deletions"],
            [f"customers {self.ext} was deleted in Generic test; Gone Ltd was archived (delete "
             "policy)."],
        )  # fmt: skip
        self.assertFalse(self.partner.active)

    def test_ask_policy_opens_an_exception_for_a_user(self):
        self.mapping.delete_policy = "exception"
        self.delete_remotely()
        _job, result = self.import_record()
        exception = self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", self.ext)]
        )
        self.assertEqual((len(exception), exception.category), (1, "conflict"))
        self.assertIn("decide what to do with the Odoo record", exception.name)
        self.assertEqual(
            result["remote_deletions"],
            [f"customers {self.ext} was deleted in Generic test; Gone Ltd is kept until a user "
             f"decides what to do with it (exception {exception.id})."],
        )  # fmt: skip
        self.assertTrue(self.partner.active)
        self.assertTrue(self.binding().active, "nothing decided yet")

    def test_record_the_remote_no_longer_returns(self):
        del self.fake.objects["customers"][self.ext]
        _job, result = self.import_record()
        self.assertEqual(result["not_found"], 1)
        self.assertEqual(
            result["remote_deletions"],
            [f"customers {self.ext} is not returned by Generic test (deleted there for good, "
             "or not visible to this connection): Gone Ltd and its link were left as they are."],
        )  # fmt: skip
        self.assertTrue(self.partner.active)
        self.assertTrue(self.binding().active)

    def test_dry_run_changes_nothing_and_says_the_policy(self):
        self.mapping.delete_policy = "archive"
        self.delete_remotely()
        job = self.env["sync.job"]._enqueue(
            self.backend,
            "import_record",
            {"object": "customers", "ids": [self.ext]},
            dry_run=True,
        )
        self.run_jobs()
        result = json.loads(job.result)
        self.assertEqual(
            result["remote_deletions"],
            [f"customers {self.ext} was deleted in Generic test; delete policy “Archive the "
             "Odoo record” for Gone Ltd (dry run: nothing changed)."],
        )  # fmt: skip
        self.assertTrue(self.partner.active)
