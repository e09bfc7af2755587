"""The anomaly rules beyond a person's weekly hours: one SQL statement each, set-based.

Each statistical rule compares the evaluated period with the median and the median absolute
deviation (MAD) of the same subject's previous periods (at most ``%(periods)s`` of them, at
least ``%(min_periods)s``): flagged when it is above the median by more than
``%(threshold)s`` x max(1.4826 x MAD, a floor), so a very regular subject is not flagged for a
trifle. The rows carry what the sentence needs (value, median, MAD, periods compared).
"""

from .sql import APPROVED

_PRICE = "l.unit_amount * sol.price_unit / NULLIF(so.currency_rate, 0)"
_LINES = f"""account_analytic_line l
      JOIN sale_order_line sol ON sol.id = l.so_line
      JOIN sale_order so ON so.id = sol.order_id
     WHERE {APPROVED} AND l.project_id IS NOT NULL
       AND (%(company)s::int IS NULL OR l.company_id = %(company)s)"""


def _baseline(history, key):
    """median, MAD and count per key of a CTE ``history (key, value)``"""
    return f"""base AS (
    SELECT {key}, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median
      FROM {history} GROUP BY {key} HAVING count(*) >= %(min_periods)s
), spread AS (
    SELECT b.{key}, b.n, b.median,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(h.value - b.median)) AS mad
      FROM base b JOIN {history} h ON h.{key} = b.{key}
     GROUP BY b.{key}, b.n, b.median
)"""


# a project's delivered amount of the week (approved time at its price) against its usual
# week, and the weeks its remaining backlog (contracted - delivered so far) lasts at that pace
BURN = f"""
WITH weekly AS (
    SELECT l.project_id, date_trunc('week', l.date)::date AS week, sum({_PRICE}) AS value
      FROM {_LINES}
       AND l.date >= %(week)s::date - 7 * %(periods)s AND l.date < %(week)s::date + 7
     GROUP BY 1, 2
), history AS (
    SELECT project_id, value FROM weekly WHERE week < %(week)s::date
), current AS (
    SELECT project_id, value FROM weekly WHERE week = %(week)s::date AND value > 0
), contracted AS (
    SELECT COALESCE(sol.project_id, so.project_id) AS project_id,
           sum(sol.price_subtotal / NULLIF(so.currency_rate, 0)) AS amount
      FROM sale_order_line sol JOIN sale_order so ON so.id = sol.order_id
     WHERE so.state = 'sale' AND sol.display_type IS NULL AND NOT COALESCE(sol.is_expense, false)
       AND COALESCE(sol.project_id, so.project_id) IN (SELECT project_id FROM current)
     GROUP BY 1
), delivered AS (
    SELECT l.project_id, sum({_PRICE}) AS amount
      FROM {_LINES}
       AND l.date < %(week)s::date + 7 AND l.project_id IN (SELECT project_id FROM current)
     GROUP BY 1
), {_baseline("history", "project_id")}
SELECT c.project_id, c.value, s.median, s.mad, COALESCE(s.n, 0) AS n,
       k.amount - COALESCE(d.amount, 0) AS backlog,
       (k.amount - COALESCE(d.amount, 0)) / c.value AS weeks_left
  FROM current c
  JOIN contracted k ON k.project_id = c.project_id
  LEFT JOIN delivered d ON d.project_id = c.project_id
  LEFT JOIN spread s ON s.project_id = c.project_id
 WHERE (k.amount - COALESCE(d.amount, 0)) / c.value < %(weeks_left)s
    OR c.value - s.median > %(threshold)s * GREATEST(1.4826 * s.mad, %(floor)s * s.median)
"""

# a project's approved billable time not invoiced and older than the billing rule's days at
# the end of the evaluated week (the same WIP as the delivery figures)
WIP_AGE = f"""
SELECT l.project_id, sum({_PRICE}) AS value, min(l.date) AS oldest, count(*) AS lines
  FROM {_LINES}
   AND l.date < %(week)s::date + 7 - %(days)s::int
   AND NOT EXISTS (SELECT 1 FROM account_move m
                    WHERE m.id = l.timesheet_invoice_id AND m.state = 'posted')
 GROUP BY l.project_id
HAVING sum({_PRICE}) > 0
"""

# a customer's days to pay (invoice date to the payment matched to it) of the invoices paid in
# the recent window up to the end of the evaluated week, against their previous invoices
SLOW_PAYMENT = f"""
WITH paid AS (
    SELECT am.id AS move_id, am.commercial_partner_id AS partner_id, am.invoice_date,
           max(apr.max_date) AS paid_on
      FROM account_move am
      JOIN account_move_line rl ON rl.move_id = am.id AND rl.display_type = 'payment_term'
      JOIN account_partial_reconcile apr ON apr.debit_move_id = rl.id
     WHERE am.move_type = 'out_invoice' AND am.state = 'posted'
       AND am.payment_state IN ('paid', 'in_payment')
       AND (%(company)s::int IS NULL OR am.company_id = %(company)s)
     GROUP BY am.id
), days AS (
    SELECT partner_id, move_id, paid_on, (paid_on - invoice_date) AS value,
           paid_on >= %(week)s::date + 7 - %(recent_days)s::int AS recent
      FROM paid WHERE paid_on < %(week)s::date + 7
), recent AS (
    SELECT partner_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS value,
           array_agg(move_id ORDER BY move_id) AS move_ids
      FROM days WHERE recent GROUP BY partner_id
), ranked AS (
    SELECT partner_id, value,
           row_number() OVER (PARTITION BY partner_id ORDER BY paid_on DESC, move_id DESC) AS rn
      FROM days WHERE NOT recent
), history AS (
    SELECT partner_id, value FROM ranked WHERE rn <= %(periods)s
), {_baseline("history", "partner_id")}
SELECT r.partner_id, r.value, s.median, s.mad, s.n, r.move_ids
  FROM recent r JOIN spread s ON s.partner_id = r.partner_id
 WHERE r.value - s.median > %(threshold)s * GREATEST(1.4826 * s.mad, %(floor)s)
"""

# a backend's share of failed jobs (%%) of a day against its previous days with jobs
SYNC_FAILURES = (
    """
WITH daily AS (
    SELECT j.backend_id, COALESCE(j.done_at, j.write_date)::date AS day, count(*) AS jobs,
           100.0 * count(*) FILTER (WHERE j.state = 'failed') / count(*) AS value
      FROM sync_job j
     WHERE j.state IN ('done', 'failed')
       AND COALESCE(j.done_at, j.write_date) >= %(week)s::date - %(periods)s
       AND COALESCE(j.done_at, j.write_date) < %(week)s::date + 1
       AND (%(company)s::int IS NULL OR j.company_id = %(company)s)
     GROUP BY 1, 2
), history AS (
    SELECT backend_id, value FROM daily WHERE day < %(week)s::date
), """
    + _baseline("history", "backend_id")
    + """
SELECT s.backend_id, d.value, s.median, s.mad, s.n, d.jobs
  FROM daily d JOIN spread s ON s.backend_id = d.backend_id
 WHERE d.day = %(week)s::date AND d.jobs >= %(min_jobs)s
   AND d.value - s.median > %(threshold)s * GREATEST(1.4826 * s.mad, %(floor)s)
"""
)
