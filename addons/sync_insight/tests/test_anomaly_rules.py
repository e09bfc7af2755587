# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date, datetime, timedelta

from odoo.tests import TransactionCase, new_test_user, tagged

MONDAY = date(2026, 11, 2)  # the evaluated week


@tagged("post_install", "-at_install")
class TestAnomalyRules(TransactionCase):
    """One planted spike per rule, routed to its owner; the usual periods are not flagged and
    running a rule again adds no flag and no activity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        groups = "base.group_user,sync_core.sync_core_group_user"
        cls.pm = new_test_user(env, "insight_pm", groups=groups)
        cls.sales = new_test_user(env, "insight_sales", groups=groups)
        cls.ops = new_test_user(env, "insight_ops2", groups=groups)
        env["ir.config_parameter"].set_param("sync_core.exception_user_id", cls.ops.id)
        cls.customer = env["res.partner"].create(
            {"name": "Slow Payer", "is_company": True, "user_id": cls.sales.id}
        )
        cls.service = env["product.product"].create(
            {
                "name": "Insight rules consulting",
                "type": "service",
                "service_policy": "delivered_timesheet",
                "service_tracking": "project_only",
                "list_price": 100.0,
            }
        )
        cls.bea = env["hr.employee"].create({"name": "Bea Burn"})
        cls.Anomaly = env["sync.insight.anomaly"]

    @classmethod
    def _project(cls, hours):
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    (
                        0,
                        0,
                        {"product_id": cls.service.id, "product_uom_qty": hours, "price_unit": 100},
                    )
                ],
            }
        )
        order.action_confirm()
        project = order.order_line.project_id
        project.user_id = cls.pm
        return project

    def _time(self, project, hours_by_weeks_before):
        self.env["account.analytic.line"].create(
            [
                {
                    "name": "work",
                    "project_id": project.id,
                    "employee_id": self.bea.id,
                    "unit_amount": hours,
                    "date": MONDAY - timedelta(weeks=weeks_before),
                }
                for weeks_before, hours in hours_by_weeks_before.items()
            ]
        )

    def assertRerunAddsNothing(self, detect, flags):
        domain = [("rule", "=", flags[0].rule), ("week", "=", flags[0].week)]
        before = self.Anomaly.search(domain)
        self.assertEqual(len(flags.activity_ids), len(flags))
        self.assertFalse(detect())
        self.assertEqual(self.Anomaly.search(domain), before)
        self.assertEqual(before.activity_ids, self.Anomaly.search(domain).activity_ids)

    def test_project_burning_faster_than_its_backlog(self):
        steady = self._project(1000)  # 100,000 contracted
        usual = [10, 9, 11, 10, 10, 9, 11, 10]
        self._time(steady, {8 - i: hours for i, hours in enumerate(usual)} | {0: 40})
        short = self._project(30)  # 3,000 contracted, 2,000 delivered: 1,000 left
        self._time(short, {1: 10, 0: 10})
        flags = self.Anomaly._detect_burn(MONDAY)
        mine = flags.filtered(lambda a: a.project_id in steady | short)
        self.assertEqual(mine.project_id, steady | short)
        flag = mine.filtered(lambda a: a.project_id == steady)
        self.assertEqual((flag.value, flag.baseline_median, flag.baseline_weeks), (4000, 1000, 8))
        self.assertIn(f"Project {steady.display_name} delivered", flag.reason)
        self.assertIn("over the 8 weeks before", flag.reason)
        self.assertIn("lasts 22.0 weeks at this pace", flag.reason)  # 88,000 / 4,000
        self.assertEqual(flag.activity_ids.user_id, self.pm)
        left = mine - flag
        self.assertIn("lasts 1.0 weeks at this pace", left.reason)
        self.assertIn("no usual week yet", left.reason)
        action = flag.action_open_records()
        self.assertEqual(len(self.env[action["res_model"]].search(action["domain"])), 9)
        self.assertRerunAddsNothing(lambda: self.Anomaly._detect_burn(MONDAY), mine)
        for weeks_before in (1, 2, 3):
            found = self.Anomaly._detect_burn(MONDAY - timedelta(weeks=weeks_before))
            self.assertFalse(found.filtered(lambda a: a.project_id == steady))

    def test_wip_past_the_billing_rule(self):
        old = self._project(1000)
        self._time(old, {9: 8, 1: 8})  # 31 Aug: 70 days old at the week's end
        recent = self._project(1000)
        self._time(recent, {2: 8, 1: 8})
        flags = self.Anomaly._detect_wip_age(MONDAY).filtered(
            lambda a: a.project_id in old | recent
        )
        self.assertEqual(flags.project_id, old)
        self.assertEqual(flags.value, 800.0)  # only the old week's 8 h x 100
        self.assertIn("for more than 60 days (the billing rule)", flags.reason)
        self.assertIn(f"the oldest of {MONDAY - timedelta(weeks=9)}", flags.reason)
        self.assertEqual(flags.activity_ids.user_id, self.pm)
        action = flags.action_open_records()
        self.assertEqual(len(self.env[action["res_model"]].search(action["domain"])), 1)
        self.assertRerunAddsNothing(lambda: self.Anomaly._detect_wip_age(MONDAY), flags)
        # three weeks earlier nothing was past the rule yet
        earlier = self.Anomaly._detect_wip_age(MONDAY - timedelta(weeks=3))
        self.assertFalse(earlier.filtered(lambda a: a.project_id in old | recent))

    def _pay(self, invoice_date, paid_on):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    (0, 0, {"name": "fees", "quantity": 1, "price_unit": 1000, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": paid_on, "journal_id": self.bank.id})._create_payments()
        return invoice

    def _setup_bank(self):
        self.bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        outstanding = self.env["account.account"].create(
            {
                "name": "Insight outstanding receipts",
                "code": "INSOUT",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        self.bank.inbound_payment_method_line_ids.payment_account_id = outstanding

    def test_customer_paying_slower(self):
        self._setup_bank()
        usual = [30, 28, 32, 31, 29, 30, 33, 27]
        for i, days in enumerate(usual):
            invoice_date = date(2026, 6, 1) + timedelta(weeks=i)
            self._pay(invoice_date, invoice_date + timedelta(days=days))
        late = self._pay(date(2026, 8, 10), date(2026, 11, 3))  # 85 days
        self.assertIn(late.payment_state, ("paid", "in_payment"))
        flags = self.Anomaly._detect_slow_payment(MONDAY).filtered(
            lambda a: a.partner_id == self.customer
        )
        self.assertEqual(len(flags), 1)
        self.assertEqual((flags.value, flags.baseline_median, flags.baseline_weeks), (85, 30, 8))
        self.assertIn("Slow Payer took 85.0 days to pay", flags.reason)
        self.assertIn("against a median of 30.0 days over their 8 invoices before", flags.reason)
        self.assertEqual(flags.activity_ids.user_id, self.sales)
        action = flags.action_open_records()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), late)
        self.assertRerunAddsNothing(lambda: self.Anomaly._detect_slow_payment(MONDAY), flags)
        # the week the last usual invoices were paid: nothing unusual
        usual_week = self.Anomaly._detect_slow_payment(date(2026, 8, 17))
        self.assertFalse(usual_week.filtered(lambda a: a.partner_id == self.customer))

    def test_sync_failure_rate_jumped(self):
        Backend = self.env["sync.backend"]
        backend = Backend.create(
            {"name": "Insight PSA", "kind": Backend._fields["kind"].get_values(self.env)[0]}
        )
        jobs = []
        for days_before in range(0, 11):
            failed = 10 if days_before == 0 else 1 + days_before % 2
            day = MONDAY - timedelta(days=days_before)
            for n in range(20):
                jobs.append(
                    {
                        "name": "pull",
                        "kind": "insight.test",
                        "backend_id": backend.id,
                        "state": "failed" if n < failed else "done",
                        "done_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=9),
                    }
                )
        self.env["sync.job"].create(jobs)
        flags = self.Anomaly._detect_sync_failures(MONDAY).filtered(
            lambda a: a.backend_id == backend
        )
        self.assertEqual(len(flags), 1)
        self.assertEqual((flags.value, flags.baseline_weeks), (50.0, 10))
        self.assertIn("Insight PSA failed 50.0 % of its 20 jobs on 2026-11-02", flags.reason)
        self.assertEqual(flags.activity_ids.user_id, self.ops)
        action = flags.action_open_records()
        self.assertEqual(len(self.env[action["res_model"]].search(action["domain"])), 10)
        self.assertRerunAddsNothing(lambda: self.Anomaly._detect_sync_failures(MONDAY), flags)
        for days_before in (1, 2, 3):
            found = self.Anomaly._detect_sync_failures(MONDAY - timedelta(days=days_before))
            self.assertFalse(found.filtered(lambda a: a.backend_id == backend))
