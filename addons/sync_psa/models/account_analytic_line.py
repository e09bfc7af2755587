# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

# Context key of the PSA sync's own writes: the only writer of the locked fields.
PSA_WRITE = "sync_psa_write"
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

    def write(self, vals):
        check_locked(self, vals, LOCKED_LINE_FIELDS, self.env._("Timesheet lines"))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_psa_synced(self):
        check_locked(self, None, LOCKED_LINE_FIELDS, self.env._("Timesheet lines"))
