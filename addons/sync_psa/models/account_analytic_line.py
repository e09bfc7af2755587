# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

# Context key of the PSA sync's own writes: the only writer of the locked fields.
PSA_WRITE = "sync_psa_write"
# A PSA create post-processes its new timesheet lines once, grouped (see `create`): while
# hr_timesheet's create runs, its per-line post-processing is deferred (_DEFER); the grouped
# post-processing writes each distinct result once (_GROUPED); the lines' analytic accounts
# are looked up once per project, company and order line (_ACCOUNTS, in the cursor's cache).
_DEFER = "sync_psa_defer_postprocess"
_GROUPED = "sync_psa_grouped_postprocess"
_ACCOUNTS = "sync_psa_timesheet_accounts"
# Fields the PSA owns on a synced timesheet line (field ownership, as connector_jira locks its
# worklogs): users change them in the PSA, never in Odoo.
LOCKED_LINE_FIELDS = frozenset(
    {
        "date",
        "unit_amount",
        "employee_id",
        "user_id",
        "project_id",
        "task_id",
        "name",
        "psa_backend_id",
        "psa_entry_id",
        "psa_approved",
        "psa_bill_rate_cents",
        "psa_cost_rate_cents",
        "psa_currency_id",
    }
)


def check_locked(records, vals, locked, what):
    """Refuse a user's change of PSA-owned fields of synced records (the sync itself passes
    the PSA_WRITE context)."""
    if records.env.context.get(PSA_WRITE):
        return
    touched = sorted(set(vals or ()) & locked)
    synced = records.filtered("psa_backend_id")
    if synced and (touched or vals is None):
        names = ", ".join(synced[:3].mapped("display_name"))
        fields_txt = ", ".join(touched) if touched else records.env._("the record")
        raise UserError(
            records.env._(
                "%(what)s %(names)s come from %(psa)s: %(fields)s can only be changed there.",
                what=what,
                names=names,
                psa=synced[:1].psa_backend_id.name,
                fields=fields_txt,
            )
        )


class AccountAnalyticLine(models.Model):
    """Timesheet lines imported from a PSA: one line per approved PSA time entry."""

    _inherit = "account.analytic.line"

    psa_backend_id = fields.Many2one(
        "sync.backend", string="PSA", index="btree_not_null", readonly=True, copy=False
    )
    psa_entry_id = fields.Char(
        string="PSA time entry", index="btree_not_null", readonly=True, copy=False
    )
    psa_approved = fields.Boolean(
        string="Approved in the PSA",
        readonly=True,
        copy=False,
        help="Cleared when the PSA revoked the approval of an entry that was already invoiced "
        "(the line itself is then left as invoiced, and a finance exception is open).",
    )
    psa_state = fields.Selection(
        [
            ("synced", "In sync"),
            ("changed_after_invoice", "Changed in the PSA after invoicing"),
            ("revoked_after_invoice", "Unapproved in the PSA after invoicing"),
            ("deleted_after_invoice", "Deleted in the PSA after invoicing"),
        ],
        string="PSA status",
        readonly=True,
        copy=False,
    )
    psa_bill_rate_cents = fields.Integer(string="PSA bill rate (cents/hour)", readonly=True)
    psa_cost_rate_cents = fields.Integer(string="PSA cost rate (cents/hour)", readonly=True)
    psa_currency_id = fields.Many2one("res.currency", string="PSA rate currency", readonly=True)

    _psa_entry_uniq = models.UniqueIndex(
        "(psa_backend_id, psa_entry_id) WHERE psa_entry_id IS NOT NULL",
        "This PSA time entry is already imported.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        """A PSA batch (PSA_WRITE): the same lines as a plain create, post-processed once per
        group of lines with the same keys instead of once per line.  hr_timesheet computes
        each new line's amount and writes it with one `write` per line (a month-end burst:
        thousands of writes, each with its recomputes); here the amounts are computed for the
        group and each distinct amount is written once."""
        if not self.env.context.get(PSA_WRITE):
            return super().create(vals_list)
        cache = self.env.cr.cache
        own_memo = _ACCOUNTS not in cache
        cache.setdefault(_ACCOUNTS, {})
        try:
            lines = super(AccountAnalyticLine, self.with_context(**{_DEFER: True})).create(
                vals_list
            )
        finally:
            if own_memo:
                cache.pop(_ACCOUNTS, None)
        lines = lines.with_env(self.env)
        groups = defaultdict(list)
        for line, vals in zip(lines, vals_list, strict=True):
            if line.project_id:  # hr_timesheet post-processes timesheets only
                groups[(frozenset(vals), bool(vals.get("so_line")))].append((line.id, vals))
        for items in groups.values():
            group = self.browse([line_id for line_id, _vals in items])
            group.with_context(**{_GROUPED: True})._timesheet_postprocess(items[0][1])
        return lines

    def _timesheet_postprocess(self, values):
        if self.env.context.get(_DEFER):
            return values  # done by `create` for the whole batch
        return super()._timesheet_postprocess(values)

    def _timesheet_postprocess_values(self, values):
        """Grouped (a PSA batch): each distinct set of values written once, for all the lines
        that get it; nothing left for hr_timesheet's write per line."""
        result = super()._timesheet_postprocess_values(values)
        if not self.env.context.get(_GROUPED):
            return result
        by_values = defaultdict(list)
        try:
            for line_id, line_vals in result.items():
                if line_vals:
                    by_values[tuple(sorted(line_vals.items()))].append(line_id)
        except TypeError:  # values that cannot be grouped: written line by line
            return result
        lines = self.sudo().with_context(**{_GROUPED: False})
        for items, line_ids in by_values.items():
            lines.browse(line_ids).write(dict(items))
        return {line_id: {} for line_id in result}

    def _timesheet_preprocess_get_accounts(self, vals):
        """Memoised for a PSA batch: the accounts depend on the project, the company and the
        order line only (hr_timesheet, sale_timesheet)."""
        memo = self.env.cr.cache.get(_ACCOUNTS) if self.env.context.get(PSA_WRITE) else None
        if memo is None:
            return super()._timesheet_preprocess_get_accounts(vals)
        key = (vals.get("project_id"), vals.get("company_id"), vals.get("so_line"))
        if key not in memo:
            memo[key] = super()._timesheet_preprocess_get_accounts(vals)
        return dict(memo[key])

    def write(self, vals):
        check_locked(self, vals, LOCKED_LINE_FIELDS, self.env._("Timesheet lines"))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_psa_synced(self):
        check_locked(self, None, LOCKED_LINE_FIELDS, self.env._("Timesheet lines"))
