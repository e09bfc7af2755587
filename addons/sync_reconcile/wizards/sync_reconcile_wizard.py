# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields, models


class SyncReconcileWizard(models.TransientModel):
    """Reconcile on demand: one backend, optionally one customer or project, one period."""

    _name = "sync.reconcile.wizard"
    _description = "Run a Reconciliation"

    backend_id = fields.Many2one(
        "sync.backend",
        required=True,
        help="A PSA backend: time, expenses and master data; another backend: master data "
        "drift of its mapped partners, projects and employees.",
    )
    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=90)
    )
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    partner_id = fields.Many2one("res.partner", string="Customer")
    project_id = fields.Many2one("project.project")
    send_report = fields.Boolean(string="Mail the control report")

    def action_run(self):
        self.ensure_one()
        run = self.env["sync.reconcile.run"].create(
            {
                "backend_id": self.backend_id.id,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "partner_id": self.partner_id.id,
                "project_id": self.project_id.id,
            }
        )
        run._execute()
        if self.send_report:
            run._send_report()
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
        }
