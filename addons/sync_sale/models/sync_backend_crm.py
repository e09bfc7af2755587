# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order for a CRM connector declared as data: the generic deal jobs (scheduled
pull of deals, re-read of one deal), the deal job of its webhooks, its system role and the
write-back of invoice figures to the fields its backend names.

A connector registers its kind in `CRM_DEALS` (as connectors add their headers to
sync_core's `KEPT_HEADERS`) and keeps only the translation of its records
(`_sale_deal_from_record`) and its adapter; a connector that declares nothing is untouched
(its own job kinds and hooks keep working)::

    CRM_DEALS["acme"] = {
        "object": "opportunities",  # remote object of deals (pulled, bound, re-read)
        "noun": "opportunity",  # what the CRM calls a deal ("Acme opportunity 42")
        "pull_pages": True,  # the pull applies deals page by page (`_sale_pull_deals`)
        # InvoiceFigures attribute -> backend field naming the remote field it goes to
        # (an empty field = not written), on the deal and on the customer's record
        "deal_fields": (("invoice_numbers", "acme_col_invoice_numbers"), ...),
        "party_fields": (("amount_invoiced", "acme_account_col_invoiced"), ...),
        "text_max": 4000,  # the invoice numbers, joined, cut to this length
    }
"""

from odoo import api, models

CRM_DEALS = {}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _sale_crm(self):
        """The declaration of this backend's CRM in `CRM_DEALS`, or None."""
        return CRM_DEALS.get(self.kind)

    def _system_role(self):
        return "crm" if self._sale_crm() else super()._system_role()

    def _sale_title(self, deal):
        crm = self._sale_crm()
        if crm and crm.get("noun"):
            return f"{self._sale_crm_name()} {crm['noun']} {deal.external_id}"
        return super()._sale_title(deal)

    # ------------------------------------------------------------------ deal jobs
    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        for backend in self.search([("kind", "in", list(CRM_DEALS)), ("active", "=", True)]):
            remote_object = backend._sale_crm()["object"]
            if backend._pull_due(remote_object):
                self.env["sync.job"]._enqueue(
                    backend,
                    "sale_pull_deals",
                    payload={"object": remote_object},
                    identity_key=f"pull:{remote_object}",
                )
        return res

    @api.model
    def _job_sale_pull_deals(self, job):
        """Changed (and, when the remote reports them, deleted) deals of a declared CRM."""
        backend = job.backend_id
        crm = backend._sale_crm()
        return backend._sale_pull_deals(job, crm["object"], apply_pages=crm.get("pull_pages"))

    @api.model
    def _job_sale_deal(self, job):
        """Re-read the deals of the payload and apply each one (a declared CRM)."""
        return job.backend_id._sale_deal_job(job, job.backend_id._sale_crm()["object"])

    def _sale_deal_job_kind(self):
        return "sale_deal" if self._sale_crm() else super()._sale_deal_job_kind()

    def _sale_deal_job_values(self, external_id):
        values = super()._sale_deal_job_values(external_id)
        if self._sale_crm():  # the job's name says which record ("opportunities <id>")
            values["payload"]["object"] = self._sale_crm()["object"]
        return values

    def _webhook_job_values(self, event):
        crm = self._sale_crm()
        if crm and event["object_name"] == crm["object"]:
            return self._sale_deal_job_values(event["external_id"])
        return super()._webhook_job_values(event)

    # ------------------------------------------------------------------ write-back
    def _sale_writeback_job(self):
        if (self._sale_crm() or {}).get("deal_fields"):
            return ("sale_writeback", f"{self.kind}:writeback")
        return super()._sale_writeback_job()

    def _sale_writeback_values(self, figures):
        crm = self._sale_crm()
        if crm and "deal_fields" in crm:
            return self._sale_figure_values(crm, crm["deal_fields"], figures)
        return super()._sale_writeback_values(figures)

    def _sale_writeback_party_values(self, figures):
        crm = self._sale_crm()
        if crm and "party_fields" in crm:
            return self._sale_figure_values(crm, crm["party_fields"], figures)
        return super()._sale_writeback_party_values(figures)

    def _sale_figure_values(self, crm, pairs, figures):
        """{remote field: value} of the fields this backend names (an empty one is not
        written): amounts as numbers rounded to cents, the invoice numbers joined."""
        out = {}
        for attribute, field_name in pairs:
            remote_field = (self[field_name] or "").strip()
            value = getattr(figures, attribute)
            if isinstance(value, list | tuple):
                value = ", ".join(value)[: crm.get("text_max")]
            elif isinstance(value, float):
                value = round(value, 2)
            if remote_field:
                out[remote_field] = value
        return out
