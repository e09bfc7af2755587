from odoo import fields, models


class SyncMappingMatch(models.Model):
    """A match rule tried before creating a record for an unbound remote record, so that an
    existing Odoo record gets bound instead of duplicated (e.g. VAT, then email domain)."""

    _name = "sync.mapping.match"
    _description = "Sync Match Rule"
    _order = "mapping_id, sequence, id"

    mapping_id = fields.Many2one("sync.mapping", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="mapping_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    remote_field = fields.Char(required=True)
    odoo_field = fields.Char(required=True)
    method = fields.Selection(
        [
            ("exact", "Same value"),
            ("iexact", "Same value, ignoring case and spaces"),
            ("email_domain", "Same e-mail/web domain"),
        ],
        default="iexact",
        required=True,
    )
    extra_domain = fields.Char(
        help="Python-literal domain restricting candidates, e.g. [('is_company', '=', True)]."
    )
