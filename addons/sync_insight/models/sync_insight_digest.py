# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_amount

DIGEST_GROUP = "sync_insight.digest_group_id"


class SyncInsightDigest(models.AbstractModel):
    """The weekly digest for leaders: the figures in plain sentences (utilization and
    margin of last month, WIP, backlog, weighted pipeline) and the week's anomalies, mailed to
    the members of the group chosen in the settings."""

    _name = "sync.insight.digest"
    _description = "Delivery Digest"

    @api.model
    def _figures(self, company, today):
        month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        self.env["sync.insight.view"]._refresh_figures()  # the digest reads fresh figures
        in_company = [("company_id", "=", company.id)]
        [(billable, capacity, utilization)] = self.env["sync.insight.utilization"]._read_group(
            [*in_company, ("month", "=", month)],
            [],
            ["billable_hours:sum", "capacity_hours:sum", "utilization:sum"],
        )
        Delivery = self.env["sync.insight.delivery"]
        [(delivered, cost, margin, margin_pct)] = Delivery._read_group(
            [*in_company, ("month", "=", month)],
            [],
            ["delivered:sum", "cost:sum", "margin:sum", "margin_pct:sum"],
        )
        [(wip, wip_old, backlog)] = Delivery._read_group(
            in_company, [], ["wip:sum", "wip_90_plus:sum", "backlog:sum"]
        )
        [(weighted,)] = self.env["sync.insight.pipeline"]._read_group(
            [*in_company, ("kind", "=", "pipeline")], [], ["weighted:sum"]
        )
        anomalies = self.env["sync.insight.anomaly"].search(
            [*in_company, ("create_date", ">=", fields.Datetime.now() - timedelta(days=7))],
            order="hours desc",
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
            "wip": money(wip),
            "wip_old": money(wip_old),
            "backlog": money(backlog),
            "weighted": money(weighted),
            "anomalies": anomalies,
        }

    @api.model
    def _render(self, company, today=None):
        values = self._figures(company, today or fields.Date.context_today(self))
        return self.env["ir.qweb"]._render("sync_insight.digest_body", values), values

    @api.model
    def _recipients(self):
        group_id = self.env["ir.config_parameter"].sudo().get_param(DIGEST_GROUP)
        group = self.env["res.groups"].browse(int(group_id or 0)).exists()
        return group.sudo().all_user_ids.filtered(lambda u: u.email)

    @api.model
    def _cron_send(self, today=None):
        """One mail per company to the members of the digest group allowed in it (nothing
        when no group is set)."""
        users = self._recipients()
        mails = self.env["mail.mail"]
        for company in users.company_ids:
            partners = users.filtered(lambda u, c=company: c in u.company_ids).partner_id
            body, values = self._render(company, today)
            mails |= mails.sudo().create(
                {
                    "subject": self.env._(
                        "%(company)s: delivery digest (%(month)s)",
                        company=company.name,
                        month=values["month"].strftime("%B %Y"),
                    ),
                    "body_html": body,
                    "recipient_ids": [(6, 0, partners.ids)],
                    "auto_delete": False,
                }
            )
        return mails
