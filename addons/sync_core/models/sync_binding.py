from odoo import api, fields, models


class SyncRecordMixin(models.AbstractModel):
    """A sync row that points at one Odoo record by ``res_model`` and ``res_id`` (a binding,
    an exception, an audit row, a reconciliation line): its name, and the action opening it.
    The model declares the two fields and ``record_name`` (computed by
    ``_compute_record_name``) with its own labels."""

    _name = "sync.record.mixin"
    _description = "Sync row pointing at an Odoo record"

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for row in self:
            row.record_name = record_display_name(self.env, row.res_model, row.res_id)

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def _remote_url(self, remote_object, external_id):
        """The remote record's page in its app (the row's ``backend_id``), or False."""
        self.ensure_one()
        if not (remote_object and external_id):
            return False
        return self.backend_id._remote_record_url(remote_object, external_id)


class SyncBinding(models.Model):
    """External id of one Odoo record in one backend.

    Unique per (backend, model, external id) and per (backend, model, record) in PostgreSQL.
    Keeps the remote's last-modified stamp and the hash of the last payload applied, so an
    older or identical update is skipped (and counted as such).
    """

    _name = "sync.binding"
    _description = "Sync Binding (external id)"
    _inherit = ["sync.record.mixin"]
    _order = "backend_id, res_model, id"

    # Three indexes only (each is paid on every binding a pull inserts): the primary key and
    # the two unique ones below, which lead with the selective column so that they also serve
    # the look-ups by remote id and by Odoo record alone.  None of its own on backend_id,
    # res_model (a handful of values) or company_id (the multi-company rule matches most rows).
    backend_id = fields.Many2one("sync.backend", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    res_model = fields.Char(string="Odoo model", required=True)
    res_id = fields.Many2oneReference(string="Odoo record id", model_field="res_model")
    remote_object = fields.Char(
        string="Remote object", help="Remote object type, e.g. companies, contacts."
    )
    external_id = fields.Char(string="Remote id", required=True)
    remote_updated_at = fields.Datetime(
        string="Remote last change", help="Last-modified stamp of the remote record applied."
    )
    payload_hash = fields.Char(help="Hash of the last remote payload applied.")
    export_hash = fields.Char(help="Hash of the last values written to the remote.")
    last_sync_at = fields.Datetime(string="Last synced")
    active = fields.Boolean(default=True, help="Archived when the remote record was deleted.")
    record_name = fields.Char(compute="_compute_record_name")

    # External ids are unique per remote object type (a HubSpot company and contact may share
    # an id even when both are bound to res.partner).
    _external_uniq = models.UniqueIndex(
        "(external_id, backend_id, res_model, COALESCE(remote_object, ''))",
        "This remote record is already bound to an Odoo record.",
    )
    _record_uniq = models.Constraint(
        "UNIQUE(res_id, res_model, backend_id)",
        "This Odoo record is already bound to a remote record of this backend.",
    )

    @api.depends("record_name", "remote_object", "external_id")
    def _compute_display_name(self):
        for binding in self:
            odoo_side = binding.record_name or f"{binding.res_model} {binding.res_id}"
            remote = f"{binding.remote_object} " if binding.remote_object else ""
            binding.display_name = f"{odoo_side} \N{LEFT RIGHT ARROW} {remote}{binding.external_id}"

    def _is_newer_than(self, rec):
        """Did this binding already apply a newer state of the remote record `rec` (engine
        record dict)?  Feeds and batch reads may deliver an older state after a newer one."""
        return bool(
            self
            and self.remote_updated_at
            and rec.get("updated_at")
            and rec["updated_at"] < self.remote_updated_at
        )

    @api.model
    def _for_external_ids(self, backend, res_model, external_ids, remote_object=None):
        """One query for a whole page: {external_id: binding} (archived bindings included)."""
        domain = [
            ("backend_id", "=", backend.id),
            ("res_model", "=", res_model),
            ("external_id", "in", list(external_ids)),
        ]
        if remote_object:
            domain.append(("remote_object", "=", remote_object))
        bindings = self.with_context(active_test=False).search(domain)
        return {b.external_id: b for b in bindings}

    @api.model
    def _for_records(self, backend, records):
        bindings = self.with_context(active_test=False).search(
            [
                ("backend_id", "=", backend.id),
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
            ]
        )
        return {b.res_id: b for b in bindings}

    @api.model
    def _bind_values(self, backend, record, external_id, remote_object=None, **values):
        """Values of the binding of Odoo `record` to the remote record `external_id` (of
        `remote_object`) in `backend`; `values`: other binding fields (hashes, stamps)."""
        return {
            "backend_id": backend.id,
            "res_model": record._name,
            "res_id": record.id,
            "remote_object": remote_object or False,
            "external_id": str(external_id),
            "last_sync_at": fields.Datetime.now(),
            **values,
        }

    @api.model
    def _bind(self, backend, record, external_id, remote_object=None, **values):
        """Bind Odoo `record` to the remote record `external_id` of `backend` (the OCA
        binder's ``bind(external_id, record)``); returns the new binding."""
        return self.sudo().create(
            self._bind_values(backend, record, external_id, remote_object, **values)
        )

    @api.model
    def _of_mapping(self, mapping):
        """The active bindings of `mapping`'s backend between its remote object and its Odoo
        model (the records a full comparison or a delete reconciliation walks)."""
        return self.sudo().search(
            [
                ("backend_id", "=", mapping.backend_id.id),
                ("res_model", "=", mapping.res_model),
                ("remote_object", "=", mapping.remote_object),
                ("active", "=", True),
            ]
        )


def record_display_name(env, res_model, res_id):
    """Name of the record a sync row points at, or False.  Read with sudo: a sync user may see
    that a job touched an invoice without having access to invoices (the name only)."""
    if not res_model or res_model not in env or not res_id:
        return False
    record = env[res_model].sudo().browse(res_id).exists()
    return record.display_name if record else False
