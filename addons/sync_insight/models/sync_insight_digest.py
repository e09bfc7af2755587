# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_amount

DIGEST_GROUP = "sync_insight.digest_group_id"
REPORT = "sync_insight.action_report_digest"


class SyncInsightDigest(models.AbstractModel):
    """The weekly digest for leaders: the figures in plain sentences (utilization and
    margin of last month, collected, WIP of time and expenses, backlog, weighted pipeline) and
    the week's top anomalies, mailed with the same text as a PDF (QWeb report) to the members
    of the group chosen in the settings."""

    _name = "sync.insight.digest"
    _description = "Delivery Digest"

    @api.model
    def _figures(self, company, today):
        """The digest's values for a company, read from the figures as last refreshed."""
        month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        in_company = [("company_id", "=", company.id)]
        [(billable, capacity, utilization)] = self.env["sync.insight.utilization"]._read_group(
            [*in_company, ("month", "=", month)],
            [],
            ["billable_hours:sum", "capacity_hours:sum", "utilization:sum"],
        )
        Delivery = self.env["sync.insight.delivery"]
        [(delivered, cost, margin, margin_pct, collected)] = Delivery._read_group(
            [*in_company, ("month", "=", month)],
            [],
            ["delivered:sum", "cost:sum", "margin:sum", "margin_pct:sum", "collected:sum"],
        )
        [(wip, wip_old, wip_expense, backlog)] = Delivery._read_group(
            in_company, [], ["wip:sum", "wip_90_plus:sum", "wip_expense:sum", "backlog:sum"]
        )
        [(weighted,)] = self.env["sync.insight.pipeline"]._read_group(
            [*in_company, ("kind", "=", "pipeline")], [], ["weighted:sum"]
        )
        anomalies = self.env["sync.insight.anomaly"].search(
            [*in_company, ("create_date", ">=", fields.Datetime.now() - timedelta(days=7))],
            order="score desc, id",
            limit=5,
        )

        def money(amount):
            return format_amount(self.env, amount or 0.0, company.currency_id)

        return {
            "company": company,
            "month": month,
            "billable": billable or 0.0,
            "capacity": capacity or 0.0,
            "utilization": utilization,
            "delivered": money(delivered),
            "cost": money(cost),
            "margin": money(margin),
            "margin_pct": margin_pct,
            "collected": money(collected),
            "wip": money(wip),
            "wip_old": money(wip_old),
            "wip_expense": money(wip_expense),
            "backlog": money(backlog),
            "weighted": money(weighted),
            "anomalies": anomalies,
        }

    @api.model
    def _render(self, company, today=None, refresh=True):
        if refresh:
            self.env["sync.insight.view"]._refresh_figures()  # the digest reads fresh figures
        values = self._figures(company, today or fields.Date.context_today(self))
        return self.env["ir.qweb"]._render("sync_insight.digest_body", values), values

    @api.model
    def _pdf(self, company, today):
        """The digest as a PDF (the qweb-pdf report on the company)."""
        data = {"today": fields.Date.to_string(today)}
        pdf, __ = self.env["ir.actions.report"]._render_qweb_pdf(REPORT, company.ids, data=data)
        return pdf

    @api.model
    def _recipients(self):
        group_id = self.env["ir.config_parameter"].sudo().get_param(DIGEST_GROUP)
        group = self.env["res.groups"].browse(int(group_id or 0)).exists()
        return group.sudo().all_user_ids.filtered(lambda u: u.email)

    @api.model
    def _cron_send(self, today=None):
        """One mail per company, its PDF attached, to the members of the digest group allowed
        in it (nothing when no group is set)."""
        users = self._recipients()
        mails = self.env["mail.mail"]
        if not users:
            return mails
        today = today or fields.Date.context_today(self)
        self.env["sync.insight.view"]._refresh_figures()
        for company in users.company_ids:
            partners = users.filtered(lambda u, c=company: c in u.company_ids).partner_id
            body, values = self._render(company, today, refresh=False)
            title = self.env._(
                "%(company)s: delivery digest (%(month)s)",
                company=company.name,
                month=values["month"].strftime("%B %Y"),
            )
            attachment = self.env["ir.attachment"].create(
                {
                    "name": f"{title}.pdf",
                    "datas": base64.b64encode(self._pdf(company, today)),
                    "mimetype": "application/pdf",
                    "res_model": "res.company",
                    "res_id": company.id,
                }
            )
            mails |= mails.sudo().create(
                {
                    "subject": title,
                    "body_html": body,
                    "recipient_ids": [(6, 0, partners.ids)],
                    "attachment_ids": [(6, 0, attachment.ids)],
                    "auto_delete": False,
                }
            )
        return mails


class DigestReport(models.AbstractModel):
    """The values of the digest's PDF: the same figures as the mail's text."""

    _name = "report.sync_insight.digest_report"
    _description = "Delivery Digest Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        company = self.env["res.company"].browse(docids[:1])
        today = fields.Date.to_date((data or {}).get("today")) or fields.Date.context_today(self)
        values = self.env["sync.insight.digest"]._figures(company, today)
        return {**values, "doc_ids": company.ids, "doc_model": "res.company", "docs": company}
