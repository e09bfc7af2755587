# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.tests import BaseCase, tagged

from ..deal import LOST, WON, Deal, DealLine, DealParty, invoice_state, missing_skus


@tagged("post_install", "-at_install")
class TestCanonicalDeal(BaseCase):
    def test_status(self):
        self.assertTrue(Deal("1", status=WON).won)
        self.assertFalse(Deal("1", status=WON, archived=True).won, "a deleted deal is not won")
        self.assertTrue(Deal("1", status=LOST).lost)
        self.assertFalse(Deal("1").won or Deal("1").lost, "open by default")

    def test_lines_read_once_and_only_when_asked(self):
        calls = []

        def load():
            calls.append(1)
            return [DealLine("RA-200", 2.0)]

        deal = Deal("7", load_lines=load)
        self.assertEqual(calls, [], "nothing read while building the deal")
        self.assertEqual(deal.get_lines(), [DealLine("RA-200", 2.0)])
        deal.get_lines()
        self.assertEqual(len(calls), 1)
        self.assertEqual(Deal("8").get_lines(), [], "no loader, no lines")

    def test_header_is_plain_and_ignores_lines(self):
        deal = Deal(
            "9",
            name="Big one",
            close_date=date(2024, 6, 30),
            customer=DealParty("companies", "5", name="Acme"),
            lines=[DealLine("X")],
        )
        header = deal.header()
        self.assertEqual(header["close_date"], "2024-06-30")
        self.assertEqual(header["customer"]["external_id"], "5")
        self.assertNotIn("lines", header)
        self.assertNotIn("load_lines", header)
        deal.lines = [DealLine("Y")]
        self.assertEqual(deal.header(), header)

    def test_missing_skus(self):
        lines = [DealLine("A"), DealLine(" B "), DealLine(""), DealLine("C")]
        self.assertEqual(missing_skus(lines, {"A"}), ["(no SKU)", "B", "C"])
        self.assertEqual(missing_skus(lines[:2], {"A", "B"}), [])

    def test_invoice_state(self):
        self.assertEqual(invoice_state([]), "")
        self.assertEqual(invoice_state(["not_paid"]), "not_paid")
        self.assertEqual(invoice_state(["paid", "not_paid"]), "partial")
        self.assertEqual(invoice_state(["partial"]), "partial")
        self.assertEqual(invoice_state(["paid", "in_payment", "reversed"]), "paid")
