"""A remote record the connector cannot read: one exception naming it (raw record kept), the
rest of the page lands, the watermark moves on; a dry run lists it and writes nothing."""

import json
from datetime import datetime, timedelta

from odoo.tests import BaseCase

from odoo.addons.sync_core.exceptions import RemoteUnavailableError
from odoo.addons.sync_core.unreadable import (
    any_without_id,
    is_unreadable,
    read_each,
    readable,
)

from .common import SyncCase

T0 = datetime(2024, 3, 1)


class TestReadEach(BaseCase):
    def test_markers_for_what_cannot_be_read_and_errors_of_the_remote_pass(self):
        def read(raw):
            return {"id": str(raw["id"]), "updated_at": None, "data": {"n": int(raw["n"])}}

        out = read_each([{"id": 1, "n": "2"}, {"n": "3"}, {"id": 4, "n": "four"}], read)
        self.assertEqual([is_unreadable(r) for r in out], [False, True, True])
        self.assertEqual(readable(out), [out[0]])
        self.assertTrue(out[1]["id"].startswith("unreadable-"))
        self.assertIsNone(out[1]["unreadable"]["known_id"])
        self.assertEqual(out[1]["unreadable"]["error"], "KeyError: no 'id' in the record")
        self.assertEqual((out[2]["id"], out[2]["unreadable"]["raw"]), ("4", {"id": 4, "n": "four"}))
        self.assertTrue(any_without_id(out))
        self.assertFalse(any_without_id(out[2:]))
        # the same raw record gets the same stand-in id (its exception is counted again)
        self.assertEqual(read_each([{"n": "3"}], read)[0]["id"], out[1]["id"])

        def down(raw):
            raise RemoteUnavailableError("timeout")

        with self.assertRaises(RemoteUnavailableError):
            read_each([{"id": 1}], down)


class TestUnreadablePull(SyncCase):
    def seed(self):
        good = [
            self.fake.put("customers", {"name": f"Good {i}"}, updated_at=T0 + timedelta(seconds=i))
            for i in range(4)
        ]
        bad = self.fake.put(
            "customers", {"name": "No id"}, updated_at=T0 + timedelta(seconds=10), omit=("id",)
        )
        good.append(
            self.fake.put("customers", {"name": "Good last"}, updated_at=T0 + timedelta(seconds=20))
        )
        return good, bad

    def unreadable(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("pattern", "=", "unreadable customers record")]
        )

    def test_pull_applies_the_rest_and_moves_the_watermark(self):
        good, _bad = self.seed()
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["read"], stats["created"], stats["unreadable"]), (6, 5, 1))
        for ext in good:
            self.assertTrue(self.partner_of(ext), ext)
        wm = self.backend.watermark_ids
        self.assertEqual((wm.cursor_stamp, wm.cursor_id), (T0 + timedelta(seconds=20), good[-1]))
        exception = self.unreadable()
        self.assertEqual(len(exception), 1)
        self.assertEqual((exception.category, exception.state), ("payload", "open"))
        self.assertIn("A record of customers without an id cannot be read", exception.name)
        self.assertIn("remote record without id", exception.name)
        raw = json.loads(exception.payload_text)
        self.assertEqual(raw["data"], {"name": "No id"})
        self.assertNotIn("id", raw)
        self.assertFalse(exception.job_id, "the pull succeeded: the exception is the record's")

    def test_dry_run_lists_it_and_opens_nothing(self):
        self.seed()
        job = self.pull(dry_run=True)
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["created"], stats["unreadable"]), (5, 1))
        errors = [c for c in stats["changes"] if c["operation"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertIn("cannot be read", errors[0]["error"])
        self.assertFalse(self.unreadable())
        self.assertFalse(self.backend.watermark_ids.cursor_stamp)

    def test_webhook_refetch_of_an_unreadable_record(self):
        good, bad = self.seed()
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [good[0], bad]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        stats = json.loads(job.result)
        self.assertEqual((stats["created"], stats["unreadable"]), (1, 1))
        self.assertEqual(len(self.unreadable()), 1)
