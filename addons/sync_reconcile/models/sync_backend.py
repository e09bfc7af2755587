# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    reconcile_leakage_days = fields.Integer(
        string="Leakage after (days)",
        default=30,
        help="Approved billable work not invoiced after this many days is reported as leakage.",
    )
    reconcile_window_days = fields.Integer(
        string="Daily reconciliation window (days)",
        default=90,
        help="The daily run compares the work performed in this many last days.",
    )
    reconcile_group_id = fields.Many2one(
        "res.groups",
        string="Control report to group",
        default=lambda self: self.env.ref(
            "account.group_account_manager", raise_if_not_found=False
        ),
    )
    reconcile_partner_ids = fields.Many2many(
        "res.partner", string="Control report to", help="Also mailed to these contacts."
    )
    reconcile_run_id = fields.Many2one(
        "sync.reconcile.run", compute="_compute_reconcile", string="Last reconciliation"
    )
    reconcile_state = fields.Selection(
        [
            ("never", "Never run"),
            ("failed", "Last run failed"),
            ("empty", "Nothing compared"),
            ("done", "Compared"),
        ],
        compute="_compute_reconcile",
        string="Reconciliation",
    )
    reconcile_status_text = fields.Char(
        compute="_compute_reconcile",
        string="Reconciliation status",
        help="What the last reconciliation compared, or why it compared nothing.",
    )
    reconcile_currency_id = fields.Many2one("res.currency", compute="_compute_reconcile")
    reconcile_difference_count = fields.Integer(compute="_compute_reconcile")
    reconcile_difference_amount = fields.Monetary(
        compute="_compute_reconcile", currency_field="reconcile_currency_id"
    )
    reconcile_unbilled = fields.Monetary(
        compute="_compute_reconcile",
        string="Unbilled (WIP)",
        currency_field="reconcile_currency_id",
    )
    reconcile_leakage = fields.Monetary(
        compute="_compute_reconcile", string="Leakage", currency_field="reconcile_currency_id"
    )
    reconcile_warning_count = fields.Integer(compute="_compute_reconcile")

    def _compute_reconcile(self):
        """The last reconciliation of the backend: its money figures (in the run's currency)
        for a PSA, what it compared for another backend, and whether it ran at all."""
        Run = self.env["sync.reconcile.run"]
        for backend in self:
            last = (
                Run.search(
                    [("backend_id", "=", backend.id), ("state", "in", ("done", "empty", "failed"))],
                    limit=1,
                )
                if backend.id
                else Run
            )
            run = last if last.state in ("done", "empty") else Run
            currency = run.currency_id or backend.company_id.currency_id
            figures = run.figure_ids.filtered(
                lambda f, c=currency: f.currency_id in (c, f.currency_id.browse())
            )
            backend.reconcile_run_id = run
            backend.reconcile_state = last.state or "never"
            backend.reconcile_status_text = backend._reconcile_status_text(last)
            backend.reconcile_currency_id = currency
            backend.reconcile_difference_count = run.difference_count
            backend.reconcile_difference_amount = run.difference_amount
            backend.reconcile_unbilled = sum(figures.mapped("amount_unbilled"))
            backend.reconcile_leakage = sum(figures.mapped("amount_leakage"))
            backend.reconcile_warning_count = len(run.warning_ids)

    def _reconcile_status_text(self, run):
        """One line on the card: what the last reconciliation compared, or that it did not."""
        self.ensure_one()
        if not run:
            return self.env._("Reconciliation never ran")
        if run.state == "failed":
            return self.env._("Last reconciliation failed: %(error)s", error=run.error or "?")
        if run.empty_reason:  # a PSA run may have compared master data only
            return self.env._("Last reconciliation: %(reason)s", reason=run.empty_reason)
        if self.system_role == "psa":
            return self.env._(
                "Last reconciliation compared %(psa)s PSA and %(odoo)s Odoo records",
                psa=run.staged_count,
                odoo=run.odoo_count,
            )
        return self.env._(
            "Last reconciliation compared the mapped fields of %(n)s bound partners, projects "
            "and employees with Odoo",
            n=run.drift_compared,
        )

    def _health_more(self, now):
        """A PSA backend whose billing was never reconciled, or whose last reconciliation
        failed or compared nothing, needs attention: nobody checked the money."""
        red, amber = super()._health_more(now)
        if self.system_role == "psa" and (
            self.reconcile_state != "done" or self.reconcile_run_id.empty_reason
        ):
            amber.append(self.reconcile_status_text)
        return red, amber

    def action_reconcile_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sync_reconcile.sync_reconcile_run_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
