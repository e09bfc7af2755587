"""What finds a job and follows it: the remote records and customer it is about (stored,
indexed, searched by name_search and the job search's default field), and its webhook events'
state following its outcome."""

from odoo import api, fields, models


class SyncJob(models.Model):
    _inherit = "sync.job"
    # a job is found by its name, the remote records it is about or their customer
    _rec_names_search = ["name", "remote_ref", "partner_name"]

    remote_ref = fields.Char(
        string="Remote records",
        compute="_compute_search_refs",
        store=True,
        index="trigram",
        help="The remote object and ids this job is about (searchable, e.g. a deal id).",
    )
    # a name, not a many2one: a foreign key would make every job write wait for a partner
    # row another transaction holds FOR UPDATE
    partner_name = fields.Char(
        string="Customer",
        compute="_compute_search_refs",
        store=True,
        index="trigram",
        help="The customer of the records this job is about, when Odoo knows it.",
    )

    @api.depends("payload", "res_model", "res_id")
    def _compute_search_refs(self):
        """Stored for the job search: "deals 10003" and the customer of the records it is
        about (found through the bindings; kept when none is found, e.g. a new deal whose
        customer a failure or a handler noted: `_refresh_search_refs`)."""
        for job in self:
            remote_object, ids, res_model, res_ids = job._subject_refs()
            text = " ".join([remote_object or "", *ids[:20]]).strip()
            job.remote_ref = text[:500] or False
            partner = job._customer_of(res_model, res_ids[:1])
            if not partner and len(ids) == 1:
                bindings = (
                    self.env["sync.binding"]
                    .sudo()
                    .search(
                        [
                            ("backend_id", "=", job.backend_id.id),
                            ("external_id", "=", ids[0]),
                            *([("remote_object", "=", remote_object)] if remote_object else []),
                        ],
                        limit=5,
                    )
                )
                # a payload that names no object: its id must name one remote record
                if len(set(bindings.mapped("remote_object"))) == 1:
                    for binding in bindings:
                        partner = job._customer_of(binding.res_model, [binding.res_id])
                        if partner:
                            break
            job.partner_name = partner.name or job.partner_name

    @api.model
    def _customer_of(self, res_model, res_ids):
        """The customer (commercial partner) of a record: the partner itself, else its
        `partner_id` (an order, a project, an invoice...)."""
        if not res_model or res_model not in self.env or not res_ids or not res_ids[0]:
            return self.env["res.partner"]
        record = self.env[res_model].sudo().browse(res_ids[0]).exists()
        if record._name == "res.partner":
            return record.commercial_partner_id
        partner = record["partner_id"] if "partner_id" in record._fields else None
        if partner is not None and partner._name == "res.partner":
            return partner.commercial_partner_id
        return self.env["res.partner"]

    def _refresh_search_refs(self, partner=None):
        """After a handler bound the job's records (or a failure named its customer): the
        customer found now, or the one given."""
        for job in self.sudo():
            if partner:
                job.partner_name = partner.commercial_partner_id.name
            else:
                job._compute_search_refs()

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in ("failed", "pending"):
            self._events_follow_state(vals["state"])
        return result

    def _events_follow_state(self, state):
        """The webhook events of these jobs say what became of them: failed with the job
        (its error as their reason), queued again when it is retried."""
        Event = self.env["sync.event"].sudo()
        if state == "failed":
            for job in self:
                Event.search([("job_id", "=", job.id), ("state", "=", "queued")]).write(
                    {
                        "state": "failed",
                        "reason": self.env._(
                            "Job %(job)s failed: %(error)s", job=job.id, error=job.error or "-"
                        ),
                    }
                )
        else:
            Event.search([("job_id", "in", self.ids), ("state", "=", "failed")]).write(
                {"state": "queued", "reason": False}
            )
