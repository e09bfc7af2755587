# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""From 19.0.3.0.0 the Kantata connector is its own addon, ``sync_psa_kantata``; sync_psa keeps
the vendor-neutral layer.  Before sync_psa loads without the Kantata code:

- the XML ids of the Kantata fields (``kantata_*`` credentials, the ``kantata`` value of the
  backend kind and of the authentication selection) are handed to sync_psa_kantata, so the end
  of this upgrade does not remove them as leftovers of sync_psa: removing the ``kantata`` kind
  value would run its ``ondelete`` (cascade) and delete the Kantata backends with their
  bindings, removing a field would drop its column (the credentials);
- where Kantata backends exist, sync_psa_kantata is marked to install: the loader installs it
  in this same upgrade (its fields find their columns and values, its view its fields).

A database without Kantata backends does not get the new addon; the handed-over XML ids of a
module that is not installed are never processed, so nothing is removed either.  Idempotent."""

NEW_MODULE = "sync_psa_kantata"
KIND = "kantata"


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE ir_model_data
           SET module = %(new)s
         WHERE module = 'sync_psa'
           AND model IN ('ir.model.fields', 'ir.model.fields.selection')
           AND (name LIKE 'field_sync_backend__kantata\\_%%'
                OR name LIKE 'selection__sync_backend__kantata\\_%%'
                OR name = 'selection__sync_backend__kind__' || %(kind)s)
           AND NOT EXISTS (
               SELECT 1 FROM ir_model_data other
                WHERE other.module = %(new)s AND other.name = ir_model_data.name)
        """,
        {"new": NEW_MODULE, "kind": KIND},
    )
    cr.execute("SELECT 1 FROM sync_backend WHERE kind = %s LIMIT 1", [KIND])
    if cr.rowcount:
        cr.execute(
            "UPDATE ir_module_module SET state = 'to install' "
            "WHERE name = %s AND state = 'uninstalled'",
            [NEW_MODULE],
        )
