# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Jira projects come in, never go out: their mapping imports the name and the customer (the
Tempo account's) and nothing is pushed to Jira."""

from odoo import api, models


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    @api.model
    def _create_default_mappings(self, backends):
        """The PSA layer's project mapping, import only for Jira: nothing is created in Jira,
        no field goes out (the Odoo id is not written back on a project)."""
        created = super()._create_default_mappings(backends)
        for mapping in created.filtered(lambda m: m.backend_id.kind == "jira"):
            outgoing = mapping.line_ids.filtered(lambda line: line.direction == "export")
            both = mapping.line_ids.filtered(lambda line: line.direction == "both")
            outgoing.unlink()
            both.write({"direction": "import"})
            mapping.write({"export_create": False, "export_domain": False})
        return created
