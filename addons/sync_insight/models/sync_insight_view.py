# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL
from odoo.tools.sql import table_exists

from . import sql_dirty

REFRESHED_AT = "sync_insight.refreshed_at"
# the day the WIP age buckets of the delivery summary were computed on
AGED_ON = "sync_insight.aged_on"
# more stale months than this: rebuild the whole summary in one pass
MAX_MONTHS = 12
WIP_AGE_LIMITS = (30, 60, 90)
SUMMARIES = ("sync.insight.utilization", "sync.insight.delivery")


def _view_on(model):
    """The tables a plain figure view reads (``_view_on``: a name or a tuple of names)."""
    tables = getattr(model, "_view_on", None) or ()
    return (tables,) if isinstance(tables, str) else tables


def _scope(months):
    """The SQL condition keeping the dates of ``months`` (first days), sargable on ``expr``."""
    days = ", ".join(f"'{m.isoformat()}'::date" for m in months)
    low, high = min(months), max(months) + relativedelta(months=1)

    def scope(expr):
        return (
            f"(date_trunc('month', {expr})::date IN ({days})"
            f" AND {expr} >= '{low.isoformat()}' AND {expr} < '{high.isoformat()}')"
        )

    return scope


def _aged_months(aged_on, today):
    """Months whose lines cross a WIP age limit between the days ``aged_on`` and ``today``."""
    low, high = sorted((aged_on, today))
    months = set()
    for limit in WIP_AGE_LIMITS:
        day = low - timedelta(days=limit)
        last = high - timedelta(days=limit + 1)
        while day <= last:
            months.add(day.replace(day=1))
            day = day.replace(day=1) + relativedelta(months=1)
    return months


class SyncInsightView(models.AbstractModel):
    """A read-only figure model backed by a SQL view; ratio measures (percentages) are
    aggregated as the ratio of the sums at every grouping level, not as a sum or mean.

    A ``_summary`` figure is a plain table of per-month aggregates (``_summary_sql``, the same
    SQL restricted to some months), kept by ``_refresh_figures`` (hourly cron, Refresh menu,
    digest): only the months whose source rows changed since the last refresh are recomputed
    (logged by triggers, see sql_dirty.py), the whole table when too many are (or on install
    and the Rebuild menu). Its figures are as of the last refresh, at most an hour old."""

    _name = "sync.insight.view"
    _description = "Delivery Figure View"
    _auto = False
    _view_sql = ""
    # {percent field: (numerator field, denominator field)}
    _ratios = {}
    _summary = ""  # the figure name of a summary in the dirty-month log
    _summary_sql = None  # scope -> SQL (staticmethod)

    def init(self):
        if self._summary:
            self._init_summary()
            return
        if not self._view_sql:
            return
        if not all(table_exists(self.env.cr, table) for table in _view_on(self)):
            return  # created right after the figures it reads (see _init_summary)
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(self._view_sql.replace("%", "%%")),
            )
        )

    def _init_summary(self):
        cr = self.env.cr
        sql_dirty.install_triggers(cr)
        table = SQL.identifier(self._table)
        cr.execute("SELECT relkind FROM pg_class WHERE relname = %s", [self._table])
        kind = (cr.fetchone() or [None])[0]
        drop = {"m": "MATERIALIZED VIEW", "v": "VIEW", "r": "TABLE"}.get(kind)
        if drop:
            cr.execute(SQL(f"DROP {drop} %s CASCADE", table))
        body = self._summary_sql().replace("%", "%%")
        cr.execute(SQL(f"CREATE TABLE %s AS SELECT * FROM ({body}) q WITH NO DATA", table))
        cr.execute(SQL("ALTER TABLE %s ADD COLUMN id bigserial PRIMARY KEY", table))
        for name, columns in (("company_month", "company_id, month"), ("month", "month")):
            index = SQL.identifier(f"{self._table}_{name}")
            cr.execute(SQL(f"CREATE INDEX %s ON %s ({columns})", index, table))
        self._rebuild_months(None)
        dirty = SQL.identifier(sql_dirty.DIRTY_TABLE)
        cr.execute(SQL("DELETE FROM %s WHERE figure = %s", dirty, self._summary))
        if self._summary == sql_dirty.D:
            cr.execute("SELECT CURRENT_DATE")
            self.env["ir.config_parameter"].sudo().set_param(AGED_ON, str(cr.fetchone()[0]))
        # plain views on top of this one were dropped with it (CASCADE): recreate them
        for model in self.env.registry.values():
            if self._table in _view_on(model):
                self.env[model._name].init()

    def _rebuild_months(self, months):
        """Recompute the summary's rows of ``months`` (first days), every row when None."""
        cr = self.env.cr
        table = SQL.identifier(self._table)
        cr.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped AND attname <> 'id' ORDER BY attnum",
            [self._table],
        )
        columns = SQL(", ").join(SQL.identifier(name) for (name,) in cr.fetchall())
        if months is None:
            cr.execute(SQL("DELETE FROM %s", table))
            body = self._summary_sql()
        else:
            cr.execute(SQL("DELETE FROM %s WHERE month = ANY(%s)", table, list(months)))
            body = self._summary_sql(_scope(months))
        cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM (%s) q",
                table,
                columns,
                columns,
                SQL(body.replace("%", "%%")),
            )
        )
        if months is None:
            cr.execute(SQL("ANALYZE %s", table))

    @api.model
    def _refresh_summaries(self, full=False):
        """Recompute the stale months of both summaries (every month if ``full``, or if some
        change concerns every month, or more than MAX_MONTHS are stale); readers see the old
        figures until the transaction commits. Returns {model: sorted months recomputed, or
        None for a full rebuild}."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL("DELETE FROM %s RETURNING figure, month", SQL.identifier(sql_dirty.DIRTY_TABLE))
        )
        stale = {}
        for figure, month in cr.fetchall():
            stale.setdefault(figure, set()).add(month)
        cr.execute("SELECT CURRENT_DATE")
        today = cr.fetchone()[0]
        params = self.env["ir.config_parameter"].sudo()
        aged_on = fields.Date.to_date(params.get_param(AGED_ON))
        if aged_on != today:
            aged = _aged_months(aged_on, today) if aged_on else {None}
            stale.setdefault(sql_dirty.D, set()).update(aged)
        done = {}
        for name in SUMMARIES:
            model = self.env[name]
            months = stale.get(model._summary, set())
            if full or None in months or len(months) > MAX_MONTHS:
                model._rebuild_months(None)
                done[name] = None
            else:
                done[name] = sorted(months)
                if months:
                    model._rebuild_months(done[name])
            model.invalidate_model()
        params.set_param(AGED_ON, str(today))
        return done

    @api.model
    def _refresh_figures(self, full=False):
        """Bring the summaries up to date; remember when, for "figures as of"."""
        self._refresh_summaries(full=full)
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
    def action_refresh_figures(self, full=False):
        """The Refresh menu: recompute now and say as of when the figures are."""
        now = self._refresh_figures(full=full)
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

    @api.model
    def action_rebuild_figures(self):
        """The Rebuild menu: recompute every month of both summaries from the source records
        (after a change the triggers cannot see, e.g. restored data)."""
        return self.action_refresh_figures(full=True)

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
