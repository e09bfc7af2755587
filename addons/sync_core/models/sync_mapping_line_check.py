# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mapping lines checked against the remote's fields.

A line naming a remote field the remote's description does not have is shown as unknown
(red on the mapping, flagged in Preview), and saving it warns: a pop-up while editing and a
message on the mapping once saved (the description is read again first, so a field created in
the remote a minute ago is found).  A warning, not a refusal: a field may be created in the
remote after the mapping (custom properties such as a VAT number often are), default mappings
are created as a whole and must not fail on one custom property, and the danger is removed in
the engine itself: a value absent from the remote record is never written
(``mapping.map_inbound``), so an unknown line imports nothing and blanks nothing.  A remote that
cannot be asked (not tested yet, unreachable, an API that does not describe its fields) says
"not checked" and why, never "known"."""

from odoo import api, fields, models

from .. import remote_schema


class SyncMappingLine(models.Model):
    _inherit = "sync.mapping.line"

    remote_field_state = fields.Selection(
        [
            ("known", "Known to the remote"),
            ("unknown", "Unknown to the remote"),
            ("unchecked", "Not checked"),
        ],
        string="Remote field check",
        compute="_compute_remote_field_state",
        help="Whether the remote system describes this field of its object.",
    )
    remote_field_note = fields.Char(
        string="Remote field check note", compute="_compute_remote_field_state"
    )
    # what the last check that could ask the remote found (at save, in Preview): the engine
    # neither reads nor writes a line the remote said it does not have (sync.mapping._lines)
    remote_field_unknown = fields.Boolean(readonly=True, copy=False)

    @api.depends("remote_field", "mapping_id.remote_object", "mapping_id.backend_id")
    def _compute_remote_field_state(self):
        for line, (state, note) in self._remote_field_checks().items():
            line.remote_field_state = state
            line.remote_field_note = note

    def _remote_field_checks(self, refresh=False):
        """{line: (state, note)} for these lines, one schema read per backend and object."""
        out = {}
        for (backend, object_name), lines in self._by_remote_object().items():
            described, reason = backend._remote_fields(object_name)
            if refresh and described is not None:
                if any(not remote_schema.is_known(ln.remote_field, described) for ln in lines):
                    described, reason = backend._remote_fields(object_name, refresh=True)
            for line in lines:
                out[line] = line._remote_field_check(backend, object_name, described, reason)
        for line in self:
            out.setdefault(line, ("unchecked", ""))
        return out

    def _by_remote_object(self):
        groups = {}
        for line in self:
            mapping = line.mapping_id
            if mapping.backend_id and mapping.remote_object and line.remote_field:
                key = (mapping.backend_id, mapping.remote_object)
                groups.setdefault(key, self.browse())
                groups[key] |= line
        return groups

    def _remote_field_check(self, backend, object_name, described, reason):
        if described is None:
            return "unchecked", reason
        if remote_schema.is_known(self.remote_field, described):
            return "known", ""
        hint = remote_schema.closest(self.remote_field, described)
        return "unknown", self.env._(
            "%(backend)s has no field %(field)s on %(object)s%(hint)s.",
            backend=backend.name,
            field=remote_schema.root(self.remote_field),
            object=object_name,
            hint=self.env._(" (did you mean %(name)s?)", name=hint) if hint else "",
        )

    @api.onchange("remote_field")
    def _onchange_remote_field_check(self):
        if not self.remote_field or not self.mapping_id:
            return None
        state, note = self._remote_field_checks(refresh=True).get(self, ("unchecked", ""))
        if state != "unknown":
            return None
        return {"warning": {"title": self.env._("Unknown remote field"), "message": note}}

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._warn_unknown_remote_fields()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if {"remote_field", "mapping_id"} & set(vals):
            self._warn_unknown_remote_fields()
        return res

    def _warn_unknown_remote_fields(self):
        """Say on each mapping which of these lines the remote does not know (see the module);
        returns {line: note} of those lines."""
        checks = self._remote_field_checks(refresh=True)
        self._keep_remote_field_checks(checks)
        unknown = {line: note for line, (state, note) in checks.items() if state == "unknown"}
        for mapping in self.browse([line.id for line in unknown]).mapping_id:
            notes = [note for line, note in unknown.items() if line.mapping_id == mapping]
            mapping.message_post(
                body=self.env._(
                    "Unknown remote field(s) saved: %(notes)s Those lines read nothing and keep "
                    "the Odoo value; correct the name, or create the field in the remote system.",
                    notes=" ".join(notes),
                )
            )
        return unknown

    def _keep_remote_field_checks(self, checks):
        """Store what `checks` ({line: (state, note)}) found where the remote was asked, in
        SQL: a stored flag written through the ORM would freeze a new mapping version."""
        for flag in (True, False):
            ids = [
                line.id
                for line, (state, _note) in checks.items()
                if isinstance(line.id, int) and state == ("unknown" if flag else "known")
            ]
            if ids:
                self.env.cr.execute(
                    "UPDATE sync_mapping_line SET remote_field_unknown = %s WHERE id IN %s",
                    [flag, tuple(ids)],
                )
        self.invalidate_recordset(["remote_field_unknown"])
