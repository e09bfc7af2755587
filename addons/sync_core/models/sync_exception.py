import json

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import CATEGORIES, FIX_KINDS
from .sync_binding import record_display_name


class SyncException(models.Model):
    """One business problem for a finance or ops user to resolve (not one stack trace).

    One problem = one open exception: (backend, category, affected remote record -- or the
    job identity when the error names none --, cause pattern) is its `problem_key`, unique
    among open exceptions (partial unique index).  Seeing the problem again counts an
    occurrence and links the latest job; a later successful run for the same record resolves
    it once.  Exceptions are also grouped by pattern (same backend, category and cause).
    Actions: retry, the fix of its kind (create/choose a missing product, link a record, open
    both sides of a conflict), edit the raw payload then retry (operators), ignore with a
    reason, assign.
    """

    _name = "sync.exception"
    _description = "Sync Exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "sync.record.mixin"]
    _order = "state, last_seen_at desc, id desc"

    name = fields.Char(string="Problem", required=True, tracking=True)
    category = fields.Selection(CATEGORIES, required=True, index=True, tracking=True)
    pattern_key = fields.Char(index=True, readonly=True)
    pattern = fields.Char(readonly=True, help="The cause shared by exceptions of one group.")
    problem_key = fields.Char(
        readonly=True,
        copy=False,
        help="Backend, category, affected record and cause: at most one open exception per "
        "problem.",
    )
    identity_key = fields.Char(
        string="Job identity", readonly=True, help="Identity of the job the problem came from."
    )
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    job_id = fields.Many2one(
        "sync.job", string="Latest job", index=True, ondelete="set null", readonly=True
    )
    event_id = fields.Many2one("sync.event", ondelete="set null", readonly=True)
    mapping_id = fields.Many2one("sync.mapping", ondelete="set null", readonly=True)
    remote_object = fields.Char(string="Remote object", readonly=True)
    external_id = fields.Char(string="Remote id", readonly=True, index=True)
    remote_url = fields.Char(
        string="Remote record", compute="_compute_remote_url", help="The record in the remote app."
    )
    res_model = fields.Char(string="Affected model", readonly=True)
    res_id = fields.Many2oneReference(string="Affected record id", model_field="res_model")
    record_name = fields.Char(compute="_compute_record_name", string="Affected record")
    affected_html = fields.Html(
        string="Affected records", compute="_compute_affected_html", sanitize=False
    )
    affected_record_model = fields.Char(
        string="Kind of the Odoo record",
        compute="_compute_affected_html",
        help="What the problem's own Odoo record is (e.g. Sales Order), when there is one.",
    )
    fix_kind = fields.Selection(FIX_KINDS, readonly=True)
    fix_data = fields.Json(readonly=True)
    fix_missing_key = fields.Char(
        compute="_compute_fix_status", help="First key (e.g. SKU) still without an Odoo record."
    )
    fix_status = fields.Text(string="How to fix", compute="_compute_fix_status")
    fix_can_create = fields.Boolean(
        compute="_compute_fix_status",
        help="The current user may create the missing record (e.g. Products: Create).",
    )
    payload_text = fields.Text(
        string="Raw payload (JSON)",
        help="Technical: the job's input as JSON. Edit only if you know the remote format, "
        "then Retry.",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        tracking=True,
        index=True,
        default=lambda self: self._default_user_id(),
    )
    # not tracked (an empty reason read "None -> ..."): the state change's message says it
    reason = fields.Text(string="Resolution / ignore reason")
    occurrences = fields.Integer(string="Times seen", default=1, readonly=True)
    first_seen_at = fields.Datetime(string="First seen", default=fields.Datetime.now, readonly=True)
    last_seen_at = fields.Datetime(
        string="Last seen", default=fields.Datetime.now, readonly=True, index=True
    )
    technical_detail = fields.Text(readonly=True, groups="sync_core.sync_core_group_manager")

    _problem_open_uniq = models.UniqueIndex(
        "(problem_key) WHERE state = 'open' AND problem_key IS NOT NULL",
        "This problem already has an open exception.",
    )

    @api.depends("backend_id", "remote_object", "external_id")
    def _compute_remote_url(self):
        for exc in self:
            exc.remote_url = exc._remote_url(exc.remote_object, exc.external_id)

    def _affected_rows(self):
        """(label, Odoo model, Odoo id, remote object, remote id) of every affected record:
        the exception's own, then the related remote records of its fix data (their Odoo
        counterpart found through the bindings)."""
        self.ensure_one()
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        rows = [(self.env._("Record"), self.res_model, self.res_id, None, None)]
        if self.external_id:
            res_model, res_id = self.res_model, self.res_id
            if not (res_model and res_id) and self.remote_object:
                # e.g. the deal, once a retry made its order: the record it is bound to now
                binding = self._main_binding(
                    Binding.search(
                        [
                            ("backend_id", "=", self.backend_id.id),
                            ("remote_object", "=", self.remote_object),
                            ("external_id", "=", self.external_id),
                        ],
                        order="active desc, id desc",
                        limit=10,
                    )
                )
                res_model, res_id = binding.res_model, binding.res_id
            rows = [(self.env._("Record"), res_model, res_id, self.remote_object, self.external_id)]
        for item in (self.fix_data or {}).get("related") or []:
            if not isinstance(item, list | tuple) or len(item) < 2:
                continue
            remote_object, external_id = str(item[0]), str(item[1])
            label = str(item[2]) if len(item) > 2 else remote_object
            binding = Binding.search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("remote_object", "=", remote_object),
                    ("external_id", "=", external_id),
                ],
                limit=1,
            )
            rows.append((label, binding.res_model, binding.res_id, remote_object, external_id))
        return rows

    @api.model
    def _main_binding(self, bindings):
        """Of the Odoo records bound to one remote record (active first, newest first), the
        one a problem about it points at; a workflow binding several (e.g. an order and its
        project) says which."""
        return bindings[:1]

    @api.model
    def _default_user_id(self):
        """Settings > Sync: who new exceptions are assigned to (nobody if unset)."""
        value = self.env["ir.config_parameter"].sudo().get_param("sync_core.exception_user_id")
        user = self.env["res.users"].sudo().browse(int(value)).exists() if value else None
        return user.id if user and user.active else False

    @api.depends("res_model", "res_id", "remote_object", "external_id", "fix_data")
    def _compute_affected_html(self):
        for exc in self:
            items = []
            rows = exc._affected_rows()
            for label, model, res_id, remote_object, external_id in rows:
                parts = []
                name = record_display_name(self.env, model, res_id)
                if name:
                    parts.append(
                        Markup('Odoo: <a href="/odoo/%s/%s">%s</a>') % (model, res_id, name)
                    )
                elif remote_object:
                    parts.append(escape(self.env._("Odoo: not imported yet")))
                if remote_object and external_id:
                    url = exc.backend_id._remote_record_url(remote_object, external_id)
                    text = f"{exc.backend_id.name}: {remote_object} {external_id}"
                    parts.append(
                        Markup('<a href="%s" target="_blank" rel="noopener">%s</a>') % (url, text)
                        if url
                        else escape(text)
                    )
                if parts:
                    items.append(
                        Markup("<li><b>%s</b>: %s</li>") % (label, Markup(" &#8212; ").join(parts))
                    )
            exc.affected_html = (
                Markup("<ul class='mb-0'>%s</ul>") % Markup("").join(items) if items else False
            )
            _label, model, res_id, _obj, _ext = rows[0]
            exc.affected_record_model = (
                self.env["ir.model"]._get(model).name if model in self.env and res_id else False
            )

    @api.depends("fix_kind", "fix_data", "state")
    @api.depends_context("uid")
    def _compute_fix_status(self):
        for exc in self:
            exc.fix_missing_key = False
            exc.fix_status = False
            data = exc.fix_data or {}
            model = data.get("model") or "product.product"
            exc.fix_can_create = model in self.env and self.env[model].has_access("create")
            if exc.fix_kind == "missing_product":
                lines = []
                notes = {i.get("key"): i.get("note") for i in data.get("missing") or []}
                for key, record in exc._fix_missing_records():
                    if record:
                        lines.append(
                            self.env._(
                                "%(key)s: now %(name)s, press Retry.",
                                key=key,
                                name=record.display_name,
                            )
                        )
                    else:
                        exc.fix_missing_key = exc.fix_missing_key or key
                        lines.append(
                            self.env._(
                                "%(key)s: no product with this Internal Reference. Create it, "
                                "or choose an existing product for it, then Retry.",
                                key=key,
                            )
                            if exc.fix_can_create
                            else self.env._(
                                "%(key)s: no product with this Internal Reference. Choose an "
                                "existing product for it, or ask someone allowed to create "
                                "products (Products: Create) to create it, then Retry.",
                                key=key,
                            )
                        )
                        if notes.get(key) and exc.fix_can_create:
                            lines.append(f"{key}: {notes[key]}")
                if data.get("hint"):
                    lines.append(data["hint"])
                exc.fix_status = "\n".join(lines)
            elif exc.fix_kind == "missing_record":
                exc.fix_status = self.env._(
                    "Link the remote record to the existing Odoo record it stands for, or create "
                    "that record in Odoo, then Retry."
                )
            elif exc.fix_kind == "conflict":
                exc.fix_status = self.env._(
                    "Both sides disagree: open the Odoo record and the remote record, correct "
                    "the one that is wrong, then Retry or Ignore with a reason."
                )
            elif data.get("hint"):
                exc.fix_status = data["hint"]

    def _fix_missing_records(self):
        """[(key, Odoo record or empty)] for the missing keys of a missing-product fix."""
        self.ensure_one()
        data = self.fix_data or {}
        model, key_field = data.get("model") or "product.product", data.get("key_field")
        if model not in self.env or not key_field:
            return []
        Model = self.env[model].sudo()
        result = []
        for item in data.get("missing") or []:
            key = item.get("key")
            record = Model.search([(key_field, "=", key)], limit=1) if key else Model
            result.append((key, record))
        return result

    @api.constrains("payload_text")
    def _check_payload_text(self):
        for exc in self:
            try:
                json.loads(exc.payload_text or "null")
            except ValueError as err:
                raise ValidationError(
                    self.env._("The raw payload is not valid JSON: %(err)s", err=str(err))
                ) from err
