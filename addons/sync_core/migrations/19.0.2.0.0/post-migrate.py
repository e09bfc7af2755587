"""One open exception per problem: key the open exceptions of earlier versions (opened once
per job) and merge the open duplicates of one problem into the latest one."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Exc = env["sync.exception"].with_context(tracking_disable=True)
    by_key = {}
    for exc in Exc.search([("state", "=", "open"), ("problem_key", "=", False)], order="id"):
        identity = exc.job_id.identity_key or False
        subject = Exc._problem_subject(
            {
                "remote_object": exc.remote_object,
                "external_id": exc.external_id,
                "identity_key": identity,
                "res_model": exc.res_model,
                "res_id": exc.res_id,
                "job_id": exc.job_id.id,
            }
        )
        key = Exc._problem_key(exc.backend_id.id, exc.category, subject, exc.pattern)
        if key:
            by_key.setdefault(key, []).append((exc, identity))
    for key, rows in by_key.items():
        latest, identity = max(rows, key=lambda r: (r[0].last_seen_at, r[0].id))
        older = Exc.browse([exc.id for exc, _i in rows if exc != latest])
        for exc in older:
            if exc.job_id and exc.job_id != latest.job_id and exc.job_id.state == "failed":
                exc.job_id.write({"state": "cancelled", "result": "Superseded: same problem."})
        older.write(
            {"state": "resolved", "reason": f"Merged into exception {latest.id} (same problem)."}
        )
        latest.write(
            {
                "problem_key": key,
                "identity_key": identity,
                "occurrences": sum(exc.occurrences for exc, _i in rows),
                "first_seen_at": min(exc.first_seen_at for exc, _i in rows),
            }
        )
