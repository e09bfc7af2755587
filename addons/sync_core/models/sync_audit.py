import ast

from odoo import api, fields, models

from .sync_binding import record_display_name


class SyncAudit(models.Model):
    """One applied change: who (backend, job, correlation id), what (remote id, Odoo record),
    with which mapping version, and the field-level before/after of the mapped fields."""

    _name = "sync.audit"
    _description = "Sync Audit Entry"
    _inherit = ["sync.record.mixin"]
    _order = "id desc"
    _log_access = False

    # Indexes: every pulled record inserts an audit row, and each btree index costs about a
    # sixth of the row's insert.  Kept: job_id (a job's rows; the foreign key of a job's
    # purge), res_id (a record's history) and date as a BRIN index (rows come in date order:
    # it serves retention and lists by period for almost nothing per row).  Not indexed:
    # backend_id (retention filters by date first; deleting a backend is rare), correlation_id
    # and external_id (searched from the list now and then, never by a batch).
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    job_id = fields.Many2one("sync.job", ondelete="set null", index=True)
    correlation_id = fields.Char()
    # who, when a person's action applied the change (a configuration import or rollback);
    # empty for the jobs' changes, whose who is the job
    user_id = fields.Many2one("res.users", string="By", ondelete="set null")
    mapping_id = fields.Many2one("sync.mapping", ondelete="set null")
    mapping_version = fields.Integer(aggregator=False)
    external_id = fields.Char()
    # no index on res_model: a handful of values, and lookups by record use res_id
    res_model = fields.Char(string="Odoo model")
    res_id = fields.Many2oneReference(string="Odoo record id", model_field="res_model", index=True)
    _date_brin = models.Index("USING brin (date)")

    operation = fields.Selection(
        [
            ("create", "Created"),
            ("write", "Updated"),
            ("delete", "Deleted remotely"),
            ("export", "Exported"),
        ],
        required=True,
    )
    changes = fields.Json(string="Changes (raw)", help="{field: [before, after]}")
    changes_text = fields.Text(string="Changes", compute="_compute_changes_text")
    record_name = fields.Char(string="Record", compute="_compute_record_name")

    @api.depends("operation", "record_name", "external_id")
    def _compute_display_name(self):
        labels = dict(self._fields["operation"].selection)
        for audit in self:
            what = audit.record_name or f"{audit.res_model or ''} {audit.res_id or ''}".strip()
            remote = audit.mapping_id.remote_object or ""
            audit.display_name = (
                f"{labels.get(audit.operation, audit.operation)} {what} "
                f"({f'{remote} ' if remote else ''}{audit.external_id})"
            )

    @api.depends("changes", "res_model")
    def _compute_changes_text(self):
        for audit in self:
            Model = self.env[audit.res_model] if audit.res_model in self.env else None
            lines = []
            for field, (before, after) in sorted((audit.changes or {}).items()):
                spec = Model._fields.get(field) if Model is not None else None
                label = spec._description_string(self.env) if spec else field
                if _is_empty(before, spec) and _is_empty(after, spec):
                    continue  # nothing changed (rows stored before creations skipped them)
                old = _readable_value(self.env, spec, before)
                new = _readable_value(self.env, spec, after)
                lines.append(f"{label}: {old} \N{RIGHTWARDS ARROW} {new}")
            audit.changes_text = "\n".join(lines)


def _is_empty(value, spec):
    return value in (None, False, "", []) and (spec is None or spec.type != "boolean")


def readable_values(env, res_model, text):
    """A Python-literal dict of field values (a mapping's values of new records) as a person
    reads it: "Is a Company: Yes", one field a line, labels and values as Odoo shows them."""
    if not text:
        return ""
    try:
        values = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        values = None
    if not isinstance(values, dict):
        return env._("Not a dict of field values: %(text)s", text=text)
    Model = env[res_model] if res_model in env else None
    lines = []
    for field, value in values.items():
        spec = Model._fields.get(field) if Model is not None else None
        label = spec._description_string(env) if spec else str(field)
        lines.append(f"{label}: {_readable_value(env, spec, value)}")
    return "\n".join(lines)


def _readable_value(env, spec, value):
    """A stored value as a person reads it: the name of a linked record, the label of a
    selection, Yes/No, (empty)."""
    if value in (None, False, "", []) and (spec is None or spec.type != "boolean"):
        return env._("(empty)")
    if spec is None:
        return str(value)
    if spec.type == "many2one" and isinstance(value, int):
        return record_display_name(env, spec.comodel_name, value) or f"#{value}"
    if spec.type in ("many2many", "one2many") and isinstance(value, list):
        ids = [v for v in value if isinstance(v, int)]
        names = env[spec.comodel_name].sudo().browse(ids).exists().mapped("display_name")
        return ", ".join(names) or env._("(empty)")
    if spec.type == "selection":
        selection = spec._description_selection(env)
        return dict(selection).get(value, str(value)) if isinstance(selection, list) else str(value)
    if spec.type == "boolean":
        return env._("Yes") if value else env._("No")
    return str(value)
