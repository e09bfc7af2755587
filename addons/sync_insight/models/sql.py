"""The views behind the delivery figures: plain set-based SQL (no per-record Python).

Definitions shared with sync_reconcile (so both tie out on the same records):
- approved time: a timesheet imported from a PSA counts once the PSA approves it
  (``psa_approved``); time booked in Odoo itself counts as approved (Community has no
  timesheet validation);
- delivered time: hours x the price of the sale order line the time is billed on;
- time-off timesheets (written by project_timesheet_holidays for a validated leave or a
  public holiday) are not work: they are left out of hours, delivered and cost;
- invoiced time: time whose ``timesheet_invoice_id`` is a posted invoice; the rest is WIP.

Amounts are in the company currency: sale order amounts are converted with the rate Odoo
stored on the order at its order date (``sale_order.currency_rate``); invoice amounts are the
lines' company-currency balance (converted by Odoo at the invoice date); timesheet cost is the
line's amount (costed in the company currency at the rate in force on the timesheet's date,
by hr_timesheet / sync_hr); an expense's cost is its company-currency total (expense date), its
sale price the re-invoicing order line's (order-date rate) or the product's sales price;
collected amounts are the company-currency amounts of the payments matched to an invoice
(``account_partial_reconcile.amount``, converted by Odoo at the payment's rate), dated by the
match (``max_date``, the later of the invoice and payment dates).

Backlog is the contracted amount not yet delivered as time (re-invoiced expenses are not sold
ahead, so they are not part of it).
"""

# time-off timesheets (project_timesheet_holidays) are leave, counted in capacity, not work
APPROVED = (
    "((l.psa_backend_id IS NULL OR l.psa_approved)"
    " AND l.holiday_id IS NULL AND l.global_leave_id IS NULL)"
)
BILLABLE = "(l.so_line IS NOT NULL AND l.timesheet_invoice_type LIKE 'billable%')"


# per employee and month: calendar hours (attendances of the employee's calendar on each day
# of the month, company-wide public holidays excluded; a two-week calendar counts the mean of
# its two weeks), validated leave hours (a one-day leave its own hours, a longer leave the
# calendar hours of each day it covers), approved timesheet hours.
# ``scope(expr)`` is the SQL condition keeping the months to compute (every row of a month
# depends only on that month's source rows: see sql_dirty.py), "true" for a full build.
def utilization(scope=lambda expr: "true"):
    return f"""
WITH months AS (
    SELECT DISTINCT date_trunc('month', l.date)::date AS month
      FROM account_analytic_line l
     WHERE l.project_id IS NOT NULL AND l.employee_id IS NOT NULL AND {scope("l.date")}
    UNION
    SELECT DISTINCT date_trunc('month', d)::date
      FROM hr_leave lv,
           generate_series(lv.request_date_from, lv.request_date_to, interval '1 day') d
     WHERE lv.state = 'validate' AND {scope("d")}
), emp AS (
    SELECT e.id AS employee_id, e.company_id, v.department_id,
           COALESCE(r.calendar_id, c.resource_calendar_id) AS calendar_id
      FROM hr_employee e
      JOIN resource_resource r ON r.id = e.resource_id
      JOIN res_company c ON c.id = e.company_id
      LEFT JOIN hr_version v ON v.id = e.current_version_id
     WHERE e.active
), cal_day AS (
    SELECT a.calendar_id, a.dayofweek::int AS dow,
           sum(a.duration_hours) / GREATEST(count(DISTINCT a.week_type), 1) AS hours
      FROM resource_calendar_attendance a
     WHERE a.display_type IS NULL AND a.day_period <> 'lunch'
     GROUP BY a.calendar_id, a.dayofweek
), day_hours AS (
    SELECT e.employee_id, d::date AS day, cd.hours
      FROM emp e
      JOIN months m ON true
      JOIN generate_series(m.month, (m.month + interval '1 month' - interval '1 day'),
                           interval '1 day') d ON true
      JOIN cal_day cd ON cd.calendar_id = e.calendar_id
                     AND cd.dow = extract(isodow FROM d)::int - 1
     WHERE NOT EXISTS (
        SELECT 1 FROM resource_calendar_leaves h
         WHERE h.resource_id IS NULL AND h.time_type = 'leave'
           AND (h.calendar_id IS NULL OR h.calendar_id = e.calendar_id)
           AND (h.company_id IS NULL OR h.company_id = e.company_id)
           AND d::date BETWEEN h.date_from::date AND h.date_to::date)
), work AS (
    SELECT employee_id, date_trunc('month', day)::date AS month, sum(hours) AS hours
      FROM day_hours GROUP BY 1, 2
), leave AS (
    SELECT lv.employee_id, date_trunc('month', dh.day)::date AS month,
           sum(CASE WHEN lv.request_date_from = lv.request_date_to
                    THEN LEAST(lv.number_of_hours, dh.hours) ELSE dh.hours END) AS hours
      FROM hr_leave lv
      JOIN day_hours dh ON dh.employee_id = lv.employee_id
                       AND dh.day BETWEEN lv.request_date_from AND lv.request_date_to
     WHERE lv.state = 'validate'
     GROUP BY 1, 2
), time AS (
    SELECT l.employee_id, date_trunc('month', l.date)::date AS month,
           sum(l.unit_amount) FILTER (WHERE {BILLABLE}) AS billable,
           sum(l.unit_amount) FILTER (WHERE NOT {BILLABLE}) AS non_billable,
           sum(l.unit_amount) AS total
      FROM account_analytic_line l
     WHERE l.project_id IS NOT NULL AND l.employee_id IS NOT NULL AND {APPROVED}
       AND {scope("l.date")}
     GROUP BY 1, 2
), rows AS (
    SELECT e.employee_id, e.company_id, e.department_id, k.month,
           COALESCE(w.hours, 0) AS calendar_hours, COALESCE(lv.hours, 0) AS leave_hours,
           COALESCE(t.billable, 0) AS billable_hours,
           COALESCE(t.non_billable, 0) AS non_billable_hours, COALESCE(t.total, 0) AS total_hours
      FROM emp e
      JOIN (SELECT employee_id, month FROM work UNION SELECT employee_id, month FROM time) k
        ON k.employee_id = e.employee_id
      LEFT JOIN work w ON w.employee_id = k.employee_id AND w.month = k.month
      LEFT JOIN leave lv ON lv.employee_id = k.employee_id AND lv.month = k.month
      LEFT JOIN time t ON t.employee_id = k.employee_id AND t.month = k.month
)
SELECT r.employee_id, r.company_id, r.department_id, r.month, r.calendar_hours, r.leave_hours,
       r.calendar_hours - r.leave_hours AS capacity_hours, r.billable_hours,
       r.non_billable_hours, r.total_hours,
       CASE WHEN r.calendar_hours - r.leave_hours > 0
            THEN 100.0 * r.billable_hours / (r.calendar_hours - r.leave_hours) END AS utilization
  FROM rows r
"""


_TIME_PRICE = "l.unit_amount * sol.price_unit / NULLIF(so.currency_rate, 0)"
_UNBILLED = "(l.so_line IS NOT NULL AND (m.id IS NULL OR m.state <> 'posted'))"
_AGE = "(CURRENT_DATE - l.date)"
_ZERO_WIP = "0, 0, 0, 0, 0, 0"
# an approved expense re-invoiced to a customer, at its sale price: the re-invoicing order
# line's price once posted, else the product's sales price ("sales price" policy), else its cost
_EXPENSE_PRICE = """CASE WHEN esol.id IS NOT NULL
    THEN e.quantity * esol.price_unit / NULLIF(so.currency_rate, 0)
    WHEN pt.expense_policy = 'sales_price' THEN e.quantity * pt.list_price
    ELSE e.total_amount END"""
_EXPENSE_UNBILLED = (
    "(1 - LEAST(COALESCE(esol.qty_invoiced, 0), e.quantity) / NULLIF(e.quantity, 0))"
)


def _sold_and_delivered(scope):
    """Delivery facts: contracted order lines, approved time."""
    return f"""
    -- contracted: confirmed order lines (expense re-invoicing lines aside), order-date rate
    SELECT so.company_id, COALESCE(sol.project_id, so.project_id), so.partner_id, so.team_id,
           date_trunc('month', so.date_order)::date,
           sol.price_subtotal / NULLIF(so.currency_rate, 0), 0, 0, 0, 0, 0, {_ZERO_WIP}, 0, 0, 0
      FROM sale_order_line sol JOIN sale_order so ON so.id = sol.order_id
     WHERE so.state = 'sale' AND sol.display_type IS NULL AND NOT COALESCE(sol.is_expense, false)
       AND {scope("so.date_order")}
    UNION ALL
    -- approved time: delivered at the order line's price, its cost, invoiced or WIP by age
    SELECT l.company_id, l.project_id, COALESCE(p.partner_id, so.partner_id), so.team_id,
           date_trunc('month', l.date)::date, 0,
           COALESCE({_TIME_PRICE}, 0), 0, 0,
           CASE WHEN m.state = 'posted' THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END, 0,
           CASE WHEN {_UNBILLED} THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END,
           CASE WHEN {_UNBILLED} AND {_AGE} <= 30 THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END,
           CASE WHEN {_UNBILLED} AND {_AGE} BETWEEN 31 AND 60
                THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END,
           CASE WHEN {_UNBILLED} AND {_AGE} BETWEEN 61 AND 90
                THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END,
           CASE WHEN {_UNBILLED} AND {_AGE} > 90 THEN COALESCE({_TIME_PRICE}, 0) ELSE 0 END, 0,
           -l.amount, l.unit_amount,
           CASE WHEN {BILLABLE} THEN l.unit_amount ELSE 0 END
      FROM account_analytic_line l
      JOIN project_project p ON p.id = l.project_id
      LEFT JOIN sale_order_line sol ON sol.id = l.so_line
      LEFT JOIN sale_order so ON so.id = sol.order_id
      LEFT JOIN account_move m ON m.id = l.timesheet_invoice_id
     WHERE {APPROVED} AND {scope("l.date")}
"""


def _expensed_and_billed(scope):
    """Delivery facts: re-invoiced expenses, invoices, payments matched to them."""
    return f"""
    -- re-invoiced expenses, approved or further on: delivered at their sale price, WIP until
    -- their re-invoicing line is invoiced, cost = the expense (company currency, expense date)
    SELECT e.company_id, so.project_id, so.partner_id, so.team_id,
           date_trunc('month', e.date)::date, 0, 0, {_EXPENSE_PRICE}, 0, 0, 0,
           0, 0, 0, 0, 0, ({_EXPENSE_PRICE}) * {_EXPENSE_UNBILLED}, e.total_amount, 0, 0
      FROM hr_expense e
      JOIN sale_order so ON so.id = e.sale_order_id
      JOIN product_product pp ON pp.id = e.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id
      LEFT JOIN sale_order_line esol ON esol.id = e.sale_order_line_id
     WHERE e.state IN ('approved', 'posted', 'in_payment', 'paid') AND {scope("e.date")}
    UNION ALL
    -- invoiced: posted customer invoices and credit notes of sale order lines
    SELECT aml.company_id, COALESCE(sol.project_id, so.project_id), so.partner_id, so.team_id,
           date_trunc('month', am.invoice_date)::date, 0, 0, 0, -aml.balance, 0, 0,
           {_ZERO_WIP}, 0, 0, 0
      FROM sale_order_line_invoice_rel rel
      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
      JOIN account_move am ON am.id = aml.move_id
      JOIN sale_order_line sol ON sol.id = rel.order_line_id
      JOIN sale_order so ON so.id = sol.order_id
     WHERE am.state = 'posted' AND am.move_type IN ('out_invoice', 'out_refund')
       AND {scope("am.invoice_date")}
    UNION ALL
    -- collected: payments (or bank statement lines) matched to a posted customer invoice, in
    -- the month of the match; each invoice line gets its untaxed share of the matched amount
    -- (the partial's company-currency amount: the rate of the payment, or the invoice's)
    SELECT aml.company_id, COALESCE(sol.project_id, so.project_id), so.partner_id, so.team_id,
           date_trunc('month', apr.max_date)::date, 0, 0, 0, 0, 0,
           -aml.balance * apr.amount / NULLIF(am.amount_total_signed, 0),
           {_ZERO_WIP}, 0, 0, 0
      FROM sale_order_line_invoice_rel rel
      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
      JOIN account_move am ON am.id = aml.move_id
      JOIN sale_order_line sol ON sol.id = rel.order_line_id
      JOIN sale_order so ON so.id = sol.order_id
      JOIN account_move_line rl ON rl.move_id = am.id AND rl.display_type = 'payment_term'
      JOIN account_partial_reconcile apr ON apr.debit_move_id = rl.id
      JOIN account_move_line pl ON pl.id = apr.credit_move_id
      JOIN account_move pm ON pm.id = pl.move_id
     WHERE am.state = 'posted' AND am.move_type = 'out_invoice'
       AND (pm.origin_payment_id IS NOT NULL OR pm.statement_line_id IS NOT NULL)
       AND {scope("apr.max_date")}
"""


# per company, project, customer, sales team and month: one fact row per source, summed (the
# months kept by ``scope``, as for utilization)
def delivery(scope=lambda expr: "true"):
    return f"""
WITH facts (company_id, project_id, partner_id, team_id, month, contracted, delivered_time,
            delivered_expense, invoiced, invoiced_time, collected, wip, wip_0_30, wip_31_60,
            wip_61_90, wip_90_plus, wip_expense, cost, hours, billable_hours) AS (
{_sold_and_delivered(scope)}
    UNION ALL
{_expensed_and_billed(scope)}
)
SELECT company_id, project_id, partner_id, team_id, month,
       sum(contracted) AS contracted,
       sum(delivered_time) AS delivered_time, sum(delivered_expense) AS delivered_expense,
       sum(delivered_time + delivered_expense) AS delivered,
       sum(invoiced) AS invoiced, sum(invoiced_time) AS invoiced_time,
       sum(collected) AS collected,
       sum(wip) AS wip, sum(wip_0_30) AS wip_0_30, sum(wip_31_60) AS wip_31_60,
       sum(wip_61_90) AS wip_61_90, sum(wip_90_plus) AS wip_90_plus,
       sum(wip_expense) AS wip_expense, sum(wip + wip_expense) AS wip_total,
       sum(contracted - delivered_time) AS backlog,
       sum(cost) AS cost, sum(delivered_time + delivered_expense - cost) AS margin,
       CASE WHEN sum(delivered_time + delivered_expense) <> 0
            THEN 100.0 * sum(delivered_time + delivered_expense - cost)
                 / sum(delivered_time + delivered_expense) END AS margin_pct,
       sum(hours) AS hours, sum(billable_hours) AS billable_hours
  FROM facts
 GROUP BY company_id, project_id, partner_id, team_id, month
"""


# open opportunities by stage and expected close month, weighted by their probability (the
# stage's, or the one set on the opportunity), next to the backlog of confirmed orders
PIPELINE = """
SELECT row_number() OVER (ORDER BY kind, company_id, month, stage_id, partner_id) AS id, *
  FROM (
    SELECT 'pipeline'::varchar AS kind, o.company_id, o.stage_id, o.team_id, o.user_id,
           o.partner_id, date_trunc('month', o.date_deadline)::date AS month,
           count(*) AS opportunity_count, sum(o.expected_revenue) AS amount,
           sum(o.expected_revenue * o.probability / 100.0) AS weighted
      FROM crm_lead o
     WHERE o.type = 'opportunity' AND o.active AND o.won_status = 'pending'
     GROUP BY o.company_id, o.stage_id, o.team_id, o.user_id, o.partner_id, 7
    UNION ALL
    SELECT 'backlog', d.company_id, NULL, NULL, NULL, d.partner_id, d.month, 0,
           sum(d.backlog), sum(d.backlog)
      FROM sync_insight_delivery d
     GROUP BY d.company_id, d.partner_id, d.month
  ) x
"""

# a person's approved hours per week: the evaluated week against the median and median
# absolute deviation (MAD) of their previous weeks with time (at most %(weeks)s of them)
WEEKLY_HOURS_OUTLIERS = f"""
WITH weekly AS (
    SELECT l.employee_id, date_trunc('week', l.date)::date AS week, sum(l.unit_amount) AS hours
      FROM account_analytic_line l
     WHERE l.project_id IS NOT NULL AND l.employee_id IS NOT NULL AND {APPROVED}
       AND l.date >= %(week)s::date - 7 * %(weeks)s AND l.date < %(week)s::date + 7
       AND (%(company)s::int IS NULL OR l.company_id = %(company)s)
     GROUP BY 1, 2
), history AS (
    SELECT employee_id, hours FROM weekly WHERE week < %(week)s::date
), base AS (
    SELECT employee_id, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median
      FROM history GROUP BY employee_id HAVING count(*) >= %(min_weeks)s
), spread AS (
    SELECT b.employee_id, b.n, b.median,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.hours - b.median)) AS mad
      FROM base b JOIN history h ON h.employee_id = b.employee_id
     GROUP BY b.employee_id, b.n, b.median
)
SELECT s.employee_id, w.hours, s.median, s.mad, s.n
  FROM spread s JOIN weekly w ON w.employee_id = s.employee_id AND w.week = %(week)s::date
 WHERE abs(w.hours - s.median) > %(threshold)s * GREATEST(1.4826 * s.mad, %(floor)s)
"""

# the dashboard's cards, one row per company and card: utilization of the last complete month,
# WIP (time and expenses) and backlog to date, margin % of the last 12 complete months, the
# weighted open pipeline and the anomalies with an open activity
CARDS = """
WITH last_month AS (
    SELECT (date_trunc('month', CURRENT_DATE) - interval '1 month')::date AS month
), util AS (
    SELECT u.company_id, 100.0 * sum(u.billable_hours) / NULLIF(sum(u.capacity_hours), 0) AS v
      FROM sync_insight_utilization u JOIN last_month lm ON u.month = lm.month
     GROUP BY 1
), dlv AS (
    SELECT d.company_id, sum(d.wip_total) AS wip, sum(d.backlog) AS backlog,
           100.0 * sum(d.margin) FILTER (WHERE d.month > lm.month - interval '12 months'
                                           AND d.month <= lm.month)
           / NULLIF(sum(d.delivered) FILTER (WHERE d.month > lm.month - interval '12 months'
                                               AND d.month <= lm.month), 0) AS margin
      FROM sync_insight_delivery d, last_month lm
     GROUP BY 1
), pipe AS (
    SELECT o.company_id, sum(o.expected_revenue * o.probability / 100.0) AS v
      FROM crm_lead o
     WHERE o.type = 'opportunity' AND o.active AND o.won_status = 'pending'
     GROUP BY 1
), anom AS (
    SELECT a.company_id, count(*) AS v
      FROM sync_insight_anomaly a
     WHERE EXISTS (SELECT 1 FROM mail_activity ma
                    WHERE ma.res_model = 'sync.insight.anomaly' AND ma.res_id = a.id)
     GROUP BY 1
)
SELECT x.*, x.value IS NOT NULL AS has_value
  FROM (
SELECT row_number() OVER (ORDER BY c.id, k.sequence) AS id, c.id AS company_id, k.card,
       k.sequence,
       CASE k.card WHEN 'utilization' THEN util.v WHEN 'wip' THEN dlv.wip
                   WHEN 'backlog' THEN dlv.backlog WHEN 'margin' THEN dlv.margin
                   WHEN 'pipeline' THEN pipe.v ELSE COALESCE(anom.v, 0) END AS value
  FROM res_company c
 CROSS JOIN (VALUES ('utilization', 1), ('wip', 2), ('backlog', 3), ('margin', 4),
                    ('pipeline', 5), ('anomalies', 6)) AS k (card, sequence)
  LEFT JOIN util ON util.company_id = c.id
  LEFT JOIN dlv ON dlv.company_id = c.id
  LEFT JOIN pipe ON pipe.company_id = c.id
  LEFT JOIN anom ON anom.company_id = c.id
  ) x
"""
