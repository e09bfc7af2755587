# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncReconcileFigure(models.Model):
    """Figures of one run per project, customer and month (written by the run's SQL):
    PSA-approved billable time held in Odoo, invoiced, unbilled (WIP) by age, leakage,
    mismatches.  Amounts are in the sale order's currency, not converted."""

    _name = "sync.reconcile.figure"
    _description = "Reconciliation Figures"
    _order = "run_id desc, month, project_id"
    _log_access = False

    run_id = fields.Many2one("sync.reconcile.run", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one("sync.backend", ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", index=True)
    project_id = fields.Many2one("project.project", index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True)
    month = fields.Date()
    currency = fields.Char()
    currency_id = fields.Many2one("res.currency", help="The sale order's currency.")
    hours_approved = fields.Float(string="Approved billable hours", aggregator="sum")
    amount_approved = fields.Monetary(string="Approved billable amount", aggregator="sum")
    amount_invoiced = fields.Monetary(string="Invoiced", aggregator="sum")
    amount_unbilled = fields.Monetary(string="Unbilled (WIP)", aggregator="sum")
    unbilled_0_30 = fields.Monetary(string="WIP 0-30 days", aggregator="sum")
    unbilled_31_60 = fields.Monetary(string="WIP 31-60 days", aggregator="sum")
    unbilled_61_90 = fields.Monetary(string="WIP 61-90 days", aggregator="sum")
    unbilled_90_plus = fields.Monetary(string="WIP 90+ days", aggregator="sum")
    amount_leakage = fields.Monetary(string="Leakage", aggregator="sum")
    mismatch_count = fields.Integer(string="Mismatches", aggregator="sum")
    latest = fields.Boolean(compute="_compute_latest", search="_search_latest", string="Latest run")

    def _compute_latest(self):
        latest = set(self._latest_run_ids())
        for figure in self:
            figure.latest = figure.run_id.id in latest

    def _latest_run_ids(self):
        self.env["sync.reconcile.run"].flush_model(["state", "backend_id"])
        self.env.cr.execute(
            "SELECT max(id) FROM sync_reconcile_run WHERE state IN ('done', 'empty') "
            "GROUP BY backend_id"
        )
        return [r[0] for r in self.env.cr.fetchall()]

    def _search_latest(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        op = "in" if (operator == "=") == value else "not in"
        return [("run_id", op, self._latest_run_ids())]


class SyncReconcileWarning(models.Model):
    """A project billed slower than its usual rhythm (the deterministic early warning)."""

    _name = "sync.reconcile.warning"
    _description = "Reconciliation Early Warning"
    _order = "run_id desc, unbilled_age_days desc"

    run_id = fields.Many2one("sync.reconcile.run", required=True, ondelete="cascade", index=True)
    backend_id = fields.Many2one(related="run_id.backend_id", store=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    project_id = fields.Many2one("project.project", required=True)
    currency_id = fields.Many2one(related="run_id.currency_id")
    unbilled_amount = fields.Monetary()
    unbilled_age_days = fields.Integer(string="Oldest unbilled (days)")
    usual_interval_days = fields.Float(string="Usual days between invoices")
    usual_invoice_amount = fields.Monetary(string="Usual invoice")
    reason = fields.Char()
