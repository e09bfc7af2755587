# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models, tools
from odoo.tools import SQL


class SyncInsightView(models.AbstractModel):
    """A read-only figure model backed by a SQL view; ratio measures (percentages) are
    aggregated as the ratio of the sums at every grouping level, not as a sum or mean."""

    _name = "sync.insight.view"
    _description = "Delivery Figure View"
    _auto = False
    _view_sql = ""
    # {percent field: (numerator field, denominator field)}
    _ratios = {}

    def init(self):
        if not self._view_sql:
            return
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(self._view_sql.replace("%", "%%")),
            )
        )

    def _read_group_select(self, aggregate_spec, query):
        fname, __, __ = aggregate_spec.partition(":")
        if fname not in self._ratios:
            return super()._read_group_select(aggregate_spec, query)
        num, den = self._ratios[fname]
        return SQL(
            "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
            self._field_to_sql(self._table, num, query),
            self._field_to_sql(self._table, den, query),
        )

    def _action_records(self, model, name, domain):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"create": False},
        }

    def _month_domain(self, field="date"):
        self.ensure_one()
        end = fields.Date.end_of(self.month, "month")
        return [(field, ">=", self.month), (field, "<=", end)]
