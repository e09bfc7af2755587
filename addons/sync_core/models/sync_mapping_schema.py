# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mapping lines the remote said it does not have are left out of the sync."""

from odoo import models


class SyncMapping(models.Model):
    _inherit = "sync.mapping"

    def _lines(self):
        """The lines as the engine applies them: a line whose remote field the remote said it
        does not have (``remote_field_unknown``, found at save or in Preview) is marked, and
        ``mapping.map_inbound`` / ``map_outbound`` skip it: it reads nothing, so it can never
        empty an Odoo field, and sends nothing the remote would refuse."""
        lines = super()._lines()
        for line, record in zip(lines, self.line_ids, strict=True):
            if record.remote_field_unknown:
                line["remote_unknown"] = True
        return lines
