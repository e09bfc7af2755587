# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class ProjectProject(models.Model):
    """What the PSA says of the project's workspace (pulled back through the mapping)."""

    _inherit = "project.project"

    psa_status = fields.Char(string="PSA status", readonly=True, copy=False)
    psa_budget_cents = fields.Integer(string="PSA budget (cents)", readonly=True, copy=False)
    psa_budget_used_cents = fields.Integer(
        string="PSA budget used (cents)", readonly=True, copy=False
    )
    psa_currency = fields.Char(string="PSA currency", readonly=True, copy=False)
    psa_budget = fields.Float(
        string="PSA budget", compute="_compute_psa_budget", digits="Product Price"
    )

    @api.depends("psa_budget_cents", "psa_currency")
    def _compute_psa_budget(self):
        for project in self:
            project.psa_budget = (project.psa_budget_cents or 0) / 100.0
