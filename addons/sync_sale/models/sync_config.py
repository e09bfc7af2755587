# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from odoo.addons.sync_core.models.sync_config import ConfigSpec


class SyncBackend(models.Model):
    """The sales layer's configuration in a promoted configuration file: its backend switches,
    the legal-entity routing (companies by XML id or name) and the stage table (CRM stages by
    XML id or name)."""

    _inherit = "sync.backend"

    @api.model
    def _config_backend_fields(self):
        return (
            *super()._config_backend_fields(),
            "sale_confirm_orders",
            "sale_mirror_open_deals",
            "sale_service_policy",
        )

    @api.model
    def _config_specs(self):
        return [
            *super()._config_specs(),
            ConfigSpec(
                "legal_entities",
                "sync.sale.company",
                "backend_id",
                ("remote_value",),
                ("company_id",),
            ),  # fmt: skip
            ConfigSpec(
                "stage_table", "sync.sale.stage", "backend_id", ("remote_stage",), ("stage_id",)
            ),
        ]
