# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sync_jira.jira_adapter import PROPERTY
from odoo.addons.sync_psa import psa

from .common import JiraCase

HOUR = 3600


@tagged("post_install", "-at_install")
class TestJiraTempo(JiraCase):
    def test_connection_is_a_structured_result(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok", self.backend.status_message)
        info = self.backend.connection_info
        self.assertEqual(info["system"], "Jira Cloud + Tempo")
        self.assertIn("bot@example.com", info["user"])

    def test_approved_period_becomes_timesheets_billable_split(self):
        """3 h logged, 2 h billable, in an approved week: 2 h on the order line, 1 h not
        billed; the week after, still open, brings nothing."""
        wid = self.fake.log(self.issue, self.alice_id, 3 * HOUR, self.monday, billable=2 * HOUR)
        open_week = self.fake.log(self.issue, self.alice_id, HOUR, self.monday + timedelta(days=7))
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        billed, internal = self.lines(wid)
        self.assertEqual((billed.psa_entry_id, billed.unit_amount), (str(wid), 2.0))
        self.assertEqual(billed.so_line, self.so_line)
        self.assertEqual(billed.project_id, self.project)
        self.assertEqual(billed.employee_id, self.alice)
        self.assertEqual((internal.psa_entry_id, internal.unit_amount), (f"{wid}-nb", 1.0))
        self.assertFalse(internal.so_line)
        self.assertFalse(self.lines(open_week))
        self.assertEqual(self.so_line.qty_delivered, 2.0)
        # the worklog's issue became the timesheet's task
        self.assertIn("Robot cell", billed.task_id.name)

    def test_batch_lines_are_the_lines_a_plain_create_makes(self):
        """A month-end batch (two people at different hourly costs, billable and non-billable
        parts) is post-processed once per group of lines, not line by line: each line has the
        amount, accounts, order line and invoice type a plain timesheet create gives it."""
        self.alice.hourly_cost = 50.0
        bob = self.env["hr.employee"].create(
            {"name": "Bob Consultant", "work_email": "bob@example.com", "hourly_cost": 80.0}
        )
        bob_id = self.fake.add_user("Bob Consultant", "bob@example.com")
        logged = [(self.alice_id, 3), (bob_id, 2), (self.alice_id, 1), (bob_id, 5), (bob_id, 2)]
        for i, (author, hours) in enumerate(logged):
            day = self.monday + timedelta(days=i)
            self.fake.log(self.issue, author, hours * HOUR, day, billable=(hours - 1) * HOUR)
        self.fake.approve(self.alice_id, self.monday)
        self.fake.approve(bob_id, self.monday)
        self.pull()
        lines = self.lines()
        # 4 billable parts (the 1 h worklog has none) and 5 non-billable hours
        self.assertEqual(len(lines.filtered("so_line")), 4)
        self.assertEqual(
            sorted(lines.filtered(lambda x: not x.so_line).mapped("unit_amount")), [1.0] * 5
        )
        self.assertEqual(self.so_line.qty_delivered, 2.0 + 1.0 + 4.0 + 1.0)
        cost = {self.alice: 50.0, bob: 80.0}
        compared = ["amount", "account_id", "so_line", "timesheet_invoice_type", "company_id",
                    "product_uom_id", "user_id", "partner_id", "task_id"]  # fmt: skip
        for line in lines:
            self.assertAlmostEqual(line.amount, -line.unit_amount * cost[line.employee_id])
            vals = {"project_id": line.project_id.id, "task_id": line.task_id.id,
                    "employee_id": line.employee_id.id, "date": line.date,
                    "unit_amount": line.unit_amount, "name": line.name}  # fmt: skip
            if not line.so_line:
                vals["so_line"] = False
            plain = self.env["account.analytic.line"].create(vals)
            for fname in compared:
                self.assertEqual(line[fname], plain[fname], fname)

    def test_reopened_period_is_reversed_before_invoicing(self):
        wid = self.fake.log(self.issue, self.alice_id, 2 * HOUR, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        self.assertTrue(self.lines(wid))
        self.fake.reopen(self.alice_id, self.monday)
        self.sweep()
        self.assertFalse(self.lines(wid))
        self.assertEqual(self.so_line.qty_delivered, 0.0)

    def test_deleted_worklog_before_and_after_invoicing(self):
        gone = self.fake.log(self.issue, self.alice_id, HOUR, self.monday)
        billed = self.fake.log(self.issue, self.alice_id, 2 * HOUR, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        self.fake.delete_worklog(gone)
        self.sweep()
        self.assertFalse(self.lines(gone), "deleted before invoicing: reversed")
        invoice = self.order._create_invoices()
        invoice.action_post()
        self.fake.delete_worklog(billed)
        self.sweep()
        self.assertEqual(self.lines(billed).unit_amount, 2.0, "invoiced time is never changed")
        exc = self.exceptions(category="conflict")
        self.assertEqual(len(exc), 1)
        self.assertIn(invoice.name, exc.name)
        self.assertIn("deleted", exc.name)
        # the write-back skips the worklog Tempo no longer has
        job = self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)

    def test_edited_split_after_pull_updates_and_reverses_the_part(self):
        wid = self.fake.log(self.issue, self.alice_id, 2 * HOUR, self.monday, billable=HOUR)
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        self.assertEqual(len(self.lines(wid)), 2)
        self.fake.update_worklog(wid, billableSeconds=2 * HOUR)
        self.pull()
        line = self.lines(wid)
        self.assertEqual((line.psa_entry_id, line.unit_amount), (str(wid), 2.0))

    def test_hidden_email_waits_in_one_exception_naming_the_person(self):
        bob = self.fake.add_user("Bob Private", "bob@example.com", visible=False)
        wid = self.fake.log(self.issue, bob, 5 * HOUR, self.monday)
        self.fake.approve(bob, self.monday)
        self.pull()
        self.assertFalse(self.lines(wid))
        exc = self.exceptions(category="missing_reference")
        self.assertEqual(len(exc), 1)
        self.assertIn("Bob Private", exc.name)
        self.assertIn("5.00 h", exc.name)
        # linking the employee once (by accountId) imports the waiting hours
        bob_employee = self.env["hr.employee"].create({"name": "Bob Private"})
        self.env["sync.binding"]._bind(self.backend, bob_employee, bob, psa.PEOPLE)
        exc.job_id.action_requeue()
        self.run_jobs()
        self.assertEqual(self.lines(wid).employee_id, bob_employee)

    def test_rate_limits_of_tempo_and_jira_go_through_the_engine(self):
        """A 429 of Tempo, then one of Jira (Retry-After 30 s each): the job is retried later
        through the engine (channel blocked, attempt counted), never slept on inline."""
        wid = self.fake.log(self.issue, self.alice_id, HOUR, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        self.fake.status_next(1, None, "/4/worklogs", 429, retry_after=30)
        self.fake.status_next(1, None, "/rest/api/3/search/jql", 429, retry_after=30)
        job = self.pull()
        for attempt in (1, 2):
            self.assertEqual((job.state, job.attempt), ("pending", attempt))
            self.assertIn("429", job.error)
            channel = job.channel_id
            self.assertGreater(channel.blocked_until, fields.Datetime.now())
            # time passes: the channel opens, the job is due
            channel.write({"blocked_until": False, "last_start_at": False})
            job.eta = fields.Datetime.now() - timedelta(seconds=1)
            self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.faults_injected["429"], 2)
        self.assertEqual(self.lines(wid).unit_amount, 1.0)

    def test_writeback_marks_the_issue_property_then_the_invoice(self):
        wid = self.fake.log(self.issue, self.alice_id, HOUR, self.monday)
        self.fake.approve(self.alice_id, self.monday)
        self.pull()
        self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        value = self.fake.properties[(self.issue, PROPERTY)]
        self.assertEqual(value[str(wid)]["status"], "imported")
        invoice = self.order._create_invoices()
        invoice.action_post()
        self.enqueue("psa_writeback", {}, "psa:writeback")
        self.run_jobs()
        value = self.fake.properties[(self.issue, PROPERTY)]
        self.assertEqual(value[str(wid)], {**value[str(wid)], "status": "invoiced",
                                           "message": invoice.name})  # fmt: skip

    def test_milestone_issue_done_reaches_the_odoo_milestone(self):
        milestone = self.env["project.milestone"].create(
            {"name": "Go-live", "project_id": self.project.id}
        )
        self.fake.add_issue(self.jira_project, "Go-live", labels=["milestone"], done=True)
        self.fake.add_issue(self.jira_project, "Not a milestone", done=True)
        self.enqueue("psa_pull", {"object": psa.MILESTONES}, f"pull:{psa.MILESTONES}")
        self.run_jobs()
        self.assertTrue(milestone.is_reached)

    def test_approved_time_for_reconciliation(self):
        self.fake.log(self.issue, self.alice_id, HOUR, self.monday)
        self.fake.log(self.issue, self.alice_id, HOUR, self.monday + timedelta(days=7))
        self.fake.approve(self.alice_id, self.monday)
        adapter = self.backend._get_adapter()
        pages = list(adapter.iter_approved_time(self.monday, self.monday + timedelta(days=13)))
        entries = [r for page in pages for r in page]
        self.assertEqual([r["data"]["minutes"] for r in entries], [60])
        # one approval read per author and period, one periods read per new range
        approvals = [c for c in self.fake.calls if "timesheet-approvals" in c[1]]
        self.assertEqual(len(approvals), 2)

    def test_nothing_is_pushed_to_jira(self):
        mapping = self.env["sync.mapping"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(set(mapping.line_ids.mapped("direction")), {"import"})
        self.assertFalse(mapping.export_create)
        self.project.write({"name": "Acme Delivery (renamed)", "allow_timesheets": True})
        self.env["project.project"].create({"name": "Internal", "allow_timesheets": True})
        self.env.flush_all()
        jobs = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertFalse(jobs, jobs.mapped("kind"))

    def test_approval_sweep_runs_every_few_hours(self):
        sweep = self.backend._watermark(f"{psa.TIME}:approved")
        sweep.last_success_at = fields.Datetime.now() - timedelta(hours=2)
        Job = self.env["sync.job"]
        domain = [
            ("backend_id", "=", self.backend.id),
            ("identity_key", "=", f"psa:sweep:{psa.TIME}"),
        ]
        self.env["sync.psa"]._schedule(self.backend)
        self.assertFalse(Job.search(domain), "swept 2 h ago: not due")
        sweep.last_success_at = fields.Datetime.now() - timedelta(hours=5)
        self.env["sync.psa"]._schedule(self.backend)
        self.assertEqual(Job.search(domain).payload, {"object": psa.TIME})
