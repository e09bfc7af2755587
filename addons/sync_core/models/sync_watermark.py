from odoo import api, fields, models

from ..mapping import parse_datetime

# Namespace of the session-level advisory locks held while a pull of one watermark runs.
PULL_LOCK_NAMESPACE = 0x5C0C


class SyncWatermark(models.Model):
    """How far the pull of one remote object has come, per backend.

    The cursor is the (stamp, id) of the last record applied.  A pull reads from
    (stamp - lookback) so that records committed late on the remote with an older stamp are not
    missed; bindings make the overlap harmless (identical payloads are skipped).  While a pull
    runs it holds an advisory lock on the watermark, so two pulls of one object never overlap.
    """

    _name = "sync.watermark"
    _description = "Sync Watermark (pull cursor)"
    _order = "backend_id, object_name"

    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    object_name = fields.Char(string="Object", required=True, help="Remote object, e.g. companies.")
    cursor_stamp = fields.Datetime(
        string="Pulled up to", help="Remote last-modified stamp of the last record applied."
    )
    cursor_id = fields.Char(
        string="Last remote id", help="Remote id of the last record applied (keyset tie-breaker)."
    )
    lookback_seconds = fields.Integer(string="Look back (s)", default=300, required=True)
    pull_interval = fields.Integer(
        string="Pull every (min)",
        help="Minutes between scheduled pulls of this object; empty: the global interval "
        "(Settings > Sync).  Webhooks and Pull now are not held back.",
    )
    last_run_at = fields.Datetime(string="Last run", readonly=True)
    last_success_at = fields.Datetime(string="Last success", readonly=True)
    last_count = fields.Integer(
        string="Records (last pull)", readonly=True, help="Records read by the last pull."
    )
    last_stats = fields.Text(string="Last pull figures", readonly=True)
    last_error = fields.Text(string="Last error", readonly=True)
    export_state = fields.Json(
        string="Export state",
        readonly=True,
        copy=False,
        help="An unordered export (e.g. a Salesforce Bulk 2.0 query job) applied up to its last "
        "committed page: where the remote export goes on, its pull window and the latest "
        "record applied.  The next pull continues it instead of starting a new one; cleared "
        "when the export completes (the cursor then moves past all its pages).",
    )

    export_progress = fields.Char(
        string="Export in progress",
        compute="_compute_export_progress",
        help="An unordered export whose pages are applied up to here: the next pull goes on "
        "from the page after them; the cursor moves when the export completes.",
    )

    _backend_object_uniq = models.Constraint(
        "UNIQUE(backend_id, object_name)", "One watermark per backend and object."
    )
    _pull_interval_positive = models.Constraint(
        "CHECK(pull_interval IS NULL OR pull_interval >= 0)",
        "The pull interval of an object cannot be negative.",
    )

    @api.depends("export_state")
    def _compute_export_progress(self):
        for wm in self:
            state = wm.export_state or {}
            wm.export_progress = (
                self.env._(
                    "%(pages)s pages applied; the next pull goes on from there",
                    pages=state.get("pages") or 0,
                )
                if state
                else False
            )

    def _advance(self, record):
        """Move the cursor to a record's (stamp, id), never backwards.  True when it moved
        forward (a page read again through the lookback does not move it)."""
        self.ensure_one()
        stamp = record["updated_at"]
        if stamp and (not self.cursor_stamp or stamp >= self.cursor_stamp):
            moved = (stamp, str(record["id"])) != (self.cursor_stamp, self.cursor_id or "")
            self.write({"cursor_stamp": stamp, "cursor_id": record["id"]})
            return moved
        return False

    def _export_to_resume(self, since):
        """The export saved for this pull window (`since`), with its latest applied record as
        ``last`` ({"updated_at", "id"}); None when there is none.  A state saved for another
        window (the cursor or look-back changed) is dropped: that export is not this pull's."""
        self.ensure_one()
        state = self.export_state
        if not state:
            return None
        if not state.get("adapter") or state.get("since") != _stamp_text(since):
            self.export_state = False
            return None
        last = state.get("last")
        return {
            "adapter": state["adapter"],
            "last": last and {"updated_at": parse_datetime(last[0]) or None, "id": last[1]},
            "pages": int(state.get("pages") or 0),
            "best": int(state.get("best") or 0),
        }

    def _save_export(self, adapter_state, since, last, progress):
        """Where the export goes on once this page is committed: the adapter's state (e.g. a
        Bulk query job and the locator of its next result page), the pull window, the latest
        record applied so far and the pages applied; written in the commit of the page."""
        self.ensure_one()
        self.export_state = {
            "adapter": adapter_state,
            "since": _stamp_text(since),
            "last": last and [_stamp_text(last["updated_at"]), str(last["id"])],
            "pages": progress["pages"],
            "best": progress["best"],
        }

    def _try_lock(self):
        """Session-level advisory lock (survives the commits of a long pull)."""
        self.ensure_one()
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [PULL_LOCK_NAMESPACE, self.id])
        return self.env.cr.fetchone()[0]

    def _unlock(self):
        self.ensure_one()
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCK_NAMESPACE, self.id])

    def action_pull_now(self):
        for wm in self:
            wm.backend_id.action_pull(wm.object_name)
        return True

    def action_dry_run(self):
        for wm in self:
            wm.backend_id.action_pull(wm.object_name, dry_run=True)
        return True


def _stamp_text(value):
    return value.isoformat() if value else None
