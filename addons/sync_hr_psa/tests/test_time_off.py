# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Approved leave pushed to Kantata's time off (its wire-level fake), withdrawn with it."""

import json
from datetime import date, timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.sync_core.tests.common import drain_jobs
from odoo.addons.sync_psa import psa

TOKEN = "kantata-hr-token"


@tagged("post_install", "-at_install")
class TestTimeOff(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "kantata" not in cls.env["sync.backend"]._psa_kinds():
            cls.skipTest(cls, "sync_psa_kantata is not installed")
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.kantata = cls.env["sync.backend"].create(
            {"name": "Kantata (HR bridge)", "kind": "kantata", "kantata_access_token": TOKEN,
             "timeout": 10, "psa_event_feed": False}
        )  # fmt: skip
        cls.leave_type = cls.env["hr.leave.type"].create(
            {"name": "Vacation (bridge)", "requires_allocation": False,
             "leave_validation_type": "no_validation", "request_unit": "day"}
        )  # fmt: skip
        cls.ann = cls.env["hr.employee"].create({"name": "Ann Away", "work_email": "ann@x.test"})
        cls.bob = cls.env["hr.employee"].create({"name": "Bob Unbound"})

    def setUp(self):
        super().setUp()
        from odoo.addons.sync_psa_kantata.fake.server import KantataFake

        self.env["sync.backend"]._forget_replaced_credentials()
        self.fake = KantataFake(token=TOKEN)
        self.kantata.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)
        self.user = self.fake.add_user("Ann Away", "ann@x.test")
        self.env["sync.binding"]._bind(self.kantata, self.ann, self.user["id"], psa.PEOPLE)

    def approved(self, employee, start, end):
        """A leave validated the way the HR sync validates it, then followed."""
        leave = (
            self.env["hr.leave"]
            .with_context(leave_fast_create=True)
            .create(
                {"employee_id": employee.id, "holiday_status_id": self.leave_type.id,
                 "request_date_from": start, "request_date_to": end}
            )
        )  # fmt: skip
        if leave.state != "validate":
            leave._action_validate(check_state=False)
        # the HR backend that validated it (the bridge does not read it)
        self.env["sync.hr"]._leave_followed(self.env["sync.backend"], leave)
        return leave

    def entries(self):
        return sorted(
            (e["user_id"], e["requested_date"], e["hours"])
            for e in self.fake.data["time_off_entries"].values()
        )

    def test_approved_leave_pushed_then_withdrawn(self):
        # Friday to Monday: the weekend is not time off in the PSA
        leave = self.approved(self.ann, date(2026, 12, 18), date(2026, 12, 21))
        drain_jobs(self, self.kantata)
        uid = self.user["id"]
        self.assertEqual(self.entries(), [(uid, "2026-12-18", 8.0), (uid, "2026-12-21", 8.0)])
        job = self.env["sync.job"].search(
            [("backend_id", "=", self.kantata.id), ("kind", "=", "psa_time_off")]
        )
        self.assertEqual((job.state, len(job)), ("done", 1))
        # a re-run of the same leave pushes nothing twice
        self.env["sync.hr"]._leave_followed(self.env["sync.backend"], leave)
        drain_jobs(self, self.kantata)
        self.assertEqual(len(self.entries()), 2)
        # withdrawn in the HR platform -> the PSA's entries are deleted
        leave._force_cancel("cancelled in HR", notify_responsibles=False)
        self.env["sync.hr"]._leave_followed(self.env["sync.backend"], leave)
        drain_jobs(self, self.kantata)
        self.assertEqual(self.entries(), [])
        self.assertEqual(len(self.fake.calls("DELETE")), 2)

    def job(self):
        return self.env["sync.job"].search(
            [("backend_id", "=", self.kantata.id), ("kind", "=", "psa_time_off")]
        )

    def retry_now(self, job, attempt):
        """The push failed part-way and waits: time passes, the channel opens, it runs again."""
        self.assertEqual((job.state, job.attempt), ("pending", attempt), job.error)
        job.channel_id.write({"blocked_until": False, "last_start_at": False})
        job.eta = fields.Datetime.now() - timedelta(seconds=1)
        drain_jobs(self, self.kantata)

    def assert_one_entry_a_day(self, leave, days):
        uid = self.user["id"]
        self.assertEqual(self.entries(), [(uid, day, 8.0) for day in days])
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.kantata.id), ("res_model", "=", "hr.leave"),
             ("res_id", "=", leave.id), ("remote_object", "=", "time_off")]
        )  # fmt: skip
        stored = self.fake.data["time_off_entries"]
        self.assertEqual(
            sorted(stored[i]["requested_date"] for i in binding.external_id.split(",")), days
        )

    def test_push_failing_part_way_is_retried_without_twins(self):
        """Monday to Thursday: a 429 on the third day's entry, then a connection reset on the
        fourth one of the retry; each retry finds the days already in Kantata (their ids were
        rolled back with the failed job) and writes only the others."""
        self.fake.status_next(1, ("POST",), "/time_off_entries", 429, retry_after=30, skip=2)
        self.fake.add_fault("reset", 1, ("POST",), "/time_off_entries", skip=1)
        leave = self.approved(self.ann, date(2026, 12, 14), date(2026, 12, 17))
        drain_jobs(self, self.kantata)
        job = self.job()
        self.assertEqual(len(self.entries()), 2)
        self.retry_now(job, 1)
        self.assertEqual(len(self.entries()), 3)
        self.retry_now(job, 2)
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(
            (self.fake.faults_injected["429"], self.fake.faults_injected["reset"]), (1, 1)
        )
        days = ["2026-12-14", "2026-12-15", "2026-12-16", "2026-12-17"]
        self.assert_one_entry_a_day(leave, days)
        # the fake records the requests it served: one write a day, none of them twice
        self.assertEqual(len(self.fake.calls("POST", "/time_off_entries")), 4)

    def test_entry_whose_answer_was_lost_is_found_not_written_again(self):
        """Kantata wrote Tuesday's entry but its answer was lost (a 503 after the write)."""
        self.fake.fail_next(503, method="POST", path="/time_off_entries", after_apply=True)
        leave = self.approved(self.ann, date(2026, 12, 15), date(2026, 12, 15))
        drain_jobs(self, self.kantata)
        self.assertEqual(len(self.entries()), 1)
        job = self.job()
        self.retry_now(job, 1)
        self.assertEqual(job.state, "done", job.error)
        self.assert_one_entry_a_day(leave, ["2026-12-15"])

    def test_employee_without_psa_user_enqueues_nothing(self):
        self.approved(self.bob, date(2026, 12, 14), date(2026, 12, 14))
        self.assertFalse(
            self.env["sync.job"].search(
                [("backend_id", "=", self.kantata.id), ("kind", "=", "psa_time_off")]
            )
        )

    def test_planner_entry_on_a_leave_day_survives_the_withdrawal(self):
        """A resource planner entered Wednesday off by hand in Kantata (no marker of ours):
        the push leaves that day to the planner's entry (Kantata would merge our hours into
        it), and the withdrawal deletes only the entries the push wrote."""
        uid = self.user["id"]
        planner = self.kantata._get_adapter().write_time_off(uid, date(2026, 12, 16), 4.0)
        leave = self.approved(self.ann, date(2026, 12, 15), date(2026, 12, 17))
        drain_jobs(self, self.kantata)
        job = self.job()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(json.loads(job.result)["kept_planner_days"], ["2026-12-16"])
        self.assertEqual(
            self.entries(),
            [(uid, "2026-12-15", 8.0), (uid, "2026-12-16", 4.0), (uid, "2026-12-17", 8.0)],
        )
        stored = self.fake.data["time_off_entries"]
        self.assertEqual(stored[planner]["external_reference_ids"], [])
        marked = [e for e in stored.values() if e["external_reference_ids"]]
        self.assertEqual(sorted(e["requested_date"] for e in marked), ["2026-12-15", "2026-12-17"])
        # the leave is withdrawn in the HR platform: the planner's entry stays as it was
        leave._force_cancel("cancelled in HR", notify_responsibles=False)
        self.env["sync.hr"]._leave_followed(self.env["sync.backend"], leave)
        drain_jobs(self, self.kantata)
        self.assertEqual(self.entries(), [(uid, "2026-12-16", 4.0)])
        self.assertIn(planner, stored)
        self.assertEqual(len(self.fake.calls("DELETE")), 2)
