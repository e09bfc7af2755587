import ast
import logging

from odoo import api, fields, models

from ..exceptions import SyncError
from .sync_audit import readable_values
from .sync_job import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

# Context key set on every write the sync makes (echo suppression).  Its value says who wrote:
# a tuple of backend ids (`no_export_context`): the change is not sent back to those backends,
# but is to every other backend whose mapping exports it; True: the change is exported nowhere.
NO_EXPORT = "sync_no_export"


def no_export_context(backend, context=None):
    """{NO_EXPORT: origins} for the writes `backend`'s sync makes: never exported back to
    `backend` (nor to the origins `context` already names), exported to the other backends
    that map the model.  A context that suppresses every export keeps doing so."""
    current = suppressed_backends(context or {})
    if current is True:
        return {NO_EXPORT: True}
    return {NO_EXPORT: tuple(sorted(current | set(backend.ids)))}


def suppressed_backends(context):
    """The backends a write under `context` is not exported to: True (none at all), else a
    frozenset of backend ids (empty: export everywhere)."""
    value = context.get(NO_EXPORT)
    if not value:
        return frozenset()
    if value is True:
        return True
    if isinstance(value, int):
        return frozenset((value,))
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(int(v) for v in value)
    return True  # any other truthy value: the old boolean meaning


class SyncMapping(models.Model):
    """Declarative mapping of one remote object to one Odoo model, for one backend.

    Applies pages of remote records in batches (`_apply_page`) and exports Odoo records
    (`_export_records`).  Versioned: any change of its lines freezes a new version.
    """

    _name = "sync.mapping"
    _description = "Sync Mapping"
    _inherit = ["mail.thread"]
    _order = "backend_id, sequence, id"

    name = fields.Char(required=True)
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    active = fields.Boolean(default=True)
    remote_object = fields.Char(
        string="Remote object", required=True, help="Remote object, e.g. companies."
    )
    res_model = fields.Char(string="Odoo model", required=True)
    res_model_id = fields.Many2one(
        "ir.model",
        string="Odoo model ",
        compute="_compute_res_model_id",
        inverse="_inverse_res_model_id",
        domain=[("transient", "=", False)],
        help="The Odoo model the remote object is synchronised with.",
    )
    line_ids = fields.One2many("sync.mapping.line", "mapping_id", copy=True)
    direction = fields.Char(
        compute="_compute_direction", help="Where the fields of this object flow (see its lines)."
    )
    match_ids = fields.One2many("sync.mapping.match", "mapping_id", copy=True)
    sequence = fields.Integer(default=10, aggregator=False)
    version = fields.Integer(default=0, readonly=True, tracking=True, aggregator=False)
    version_ids = fields.One2many(
        "sync.mapping.version", "mapping_id", string="Versions", readonly=True
    )
    default_values = fields.Char(
        string="Values of new records (Python)",
        help="Python-literal dict of values set on records created by the sync, "
        "e.g. {'is_company': True}.",
    )
    default_values_text = fields.Text(
        string="Values of new records",
        compute="_compute_default_values_text",
        help="Values set on the records the sync creates, as the Odoo form names them.",
    )
    delete_policy = fields.Selection(
        [
            ("binding", "Archive the binding only"),
            ("archive", "Archive the Odoo record"),
            ("exception", "Open an exception for a human"),
        ],
        default="binding",
        required=True,
        help="What a record deleted (archived) in the remote system does in Odoo.",
    )
    export_create = fields.Boolean(
        string="Create new records remotely",
        help="Export Odoo records that have no binding yet (creates them remotely).",
    )
    export_domain = fields.Char(
        string="Records to export",
        default="[]",
        help="Python-literal domain of the Odoo records this mapping exports.",
    )

    _backend_object_uniq = models.Constraint(
        "UNIQUE(backend_id, remote_object, res_model)",
        "One mapping per backend, remote object and Odoo model.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings._bump_version()
        return mappings

    def write(self, vals):
        res = super().write(vals)
        if {"default_values", "delete_policy", "res_model", "remote_object"} & set(vals):
            self._bump_version()
        self.env.registry.clear_cache()
        return res

    @api.depends("line_ids.direction")
    def _compute_direction(self):
        labels = {
            "import": self.env._("From the remote"),
            "export": self.env._("To the remote"),
            "both": self.env._("Both ways"),
        }
        for mapping in self:
            found = set(mapping.line_ids.mapped("direction"))
            if "both" in found or {"import", "export"} <= found:
                mapping.direction = labels["both"]
            else:
                mapping.direction = labels.get(next(iter(found), ""), "")

    @api.depends("default_values", "res_model")
    def _compute_default_values_text(self):
        for mapping in self:
            mapping.default_values_text = readable_values(
                self.env, mapping.res_model, mapping.default_values
            )

    @api.depends("res_model")
    def _compute_res_model_id(self):
        for mapping in self:
            mapping.res_model_id = (
                self.env["ir.model"]._get_id(mapping.res_model)
                if mapping.res_model in self.env
                else False
            )

    def _inverse_res_model_id(self):
        for mapping in self:
            if mapping.res_model_id and mapping.res_model != mapping.res_model_id.model:
                mapping.res_model = mapping.res_model_id.model

    def action_preview(self):
        """Dry run on the last record this mapping synced, with the mapping as it is now."""
        self.ensure_one()
        preview = self.env["sync.mapping.preview"]._for_mapping(self)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview: %(name)s", name=self.name),
            "res_model": "sync.mapping.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def _snapshot(self):
        self.ensure_one()
        return {
            "remote_object": self.remote_object,
            "res_model": self.res_model,
            "default_values": self.default_values or False,
            "delete_policy": self.delete_policy,
            "lines": [line._as_dict() for line in self.line_ids],
        }

    def _bump_version(self):
        """Freeze the current definition as a new version (when it differs from the last)."""
        for mapping in self:
            snap = mapping._snapshot()
            # read, not the cached one2many: a version created earlier in this transaction
            # (one form save can change the lines and the header) may be missing or last there
            last = (
                self.env["sync.mapping.version"]
                .sudo()
                .search([("mapping_id", "=", mapping.id)], order="version desc", limit=1)
            )
            if last and last.snapshot == snap:
                continue
            mapping.sudo().version = mapping.version + 1
            self.env["sync.mapping.version"].sudo().create(
                {"mapping_id": mapping.id, "version": mapping.version, "snapshot": snap}
            )
        self.env.registry.clear_cache()

    @api.model
    def _for(self, backend, remote_object):
        mapping = self.search(
            [("backend_id", "=", backend.id), ("remote_object", "=", remote_object)], limit=1
        )
        if not mapping:
            raise SyncError(
                f"no active mapping for '{remote_object}' on backend {backend.name}",
                category="validation",
                pattern=f"no mapping {remote_object}",
            )
        return mapping

    def _lines(self):
        return [line._as_dict() for line in self.line_ids]

    def _defaults(self):
        return ast.literal_eval(self.default_values) if self.default_values else {}

    def _make_import_only(self):
        """A remote object that only comes in (a connector that writes nothing there): no
        outgoing line, lines both ways become imports, no record created remotely."""
        self.line_ids.filtered(lambda line: line.direction == "export").unlink()
        self.line_ids.filtered(lambda line: line.direction == "both").direction = "import"
        self.write({"export_create": False, "export_domain": False})
        return self


def apply_batch_or_each(cr, records, apply, on_error):
    """Apply `records` as one batch under a savepoint; if the batch fails, apply them one by
    one under savepoints, so one bad record costs one `on_error(rec, exc)`, not the page.
    Lock timeouts, serialization failures and deadlocks are not the records' fault: they are
    raised, so the whole job gives way and is retried.

    `apply(records)` and `on_error(rec, exc)` return stats dicts: numbers are added, lists
    extended; failed records are counted as ``failed``.
    """
    try:
        with cr.savepoint():
            return apply(records)
    except CONCURRENCY_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001  fall back to one record at a time
        _logger.info("batch of %s failed (%s): applying one by one", len(records), exc)
    totals = {"failed": 0}
    for rec in records:
        try:
            with cr.savepoint():
                result = apply([rec])
        except CONCURRENCY_ERRORS:
            raise
        except Exception as rec_exc:  # noqa: BLE001  one bad record, one exception
            totals["failed"] += 1
            result = on_error(rec, rec_exc) or {}
        for key, val in result.items():
            if isinstance(val, list):
                totals.setdefault(key, []).extend(val)
            else:
                totals[key] = totals.get(key, 0) + val
    return totals
