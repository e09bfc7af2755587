# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Jira projects come in, never go out: the PSA layer's project mapping imports the name and
the customer (the Tempo account's); nothing is created in Jira, no field goes out (the Odoo id
is not written back on a project)."""

from odoo import api, models


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    @api.model
    def _create_default_mappings(self, backends):
        created = super()._create_default_mappings(backends)
        created.filtered(lambda m: m.backend_id.kind == "jira")._make_import_only()
        return created
