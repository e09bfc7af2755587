# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The deal settings moved to the shared quote-to-order workflow (sync_sale): keep their
values."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    for old, new in (
        ("hubspot_confirm_orders", "sale_confirm_orders"),
        ("hubspot_mirror_open_deals", "sale_mirror_open_deals"),
    ):
        if column_exists(cr, "sync_backend", old) and column_exists(cr, "sync_backend", new):
            cr.execute(
                SQL(
                    "UPDATE sync_backend SET %s = %s WHERE kind = 'hubspot'",
                    SQL.identifier(new),
                    SQL.identifier(old),
                )
            )
