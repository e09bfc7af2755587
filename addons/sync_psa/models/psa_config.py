# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class SyncBackend(models.Model):
    """The PSA layer's settings in a promoted configuration file; the expense product moves
    by its reference (default code) or XML id, never by id."""

    _inherit = "sync.backend"

    @api.model
    def _config_backend_fields(self):
        return (*super()._config_backend_fields(), "psa_event_feed", "psa_expense_product_id")
