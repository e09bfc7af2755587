# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sync_core.tests.remote_faults import RemoteFaultsMixin
from odoo.addons.sync_psa import psa

from .common import JiraCase


@tagged("post_install", "-at_install")
class TestJiraStorm(RemoteFaultsMixin, JiraCase):
    def test_a_429_storm_loses_nothing(self):
        """429s of Tempo (with Retry-After, mid-pull after the first page) and of Jira
        (without) on every endpoint the pull reads, while 40 worklogs come in pages of 10:
        every worklog arrives once, the channel was blocked, no exception is left."""
        bob = self.fake.add_user("Bob Consultant", "bob@example.com")
        self.env["hr.employee"].create({"name": "Bob", "work_email": "bob@example.com"})
        for i in range(40):
            who = self.alice_id if i % 2 else bob
            self.fake.log(self.issue, who, 1800, self.monday + timedelta(days=i % 5))
        self.fake.approve(self.alice_id, self.monday)
        self.fake.approve(bob, self.monday)
        self.backend.page_size = 10
        self.fake.status_next(1, None, "/4/worklogs", 429, retry_after=30, skip=2)
        self.fake.status_next(1, None, "/rest/api/3/search/jql", 429)
        self.fake.status_next(1, None, "/4/timesheet-approvals", 429, retry_after=5)
        self.fake.status_next(1, None, "/rest/api/3/project/", 429, retry_after=1)
        job = self.enqueue("psa_pull", {"object": psa.TIME}, f"pull:{psa.TIME}")
        _passes, blocked = self.drive()
        self.assertEqual(self.fake.faults_injected["429"], 4)
        self.assertEqual((job.state, job.attempt), ("done", 5), job.error)
        self.assertGreater(blocked, 0, "a 429 blocked the channel")
        self.assertFalse(self.open_exceptions(), self.open_exceptions().mapped("name"))
        lines = self.lines()
        self.assertEqual(len(lines), 40)
        self.assertEqual(len(set(lines.mapped("psa_entry_id"))), 40)

    @mute_logger("jira")  # the jira package logs a body it cannot parse at ERROR
    def test_bodies_cut_short_and_resets_are_retried(self):
        wid = self.fake.log(self.issue, self.alice_id, 3600, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        self.fake.malformed_next(1, None, "/rest/api/3/search/jql")
        self.fake.malformed_next(1, None, "/4/worklogs")
        self.fake.reset_next(1, None, "/4/periods")
        job = self.enqueue("psa_pull", {"object": psa.TIME}, f"pull:{psa.TIME}")
        self.drive()
        self.assertEqual((job.state, job.attempt), ("done", 4), job.error)
        self.assertFalse(self.open_exceptions(), self.open_exceptions().mapped("name"))
        self.assertEqual(self.lines(wid).unit_amount, 1.0)
