"""Drop more of the indexes a pull paid for on every row it inserted: sync_audit's
backend_id, correlation_id and external_id (no batch query needs them) and its btree on date
(now a BRIN index), sync_binding's company_id, and its external_id and res_id indexes (the
two unique indexes now lead with these columns and serve those look-ups).  See the comments
on the fields.  Odoo keeps an index a field no longer declares."""

from odoo.tools.sql import drop_index

DROPPED = (
    ("sync_audit__backend_id_index", "sync_audit"),
    ("sync_audit__correlation_id_index", "sync_audit"),
    ("sync_audit__external_id_index", "sync_audit"),
    ("sync_audit__date_index", "sync_audit"),
    ("sync_binding__company_id_index", "sync_binding"),
    ("sync_binding__external_id_index", "sync_binding"),
    ("sync_binding__res_id_index", "sync_binding"),
)


def migrate(cr, version):
    if not version:
        return
    for index, table in DROPPED:
        drop_index(cr, index, table)
