# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The fields a remote object has, as the remote describes them (cached per backend and
object), for checking mapping lines; how the remote wants values typed."""

from odoo import models

from .. import remote_schema
from ..exceptions import SyncError


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _remote_fields(self, object_name, refresh=False):
        """(fields, reason): the remote's fields of `object_name` ({name: {"type", "label"}}),
        or None and why they were not checked (connection not tested, remote unreachable, an
        API that does not describe its fields).  Only a backend whose connection test passed
        is asked: a backend being set up is never called while its mappings are saved."""
        self.ensure_one()
        if self.state != "ok":
            return None, self.env._(
                "not checked: the connection of %(backend)s has not passed its test yet",
                backend=self.name,
            )
        key = (self.env.cr.dbname, self.id, self.base_url or "", object_name)
        fields, error = remote_schema.cached_fields(
            key, lambda: self._get_adapter().remote_fields(object_name), refresh=refresh
        )
        if error is not None:
            reason = error.message if isinstance(error, SyncError) else str(error)
            return None, self.env._(
                "not checked: %(backend)s could not be asked for the fields of %(object)s "
                "(%(reason)s)",
                backend=self.name,
                object=object_name,
                reason=reason[:200],
            )
        if fields is None:
            return None, self.env._(
                "not checked: %(backend)s does not describe the fields of %(object)s",
                backend=self.name,
                object=object_name,
            )
        return fields, ""

    def _mapped_remote_fields(self):
        """{remote object: [remote field names its mapping lines and match rules read]} of
        this backend: what a connector that selects columns asks its remote for."""
        names = {}
        for mapping in self.env["sync.mapping"].sudo().search([("backend_id", "=", self.id)]):
            wanted = names.setdefault(mapping.remote_object, [])
            wanted.extend(line.remote_field for line in mapping.line_ids)
            wanted.extend(match.remote_field for match in mapping.match_ids)
        return names

    def _value_style(self):
        """How the remote wants outbound values typed (``mapping.VALUE_STYLES``): "json"
        (numbers as numbers, booleans as booleans, empty as null) unless the connector says
        otherwise; sync_core's own generic REST protocol carries every value as a string."""
        self.ensure_one()
        return "text" if self.kind == "generic" else "json"
