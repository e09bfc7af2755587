"""Set-based SQL of a reconciliation run: the staging table the PSA's pages are copied into,
and one INSERT ... SELECT per difference category (no per-record Python)."""

STAGE = "sync_reconcile_stage"
SCOPE = "sync_reconcile_scope"

CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    kind varchar NOT NULL,
    entry_id varchar NOT NULL,
    state varchar NOT NULL,
    project_ref varchar,
    person_ref varchar,
    date date,
    minutes integer,
    amount_cents bigint,
    rate_cents integer,
    currency varchar,
    billable boolean,
    project_id integer,
    partner_id integer
) ON COMMIT DROP;
TRUNCATE {STAGE};
"""
STAGE_COLUMNS = (
    ("kind", "varchar"),
    ("entry_id", "varchar"),
    ("state", "varchar"),
    ("project_ref", "varchar"),
    ("person_ref", "varchar"),
    ("date", "date"),
    ("minutes", "integer"),
    ("amount_cents", "bigint"),
    ("rate_cents", "integer"),
    ("currency", "varchar"),
    ("billable", "boolean"),
)
# one statement per page: the page's columns as arrays (COPY-like, no row-by-row INSERT)
INSERT_STAGE = (
    f"INSERT INTO {STAGE} ({', '.join(c for c, _t in STAGE_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%s::{t}[]" for _c, t in STAGE_COLUMNS)
    + ")"
)

# the staged records' Odoo project (through the project bindings, psa.PROJECTS) and
# customer; records outside the run's project / customer are dropped
RESOLVE_STAGE = f"""
CREATE INDEX IF NOT EXISTS {STAGE}_entry ON {STAGE} (kind, entry_id);
UPDATE {STAGE} s SET project_id = b.res_id, partner_id = p.partner_id
  FROM sync_binding b JOIN project_project p ON p.id = b.res_id
 WHERE b.backend_id = %(backend)s AND b.res_model = 'project.project'
   AND b.remote_object = 'projects' AND b.external_id = s.project_ref;
DELETE FROM {STAGE}
 WHERE (%(project)s::int IS NOT NULL AND project_id IS DISTINCT FROM %(project)s)
    OR (%(partner)s::int IS NOT NULL AND partner_id IS DISTINCT FROM %(partner)s);
ANALYZE {STAGE};
"""

# Odoo's side in scope: timesheets of the backend's projects (or imported from it) performed
# in the period, or imported from a staged record; expenses imported from the backend
CREATE_SCOPE = f"""
DROP TABLE IF EXISTS {SCOPE};
CREATE TEMP TABLE {SCOPE} ON COMMIT DROP AS
SELECT 'time'::varchar AS kind, l.id AS res_id, l.psa_entry_id AS entry_id,
       l.project_id, COALESCE(p.partner_id, so.partner_id) AS partner_id, l.employee_id,
       l.date, l.unit_amount AS hours, l.psa_bill_rate_cents AS rate_cents,
       0::numeric AS amount, l.so_line, sol.price_unit,
       (m.id IS NOT NULL AND m.state = 'posted') AS invoiced, m.name AS document,
       COALESCE(l.psa_approved, false) AS approved,
       COALESCE(lcur.name, %(currency)s)::varchar AS currency
  FROM account_analytic_line l
  JOIN project_project p ON p.id = l.project_id
  LEFT JOIN sale_order_line sol ON sol.id = l.so_line
  LEFT JOIN res_currency lcur ON lcur.id = sol.currency_id
  LEFT JOIN sale_order so ON so.id = sol.order_id
  LEFT JOIN account_move m ON m.id = l.timesheet_invoice_id
 WHERE l.company_id = %(company)s
   AND l.id IN (
        -- three index-friendly parts: imported in the period, imported from a staged entry,
        -- booked in Odoo on a bound project in the period
        SELECT id FROM account_analytic_line
         WHERE psa_backend_id = %(backend)s AND date BETWEEN %(date_from)s AND %(date_to)s
        UNION
        SELECT x.id FROM {STAGE} s JOIN account_analytic_line x
            ON x.psa_backend_id = %(backend)s AND x.psa_entry_id = s.entry_id
         WHERE s.kind = 'time'
        UNION
        SELECT x.id FROM sync_binding b JOIN account_analytic_line x
            ON x.project_id = b.res_id AND x.psa_backend_id IS NULL
           AND x.date BETWEEN %(date_from)s AND %(date_to)s
         WHERE b.backend_id = %(backend)s AND b.res_model = 'project.project'
           AND b.remote_object = 'projects' AND b.active)
   AND (%(project)s::int IS NULL OR l.project_id = %(project)s)
   AND (%(partner)s::int IS NULL OR COALESCE(p.partner_id, so.partner_id) = %(partner)s)
UNION ALL
SELECT 'expense', e.id, e.psa_expense_id, NULL, so.partner_id, e.employee_id, e.date,
       0, 0, e.total_amount_currency, NULL, NULL,
       e.state IN ('posted', 'in_payment', 'paid'), e.name,
       e.state NOT IN ('refused'), COALESCE(ecur.name, %(currency)s)
  FROM hr_expense e
  LEFT JOIN sale_order so ON so.id = e.sale_order_id
  LEFT JOIN res_currency ecur ON ecur.id = e.currency_id
 WHERE e.company_id = %(company)s AND e.psa_backend_id = %(backend)s
   AND (e.date BETWEEN %(date_from)s AND %(date_to)s
        OR e.psa_expense_id IN (SELECT entry_id FROM {STAGE} WHERE kind = 'expense'))
   AND %(project)s::int IS NULL
   AND (%(partner)s::int IS NULL OR so.partner_id = %(partner)s);
CREATE INDEX ON {SCOPE} (kind, entry_id);
ANALYZE {SCOPE};
"""

COUNT_SCOPE = f"SELECT count(*) FROM {SCOPE}"

# entries of Odoo records that the staged (approved, in period) list does not show: read by id
UNSTAGED_IDS = f"""
SELECT o.kind, o.entry_id FROM {SCOPE} o
 WHERE o.entry_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.kind = o.kind AND s.entry_id = o.entry_id)
"""

_LINE_COLUMNS = (
    "run_id, backend_id, company_id, category, kind, entry_id, res_model, res_id, project_id, "
    "partner_id, date, psa_hours, odoo_hours, psa_amount, odoo_amount, amount, currency, "
    "psa_state, document, age_days"
)
_TIME_PSA_AMOUNT = "(s.minutes * COALESCE(s.rate_cents, 0) / 6000.0)"
_ODOO_AMOUNT = "(o.hours * COALESCE(o.price_unit, o.rate_cents / 100.0))"
_PSA_CURRENCY = "COALESCE(NULLIF(s.currency, ''), %(currency)s)"
_MODEL = "CASE o.kind WHEN 'time' THEN 'account.analytic.line' ELSE 'hr.expense' END"
_PSA_AMOUNT = f"CASE s.kind WHEN 'time' THEN {_TIME_PSA_AMOUNT} ELSE s.amount_cents / 100.0 END"
_ODOO_VALUE = f"CASE o.kind WHEN 'time' THEN {_ODOO_AMOUNT} ELSE o.amount END"

CLASSIFY = {
    # approved in the PSA, no Odoo record at all (of this backend, whatever its date)
    "missing": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'missing', s.kind, s.entry_id, NULL, NULL,
       s.project_id, s.partner_id, s.date, s.minutes / 60.0, 0,
       {_PSA_AMOUNT}, 0, CASE WHEN s.billable THEN {_PSA_AMOUNT} ELSE 0 END, {_PSA_CURRENCY},
       s.state, NULL, %(today)s - s.date
  FROM {STAGE} s
 WHERE s.state = 'approved'
   AND NOT EXISTS (SELECT 1 FROM account_analytic_line l WHERE s.kind = 'time'
                   AND l.psa_backend_id = %(backend)s AND l.psa_entry_id = s.entry_id)
   AND NOT EXISTS (SELECT 1 FROM hr_expense e WHERE s.kind = 'expense'
                   AND e.psa_backend_id = %(backend)s AND e.psa_expense_id = s.entry_id)
""",
    # both sides exist and disagree on hours (time), bill rate (time) or amount (expense)
    "mismatch": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'mismatch', s.kind, s.entry_id, {_MODEL}, o.res_id,
       COALESCE(o.project_id, s.project_id), COALESCE(o.partner_id, s.partner_id), s.date,
       s.minutes / 60.0, o.hours, {_PSA_AMOUNT},
       CASE o.kind WHEN 'time' THEN o.hours * o.rate_cents / 100.0 ELSE o.amount END,
       abs({_PSA_AMOUNT}
           - CASE o.kind WHEN 'time' THEN o.hours * o.rate_cents / 100.0 ELSE o.amount END),
       {_PSA_CURRENCY}, s.state, o.document, %(today)s - s.date
  FROM {STAGE} s JOIN {SCOPE} o ON o.kind = s.kind AND o.entry_id = s.entry_id
 WHERE s.state = 'approved'
   AND ((s.kind = 'time' AND (round(o.hours * 60) <> s.minutes
                              OR COALESCE(o.rate_cents, 0) <> COALESCE(s.rate_cents, 0)))
        OR (s.kind = 'expense' AND round(o.amount * 100) <> s.amount_cents))
""",
    # the PSA's bill rate is not the price of the sale order line the time is billed on
    "rate": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'rate', s.kind, s.entry_id, {_MODEL}, o.res_id,
       o.project_id, o.partner_id, s.date, s.minutes / 60.0, o.hours,
       s.rate_cents / 100.0, o.price_unit,
       abs(s.minutes / 60.0 * (s.rate_cents / 100.0 - o.price_unit)),
       {_PSA_CURRENCY}, s.state, o.document, %(today)s - s.date
  FROM {STAGE} s JOIN {SCOPE} o ON o.kind = s.kind AND o.entry_id = s.entry_id
  JOIN sale_order_line sol ON sol.id = o.so_line
  JOIN res_currency cur ON cur.id = sol.currency_id
 WHERE s.kind = 'time' AND s.state = 'approved' AND s.billable AND s.rate_cents IS NOT NULL
   AND upper(cur.name) = upper(s.currency)
   AND abs(s.rate_cents - round(o.price_unit * 100)) >= 1
""",
    # approved in the PSA and in Odoo, billable, and not invoiced after the backend's N days
    "leakage": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'leakage', o.kind, o.entry_id, {_MODEL}, o.res_id,
       o.project_id, o.partner_id, o.date, s.minutes / 60.0, o.hours, {_PSA_AMOUNT},
       {_ODOO_VALUE}, {_ODOO_VALUE}, o.currency, s.state, o.document, %(today)s - o.date
  FROM {SCOPE} o JOIN {STAGE} s ON s.kind = o.kind AND s.entry_id = o.entry_id
 WHERE s.state = 'approved' AND s.billable AND NOT o.invoiced AND o.approved
   AND (o.so_line IS NOT NULL OR o.kind = 'expense')
   AND o.date <= %(today)s - %(leakage_days)s::int
""",
    # billed in Odoo, and the PSA no longer approves it (unapproved or deleted)
    "invoiced_unapproved": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'invoiced_unapproved', o.kind, o.entry_id, {_MODEL},
       o.res_id, o.project_id, o.partner_id, o.date, COALESCE(s.minutes, 0) / 60.0, o.hours,
       0, {_ODOO_VALUE}, {_ODOO_VALUE}, o.currency, COALESCE(s.state, 'deleted'), o.document,
       %(today)s - o.date
  FROM {SCOPE} o LEFT JOIN {STAGE} s ON s.kind = o.kind AND s.entry_id = o.entry_id
 WHERE o.entry_id IS NOT NULL AND o.invoiced AND s.state IS DISTINCT FROM 'approved'
""",
    # a timesheet without a PSA entry on the same project, employee, day and hours as an
    # imported one: the same work entered twice
    "duplicate": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'duplicate', o.kind, d.entry_id, {_MODEL}, o.res_id,
       o.project_id, o.partner_id, o.date, o.hours, o.hours, 0, {_ODOO_VALUE}, {_ODOO_VALUE},
       o.currency, 'approved', o.document, %(today)s - o.date
  FROM {SCOPE} o
  JOIN LATERAL (SELECT min(d.entry_id) AS entry_id FROM {SCOPE} d
                 WHERE d.kind = 'time' AND d.entry_id IS NOT NULL
                   AND d.project_id = o.project_id AND d.employee_id = o.employee_id
                   AND d.date = o.date AND d.hours = o.hours) d ON d.entry_id IS NOT NULL
 WHERE o.kind = 'time' AND o.entry_id IS NULL
""",
    # an Odoo record with no approved PSA record behind it: imported then deleted/unapproved
    # without being reversed, or time booked in Odoo on a PSA project (not a duplicate)
    "orphan": f"""
SELECT %(run)s, %(backend)s, %(company)s, 'orphan', o.kind, o.entry_id, {_MODEL}, o.res_id,
       o.project_id, o.partner_id, o.date, COALESCE(s.minutes, 0) / 60.0, o.hours, 0,
       {_ODOO_VALUE}, {_ODOO_VALUE}, o.currency,
       CASE WHEN o.entry_id IS NULL THEN 'none' ELSE COALESCE(s.state, 'deleted') END,
       o.document, %(today)s - o.date
  FROM {SCOPE} o LEFT JOIN {STAGE} s ON s.kind = o.kind AND s.entry_id = o.entry_id
 WHERE NOT o.invoiced AND s.state IS DISTINCT FROM 'approved'
   AND (o.entry_id IS NOT NULL OR NOT EXISTS (
        SELECT 1 FROM {SCOPE} d WHERE d.kind = 'time' AND d.entry_id IS NOT NULL
           AND d.project_id = o.project_id AND d.employee_id = o.employee_id
           AND d.date = o.date AND d.hours = o.hours))
""",
}


def insert_lines(category):
    return f"INSERT INTO sync_reconcile_line ({_LINE_COLUMNS}) {CLASSIFY[category]}" " RETURNING id"


# Figures per project and month of the run's period (what Odoo holds, PSA-approved time)
FIGURES = f"""
INSERT INTO sync_reconcile_figure (
    run_id, backend_id, company_id, project_id, partner_id, month, currency, currency_id,
    hours_approved, amount_approved, amount_invoiced, amount_unbilled,
    unbilled_0_30, unbilled_31_60, unbilled_61_90, unbilled_90_plus,
    amount_leakage, mismatch_count)
SELECT %(run)s, %(backend)s, %(company)s, o.project_id, o.partner_id,
       date_trunc('month', o.date)::date, COALESCE(max(cur.name), %(currency)s),
       COALESCE(max(cur.id), %(currency_id)s),
       sum(o.hours), sum({_ODOO_AMOUNT}),
       sum({_ODOO_AMOUNT}) FILTER (WHERE o.invoiced),
       sum({_ODOO_AMOUNT}) FILTER (WHERE NOT o.invoiced),
       sum({_ODOO_AMOUNT}) FILTER (WHERE NOT o.invoiced AND %(today)s - o.date <= 30),
       sum({_ODOO_AMOUNT}) FILTER (WHERE NOT o.invoiced AND %(today)s - o.date BETWEEN 31 AND 60),
       sum({_ODOO_AMOUNT}) FILTER (WHERE NOT o.invoiced AND %(today)s - o.date BETWEEN 61 AND 90),
       sum({_ODOO_AMOUNT}) FILTER (WHERE NOT o.invoiced AND %(today)s - o.date > 90),
       0, 0
  FROM {SCOPE} o
  JOIN {STAGE} s ON s.kind = o.kind AND s.entry_id = o.entry_id AND s.state = 'approved'
  LEFT JOIN sale_order_line sol ON sol.id = o.so_line
  LEFT JOIN res_currency cur ON cur.id = sol.currency_id
 WHERE o.kind = 'time' AND o.so_line IS NOT NULL AND o.date BETWEEN %(date_from)s AND %(date_to)s
 GROUP BY o.project_id, o.partner_id, date_trunc('month', o.date);
UPDATE sync_reconcile_figure f SET
       amount_leakage = COALESCE(x.leakage, 0), mismatch_count = COALESCE(x.mismatches, 0)
  FROM (SELECT project_id, date_trunc('month', date)::date AS month,
               sum(amount) FILTER (WHERE category = 'leakage') AS leakage,
               count(*) FILTER (WHERE category IN ('mismatch', 'rate')) AS mismatches
          FROM sync_reconcile_line WHERE run_id = %(run)s AND kind = 'time'
         GROUP BY 1, 2) x
 WHERE f.run_id = %(run)s AND f.project_id = x.project_id AND f.month = x.month;
"""

# Early warning input: per project of the run, its invoices of the last year (date, amount of
# its timesheets on it) and its unbilled approved work (oldest date, amount)
PROJECT_HISTORY = """
SELECT l.project_id, m.invoice_date, sum(l.unit_amount * sol.price_unit)
  FROM account_analytic_line l
  JOIN account_move m ON m.id = l.timesheet_invoice_id AND m.state = 'posted'
  JOIN sale_order_line sol ON sol.id = l.so_line
 WHERE l.project_id = ANY(%(projects)s) AND m.invoice_date >= %(today)s - 365
 GROUP BY l.project_id, m.invoice_date
"""
PROJECT_UNBILLED = f"""
SELECT o.project_id, min(o.date), sum({_ODOO_AMOUNT})
  FROM {SCOPE} o
 WHERE o.kind = 'time' AND o.so_line IS NOT NULL AND NOT o.invoiced AND o.approved
 GROUP BY o.project_id
"""

# the lines' currency (a code: the PSA's, or the Odoo record's) as a currency record; lines
# without one (master data) are in the company's currency
LINE_CURRENCIES = """
UPDATE sync_reconcile_line l
   SET currency = COALESCE(NULLIF(l.currency, ''), %(currency)s),
       currency_id = COALESCE(
           (SELECT c.id FROM res_currency c
             WHERE c.name = COALESCE(NULLIF(l.currency, ''), %(currency)s)),
           CASE WHEN l.currency IS NULL OR l.currency = '' THEN %(currency_id)s END)
 WHERE l.run_id = %(run)s
"""
