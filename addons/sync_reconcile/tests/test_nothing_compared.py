# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A run that compared nothing says so (state, report, mail, backend card and health), never
"no differences"; a run with data shows its amounts with their currency, the figures per
customer, project and month, work in progress by age and leakage."""

from odoo.tests import tagged

from .common import ReconcileCase


def report_html(run):
    Report = run.env["ir.actions.report"].with_context(force_report_rendering=True)
    html = Report._render_qweb_html("sync_reconcile.action_report_reconcile_run", run.ids)[0]
    return html.decode()


@tagged("post_install", "-at_install")
class TestNothingCompared(ReconcileCase):
    def test_never_pulled_backend_compares_nothing(self):
        run = self.reconcile(check_drift=False)
        self.assertEqual(run.state, "empty")
        self.assertEqual((run.staged_count, run.odoo_count, run.drift_compared), (0, 0, 0))
        self.assertEqual(
            run.empty_reason, "nothing compared: Kantata test never pulled time or expenses"
        )
        html = report_html(run)
        self.assertIn("Nothing compared", html)
        self.assertIn("Kantata test never pulled time or expenses", html)
        self.assertIn("This report is no all-clear", html)
        # no table of zeros that reads as "no differences"
        self.assertNotIn("Differences by category", html)
        self.assertNotIn('name="categories"', html)
        self.assertIn("Billing figures</strong>: none", html)
        # the card and the health say it, the money figures are not shown as zeros
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.reconcile_state, "empty")
        self.assertEqual(
            self.backend.reconcile_status_text,
            "Last reconciliation: nothing compared: Kantata test never pulled time or expenses",
        )
        self.assertNotEqual(self.backend.health, "green")
        self.assertIn("never pulled time or expenses", self.backend.health_reason)
        # the mail says it in its subject
        self.backend.reconcile_partner_ids = self.env["res.partner"].create(
            {"name": "Finance", "email": "finance@example.com"}
        )
        mail = run._send_report()
        self.assertEqual(mail.subject, f"Reconciliation {run.name}: nothing compared")
        self.assertIn("never pulled time or expenses", mail.body_html)

    def test_backend_without_bound_records_compares_nothing(self):
        other = self.env["sync.backend"].create({"name": "Plain REST", "kind": "generic"})
        run = self.env["sync.reconcile.run"].create(
            {"backend_id": other.id, "date_from": self.today, "date_to": self.today}
        )
        self.assertTrue(run._execute(), run.error)
        self.assertEqual(run.state, "empty")
        self.assertIn("Plain REST has no bound partner, project or employee", run.empty_reason)

    def test_pulled_but_no_record_in_the_period(self):
        self.pull()  # the time entries were pulled: Kantata has none
        self.pull("expenses")
        run = self.reconcile(check_drift=False)
        self.assertEqual(run.state, "empty")
        self.assertIn("no PSA records in the period", run.empty_reason)
        self.assertIn(str(run.date_from), run.empty_reason)
        # with master data compared the run is done, and still says the billing compared
        # nothing
        run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertGreaterEqual(run.drift_compared, 1)
        self.assertIn("no PSA records in the period", run.empty_reason)
        html = report_html(run)
        self.assertIn("no PSA records in the period", html)
        self.assertIn("The master data differences below are the only", html)

    def test_never_reconciled_psa_is_not_healthy(self):
        self.entry(60, date_performed=self.day(3), rate_in_cents=15000)
        self.pull()
        self.pull("expenses")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.reconcile_state, "never")
        self.assertNotEqual(self.backend.health, "green")
        self.assertIn("Reconciliation never ran", self.backend.health_reason)
        self.reconcile()
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.reconcile_state, "done")
        self.assertNotIn("Reconciliation", self.backend.health_reason)
        self.assertEqual(
            self.backend.reconcile_status_text,
            "Last reconciliation compared 1 PSA and 1 Odoo records",
        )


@tagged("post_install", "-at_install")
class TestReportFigures(ReconcileCase):
    def test_report_shows_currency_figures_wip_and_leakage(self):
        self.entry(60, date_performed=self.day(45), rate_in_cents=15000)
        self.entry(120, date_performed=self.day(5), rate_in_cents=15000)
        self.pull()
        run = self.reconcile()
        currency = self.so_line.currency_id
        self.assertEqual(run.state, "done")
        self.assertFalse(run.empty_reason)
        self.assertEqual(run.currency_id, currency)
        self.assertEqual(run.summary["currency"], currency.name)
        leak = self.of(run, "leakage")
        self.assertEqual((leak.amount, leak.currency_id), (150.0, currency))
        self.assertEqual(run.figure_ids.currency_id, currency)
        html = report_html(run)

        def money(amount):
            return self.env["ir.qweb.field.monetary"].value_to_html(
                amount, {"display_currency": currency}
            )

        # every amount with its currency: categories, figures, WIP, leakage, differences
        self.assertIn("Differences by category", html)
        self.assertIn("Billing figures per customer, project and month", html)
        self.assertIn("Acme Robotics", html)
        self.assertIn(self.project.display_name, html)
        months = {f.month.strftime("%Y-%m") for f in run.figure_ids}
        for month in months:
            self.assertIn(month, html)
        self.assertIn("Work in progress (approved, not invoiced) by age", html)
        self.assertIn("Leakage (approved, billable, not invoiced after 30 days)", html)
        self.assertIn(money(450.0), html)  # the WIP total: 3 h at 150
        self.assertIn(money(300.0), html)  # 0-30 days
        self.assertIn(money(150.0), html)  # 31-60 days, and the leakage
        self.assertIn(currency.symbol, money(150.0))
        self.assertNotIn("Nothing compared", html)
        # the card: money with its currency
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.reconcile_currency_id, currency)
        self.assertEqual(self.backend.reconcile_unbilled, 450.0)
        self.assertEqual(self.backend.reconcile_leakage, 150.0)
