# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class ProjectProject(models.Model):
    _name = "project.project"
    _inherit = ["project.project", "sync.bound.mixin"]
