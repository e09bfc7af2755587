import psycopg2

from odoo import api, fields, models

from ..sqllog import expected_sql_errors


class SyncChannel(models.Model):
    """Capacity and throttle for the jobs of one backend (and optionally one job kind).

    The runner never starts more than `capacity` jobs of a channel at once, starts at most
    `rate_per_second` of them per second, and starts none before `blocked_until` (set from a
    remote's Retry-After), so one slow or rate-limited remote never starves the others.
    """

    _name = "sync.channel"
    _description = "Sync Job Channel"
    _order = "backend_id, kind_code, id"

    name = fields.Char(compute="_compute_name", store=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    kind_code = fields.Char(help="Job kind of this channel; empty = every kind of the backend.")
    capacity = fields.Integer(default=2, required=True)
    rate_per_second = fields.Float(help="Maximum job starts per second; 0 = no throttle.")
    blocked_until = fields.Datetime(help="No job starts before this time (remote rate limit).")
    blocked_reason = fields.Char(help="Why no job starts before the time above.")
    last_start_at = fields.Datetime(readonly=True)
    running_count = fields.Integer(compute="_compute_running_count")

    _backend_kind_uniq = models.UniqueIndex("(backend_id, COALESCE(kind_code, ''))")

    @api.depends("backend_id.name", "kind_code")
    def _compute_name(self):
        for channel in self:
            channel.name = f"{channel.backend_id.name or ''}/{channel.kind_code or '*'}"

    def _compute_running_count(self):
        counts = dict(
            self.env["sync.job"]._read_group(
                [("channel_id", "in", self.ids), ("state", "=", "started")],
                ["channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.running_count = counts.get(channel, 0)

    def _block(self, until, reason):
        """No job starts before `until` (kept when already blocked longer)."""
        for channel in self:
            if not channel.blocked_until or channel.blocked_until < until:
                channel.write({"blocked_until": until, "blocked_reason": reason})

    def _for(self, backend, kind_code):
        """The channel of (backend, kind), else the backend's default channel (created)."""
        channels = self.sudo().search([("backend_id", "=", backend.id)])
        for channel in channels:
            if channel.kind_code == kind_code:
                return channel
        for channel in channels:
            if not channel.kind_code:
                return channel
        try:
            with expected_sql_errors(), self.env.cr.savepoint():
                channel = self.sudo().create(
                    {"backend_id": backend.id, "capacity": backend.channel_capacity}
                )
                self.env.flush_all()
            return channel
        except psycopg2.errors.UniqueViolation:  # created meanwhile by a concurrent enqueue
            return self.sudo().search(
                [("backend_id", "=", backend.id), ("kind_code", "=", False)], limit=1
            )
