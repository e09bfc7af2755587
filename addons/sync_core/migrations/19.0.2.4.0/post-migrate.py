"""Drop the indexes a pull paid for on every binding and audit row it inserted and no query
needs: sync_binding's backend_id (both unique indexes lead with it) and res_model, and
sync_audit's res_model (lookups by record use res_id).  Odoo keeps an index a field no
longer declares, so they are dropped here."""

from odoo.tools.sql import drop_index

DROPPED = (
    ("sync_binding__backend_id_index", "sync_binding"),
    ("sync_binding__res_model_index", "sync_binding"),
    ("sync_audit__res_model_index", "sync_audit"),
)


def migrate(cr, version):
    if not version:
        return
    for index, table in DROPPED:
        drop_index(cr, index, table)
