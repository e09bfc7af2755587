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
    reconcile_difference_count = fields.Integer(compute="_compute_reconcile")
    reconcile_difference_amount = fields.Float(compute="_compute_reconcile")
    reconcile_unbilled = fields.Float(compute="_compute_reconcile", string="Unbilled (WIP)")
    reconcile_leakage = fields.Float(compute="_compute_reconcile", string="Leakage")
    reconcile_warning_count = fields.Integer(compute="_compute_reconcile")

    def _compute_reconcile(self):
        Run = self.env["sync.reconcile.run"]
        for backend in self:
            run = (
                Run.search([("backend_id", "=", backend.id), ("state", "=", "done")], limit=1)
                if backend.id
                else Run
            )
            figures = run.figure_ids
            backend.reconcile_run_id = run
            backend.reconcile_difference_count = run.difference_count
            backend.reconcile_difference_amount = run.difference_amount
            backend.reconcile_unbilled = sum(figures.mapped("amount_unbilled"))
            backend.reconcile_leakage = sum(figures.mapped("amount_leakage"))
            backend.reconcile_warning_count = len(run.warning_ids)

    def action_reconcile_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sync_reconcile.sync_reconcile_run_action"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action
