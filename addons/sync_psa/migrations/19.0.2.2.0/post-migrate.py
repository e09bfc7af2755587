# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Canonical PSA object names are neutral from 19.0.2.2.0: ``projects`` and ``milestones``
(before: Kantata's collections ``workspaces`` and ``stories``; the Kantata adapter now maps
them).  Rename what is stored under the old names for the Kantata backends: bindings,
mappings, watermarks, inbox events, exceptions (their open problem keys are computed again),
jobs (payload object, identity and batch keys) and reconciliation lines' field names.  Runs
after 19.0.2.0.0's post-migrate, which still reads the old names.  Idempotent."""

from odoo import SUPERUSER_ID, api

RENAMED = {"workspaces": "projects", "stories": "milestones"}
KIND = "kantata"
BACKENDS = "SELECT id FROM sync_backend WHERE kind = %(kind)s"
# (table, column holding one object name)
NAME_COLUMNS = (
    ("sync_binding", "remote_object"),
    ("sync_mapping", "remote_object"),
    ("sync_watermark", "object_name"),
    ("sync_event", "object_name"),
    ("sync_exception", "remote_object"),
)
# (table, column holding a key with the object name as one ':' separated part)
KEY_COLUMNS = (
    ("sync_job", "identity_key"),
    ("sync_job", "batch_key"),
    ("sync_exception", "identity_key"),
)
# (table, jsonb column whose "object" key is an object name); an event's body stays as received
PAYLOAD_COLUMNS = (("sync_job", "payload"),)


def table_exists(cr, table):
    cr.execute("SELECT 1 FROM information_schema.tables WHERE table_name = %s", [table])
    return bool(cr.rowcount)


def rename(cr, old, new):
    """Every stored `old` object name of a Kantata backend becomes `new`; returns the ids of
    the exceptions changed."""
    params = {"kind": KIND, "old": old, "new": new, "pattern": f"(^|:){old}(:|$)"}
    for table, column in NAME_COLUMNS:
        cr.execute(
            f"UPDATE {table} SET {column} = %(new)s "
            f"WHERE {column} = %(old)s AND backend_id IN ({BACKENDS})",
            params,
        )
    changed = set()
    for table, column in KEY_COLUMNS:
        cr.execute(
            f"UPDATE {table} SET {column} = regexp_replace({column}, %(pattern)s, "
            f"'\\1' || %(new)s || '\\2') "
            f"WHERE {column} ~ %(pattern)s AND backend_id IN ({BACKENDS}) RETURNING id",
            params,
        )
        if table == "sync_exception":
            changed.update(row[0] for row in cr.fetchall())
    for table, column in PAYLOAD_COLUMNS:
        cr.execute(
            f"UPDATE {table} SET {column} = "
            f"jsonb_set({column}, '{{object}}', to_jsonb(%(new)s::text)) "
            f"WHERE {column}->>'object' = %(old)s AND backend_id IN ({BACKENDS})",
            params,
        )
    if table_exists(cr, "sync_reconcile_line"):
        cr.execute(
            "UPDATE sync_reconcile_line SET field_name = %(new)s || substr(field_name, "
            "length(%(old)s) + 1) WHERE field_name LIKE %(old)s || ':%%' "
            f"AND backend_id IN ({BACKENDS})",
            params,
        )
    return changed


def migrate(cr, version):
    if not version:
        return
    changed = set()
    for old, new in RENAMED.items():
        changed |= rename(cr, old, new)
    cr.execute(
        f"SELECT id FROM sync_exception WHERE state = 'open' AND backend_id IN ({BACKENDS}) "
        "AND remote_object = ANY(%(names)s)",
        {"kind": KIND, "names": list(RENAMED.values())},
    )
    changed.update(row[0] for row in cr.fetchall())
    env = api.Environment(cr, SUPERUSER_ID, {})
    Exc = env["sync.exception"]
    Exc.invalidate_model()
    for exc in Exc.browse(sorted(changed)).filtered(lambda e: e.state == "open" and e.problem_key):
        subject = Exc._problem_subject(
            {
                "external_id": exc.external_id,
                "remote_object": exc.remote_object,
                "identity_key": exc.identity_key,
                "res_model": exc.res_model,
                "res_id": exc.res_id,
                "job_id": exc.job_id.id,
            }
        )
        key = Exc._problem_key(exc.backend_id.id, exc.category, subject, exc.pattern)
        cr.execute("UPDATE sync_exception SET problem_key = %s WHERE id = %s", [key, exc.id])
    env.invalidate_all()
