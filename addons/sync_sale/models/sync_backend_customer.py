# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: the customer of a won deal (bound, imported through a mapping, or matched
/ created from the deal's reference)."""

from odoo import models

from odoo.addons.sync_core.exceptions import (
    DuplicateSuspectedError,
    MissingReferenceError,
)

from .sync_backend import _now, quiet


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _sale_customer(self, deal, job=None, adapter=None):
        """The customer of a won deal: the partner bound to its remote company (or person),
        imported through the backend's mapping of that object when not bound yet, or matched
        (VAT, e-mail) / created from the deal's reference when no mapping exists."""
        ref = deal.customer
        if not ref or not ref.external_id:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}) has no associated company: associate "
                f"one in {self._sale_crm_name()}, then retry",
                pattern="won deal without company",
            )
        partner = self._sale_bound_partner(ref)
        if not partner:
            mapping = self.env["sync.mapping"].search(
                [("backend_id", "=", self.id), ("remote_object", "=", ref.remote_object)],
                limit=1,
            )
            if mapping:
                if deal.load_customer:
                    records = deal.load_customer()
                else:
                    adapter = adapter or self._get_adapter()
                    records = adapter.read_batch(ref.remote_object, [ref.external_id])
                mapping._apply_page([r for r in records if not r.get("archived")], job=job)
            elif ref.name or ref.email or ref.vat:
                self._sale_match_or_create_customer(deal, job)
            partner = self._sale_bound_partner(ref)
        if not partner:
            raise MissingReferenceError(
                f"{self._sale_title(deal)}: company {ref.external_id} could not be imported",
                pattern="deal company not imported",
            )
        return partner

    def _sale_bound_partner(self, ref):
        """The partner bound to a deal's customer reference (an archived binding: none)."""
        binding = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, "res.partner", [ref.external_id], ref.remote_object)
            .get(ref.external_id)
        )
        if not binding or not binding.active:
            return self.env["res.partner"]
        return self.env["res.partner"].browse(binding.res_id).exists()

    def _sale_match_or_create_customer(self, deal, job):
        """No mapping imports the customer's object: an existing partner with the same VAT,
        else e-mail, is bound; otherwise one is created from the reference (audited)."""
        ref = deal.customer
        Partner = self.env["res.partner"].with_context(**quiet(self))
        kind = [("is_company", "=", ref.is_company)]
        partner = Partner.browse()
        if ref.vat:
            partner = Partner.search([("vat", "=ilike", ref.vat.strip()), *kind], limit=1)
        if not partner and ref.email:
            partner = Partner.search([("email", "=ilike", ref.email.strip()), *kind], limit=1)
        taken = partner and self.env["sync.binding"].sudo()._for_records(self, partner)
        if taken:
            other = next(iter(taken.values()))
            raise DuplicateSuspectedError(
                f"{self._sale_title(deal)} ({deal.name}): its customer {ref.external_id} "
                f"({ref.name}) matches {partner.display_name}, already bound to "
                f"{other.remote_object} {other.external_id}: merge them in "
                f"{self._sale_crm_name()} or link the right partner, then retry",
                pattern="deal customer matches a partner bound to another record",
                res_model="res.partner",
                res_id=partner.id,
            )
        created = not partner
        if created:
            partner = Partner.create(
                {
                    "name": ref.name or ref.email or ref.vat,
                    "email": ref.email or False,
                    "vat": ref.vat or False,
                    "is_company": ref.is_company,
                }
            )
        old = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, "res.partner", [ref.external_id], ref.remote_object)
            .get(ref.external_id)
        )
        if old:  # archived (deleted remotely, then back)
            old.write({"res_id": partner.id, "active": True, "last_sync_at": _now()})
        else:
            self._sale_bind(
                partner, deal, remote_object=ref.remote_object, external_id=ref.external_id
            )
        if created:
            self._sale_audit(job, deal, partner, "create", external_id=ref.external_id)
        return partner
