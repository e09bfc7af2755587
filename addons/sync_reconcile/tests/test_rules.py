# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.tests import BaseCase, tagged

from .. import reconcile


@tagged("post_install", "-at_install")
class TestRules(BaseCase):
    def test_age_buckets(self):
        self.assertEqual(
            [reconcile.bucket(d) for d in (0, 30, 31, 60, 61, 90, 91, 400)],
            ["0_30", "0_30", "31_60", "31_60", "61_90", "61_90", "90_plus", "90_plus"],
        )

    def test_rhythm_needs_three_invoices(self):
        self.assertIsNone(reconcile.billing_rhythm([date(2026, 1, 1), date(2026, 2, 1)], [1, 2]))
        rhythm = reconcile.billing_rhythm(
            [date(2026, 1, 1), date(2026, 1, 31), date(2026, 3, 2), date(2026, 3, 2)],
            [1000.0, 1200.0, 900.0],
        )
        self.assertEqual(rhythm, (30, 1000.0))

    def test_slowdown_by_age_or_amount_and_not_when_steady(self):
        rhythm = (30, 1000.0)
        self.assertIsNone(reconcile.slowdown(rhythm, 30, 900.0))
        self.assertIsNone(reconcile.slowdown(rhythm, 45, 1900.0), "at the limits")
        self.assertIn("46 days old", reconcile.slowdown(rhythm, 46, 100.0) or "")
        self.assertIn("2 x its usual invoice", reconcile.slowdown(rhythm, 10, 2100.0) or "")
        # a short rhythm gets a week of slack: every 4 days -> flagged after 11 days
        self.assertIsNone(reconcile.slowdown((4, 100.0), 11, 50.0))
        self.assertTrue(reconcile.slowdown((4, 100.0), 12, 50.0))
        self.assertIsNone(reconcile.slowdown(None, 400, 99999.0), "no rhythm, no warning")
        self.assertIsNone(reconcile.slowdown(rhythm, 400, 0.0), "nothing unbilled")

    def test_every_category_has_a_message(self):
        for category in reconcile.CATEGORIES:
            text = reconcile.message(
                category, what="W", psa="P", psa_side="ps", odoo_side="os", age=3
            )
            self.assertIn("W", text)
