# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: open and lost deals mirrored to opportunities (crm.lead)."""

from odoo import fields, models

from odoo.addons.sync_core.hashing import payload_hash

from .sync_backend import _now, quiet


class SyncBackend(models.Model):
    _inherit = "sync.backend"
    sale_stage_ids = fields.One2many(
        "sync.sale.stage",
        "backend_id",
        string="Opportunity stages",
        help="Remote deal stages -> CRM stages of mirrored opportunities. A stage without a "
        "row goes to the CRM stage of the same name, if any.",
    )

    def _sale_mirror_lead(self, deal, binding, job=None):
        """An open or lost deal -> its opportunity (crm.lead), created or updated: it follows
        the deal's stage (a crm stage of that name), a lost deal marks it lost, a reopened
        one restores it; a deleted deal archives it.  The customer is set when the deal's
        company is already imported."""
        self.ensure_one()
        Lead = self.env["crm.lead"].with_context(**quiet(self))
        lead = Lead.with_context(active_test=False).browse(binding.res_id if binding else [])
        lead = lead.exists()
        if deal.archived:
            if lead.active:
                lead.action_archive()
                return f"lead {lead.id} archived"
            return "deleted, no lead"
        digest = payload_hash(deal.header())
        if lead and binding.payload_hash == digest:
            return f"lead {lead.id} identical"
        company = lead.company_id if lead else self._sale_company(deal)
        vals = {
            "name": deal.name or self._sale_title(deal),
            "type": "opportunity",
            "expected_revenue": self._sale_company_amount(deal, company),
            "date_deadline": deal.close_date or False,
        }
        if deal.customer:
            partner = self._sale_bound_partner(deal.customer)
            if partner:
                vals["partner_id"] = partner.id
        stage = self._sale_lead_stage(deal)
        if stage:
            vals["stage_id"] = stage.id
        created = not lead
        if not created:
            before = {k: _jsonable(lead[k]) for k in vals}
            lead.write(dict(vals))  # crm's write adds keys to the dict it is given
            binding.write(
                {
                    "payload_hash": digest,
                    "remote_updated_at": deal.updated_at or False,
                    "last_sync_at": _now(),
                }
            )
            changes = {
                k: [before[k], _jsonable(lead[k])]
                for k in before
                if before[k] != _jsonable(lead[k])
            }
            what = "updated"
        else:
            lead = Lead.create({**vals, "company_id": company.id})
            self._sale_bind(lead, deal, payload=digest)
            self.env.flush_all()
            self._sale_note([lead], deal, self.env._("mirrored as an opportunity"))
            changes, what = {}, "created"
        if deal.lost and lead.active:
            lead.action_set_lost()
            changes["won_status"] = ["pending", "lost"]
            what = "lost"
        elif not deal.lost and not lead.active:
            lead.action_restore()
            changes["won_status"] = ["lost", "pending"]
            what = "restored"
        self._sale_audit(job, deal, lead, "create" if created else "write", changes)
        return f"lead {lead.id} {what}"

    def _sale_lead_stage(self, deal):
        """The CRM stage of a deal's stage: the backend's table, else a stage of that name."""
        key = (deal.stage or "").strip().lower()
        if not key:
            return self.env["crm.stage"]
        row = self.sale_stage_ids.filtered(lambda r: r.remote_stage.strip().lower() == key)
        if row:
            return row[:1].stage_id
        return self.env["crm.stage"].search([("name", "=ilike", deal.stage.strip())], limit=1)


def _jsonable(value):
    if isinstance(value, models.BaseModel):
        return value.id or False
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
