"""Configuration promotion: a backend's configuration (never its secrets, never its data) as one
versioned, human-diffable JSON document; the diff of such a document against what a database
holds; and applying it, every record found by natural keys (model and field names, codes, XML
ids, product references), never by database ids.

Connector addons add their configuration models by declaring them: override
``sync.backend._config_specs`` and append a ``ConfigSpec``."""

import json
from collections import namedtuple

from odoo import api, models, release

FORMAT = 1
# section: key in the file; model; scope: the field linking a row to its backend (or to the
# parent row for children), None for global models; key: natural key fields; fields: the
# exported fields; children: specs of one2many rows; create/remove: whether an import may add
# or delete rows of this model (job kinds are declared by code: only their settings move).
ConfigSpec = namedtuple(
    "ConfigSpec",
    "section model scope key fields children create remove",
    defaults=((), True, True),
)
SECRET_WORDS = ("token", "secret", "password", "private_key", "api_key", "credential")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    @api.model
    def _config_backend_fields(self):
        """Settings of the backend record a configuration file carries (never credentials,
        never the URL of one system); connector addons append theirs."""
        return ("timeout", "page_size", "channel_capacity", "webhook_window")

    @api.model
    def _config_specs(self):
        """What a configuration file holds; connector addons append their own specs."""
        return [
            ConfigSpec(
                "backend",
                "sync.backend",
                None,
                (),
                tuple(sorted(self._config_backend_fields())),
                create=False,
                remove=False,
            ),
            ConfigSpec(
                "mappings",
                "sync.mapping",
                "backend_id",
                ("remote_object", "res_model"),
                (
                    "name",
                    "active",
                    "sequence",
                    "default_values",
                    "delete_policy",
                    "export_create",
                    "export_domain",
                ),  # fmt: skip
                children=(
                    ConfigSpec(
                        "lines",
                        "sync.mapping.line",
                        "mapping_id",
                        ("remote_field", "odoo_field"),
                        ("sequence", "direction", "owner", "transform", "ref_object"),
                    ),
                    ConfigSpec(
                        "match_rules",
                        "sync.mapping.match",
                        "mapping_id",
                        ("remote_field", "odoo_field", "method"),
                        ("sequence", "extra_domain"),
                    ),
                ),
            ),
            ConfigSpec(
                "channels",
                "sync.channel",
                "backend_id",
                ("kind_code",),
                ("capacity", "rate_per_second"),
            ),  # fmt: skip
            ConfigSpec(
                "schedules",
                "sync.watermark",
                "backend_id",
                ("object_name",),
                ("lookback_seconds", "pull_interval"),
                remove=False,
            ),  # fmt: skip
            ConfigSpec(
                "job_kinds",
                "sync.job.kind",
                None,
                ("code",),
                (
                    "max_attempts",
                    "retry_pattern",
                    "jitter",
                    "priority",
                    "batch_size",
                    "timeout",
                    "retry_window",
                    "lock_timeout",
                    "active",
                ),  # fmt: skip
                create=False,
                remove=False,
            ),
        ]

    # ------------------------------------------------------------------ export
    def _config_export(self):
        """The configuration as a dict (see `_config_dump` for the file)."""
        self.ensure_one()
        doc = {
            "format": FORMAT,
            "odoo_version": release.version,
            "addons": self._config_addon_versions(),
            "backend_kind": self.kind,
        }
        for spec in self._config_specs():
            doc[spec.section] = self._config_rows(spec, self._config_scope_records(spec))
        return doc

    def _config_addon_versions(self):
        modules = (
            self.env["ir.module.module"]
            .sudo()
            .search([("state", "=", "installed"), ("name", "=like", "sync\\_%")])
        )
        return {m.name: m.installed_version or m.latest_version for m in modules}

    def _config_scope_records(self, spec, parent=None):
        Model = self.env[spec.model].sudo().with_context(active_test=False)
        if spec.model == self._name:
            return self
        if parent is not None:
            return parent[_one2many_of(parent, spec)]
        if spec.scope:
            return Model.search([(spec.scope, "=", self.id)])
        return Model.search([("id", "!=", False)])

    def _config_index(self, spec, records):
        """{natural key: record}; the same natural key twice keeps both, in order."""
        index = {}
        for record in records.sorted(
            lambda r: (r.sequence if "sequence" in r._fields else 0, r.id)
        ):
            key = config_key(spec, [self._config_value(record, f) for f in spec.key])
            while key in index:
                key += "+"
            index[key] = record
        return index

    def _config_rows(self, spec, records):
        rows = {}
        for key, record in self._config_index(spec, records).items():
            names = (*spec.key, *spec.fields)
            row = {f: self._config_value(record, f) for f in names if not _is_secret(f)}
            for child in spec.children:
                row[child.section] = self._config_rows(
                    child, self._config_scope_records(child, record)
                )
            rows[key] = row
        return dict(sorted(rows.items()))

    def _config_value(self, record, fname):
        field = record._fields[fname]
        value = record[fname]
        if field.type == "many2one":
            return config_ref(value)
        if field.type == "boolean":
            return bool(value)
        if value is False or value == "":
            return None
        return value

    def _config_dump(self):
        return config_dumps(self._config_export())


def config_dumps(doc):
    """Stable text: sorted keys, two-space indent, one trailing newline (byte-identical for
    the same configuration)."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def config_key(spec, values):
    """The natural key of a row as one readable string: ``companies/res.partner``."""
    if not spec.key:
        return "settings"
    return "/".join(_key_part(v) for v in values)


def _key_part(value):
    if isinstance(value, dict):
        return next(iter(value.values()), "")
    return "" if value is None else str(value)


def _one2many_of(parent, spec):
    for name, field in parent._fields.items():
        if field.type == "one2many" and field.comodel_name == spec.model:
            if field.inverse_name == spec.scope:
                return name
    raise KeyError(f"{parent._name} has no one2many to {spec.model}")


def _is_secret(fname):
    return any(word in fname for word in SECRET_WORDS)


def config_ref(record):
    """A linked record by natural key: its XML id, else its product reference, else its name."""
    if not record:
        return None
    record = record.sudo()
    xmlid = record.get_external_id().get(record.id)
    if xmlid and not xmlid.startswith("__export__"):
        return {"xmlid": xmlid}
    if "default_code" in record._fields and record.default_code:
        return {"default_code": record.default_code}
    return {"name": record.display_name}


def resolve_ref(env, comodel, ref):
    """The record a natural-key reference names, or None (empty recordset: unresolvable)."""
    if not ref:
        return env[comodel]
    Model = env[comodel].sudo().with_context(active_test=False)
    if "xmlid" in ref:
        record = env.ref(ref["xmlid"], raise_if_not_found=False)
        return record if record and record._name == comodel else None
    if "default_code" in ref:
        found = Model.search([("default_code", "=", ref["default_code"])])
    else:
        found = Model.search([(Model._rec_name or "name", "=", ref.get("name"))])
    return found if len(found) == 1 else None


class SyncBackendConfigActions(models.Model):
    _inherit = "sync.backend"

    def action_config_export(self):
        """Download the configuration file."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name} configuration.json",
                "raw": self._config_dump().encode("utf-8"),
                "mimetype": "application/json",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_config_import(self):
        self.ensure_one()
        return self.env["sync.config.import"].create({"backend_id": self.id})._reopen()

    def action_config_snapshots(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sync.config.snapshot",
            "view_mode": "list,form",
            "domain": [("backend_id", "=", self.id)],
            "context": {"default_backend_id": self.id},
            "name": self.env._("Restore points"),
        }
