# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import new_test_user, tagged

from .common import ReconcileCase


@tagged("post_install", "-at_install")
class TestReport(ReconcileCase):
    def test_control_report_renders_as_pdf(self):
        self.entry(60, date_performed=self.day(45), rate_in_cents=15000)
        self.pull()
        self.entry(30, date_performed=self.day(1), rate_in_cents=15000)
        run = self.reconcile()
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, fmt = Report._render_qweb_pdf("sync_reconcile.action_report_reconcile_run", run.ids)
        self.assertEqual(fmt, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), pdf[:40])
        html = Report._render_qweb_html("sync_reconcile.action_report_reconcile_run", run.ids)[0]
        html = html.decode()
        self.assertIn(f"Run <strong>{run.id}</strong>", html)
        self.assertIn(str(run.date_from), html)
        self.assertIn("Approved, not invoiced", html)
        self.assertIn(f"{run.difference_amount:.2f}", html)

    def test_control_report_is_mailed_to_finance(self):
        self.entry(30, date_performed=self.day(1), rate_in_cents=15000)
        finance = self.env["res.partner"].create(
            {"name": "Finance", "email": "finance@example.com"}
        )
        controller = new_test_user(
            self.env, "controller", groups="account.group_account_manager", email="c@example.com"
        )
        self.backend.write(
            {
                "reconcile_partner_ids": [(6, 0, finance.ids)],
                "reconcile_group_id": self.env.ref("account.group_account_manager").id,
            }
        )
        run = self.reconcile()
        mail = run._send_report()
        self.assertEqual(mail.state, "outgoing")
        self.assertIn(finance, mail.recipient_ids)
        self.assertIn(controller.partner_id, mail.recipient_ids)
        self.assertIn("1 differences", mail.subject)
        self.assertEqual(mail.attachment_ids.name, f"reconciliation-{run.id}.pdf")

    def test_daily_cron_runs_every_psa_backend(self):
        self.entry(30, date_performed=self.day(1), rate_in_cents=15000)
        cron = self.env.ref("sync_reconcile.ir_cron_sync_reconcile")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()
        run = self.env["sync.reconcile.run"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.difference_count, 1)
        self.assertEqual(self.backend.reconcile_difference_count, 1)
        self.assertEqual(self.backend.reconcile_run_id, run)


@tagged("post_install", "-at_install")
class TestIsolationAndDrift(ReconcileCase):
    def test_company_isolation(self):
        entry = self.entry(60, date_performed=self.day(2), rate_in_cents=15000)
        self.pull()
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other_backend = self.backend.copy(
            {"name": "Kantata other co", "company_id": other_company.id}
        )
        other_backend.sudo().kantata_access_token = self.backend.sudo().kantata_access_token
        # Odoo time of the other company, on a project of the other company
        other_project = self.env["project.project"].create(
            {"name": "Other co project", "company_id": other_company.id}
        )
        mine = self.reconcile()
        self.assertFalse(mine.line_ids)
        theirs = self.env["sync.reconcile.run"].create(
            {
                "backend_id": other_backend.id,
                "date_from": mine.date_from,
                "date_to": mine.date_to,
                "check_drift": False,
            }
        )
        self.assertTrue(theirs._execute(), theirs.error)
        # the other company's backend sees the Kantata entry missing on its side, never the
        # first company's timesheet
        self.assertEqual(theirs.line_ids.mapped("category"), ["missing"])
        self.assertEqual(theirs.line_ids.entry_id, entry["id"])
        self.assertFalse(theirs.line_ids.res_id)
        self.assertEqual(theirs.line_ids.company_id, other_company)
        self.assertEqual(theirs.line_ids.exception_id.company_id, other_company)
        self.assertNotEqual(other_project.company_id, self.env.company)
        user = new_test_user(
            self.env,
            "other_co_reader",
            groups="sync_core.sync_core_group_user",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        Run = self.env["sync.reconcile.run"].with_user(user)
        self.assertEqual(Run.search([]), theirs)
        self.assertEqual(
            self.env["sync.reconcile.line"].with_user(user).search([]), theirs.line_ids
        )

    def test_master_data_drift(self):
        # the project's name is Odoo's (pushed to the workspace); someone renames the
        # workspace in Kantata
        self.fake.update("workspaces", self.workspace_id, title="Renamed in Kantata")
        run = self.reconcile()
        drift = self.of(run, "drift")
        self.assertEqual(len(drift), 1, run.line_ids.mapped("message"))
        self.assertEqual((drift.res_model, drift.res_id), ("project.project", self.project.id))
        self.assertEqual(drift.remote_value, "Renamed in Kantata")
        self.assertEqual(drift.odoo_value, self.project.name)
        self.assertIn("the sync does not explain it", drift.exception_id.name)
        # a rename in Odoo is explained (the outbox sends it): no drift
        self.project.name = "Renamed in Kantata too"
        self.assertFalse(self.of(self.reconcile(), "drift"))
        # the sides agree again: the exception closes
        self.fake.update("workspaces", self.workspace_id, title=self.project.name)
        self.run_jobs()
        self.reconcile()
        self.assertEqual(drift.exception_id.state, "resolved")


@tagged("post_install", "-at_install")
class TestEarlyWarning(ReconcileCase):
    def invoice_at(self, days_ago, minutes=600):
        self.entry(minutes, date_performed=self.day(days_ago + 2), rate_in_cents=15000)
        self.pull()
        invoice = self.order._create_invoices()
        invoice.invoice_date = self.day(days_ago)
        invoice.action_post()
        return invoice

    def test_steady_project_is_not_flagged(self):
        for days_ago in (90, 60, 30):
            self.invoice_at(days_ago)
        self.entry(600, date_performed=self.day(12), rate_in_cents=15000)
        self.pull()
        run = self.reconcile(date_from=self.today.replace(day=1).replace(year=self.today.year - 1))
        self.assertFalse(run.warning_ids)

    def test_slowdown_is_flagged(self):
        for days_ago in (150, 120, 90):
            self.invoice_at(days_ago)
        self.entry(600, date_performed=self.day(80), rate_in_cents=15000)
        self.entry(300, date_performed=self.day(20), rate_in_cents=15000)
        self.pull()
        run = self.reconcile(date_from=self.today.replace(day=1).replace(year=self.today.year - 1))
        warning = run.warning_ids
        self.assertEqual(warning.project_id, self.project)
        self.assertEqual(warning.usual_interval_days, 30)
        self.assertEqual(warning.unbilled_age_days, 80)
        self.assertAlmostEqual(warning.unbilled_amount, 15 * 150.0)
        self.assertIn("usually invoiced every 30 days", warning.reason)
        # figures: approved, invoiced, unbilled by age
        figures = run.figure_ids
        self.assertAlmostEqual(sum(figures.mapped("amount_invoiced")), 3 * 10 * 150.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_unbilled")), 15 * 150.0)
        self.assertAlmostEqual(sum(figures.mapped("unbilled_61_90")), 10 * 150.0)
        self.assertAlmostEqual(sum(figures.mapped("unbilled_0_30")), 5 * 150.0)
        self.assertAlmostEqual(sum(figures.mapped("amount_leakage")), 10 * 150.0)
        self.assertAlmostEqual(sum(figures.mapped("hours_approved")), 45.0)
        self.assertEqual(figures.project_id, self.project)
        self.assertEqual(figures.partner_id, self.customer)
        # the pivot's default filter: the latest run of each backend
        Figure = self.env["sync.reconcile.figure"]
        self.assertEqual(Figure.search([("latest", "=", True)]), figures)
        later = self.reconcile()
        self.assertEqual(Figure.search([("latest", "=", True)]), later.figure_ids)
        self.assertTrue(all(f.latest for f in later.figure_ids))
        self.assertFalse(any(f.latest for f in figures))
        # the dashboard card reads the last run
        self.assertEqual(self.backend.reconcile_run_id, later)
        self.assertAlmostEqual(self.backend.reconcile_unbilled, 15 * 150.0)
        self.assertEqual(self.backend.reconcile_warning_count, 1)
