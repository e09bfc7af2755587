"""The health dashboard of a backend: what happened (last job run, pull, webhook, connection
test), what is left to do (open exceptions, failed jobs, a late queue) and what never happened
(an object configured but never received), in one colour and its reasons."""

from datetime import timedelta

from odoo import api, fields, models

# Exception categories that say the connection itself fails (health turns red).
TECHNICAL_CATEGORIES = ("authentication", "remote", "rate_limited", "payload")
# kind -> the role of its remote system that an addon below the connectors serves ("psa": sync_psa,
# "hr": sync_hr): a connector adds its kind
KIND_ROLES = {}
# boolean field of sync.backend -> the role it flags (computed by `_compute_role_flags`): the
# addon that serves the role adds its flag
ROLE_FLAGS = {}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # health dashboard
    queue_depth = fields.Integer(string="Queued jobs", compute="_compute_health")
    oldest_pending_minutes = fields.Float(
        string="Oldest queued job (min)", compute="_compute_health"
    )
    failed_24h = fields.Integer(string="Failed jobs (last 24 h)", compute="_compute_health")
    sync_age_hours = fields.Float(
        string="Hours since every object was pulled",
        compute="_compute_health",
        help="Hours since the oldest last successful pull.",
    )
    exception_open_count = fields.Integer(string="Open exceptions", compute="_compute_health")
    exception_summary = fields.Text(string="Open exceptions by category", compute="_compute_health")
    last_test_at = fields.Datetime(string="Last connection test", readonly=True, copy=False)
    last_success_at = fields.Datetime(
        string="Last success at",
        compute="_compute_health",
        help="Last thing that worked: a job run, a pull, a webhook received or a connection "
        "test.",
    )
    last_success_text = fields.Char(string="Last success", compute="_compute_health")
    last_pull_text = fields.Char(string="Last successful pull", compute="_compute_health")
    last_webhook_text = fields.Char(string="Last webhook received", compute="_compute_health")
    health = fields.Selection(
        [("green", "Healthy"), ("amber", "Needs attention"), ("red", "Failing")],
        string="Health",
        compute="_compute_health",
    )
    health_reason = fields.Text(string="Health reason", compute="_compute_health")
    system_role = fields.Selection(
        [("crm", "CRM"), ("psa", "PSA (projects, time, expenses)"), ("other", "Other")],
        string="Role",
        compute="_compute_system_role",
        search="_search_system_role",
        help="What the remote system is for Odoo, as its connector declares it: a CRM (deals "
        "become orders), a PSA (projects, time and expenses to bill, reconciled with Odoo's "
        "invoices), or another system.",
    )

    @api.depends("kind")
    def _compute_system_role(self):
        for backend in self:
            backend.system_role = backend._system_role()

    def _system_role(self):
        """Connector hook: "crm", "psa" or "other" (the default) for this backend's kind."""
        self.ensure_one()
        return "other"

    @api.depends("kind")
    def _compute_role_flags(self):
        """Each flag of `ROLE_FLAGS` (this registry's fields): whether the kind plays its role."""
        flags = [(name, role) for name, role in ROLE_FLAGS.items() if name in self._fields]
        for backend in self:
            for name, role in flags:
                backend[name] = KIND_ROLES.get(backend.kind) == role

    @api.model
    def _role_kinds(self, role):
        """The backend kinds whose connector registered them as `role` (`KIND_ROLES`)."""
        return tuple(kind for kind, played in KIND_ROLES.items() if played == role)

    def _plays(self, role):
        """Whether this backend's kind is registered as `role` (`KIND_ROLES`)."""
        self.ensure_one()
        return KIND_ROLES.get(self.kind) == role

    def _search_system_role(self, operator, value):
        """The role is a property of the kind: the kinds whose connector declares it."""
        if operator not in ("in", "not in"):
            return NotImplemented
        kinds = [
            kind
            for kind, _label in self._fields["kind"].selection
            if self.new({"kind": kind})._system_role() in value
        ]
        return [("kind", operator, kinds)]

    def _compute_health(self):
        """Health from what happened (last job run, pull, webhook, connection test) and what
        is left to do (open exceptions, failed jobs, late queue); resolved or ignored problems
        do not count."""
        now = fields.Datetime.now()
        jobs = self._health_job_figures(now)
        last_event = self._health_last_events()
        exc = self._health_open_exceptions()
        labels = dict(self.env["sync.exception"]._fields["category"].selection)
        for backend in self:
            count, oldest = jobs["pending"].get(backend.id, (0, None))
            backend.queue_depth = count
            backend.oldest_pending_minutes = (
                max((now - oldest).total_seconds(), 0.0) / 60 if oldest else 0.0
            )
            backend.failed_24h = jobs["failed"].get(backend.id, 0)
            stamps = backend.watermark_ids.mapped("last_success_at")
            backend.sync_age_hours = (
                (now - min(stamps)).total_seconds() / 3600 if stamps and all(stamps) else 0.0
            )
            by_cat = exc.get(backend.id, {})
            backend.exception_open_count = sum(by_cat.values())
            backend.exception_summary = "\n".join(
                f"{labels.get(cat, cat)}: {n}" for cat, n in sorted(by_cat.items())
            )
            last_pull = max((s for s in stamps if s), default=None)
            last_webhook = last_event.get(backend.id)
            tested_ok = backend.last_test_at if backend.state == "ok" else None
            successes = [jobs["last_done"].get(backend.id), last_pull, last_webhook, tested_ok]
            backend.last_success_at = max((s for s in successes if s), default=False)
            backend.last_success_text = _ago(self.env, backend.last_success_at, now)
            backend.last_pull_text = _ago(self.env, last_pull, now)
            backend.last_webhook_text = _ago(self.env, last_webhook, now)
            backend.health, backend.health_reason = backend._health(by_cat, stamps, now)

    def _health_job_figures(self, now):
        """{"pending": {id: (count, oldest)}, "failed": {id: count in 24 h}, "last_done":
        {id: last done_at}} of these backends' jobs."""
        Job = self.env["sync.job"].sudo()
        pending = {
            b.id: (count, oldest)
            for b, count, oldest in Job._read_group(
                [("backend_id", "in", self.ids), ("state", "in", ("pending", "started"))],
                ["backend_id"],
                ["__count", "create_date:min"],
            )
        }
        failed = _by_id(
            Job._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("state", "=", "failed"),
                    ("write_date", ">=", now - timedelta(hours=24)),
                ],
                ["backend_id"],
                ["__count"],
            )
        )
        last_done = _by_id(
            Job._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "done"), ("dry_run", "=", False)],
                ["backend_id"],
                ["done_at:max"],
            )
        )
        return {"pending": pending, "failed": failed, "last_done": last_done}

    def _health_last_events(self):
        """{backend id: when its last accepted webhook event arrived}."""
        return _by_id(
            self.env["sync.event"]
            .sudo()
            ._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("state", "in", ("received", "queued", "processed", "ignored")),
                ],
                ["backend_id"],
                ["received_at:max"],
            )
        )

    def _health_open_exceptions(self):
        """{backend id: {category: open exceptions}}."""
        exc = {}
        for b, category, count in (
            self.env["sync.exception"]
            .sudo()
            ._read_group(
                [("backend_id", "in", self.ids), ("state", "=", "open")],
                ["backend_id", "category"],
                ["__count"],
            )
        ):
            exc.setdefault(b.id, {})[category] = count
        return exc

    def _health(self, by_cat, pull_stamps, now):
        """(colour, reason) of one backend from its computed figures."""
        self.ensure_one()
        red, amber = [], []
        if self.state == "error" and (
            not self.last_success_at
            or (self.last_test_at and self.last_success_at <= self.last_test_at)
        ):
            red.append(
                self.env._("Connection test failed: %(msg)s", msg=self.status_message or "?")
            )
        technical = sum(by_cat.get(c, 0) for c in TECHNICAL_CATEGORIES)
        business = sum(by_cat.values()) - technical
        if technical:
            red.append(
                self.env._(
                    "%(n)s technical problem(s) open (connection, remote errors)", n=technical
                )
            )
        if business:
            amber.append(
                self.env._("%(n)s record(s) need attention in the exception queue", n=business)
            )
        if self.failed_24h and not by_cat:
            amber.append(self.env._("%(n)s job(s) failed in the last 24 h", n=self.failed_24h))
        if self.oldest_pending_minutes > 60:
            amber.append(
                self.env._(
                    "The queue is late: a job waits for %(n)s min",
                    n=int(self.oldest_pending_minutes),
                )
            )
        if pull_stamps and not all(pull_stamps):
            amber.append(self.env._("An object was never pulled successfully"))
        elif pull_stamps and (now - min(pull_stamps)) > timedelta(hours=24):
            amber.append(self.env._("No successful pull of every object for 24 h"))
        if not self.last_success_at:
            amber.append(
                self.env._("Nothing synced yet: test the connection or wait for the first pull")
            )
        amber += self._health_nothing_received()
        more_red, more_amber = self._health_more(now)
        red += more_red
        amber += more_amber
        if red:
            return "red", "\n".join(red + amber)
        if amber:
            return "amber", "\n".join(amber)
        return "green", self.env._("Working: last success %(ago)s", ago=self.last_success_text)

    def _health_objects(self):
        """Connector hook: {remote object: label} of the records this backend is configured
        to bring into Odoo (default: its active mappings with a field from the remote)."""
        self.ensure_one()
        return {
            m.remote_object: m.name or m.remote_object
            for m in self.mapping_ids
            if m.active and any(line.direction in ("import", "both") for line in m.line_ids)
        }

    def _health_nothing_received(self):
        """Reasons (amber) for the configured objects of which not one record ever arrived:
        no pull moved their cursor and none of their records is bound.  A pull that ran and
        found nothing is no proof that the sync works."""
        self.ensure_one()
        watermarks = {wm.object_name: wm for wm in self.watermark_ids}
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        never, empty = [], []
        for name, label in sorted(self._health_objects().items()):
            wm = watermarks.get(name)
            if wm and (wm.cursor_stamp or wm.cursor_id):
                continue
            if Binding.search_count(
                [("backend_id", "=", self.id), ("remote_object", "=", name)], limit=1
            ):
                continue
            (empty if wm and wm.last_success_at else never).append(label)
        reasons = []
        if never:
            reasons.append(self.env._("Never pulled: %(objects)s", objects=", ".join(never)))
        if empty:
            reasons.append(
                self.env._(
                    "Pulled, but not one record received yet: %(objects)s",
                    objects=", ".join(empty),
                )
            )
        return reasons

    def _health_more(self, now):
        """Hook of the addons above: ([red reasons], [amber reasons]) of what they watch
        (e.g. a reconciliation that never ran)."""
        self.ensure_one()
        return [], []


def _by_id(groups):
    """{record id: value} of a `_read_group` by one many2one with one aggregate."""
    return {record.id: value for record, value in groups}


def _ago(env, stamp, now):
    """A past moment in words: "never", "just now", "12 min ago", "3 h ago", "2 days ago"."""
    if not stamp:
        return env._("never")
    seconds = max((now - stamp).total_seconds(), 0)
    if seconds < 60:
        return env._("just now")
    if seconds < 3600:
        return env._("%(n)s min ago", n=int(seconds // 60))
    if seconds < 86400 * 2:
        return env._("%(n)s h ago", n=int(seconds // 3600))
    return env._("%(n)s days ago", n=int(seconds // 86400))
