# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What a reconciliation run tells finance: whether it compared anything at all, its totals
per category and currency, work in progress by age, leakage, and the control report mailed."""

import base64
from collections import Counter

from markupsafe import Markup, escape

from odoo import models
from odoo.tools.misc import formatLang

from .. import reconcile

# sync_psa's objects a PSA backend pulls time and expenses from
PULLED_OBJECTS = ("time_entries", "expenses")
BUCKET_FIELDS = ("unbilled_0_30", "unbilled_31_60", "unbilled_61_90", "unbilled_90_plus")


class SyncReconcileRun(models.Model):
    _inherit = "sync.reconcile.run"

    # ------------------------------------------------------------------ what was compared
    def _nothing_compared(self, figures):
        """Why the run compared nothing, or "" when it compared something.  A PSA run that
        read no PSA record and found no Odoo record in its scope compared no billing at all;
        another backend's run compares bound master data only."""
        self.ensure_one()
        if self._is_psa():
            if figures["staged_count"] or figures["odoo_count"]:
                return ""
            pulled = self.backend_id.watermark_ids.filtered(
                lambda wm: wm.object_name in PULLED_OBJECTS and wm.last_success_at
            )
            if not pulled:
                return self.env._(
                    "nothing compared: %(backend)s never pulled time or expenses",
                    backend=self.backend_id.name,
                )
            return self.env._(
                "nothing compared: no PSA records in the period %(start)s to %(end)s%(scope)s "
                "and no Odoo timesheet or expense of the backend in it",
                start=self.date_from,
                end=self.date_to,
                scope=self._scope_text(),
            )
        if figures["drift_compared"]:
            return ""
        return self.env._(
            "nothing compared: %(backend)s has no bound partner, project or employee whose "
            "mapped fields could be compared",
            backend=self.backend_id.name,
        )

    def _scope_text(self):
        parts = []
        if self.project_id:
            parts.append(self.env._(" for project %(p)s", p=self.project_id.display_name))
        if self.partner_id:
            parts.append(self.env._(" for customer %(c)s", c=self.partner_id.display_name))
        return "".join(parts)

    def _currencies(self, codes):
        Currency = self.env["res.currency"].with_context(active_test=False)
        found = Currency.search([("name", "in", [c for c in codes if c])])
        return {c.name: c for c in found}

    def _run_currency(self):
        """The currency most of the run's amounts are in; the company's when it has none."""
        self.ensure_one()
        codes = Counter(self.line_ids.filtered("amount").mapped("currency"))
        codes.update(self.figure_ids.currency_id.mapped("name"))
        for code, _n in codes.most_common():
            currency = self._currencies([code]).get(code)
            if currency:
                return currency
        return self.company_id.currency_id

    # ------------------------------------------------------------------ totals
    def _category_totals(self):
        """[(category, label, count, [(currency, amount)])] for every category, and the grand
        total (count, {currency code: amount}) computed on its own (the report shows both:
        they must tie out).  Amounts are never added across currencies."""
        self.ensure_one()
        self.env["sync.reconcile.line"].flush_model()
        self.env.cr.execute(
            "SELECT category, currency, count(*), COALESCE(sum(amount), 0) "
            "FROM sync_reconcile_line WHERE run_id = %s GROUP BY category, currency",
            [self.id],
        )
        found = {}
        for category, code, count, amount in self.env.cr.fetchall():
            entry = found.setdefault(category, [0, {}])
            entry[0] += count
            code = code or self.company_id.currency_id.name
            entry[1][code] = entry[1].get(code, 0.0) + amount
        self.env.cr.execute(
            "SELECT COALESCE(currency, %s), count(*), COALESCE(sum(amount), 0) "
            "FROM sync_reconcile_line WHERE run_id = %s GROUP BY 1",
            [self.company_id.currency_id.name, self.id],
        )
        totals = {code: (count, amount) for code, count, amount in self.env.cr.fetchall()}
        total_count = sum(count for count, _a in totals.values())
        total_amounts = {code: amount for code, (_c, amount) in totals.items()}
        rows = [
            (cat, label, *found.get(cat, (0, {}))) for cat, label in reconcile.CATEGORY_SELECTION
        ]
        return rows, (total_count, total_amounts)

    def _summary(self, rows, count, amounts, currency):
        """The `summary` field: counts and amounts in the run's currency per category."""
        summary = {
            cat: {"count": n, "amount": round(by_code.get(currency.name, 0.0), 2)}
            for cat, _l, n, by_code in rows
        }
        summary["total"] = {"count": count, "amount": round(amounts.get(currency.name, 0.0), 2)}
        summary["currency"] = currency.name
        others = {code: round(a, 2) for code, a in amounts.items() if code != currency.name}
        if others:
            summary["other_currencies"] = others
        return summary

    def _money_list(self, by_code):
        """{currency code: amount} -> [(currency record or None, amount, code)] for the
        report; an empty dict is a zero in the run's currency."""
        currency = self.currency_id or self.company_id.currency_id
        by_code = by_code or {currency.name: 0.0}
        records = self._currencies(list(by_code))
        return [(records.get(code), amount, code) for code, amount in sorted(by_code.items())]

    def _format_money(self, by_code):
        """{currency code: amount} as text: "1,500.00 EUR; 20.00 USD"."""
        return "; ".join(
            formatLang(self.env, amount, currency_obj=cur) if cur else f"{amount:.2f} {code}"
            for cur, amount, code in self._money_list(by_code)
        )

    def _wip_totals(self):
        """[(currency, {bucket field: amount, "total": amount, "leakage": amount})] of the
        run's figures: unbilled work by age, and the leakage in it."""
        self.ensure_one()
        totals = {}
        for figure in self.figure_ids:
            cur = figure.currency_id or self.company_id.currency_id
            entry = totals.setdefault(cur, dict.fromkeys((*BUCKET_FIELDS, "total", "leakage"), 0))
            for name in BUCKET_FIELDS:
                entry[name] += figure[name]
            entry["total"] += figure.amount_unbilled
            entry["leakage"] += figure.amount_leakage
        return sorted(totals.items(), key=lambda item: item[0].name)

    def _leakage_lines(self):
        return self.line_ids.filtered(lambda line: line.category == "leakage")

    def _line_currency(self, line):
        code = line.currency or self.company_id.currency_id.name
        return self._currencies([code]).get(code) or self.company_id.currency_id

    # ------------------------------------------------------------------ the mailed report
    def _report_recipients(self):
        backend = self.backend_id
        partners = backend.reconcile_partner_ids
        if backend.reconcile_group_id:
            partners |= backend.reconcile_group_id.user_ids.partner_id
        return partners.filtered("email")

    def _send_report(self):
        """The control report (PDF) mailed to the finance recipients: one queued mail.mail."""
        self.ensure_one()
        partners = self.sudo()._report_recipients()
        if not partners:
            return False
        pdf, _fmt = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf("sync_reconcile.action_report_reconcile_run", self.ids)
        )
        rows, (count, amounts) = self._category_totals()
        # a system mail of the run: created as superuser (mail.mail is for administrators)
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"reconciliation-{self.id}.pdf",
                    "datas": base64.b64encode(pdf),
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        if self.state == "empty":
            subject = self.env._("Reconciliation %(run)s: nothing compared", run=self.name)
            body = Markup("<p>%s, %s</p>") % (self.name, self.empty_reason)
        else:
            subject = self.env._(
                "Reconciliation %(run)s: %(count)s differences", run=self.name, count=count
            )
            items = Markup("").join(
                Markup("<li>%s: %s (%s)</li>") % (label, n, self._format_money(by_code))
                for _c, label, n, by_code in rows
                if n
            )
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                self.env._(
                    "%(run)s, period %(start)s to %(end)s: %(count)s differences, total "
                    "%(amount)s.",
                    run=self.name,
                    start=self.date_from,
                    end=self.date_to,
                    count=count,
                    amount=self._format_money(amounts),
                ),
                items,
            )
            if self.empty_reason:
                body += Markup("<p>%s</p>") % escape(self.empty_reason)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": subject,
                    "body_html": body,
                    "recipient_ids": [(6, 0, partners.ids)],
                    "attachment_ids": [(6, 0, attachment.ids)],
                    "model": self._name,
                    "res_id": self.id,
                    "auto_delete": False,
                }
            )
        )
        self.mail_id = mail
        return mail

    def action_view_report(self):
        """The control report on screen (the same template as the mailed PDF)."""
        self.ensure_one()
        return self.env.ref("sync_reconcile.action_report_reconcile_run_html").report_action(self)
