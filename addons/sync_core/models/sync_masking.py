"""Sensitive values masked when the engine stores them.

What is sensitive, two declarations (sync_core declares nothing itself):
- a model: `_sync_sensitive_fields = ("hourly_cost", ...)` (class attribute; `base` has ());
- a backend kind: `_sync_sensitive_keys(self)` -> set of remote payload keys ({"rate", ...}).
A backend masks the union of its keys, the sensitive fields of the models it maps, and the
remote fields its mapping lines feed into those fields.  The tables that keep values (events'
bodies, jobs' payloads, results and errors, audit before/after, exceptions' payloads) inherit
`sync.masked.mixin`, which masks on create and write; the engine's bulk inserts
(`_insert_rows`) and the runner's result update call `_sync_mask_vals` themselves.  Log lines
of the sync addons go through a filter that masks the keys this process has seen declared.
"""

import logging

from odoo import api, fields, models, tools

from .. import masking

# Keys declared sensitive by any backend this process served (the log filter's list).
_LOGGED_KEYS = set()


def _masking_record_factory(previous):
    """Log records of the sync addons are created with their arguments masked (a logger's
    filter would not see the records of its child loggers)."""

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if _LOGGED_KEYS and record.args and record.name.startswith("odoo.addons.sync_"):
            keys = frozenset(_LOGGED_KEYS)
            if isinstance(record.args, dict):  # "%(name)s" formatting
                record.args = masking.mask_data(record.args, keys)[0]
            else:
                record.args = tuple(
                    masking.mask_text(str(a), keys)[0] if isinstance(a, str | dict | list) else a
                    for a in record.args
                )
        return record

    factory.sync_masking = True
    return factory


if not getattr(logging.getLogRecordFactory(), "sync_masking", False):
    logging.setLogRecordFactory(_masking_record_factory(logging.getLogRecordFactory()))


class Base(models.AbstractModel):
    _inherit = "base"

    # Fields whose values the sync engine never stores in clear (audit, payloads, logs).
    _sync_sensitive_fields = ()


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    # bank details: an account number synced is masked in what the engine stores
    _sync_sensitive_fields = ("acc_number",)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    sensitive_keys = fields.Char(
        string="Also mask these keys",
        help="Comma-separated remote keys or Odoo field names whose values are masked in "
        "webhook bodies, job payloads, audit rows, exception payloads and logs, besides those "
        "the connector and the models declare sensitive.",
    )

    def _sync_sensitive_keys(self):
        """Connector hook: remote payload keys whose values are masked wherever the engine
        stores them (e.g. {"rate", "salary"}); a connector returns super() | its keys.
        Default: none besides the backend's own *Also mask these keys*."""
        self.ensure_one()
        return {key.strip() for key in (self.sudo().sensitive_keys or "").split(",") if key.strip()}

    def write(self, vals):
        res = super().write(vals)
        if "sensitive_keys" in vals:
            self.env.registry.clear_cache()  # _sync_mask_keys
        return res

    @tools.ormcache("self.id")
    def _sync_mask_keys(self):
        """Every key masked for this backend (lower case): its sensitive remote keys, the
        sensitive fields of the models it maps, the remote fields mapped onto them."""
        keys = set(self._sync_sensitive_keys())
        for mapping in self.sudo().mapping_ids:
            if mapping.res_model not in self.env:
                continue
            fields = set(getattr(self.env[mapping.res_model], "_sync_sensitive_fields", ()))
            keys |= fields
            keys |= {line.remote_field for line in mapping.line_ids if line.odoo_field in fields}
        keys = masking.normalize(keys)
        _LOGGED_KEYS.update(keys)
        return keys


class SyncMaskedMixin(models.AbstractModel):
    """Masks the sensitive values of its `_sync_masked` fields on create and write."""

    _name = "sync.masked.mixin"
    _description = "Sync: masks sensitive values it stores"

    # {field name: "text" | "data" | "changes"}
    _sync_masked = {}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._sync_mask_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not set(vals) & set(self._sync_masked):
            return super().write(vals)
        for backend, records in self.grouped("backend_id").items():
            masked = dict(vals)
            records._sync_mask_vals(masked, vals.get("backend_id") or backend.id)
            super(SyncMaskedMixin, records).write(masked)
        return True

    @api.model
    def _sync_mask_rows(self, rows, backend_id=None):
        """Mask, in place, the values of many rows (a bulk insert; `backend_id`: the backend
        of the rows that do not name theirs): one look-up of the keys per backend, nothing
        done for a backend without sensitive keys."""
        keys_of = {}
        default_backend = backend_id
        for row in rows:
            backend_id = row.get("backend_id", default_backend)
            if backend_id not in keys_of:
                keys_of[backend_id] = bool(
                    backend_id and self.env["sync.backend"].browse(backend_id)._sync_mask_keys()
                )
            if keys_of[backend_id]:
                self._sync_mask_vals(row, backend_id)

    @api.model
    def _sync_mask_vals(self, vals, backend_id=None):
        """Mask, in place, the sensitive values of one row's `vals` (a dict about to be
        stored); returns how many values were masked."""
        backend_id = backend_id or vals.get("backend_id")
        if not backend_id or not set(vals) & set(self._sync_masked):
            return 0
        keys = self.env["sync.backend"].browse(backend_id)._sync_mask_keys()
        if not keys:
            return 0
        count = 0
        for name, how in self._sync_masked.items():
            if not vals.get(name):
                continue
            if how == "data":
                vals[name], found = masking.mask_data(vals[name], keys)
            elif how == "changes":
                vals[name], found = masking.mask_changes(vals[name], keys)
            else:
                vals[name], found = masking.mask_text(vals[name], keys)
            count += found
        return count


class SyncEvent(models.Model):
    _name = "sync.event"
    _inherit = ["sync.event", "sync.masked.mixin"]
    _sync_masked = {"body": "text"}


class SyncJob(models.Model):
    _name = "sync.job"
    _inherit = ["sync.job", "sync.masked.mixin"]
    _sync_masked = {"payload": "data", "result": "text", "error": "text"}


class SyncAudit(models.Model):
    _name = "sync.audit"
    _inherit = ["sync.audit", "sync.masked.mixin"]
    _sync_masked = {"changes": "changes"}


class SyncException(models.Model):
    _name = "sync.exception"
    _inherit = ["sync.exception", "sync.masked.mixin"]
    _sync_masked = {"payload_text": "text"}
