from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import mapping as mapping_logic


class SyncMappingLine(models.Model):
    """One remote field <-> one Odoo field, with its direction and system of record."""

    _name = "sync.mapping.line"
    _description = "Sync Field Mapping Line"
    _order = "mapping_id, sequence, id"

    mapping_id = fields.Many2one("sync.mapping", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    remote_field = fields.Char(required=True, help="Remote property (dotted path for nesting).")
    odoo_field = fields.Char(required=True, help="Technical name of the Odoo field.")
    res_model = fields.Char(related="mapping_id.res_model")
    odoo_field_id = fields.Many2one(
        "ir.model.fields",
        string="Odoo field ",
        compute="_compute_odoo_field_id",
        inverse="_inverse_odoo_field_id",
        domain="[('model', '=', res_model), ('store', '=', True)]",
        help="The Odoo field the remote property is written to (or read from).",
    )
    direction = fields.Selection(mapping_logic.DIRECTIONS, default="import", required=True)
    owner = fields.Selection(
        mapping_logic.OWNERS,
        default="remote",
        required=True,
        string="System of record",
        help="Which side wins when both changed: the remote system, Odoo, or the side "
        "modified last.",
    )
    transform = fields.Selection(mapping_logic.transform_selection(), default="str", required=True)
    ref_object = fields.Char(
        help="For 'Record bound to this remote id': the remote object the id belongs to."
    )

    @api.depends("odoo_field", "mapping_id.res_model")
    def _compute_odoo_field_id(self):
        for line in self:
            model = line.mapping_id.res_model
            line.odoo_field_id = (
                self.env["ir.model.fields"]._get(model, line.odoo_field)
                if model in self.env and line.odoo_field in self.env[model]._fields
                else False
            )

    def _inverse_odoo_field_id(self):
        for line in self:
            if line.odoo_field_id and line.odoo_field != line.odoo_field_id.name:
                line.odoo_field = line.odoo_field_id.name

    @api.onchange("odoo_field_id")
    def _onchange_odoo_field_id(self):
        if self.odoo_field_id:
            self.odoo_field = self.odoo_field_id.name

    @api.constrains("odoo_field", "mapping_id")
    def _check_odoo_field(self):
        for line in self:
            model = line.mapping_id.res_model
            if model in self.env and line.odoo_field not in self.env[model]._fields:
                raise ValidationError(
                    self.env._(
                        "%(model)s has no field %(field)s.", model=model, field=line.odoo_field
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.mapping_id._bump_version()
        return lines

    def write(self, vals):
        res = super().write(vals)
        self.mapping_id._bump_version()
        return res

    def unlink(self):
        mappings = self.mapping_id
        res = super().unlink()
        mappings.exists()._bump_version()
        return res

    def _as_dict(self):
        return {
            "remote_field": self.remote_field,
            "odoo_field": self.odoo_field,
            "direction": self.direction,
            "owner": self.owner,
            "transform": self.transform,
            "ref_object": self.ref_object or False,
        }
