from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    """Settings > Sync: defaults every backend and exception starts with, and the schedule."""

    _inherit = "res.config.settings"

    sync_job_retention_days = fields.Integer(
        string="Keep finished jobs (days)",
        config_parameter="sync_core.job_retention_days",
        default=30,
        help="Retention new backends start with; each backend can change its own.",
    )
    sync_exception_user_id = fields.Many2one(
        "res.users",
        string="Assign new exceptions to",
        config_parameter="sync_core.exception_user_id",
        domain=[("share", "=", False)],
        help="e.g. the finance team's lead; empty: new exceptions are unassigned.",
    )
    sync_pull_interval = fields.Integer(
        string="Pull every (minutes)",
        compute="_compute_sync_pull_interval",
        inverse="_inverse_sync_pull_interval",
        help="How often the scheduled batch pulls of every synchronised object start.",
    )

    @api.depends("company_id")
    def _compute_sync_pull_interval(self):
        minutes = self.env["sync.backend"]._global_pull_interval()
        for settings in self:
            settings.sync_pull_interval = minutes

    def _inverse_sync_pull_interval(self):
        cron = self.env.ref("sync_core.ir_cron_sync_schedule_pulls", raise_if_not_found=False)
        for settings in self:
            if cron and settings.sync_pull_interval > 0:
                cron.sudo().write(
                    {"interval_number": settings.sync_pull_interval, "interval_type": "minutes"}
                )

    def action_sync_open_backends(self):
        return self.env["ir.actions.act_window"]._for_xml_id("sync_core.sync_backend_action")
