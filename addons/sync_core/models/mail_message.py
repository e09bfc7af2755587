"""Chatter written by the sync: messages (and their tracking values) created while a sync job
runs are marked, so that "forget this person" can find and mask the sync's own traces in a
person's chatter without touching what people wrote.  The runner runs every job's handler with
`sync_job_id` in the context (`sync.job._perform`)."""

from odoo import api, fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    sync_job_id = fields.Many2one(
        "sync.job",
        string="Written by sync job",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        copy=False,
    )
    sync_written = fields.Boolean(
        string="Written by the sync",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="Posted, or tracked, while a sync job ran (kept when the job is purged).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        job_id = self.env.context.get("sync_job_id")
        if job_id:
            for vals in vals_list:
                vals.setdefault("sync_job_id", job_id)
                vals.setdefault("sync_written", True)
        return super().create(vals_list)
