# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import new_test_user, tagged
from odoo.tools import format_amount

from .common import InsightCase


@tagged("post_install", "-at_install")
class TestDashboard(InsightCase):
    def cards(self, env=None):
        cards = (env or self.env)["sync.insight.card"].search(
            [("company_id", "=", self.company.id)]
        )
        return {card.card: card for card in cards}

    def test_cards_on_the_planted_figures(self):
        cards = self.cards()
        self.assertEqual(
            list(cards), ["utilization", "wip", "backlog", "margin", "pipeline", "anomalies"]
        )
        currency = self.company.currency_id
        self.assertAlmostEqual(cards["wip"].value, 800.0 + 400.0)  # Acme + Globex
        self.assertEqual(cards["wip"].figure, format_amount(self.env, 1200.0, currency))
        self.assertAlmostEqual(cards["backlog"].value, 1600.0 + 1600.0)
        self.assertAlmostEqual(cards["pipeline"].value, 3000.0 + 3000.0)
        self.assertEqual(cards["anomalies"].figure, "0")
        # utilization of the last complete month: nothing planted then
        self.assertEqual(
            (cards["utilization"].has_value, cards["utilization"].figure), (False, "-")
        )
        self.env["sync.insight.anomaly"].create(
            {
                "rule": "weekly_hours",
                "company_id": self.company.id,
                "employee_id": self.erin.id,
                "week": "2026-09-28",
                "reason": "Erin worked 70 hours.",
            }
        )._route()
        self.env["sync.insight.card"].invalidate_model()
        self.assertEqual(self.cards()["anomalies"].figure, "1")
        action = cards["wip"].action_open()
        self.assertEqual(action["res_model"], "sync.insight.delivery")
        rows = self.env["sync.insight.delivery"].search(action["domain"])
        self.assertAlmostEqual(sum(rows.mapped("wip_total")), 1200.0)

    def test_other_company_sees_none_of_it(self):
        other = self.env["res.company"].create({"name": "Insight elsewhere"})
        user = new_test_user(
            self.env,
            "insight_elsewhere",
            groups="base.group_user,sync_core.sync_core_group_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        for model in ("sync.insight.delivery", "sync.insight.utilization", "sync.insight.card"):
            self.assertTrue(self.env[model].search([("company_id", "=", self.company.id)]))
            mine = self.env[model].with_user(user).search([])
            self.assertNotIn(self.company, mine.company_id, model)
        self.assertEqual(self.env["sync.insight.card"].with_user(user).search([]).company_id, other)
