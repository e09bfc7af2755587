# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.sql import table_exists

REFRESHED_AT = "sync_insight.refreshed_at"


def _view_on(model):
    """The tables a plain figure view reads (``_view_on``: a name or a tuple of names)."""
    tables = getattr(model, "_view_on", None) or ()
    return (tables,) if isinstance(tables, str) else tables


class SyncInsightView(models.AbstractModel):
    """A read-only figure model backed by a SQL view; ratio measures (percentages) are
    aggregated as the ratio of the sums at every grouping level, not as a sum or mean.

    A ``_materialized`` figure is a MATERIALIZED VIEW (the per-line aggregation stored per
    month), refreshed by ``_refresh_figures`` (hourly cron, Refresh menu, digest): its figures
    are as of the last refresh, at most an hour old."""

    _name = "sync.insight.view"
    _description = "Delivery Figure View"
    _auto = False
    _view_sql = ""
    # {percent field: (numerator field, denominator field)}
    _ratios = {}
    _materialized = False

    def init(self):
        if not self._view_sql:
            return
        if self._materialized:
            self._init_materialized()
            return
        if not all(table_exists(self.env.cr, table) for table in _view_on(self)):
            return  # created right after the figures it reads (see _init_materialized)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(self._view_sql.replace("%", "%%")),
            )
        )

    def _init_materialized(self):
        cr = self.env.cr
        table = SQL.identifier(self._table)
        cr.execute("SELECT relkind FROM pg_class WHERE relname = %s", [self._table])
        kind = (cr.fetchone() or [None])[0]
        if kind == "m":
            cr.execute(SQL("DROP MATERIALIZED VIEW %s CASCADE", table))
        elif kind == "v":
            cr.execute(SQL("DROP VIEW %s CASCADE", table))
        cr.execute(
            SQL(
                "CREATE MATERIALIZED VIEW %s AS (%s)",
                table,
                SQL(self._view_sql.replace("%", "%%")),
            )
        )
        # the unique index REFRESH ... CONCURRENTLY needs, and the dashboards' filter
        cr.execute(
            SQL("CREATE UNIQUE INDEX %s ON %s (id)", SQL.identifier(self._table + "_id"), table)
        )
        cr.execute(
            SQL(
                "CREATE INDEX %s ON %s (company_id, month)",
                SQL.identifier(self._table + "_company_month"),
                table,
            )
        )
        # plain views on top of this one were dropped with it (CASCADE): recreate them
        for model in self.env.registry.values():
            if self._table in _view_on(model):
                self.env[model._name].init()

    @api.model
    def _refresh_figures(self):
        """Recompute every materialized figure from the source records, without blocking
        readers (CONCURRENTLY); remember when, for "figures as of"."""
        self.env.flush_all()
        for name in ("sync.insight.utilization", "sync.insight.delivery"):
            model = self.env[name]
            self.env.cr.execute(
                SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY %s", SQL.identifier(model._table))
            )
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(model._table)))
            model.invalidate_model()
        self.env["sync.insight.pipeline"].invalidate_model()
        self.env["sync.insight.card"].invalidate_model()
        now = fields.Datetime.now()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(REFRESHED_AT, fields.Datetime.to_string(now))
        return now

    @api.model
    def _figures_as_of(self):
        value = self.env["ir.config_parameter"].sudo().get_param(REFRESHED_AT)
        return fields.Datetime.to_datetime(value) if value else None

    @api.model
    def action_refresh_figures(self):
        """The Refresh menu: recompute now and say as of when the figures are."""
        now = self._refresh_figures()
        stamp = fields.Datetime.context_timestamp(self, now).strftime("%Y-%m-%d %H:%M")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Delivery figures refreshed"),
                "message": self.env._("Figures as of %s.", stamp),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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
