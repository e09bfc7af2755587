"""The export path of a mapping: which models and fields are exported to which backends, the
export jobs queued when Odoo records change, and the records sent."""

import ast

from odoo import api, fields, models, tools

from .. import mapping as mapping_logic
from ..exceptions import ValidationSyncError
from ..hashing import payload_hash
from .sync_mapping import suppressed_backends


class SyncMapping(models.Model):
    _inherit = "sync.mapping"

    # ------------------------------------------------------------------ export
    @api.model
    def _export_models(self):
        """Models with an active mapping that exports at least one field."""
        return frozenset(self._export_backends())

    @api.model
    @tools.ormcache()
    def _export_backends(self):
        """{model: frozenset of backend ids}: the backends with an active mapping of the model
        that exports at least one field (cached: the outbox hook reads it on every write)."""
        lines = (
            self.env["sync.mapping.line"]
            .sudo()
            .search(
                [
                    ("direction", "in", ("export", "both")),
                    ("mapping_id.active", "=", True),
                    ("mapping_id.backend_id.active", "=", True),
                ]
            )
        )
        backends = {}
        for mapping in lines.mapping_id:
            backends.setdefault(mapping.res_model, set()).add(mapping.backend_id.id)
        return {model: frozenset(ids) for model, ids in backends.items()}

    def _exported_fields(self):
        return {
            line["odoo_field"] for line in self._lines() if line["direction"] in ("export", "both")
        }

    @api.model
    def _enqueue_exports(self, records, changed_fields=None):
        """Outbox: one pending export job per (mapping, record), in the same transaction as the
        change, so the job exists if and only if the change was committed.  A change written by
        a backend's sync (`no_export_context`) is not exported back to that backend."""
        origins = suppressed_backends(self.env.context)
        if origins is True:
            return
        mappings = self.sudo().search([("res_model", "=", records._name)])
        Job = self.env["sync.job"].sudo()
        for mapping in mappings:
            if mapping.backend_id.id in origins:
                continue
            exported = mapping._exported_fields()
            if changed_fields is not None and not exported & set(changed_fields):
                continue
            targets = records
            if mapping.export_domain and mapping.export_domain.strip() not in ("", "[]"):
                targets = records.filtered_domain(ast.literal_eval(mapping.export_domain))
            if not mapping.export_create:
                bound = self.env["sync.binding"].sudo()._for_records(mapping.backend_id, targets)
                targets = targets.filtered(lambda r, b=bound: r.id in b)
            for record in targets:
                Job._enqueue(
                    mapping.backend_id,
                    "export",
                    payload={"mapping_id": mapping.id, "res_ids": [record.id]},
                    identity_key=f"export:{mapping.id}:{record.id}",
                    batch_key=f"export:{mapping.id}",
                    res_model=record._name,
                    res_id=record.id,
                )

    def _export_records(self, records, job=None):
        """Write the Odoo-owned fields of `records` to the remote in batches; skip records whose
        values were already sent (same hash): a change is never sent twice."""
        self.ensure_one()
        backend = self.backend_id
        lines = self._lines()
        bindings = self.env["sync.binding"].sudo()._for_records(backend, records)
        fnames = sorted(self._exported_fields())
        style = backend._value_style()  # how the remote wants values typed
        items, metas = [], []
        stats = {"sent": 0, "unchanged": 0}
        for row in records.read([*fnames, "write_date"], load=None):
            binding = bindings.get(row["id"])
            out = mapping_logic.map_outbound(
                lines,
                row,
                is_new=not binding,
                remote_updated_at=binding.remote_updated_at if binding else None,
                odoo_updated_at=row["write_date"],
                style=style,
            )
            out_hash = payload_hash(out)
            if not out or (binding and binding.export_hash == out_hash):
                stats["unchanged"] += 1
                continue
            items.append((binding.external_id if binding else None, out))
            metas.append((row["id"], binding, out_hash))
        if not items:
            return stats
        adapter = backend._get_adapter()
        written = adapter.write_batch(self.remote_object, items)
        backend._note_rate_limit(adapter)
        if len(written) != len(items):
            raise ValidationSyncError(
                f"the remote wrote {len(written)} of {len(items)} {self.remote_object}",
                pattern=f"partial write of {self.remote_object}",
            )
        now = fields.Datetime.now()
        for (res_id, binding, out_hash), ext_id in zip(metas, written, strict=True):
            vals = {"export_hash": out_hash, "last_sync_at": now}
            if binding:
                binding.write(vals)
            else:
                self.env["sync.binding"]._bind(
                    backend, self.env[self.res_model].browse(res_id), ext_id, self.remote_object,
                    **vals,
                )  # fmt: skip
            self.env["sync.audit"].sudo().create(
                self._audit_vals(job, {"id": ext_id}, res_id, "export", {})
            )
            stats["sent"] += 1
        return stats
