"""Go-live preview: the first pull of a backend's objects rehearsed, nothing written.

"Run preview" reads what the first pull would read (from each object's watermark, none yet on
a first load) and lists per remote record what the pull would do with it: create a record,
bind it to an existing one (which, by which match rule), bind it with several candidates
(ambiguous), overwrite values an Odoo record already has (conflict, with each field's owner)
or refuse it (rejected, with the reason).  The refusals come from the engine's own dry run
(`sync.mapping._apply_page(dry_run=True)`), the match from its own `_match_existing`.

"Go live" applies the decisions taken on the lines (bind to a chosen record, skip) and runs
the real pull of each object, which moves the watermarks.  A record changed remotely between
the preview and the go-live is pulled as it is then.
"""

from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from .sync_backend_pull import _without
from .sync_binding import record_display_name

OUTCOMES = [
    ("create", "Would create"),
    ("match", "Would match"),
    ("ambiguous", "Ambiguous"),
    ("conflict", "Conflicting"),
    ("duplicate", "Suspected duplicate"),
    ("bound", "Already linked"),
    ("rejected", "Rejected"),
    ("deleted", "Deleted remotely"),
    ("unchanged", "Nothing to do"),
]


class SyncGoLivePreview(models.Model):
    _name = "sync.golive.preview"
    _description = "Sync Go-live Preview"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("Go-live preview"))
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    mapping_ids = fields.Many2many(
        "sync.mapping",
        string="Objects",
        domain="[('backend_id', '=', backend_id)]",
        help="The mappings (remote objects) to preview; empty: all of the backend's.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("previewed", "Previewed"), ("live", "Live")],
        default="draft",
        required=True,
    )
    previewed_at = fields.Datetime(readonly=True)
    live_at = fields.Datetime(readonly=True)
    line_ids = fields.One2many("sync.golive.preview.line", "preview_id")
    line_count = fields.Integer(compute="_compute_summary")
    summary = fields.Html(compute="_compute_summary", sanitize=False)
    live_result = fields.Text(readonly=True)
    check_writes = fields.Boolean(
        string="Also try the writes",
        help="Besides the checks of the preview (unreadable records, empty required fields, "
        "unknown references), apply every page in a transaction that is rolled back, to list "
        "the records a database constraint would refuse too.  Slower: as long as a pull.",
    )

    writes_tried = fields.Boolean(
        readonly=True, help="The last run tried the writes (database constraints checked)."
    )

    @api.depends("line_ids.outcome", "line_ids.decision", "writes_tried")
    def _compute_summary(self):
        labels = dict(OUTCOMES)
        for preview in self:
            counts = {}
            for line in preview.line_ids:
                row = counts.setdefault(line.remote_object, dict.fromkeys(labels, 0))
                row[line.outcome] += 1
            head = "".join(f"<th>{label}</th>" for label in labels.values())
            body = "".join(
                f"<tr data-object='{escape(obj)}'><td>{escape(obj)}</td>"
                + "".join(f"<td data-outcome='{k}'>{row[k]}</td>" for k in labels)
                + "</tr>"
                for obj, row in sorted(counts.items())
            )
            preview.line_count = len(preview.line_ids)
            title = self.env._("Object")
            preview.summary = (
                f"<table class='table table-sm'><tr><th>{title}</th>{head}</tr>{body}</table>"
                f"{preview._unchecked_note()}"
                if counts
                else False
            )

    def _unchecked_note(self):
        """What the preview did not check, said on the summary (never "no problem" about
        something not looked at)."""
        if self.writes_tried or not self.line_ids.filtered("mapping_id"):
            return ""
        note = escape(
            self.env._(
                "Checked without writing, for the mapped objects: unique indexes over plain "
                "columns, for the records to create. Not checked: check constraints, unique "
                "indexes with a condition or an expression, and the values written to matched "
                'or linked records. Tick "Also try the writes" to check them all (as slow as '
                "a pull). The objects the connector applies itself were rehearsed with their "
                "writes."
            )
        )
        return f"<p class='text-warning' data-unchecked='constraints'>{note}</p>"

    def _mappings(self):
        self.ensure_one()
        return self.mapping_ids or self.env["sync.mapping"].search(
            [("backend_id", "=", self.backend_id.id)]
        )

    # ------------------------------------------------------------------ preview
    def action_run_preview(self):
        """Read every object as its next pull would and store one line per remote record
        (earlier lines replaced).  Nothing else is written."""
        for preview in self:
            if preview.state == "live":
                raise UserError(self.env._("This preview went live already; make a new one."))
            kept = {
                (ln.mapping_id.id, ln.external_id): (ln.decision, ln.link_res_id)
                for ln in preview.line_ids
                if ln.decision != "default"
            }
            kept.update(
                ((ln.remote_object, ln.external_id), (ln.decision, ln.link_res_id))
                for ln in preview.line_ids
                if ln.decision != "default" and not ln.mapping_id
            )
            preview.line_ids.unlink()
            objects = [(m, preview._preview_object) for m in preview._mappings()]
            objects += [(pull, preview._preview_pull) for pull in preview._connector_pulls()]
            for obj, preview_object in objects:
                vals = preview_object(obj)
                for row in vals:  # the decisions taken on an earlier run stay
                    key = row["mapping_id"] or row["remote_object"]
                    decision = kept.get((key, row["external_id"]))
                    if decision:
                        row["decision"], row["link_res_id"] = decision
                # one INSERT per object, not one ORM create per remote record
                self.env["sync.mapping"]._insert_rows(
                    "sync.golive.preview.line", vals, company=preview.backend_id.company_id
                )
            preview.invalidate_recordset(["line_ids"])
            preview.write(
                {
                    "state": "previewed",
                    "previewed_at": fields.Datetime.now(),
                    "writes_tried": preview.check_writes,
                }
            )
        return True

    def _since(self, mapping):
        """Where the next pull of the mapping's object reads from (the watermark is read,
        never created)."""
        wm = (
            self.env["sync.watermark"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("object_name", "=", mapping.remote_object),
                ],
                limit=1,
            )
        )
        if not wm or not wm.cursor_stamp:
            return None
        return wm.cursor_stamp - timedelta(seconds=wm.lookback_seconds)

    # ------------------------------------------------------------------ go live
    def action_go_live(self):
        """Apply the decisions of the lines, then pull each object for real (which moves its
        watermark).  Records changed remotely since the preview are pulled as they are now."""
        self.ensure_one()
        if self.state != "previewed":
            raise UserError(self.env._("Run the preview first."))
        results = []
        for mapping in self._mappings():
            lines = self.line_ids.filtered(lambda ln, m=mapping: ln.mapping_id == m)
            self._bind_chosen(lines.filtered(lambda ln: ln.decision == "link"))
            skipped = set(lines.filtered(lambda ln: ln.decision == "skip").mapped("external_id"))

            apply_page = _without(lambda page, m=mapping: m._apply_page(page), skipped)
            totals = self.backend_id._pull(mapping.remote_object, apply_page=apply_page)
            results.append(f"{mapping.remote_object}: {totals}")
        results.extend(self._go_live_pulls())
        self.write(
            {"state": "live", "live_at": fields.Datetime.now(), "live_result": "\n".join(results)}
        )
        return True

    def _bind_chosen(self, lines):
        """Bindings to the records chosen on the lines, before the pull: the pull finds them
        bound and updates the chosen record instead of matching or creating."""
        Binding = self.env["sync.binding"].sudo()
        for line in lines:
            if not line.link_res_id or not line.res_model:
                raise UserError(
                    self.env._("Choose the record to link %(ext)s to.", ext=line.external_id)
                )
            taken = Binding.search_count(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("res_model", "=", line.res_model),
                    "|",
                    ("res_id", "=", line.link_res_id),
                    ("external_id", "=", line.external_id),
                ]
            )
            if taken:
                raise UserError(
                    self.env._(
                        "%(ext)s or the record chosen for it is linked already.",
                        ext=line.external_id,
                    )
                )
            Binding.create(
                {
                    "backend_id": self.backend_id.id,
                    "res_model": line.res_model,
                    "res_id": line.link_res_id,
                    "remote_object": line.remote_object,
                    "external_id": line.external_id,
                }
            )


class SyncGoLivePreviewLine(models.Model):
    _name = "sync.golive.preview.line"
    _description = "Sync Go-live Preview Line"
    _order = "preview_id, remote_object, outcome, id"

    preview_id = fields.Many2one(
        "sync.golive.preview", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="preview_id.company_id", store=True)
    mapping_id = fields.Many2one("sync.mapping", ondelete="cascade")
    remote_object = fields.Char(readonly=True)
    external_id = fields.Char(string="Remote id", readonly=True)
    remote_name = fields.Char(string="Remote record", readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    res_model = fields.Char(string="Odoo model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Odoo record id", model_field="res_model", readonly=True
    )
    record_name = fields.Char(string="Odoo record", compute="_compute_record_name")
    match_rule = fields.Char(readonly=True)
    candidates = fields.Char(string="Candidate ids", readonly=True)
    detail = fields.Text(string="Details", readonly=True)
    decision = fields.Selection(
        [("default", "As previewed"), ("link", "Link to chosen record"), ("skip", "Skip")],
        default="default",
        required=True,
    )
    link_res_id = fields.Integer(
        string="Link to record id",
        help="The id of the Odoo record to bind this remote record to (e.g. one of the "
        "candidates of an ambiguous match).",
    )

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for line in self:
            line.record_name = (
                record_display_name(self.env, line.res_model, line.res_id) if line.res_id else ""
            )

    def action_open_record(self):
        self.ensure_one()
        res_id = self.link_res_id or self.res_id
        if not res_id:
            raise UserError(self.env._("No Odoo record for this line."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": res_id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_skip(self):
        self.write({"decision": "skip"})

    def action_link_first_candidate(self):
        """Link an ambiguous line to the record the pull would take (its first candidate),
        made an explicit decision."""
        for line in self:
            first = (line.candidates or "").split(",")[0]
            line.write({"decision": "link", "link_res_id": int(first) if first else line.res_id})
