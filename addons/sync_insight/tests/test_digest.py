# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.tests import new_test_user, tagged
from odoo.tools import format_amount

from .common import SEPT, InsightCase


@tagged("post_install", "-at_install")
class TestDigest(InsightCase):
    def test_digest_mailed_to_the_group_in_plain_sentences(self):
        Digest = self.env["sync.insight.digest"]
        self.assertFalse(Digest._cron_send(date(2026, 10, 5)))  # no group set: no digest
        group = self.env["res.groups"].create({"name": "Insight leaders"})
        leader = new_test_user(self.env, "insight_leader", email="leader@example.com")
        leader.group_ids |= group
        self.env["ir.config_parameter"].set_param("sync_insight.digest_group_id", group.id)
        self.env["sync.insight.anomaly"].create(
            {
                "rule": "weekly_hours",
                "company_id": self.company.id,
                "employee_id": self.erin.id,
                "week": date(2026, 9, 28),
                "hours": 70,
                "reason": "Erin worked 70 hours.",
            }
        )
        mails = Digest._cron_send(date(2026, 10, 5))
        mail = mails.filtered(lambda m: self.company.name in m.subject)
        self.assertEqual(mail.subject, f"{self.company.name}: delivery digest (September 2026)")
        self.assertEqual(mail.recipient_ids, leader.partner_id)
        body = mail.body_html
        [(utilization,)] = self.env["sync.insight.utilization"]._read_group(
            [("company_id", "=", self.company.id), ("month", "=", SEPT)], [], ["utilization:sum"]
        )
        self.assertIn(f"<strong>{utilization:.1f} %</strong> utilized", body)
        currency = self.company.currency_id
        # September's planted work: 2,800 delivered, 1,760 cost, 1,040 margin (37.1 %)
        for amount in (2800.0, 1760.0, 1040.0):
            self.assertIn(format_amount(self.env, amount, currency), body)
        self.assertIn("(37.1 %)", body)
        self.assertIn("Erin worked 70 hours.", body)
        self.assertIn("Delivered and not invoiced (WIP)", body)

    def test_digest_pdf_bytes_and_text(self):
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        data = {"today": "2026-10-05"}
        pdf, kind = Report._render_qweb_pdf(
            "sync_insight.action_report_digest", self.company.ids, data=data
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        html, __ = Report._render_qweb_html(
            "sync_insight.action_report_digest", self.company.ids, data=data
        )
        text = html.decode()
        self.assertIn("Delivery digest of", text)
        self.assertIn("September 2026", text)
        currency = self.company.currency_id
        for amount in (2800.0, 1760.0, 1040.0):
            self.assertIn(format_amount(self.env, amount, currency), text)
        self.assertIn("(37.1 %)", text)
        self.assertIn("Customers paid", text)
        self.assertIn(format_amount(self.env, 1200.0, currency), text)  # WIP of time: 800 + 400
        # the mail carries the same digest as a PDF
        group = self.env["res.groups"].create({"name": "Insight PDF leaders"})
        leader = new_test_user(self.env, "insight_pdf_leader", email="pdf@example.com")
        leader.group_ids |= group
        self.env["ir.config_parameter"].set_param("sync_insight.digest_group_id", group.id)
        Digest = self.env["sync.insight.digest"].with_context(force_report_rendering=True)
        mail = Digest._cron_send(date(2026, 10, 5)).filtered(
            lambda m: self.company.name in m.subject
        )
        self.assertEqual(mail.attachment_ids.mimetype, "application/pdf")
        self.assertTrue(mail.attachment_ids.raw.startswith(b"%PDF"))
