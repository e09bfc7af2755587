"""Which months of the summaries a change of a source row makes stale (set-based triggers).

Every row of the utilization and delivery summaries is a month's aggregate that depends only
on that month's source rows and on the records they point to (see sql.py). A statement-level
trigger on each source table (transition tables, so one INSERT ... SELECT per statement, however
many rows) appends the months the inserted, deleted or changed rows count in to
``sync_insight_dirty`` (figure, month); a NULL month means every month (an employee, a working
calendar or a company calendar changed). An UPDATE counts only when a column a figure reads
changed (``IS DISTINCT FROM`` between the old and new row), so Odoo's frequent writes of other
stored fields (quantities delivered, residual amounts, ...) do not dirty anything. Triggers
see raw SQL writes and cascaded deletes too. The log has no unique key (writers never wait on
each other); a refresh deletes the rows it read (``DELETE ... RETURNING``), rows committed
meanwhile stay for the next one.

WIP age buckets depend on the day of the refresh: the months whose lines cross a bucket limit
(30, 60, 90 days) between two refresh days are recomputed too (sync_insight_view.py).
"""

from odoo.tools import SQL

DIRTY_TABLE = "sync_insight_dirty"
D, U = "delivery", "utilization"
_TS_COLS = (
    "date, project_id, employee_id, company_id, so_line, timesheet_invoice_id, amount, "
    "unit_amount, psa_backend_id, psa_approved, holiday_id, global_leave_id, "
    "timesheet_invoice_type"
)


_ORDER_LINES = "SELECT sol.id FROM {r} r JOIN sale_order_line sol ON sol.order_id = r.id"


def _m(expr):
    return f"date_trunc('month', {expr})::date"


def _span(start, stop):
    """The first days of the months from ``start`` to ``stop`` (dates)."""
    return f"generate_series({_m(start)}, {stop}, interval '1 month')::date"


def _move_months(moves):
    """Months of the customer invoices of move ids ``moves`` and of their payment matches."""
    return f"""SELECT {_m("am.invoice_date")} FROM account_move am
                WHERE am.id IN ({moves}) AND am.move_type IN ('out_invoice', 'out_refund')
    UNION SELECT {_m("apr.max_date")} FROM account_move_line x
      JOIN account_partial_reconcile apr ON apr.debit_move_id = x.id WHERE x.move_id IN ({moves})
    UNION SELECT {_m("apr.max_date")} FROM account_move_line x
      JOIN account_partial_reconcile apr ON apr.credit_move_id = x.id
     WHERE x.move_id IN ({moves})"""


def _lines_months(lines):
    """Months of the invoices (and their payments) of sale order line ids ``lines``."""
    return _move_months(
        f"""SELECT aml.move_id FROM sale_order_line_invoice_rel rel
      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
     WHERE rel.order_line_id IN ({lines})"""
    )


# table: [(figures, columns an UPDATE must change (None: any), months of rows {r}, or None:
# every month)]
RULES = {
    "account_analytic_line": [
        ((D, U), _TS_COLS, f"SELECT {_m('r.date')} FROM {{r}} r WHERE r.project_id IS NOT NULL"),
    ],
    "sale_order": [
        (
            (D,),
            "state, company_id, project_id, partner_id, team_id, date_order, currency_rate",
            f"""SELECT {_m("r.date_order")} FROM {{r}} r
          UNION SELECT {_m("l.date")} FROM {{r}} r
           JOIN sale_order_line sol ON sol.order_id = r.id
           JOIN account_analytic_line l ON l.so_line = sol.id
          UNION SELECT {_m("e.date")} FROM {{r}} r JOIN hr_expense e ON e.sale_order_id = r.id
          UNION {_lines_months(_ORDER_LINES)}""",
        ),
    ],
    "sale_order_line": [
        (
            (D,),
            "order_id, price_subtotal, project_id, display_type, is_expense",
            f"""SELECT {_m("so.date_order")} FROM {{r}} r JOIN sale_order so ON so.id = r.order_id
          UNION {_lines_months("SELECT r.id FROM {r} r")}""",
        ),
        (
            (D,),
            "order_id, price_unit",
            f"""SELECT {_m("l.date")} FROM {{r}} r JOIN account_analytic_line l ON l.so_line = r.id
          UNION SELECT {_m("e.date")} FROM {{r}} r
           JOIN hr_expense e ON e.sale_order_line_id = r.id""",
        ),
        (
            (D,),
            "qty_invoiced",
            f"""SELECT {_m("e.date")} FROM {{r}} r
           JOIN hr_expense e ON e.sale_order_line_id = r.id""",
        ),
    ],
    "account_move": [
        (
            (D,),
            "state, move_type, invoice_date, amount_total_signed, origin_payment_id, "
            "statement_line_id",
            f"""SELECT {_m("r.invoice_date")} FROM {{r}} r
                WHERE r.move_type IN ('out_invoice', 'out_refund')
          UNION {_move_months("SELECT r.id FROM {r} r")}
          UNION SELECT {_m("l.date")} FROM {{r}} r
           JOIN account_analytic_line l ON l.timesheet_invoice_id = r.id""",
        ),
    ],
    "account_move_line": [
        (
            (D,),
            "move_id, balance, company_id, display_type",
            _move_months(
                """SELECT r.move_id FROM {r} r
                    JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = r.id"""
            ),
        ),
    ],
    "sale_order_line_invoice_rel": [
        ((D,), None, _lines_months("SELECT r.order_line_id FROM {r} r")),
    ],
    "account_partial_reconcile": [
        (
            (D,),
            "max_date, amount, debit_move_id, credit_move_id",
            f"SELECT {_m('r.max_date')} FROM {{r}} r",
        ),
    ],
    "hr_expense": [
        (
            (D,),
            "state, company_id, sale_order_id, product_id, quantity, total_amount, "
            "sale_order_line_id, date",
            f"SELECT {_m('r.date')} FROM {{r}} r WHERE r.sale_order_id IS NOT NULL",
        ),
    ],
    "product_template": [
        (
            (D,),
            "expense_policy, list_price",
            f"""SELECT {_m("e.date")} FROM {{r}} r
           JOIN product_product pp ON pp.product_tmpl_id = r.id
           JOIN hr_expense e ON e.product_id = pp.id WHERE e.sale_order_id IS NOT NULL""",
        ),
    ],
    "project_project": [
        (
            (D,),
            "partner_id",
            f"""SELECT {_m("l.date")} FROM {{r}} r
           JOIN account_analytic_line l ON l.project_id = r.id""",
        ),
    ],
    "hr_leave": [
        (
            (U,),
            "state, employee_id, request_date_from, request_date_to, number_of_hours",
            f"""SELECT {_span("r.request_date_from", "r.request_date_to")} FROM {{r}} r
                WHERE r.state = 'validate'""",
        ),
    ],
    "resource_calendar_leaves": [
        (
            (U,),
            "date_from, date_to, resource_id, time_type, calendar_id, company_id",
            f"""SELECT {_span("r.date_from::date", "r.date_to::date")} FROM {{r}} r
                WHERE r.resource_id IS NULL""",
        ),
    ],
    "hr_employee": [((U,), "active, company_id, resource_id, current_version_id", None)],
    "hr_version": [((U,), "employee_id, department_id", None)],
    "resource_resource": [((U,), "calendar_id", None)],
    "resource_calendar_attendance": [
        (
            (U,),
            "calendar_id, dayofweek, duration_hours, week_type, display_type, day_period",
            None,
        )
    ],
    "res_company": [((U,), "resource_calendar_id", None)],
}


def _rule_insert(figures, months, rows):
    """INSERT the (figure, month) pairs of the rows of relation ``rows``."""
    figs = ", ".join(f"'{f}'" for f in figures)
    if months is None:
        source = f"SELECT NULL::date AS month WHERE EXISTS (SELECT 1 FROM {rows} x)"
    else:
        source = f"SELECT DISTINCT month FROM ({months.format(r=rows)}) s (month)"
    return f"""INSERT INTO {DIRTY_TABLE} (figure, month)
        SELECT f, k.month FROM ({source}) k, unnest(ARRAY[{figs}]) f
         WHERE k.month IS NOT NULL OR {"true" if months is None else "false"};"""


def _update_rows(columns, side):
    """The old (``side`` o) or new (n) rows of an UPDATE whose ``columns`` changed."""
    cols = ", ".join(f"{{t}}.{c.strip()}" for c in columns.split(","))
    return (
        f"(SELECT {side}.* FROM old_rows o JOIN new_rows n ON n.id = o.id"
        f" WHERE ({cols.format(t='o')}) IS DISTINCT FROM ({cols.format(t='n')}))"
    )


def trigger_function(table):
    """The body of the plpgsql statement trigger of ``table``."""
    inserts, deletes, updates = [], [], []
    for figures, columns, months in RULES[table]:
        inserts.append(_rule_insert(figures, months, "new_rows"))
        deletes.append(_rule_insert(figures, months, "old_rows"))
        if columns is None:
            updates += [inserts[-1], deletes[-1]]
            continue
        for side in ("o", "n") if months else ("o",):
            changed = _update_rows(columns, side)
            updates.append(_rule_insert(figures, months, changed))
    return f"""BEGIN
    IF TG_OP = 'INSERT' THEN {" ".join(inserts)}
    ELSIF TG_OP = 'DELETE' THEN {" ".join(deletes)}
    ELSE {" ".join(updates)}
    END IF;
    RETURN NULL;
END"""


def _trigger_statements():
    yield f"""CREATE TABLE IF NOT EXISTS {DIRTY_TABLE} (
        id bigserial PRIMARY KEY, figure varchar NOT NULL, month date)"""
    for table in RULES:
        function = f"sync_insight_dirty_{table}"
        yield (
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$body${trigger_function(table)}$body$"
        )
        for event, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            name = f"{function}_{event.lower()}"
            yield f"DROP TRIGGER IF EXISTS {name} ON {table}"
            yield (
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


def install_triggers(cr):
    """(Re)create the dirty-month log and the statement triggers of every source table (the
    statements are built from the constants above, no outside input)."""
    for statement in _trigger_statements():
        cr.execute(SQL(statement.replace("%", "%%")))


def uninstall_triggers(cr):
    statements = [
        f"DROP FUNCTION IF EXISTS sync_insight_dirty_{table}() CASCADE" for table in RULES
    ]
    for statement in [*statements, f"DROP TABLE IF EXISTS {DIRTY_TABLE}"]:
        cr.execute(SQL(statement))
