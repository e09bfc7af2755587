import logging

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index, index_exists, make_identifier, table_exists

_logger = logging.getLogger(__name__)

# The normalised value an "iexact" rule compares (sync.mapping._match_existing's prefilter and
# the expression index that serves it must be the same expression).
IEXACT_SQL = "lower(regexp_replace(trim(%s), '\\s+', ' ', 'g'))"


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

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._ensure_indexes()
        return rules

    def write(self, vals):
        res = super().write(vals)
        if {"odoo_field", "method", "mapping_id"} & set(vals):
            self._ensure_indexes()
        return res

    def init(self):
        # rules saved before their index existed (module upgrade; on install, the mappings'
        # table may not exist yet and there is no rule)
        if table_exists(self.env.cr, "sync_mapping"):
            self.sudo().search(
                [("method", "in", ("exact", "iexact"))], order="id"
            )._ensure_indexes()

    def _index_target(self):
        """(table, column expression, index name) of the index that serves this rule's
        prefilter, or None (a field that is not a plain stored text column, or an email-domain
        rule, whose LIKE '%domain%' no btree serves)."""
        self.ensure_one()
        res_model = self.mapping_id.res_model
        if self.method not in ("exact", "iexact") or res_model not in self.env:
            return None
        Model = self.env[res_model]
        field = Model._fields.get(self.odoo_field or "")
        if (
            not field
            or not field.store
            or field.type not in ("char", "text")
            or getattr(field, "translate", False)
            or Model._abstract
            or not Model._auto
        ):
            return None
        column = SQL.identifier(field.name).code
        expression = IEXACT_SQL % column if self.method == "iexact" else column
        name = make_identifier(f"sync_match_{Model._table}_{field.name}_{self.method}")
        return Model._table, expression, name

    def _ensure_indexes(self):
        """An index on each rule's normalised column: the match prefilter runs once per pulled
        page, and without it reads the whole table (a regexp per row) each time."""
        for rule in self:
            target = rule._index_target()
            if not target:
                continue
            table, expression, name = target
            try:
                with self.env.cr.savepoint():
                    if index_exists(self.env.cr, name):
                        continue
                    create_index(self.env.cr, name, table, [expression])
                    # statistics of the new expression: without them the planner estimates a
                    # page's 200 keys at most of the table and scans it anyway
                    self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
            except Exception as exc:  # noqa: BLE001  an index is an optimisation, never a failure
                _logger.warning("match rule index %s not created: %s", name, exc)
