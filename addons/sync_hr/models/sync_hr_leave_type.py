# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class SyncHrLeaveType(models.Model):
    _name = "sync.hr.leave.type"
    _description = "Time-off type of an HR platform -> Odoo leave type"
    _order = "backend_id, name, id"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    remote_id = fields.Char(string="Remote type id", required=True)
    name = fields.Char(string="Remote type")
    leave_type_id = fields.Many2one(
        "hr.leave.type",
        string="Odoo time-off type",
        help="Approved requests of this type become validated time off of this type; empty: "
        "the Odoo type of the same name, else the requests wait in an exception.",
    )

    _backend_remote_uniq = models.Constraint(
        "UNIQUE(backend_id, remote_id)", "A remote time-off type is mapped once per backend."
    )
