"""Go-live preview of the objects a connector applies itself (not through a sync.mapping):
CRM deals that become sale orders, PSA time entries and people, HR employees...

The engine finds them as the scheduler would enqueue their pulls (`sync.backend._golive_pulls`)
and runs each pull's own job as a dry run, in a savepoint that is rolled back: the connector's
handler applies every page, and the engine reads what it did to each remote record before
undoing it (`sync.backend._rehearsed`: created, matched, already linked, rejected with the
reason, or nothing to do).  The writes being made (then undone), database constraints are
checked for these objects too.  "Go live" enqueues the same jobs for real, without the records
a user chose to skip (`golive_skip` in the job's payload, honoured by the engine's pull).
"""

from odoo import fields, models

OPERATIONS = {
    "create": "create",
    "match": "match",
    "bound": "bound",
    "error": "rejected",
    "skip": "unchanged",
}


class SyncGoLivePreview(models.Model):
    _inherit = "sync.golive.preview"

    connector_objects = fields.Boolean(
        string="Objects the connector applies",
        default=True,
        help="Also preview the objects the connector applies itself rather than through a "
        "mapping (e.g. deals that become sale orders, timesheets, employees): their pull is "
        "rehearsed with its writes, in a transaction that is rolled back.",
    )

    def _connector_pulls(self):
        """The pulls of objects the connector applies itself, when asked (all objects:
        no mapping chosen)."""
        self.ensure_one()
        if not self.connector_objects or self.mapping_ids:
            return []
        return self.backend_id._golive_pulls()

    def _preview_pull(self, pull):
        """Line values of one connector-applied object: its pull rehearsed as a dry run."""
        changes, error = self.backend_id._golive_rehearse(pull)
        vals = [self._pull_line(pull["object"], change) for change in changes]
        if error:
            vals.append(
                self._pull_line(
                    pull["object"],
                    {
                        "operation": "error",
                        "external_id": "",
                        "error": self.env._("The pull failed: %(error)s", error=error),
                    },
                )
            )
        return vals

    def _pull_line(self, object_name, change):
        outcome = OPERATIONS.get(change.get("operation"), "unchanged")
        detail = change.get("error") or change.get("detail") or ""
        if outcome == "unchanged" and not detail:
            detail = self.env._("Nothing to do: the pull would write nothing for it.")
        return {
            "preview_id": self.id,
            "mapping_id": False,
            "remote_object": object_name,
            "external_id": str(change.get("external_id") or ""),
            "remote_name": str(change.get("name") or "")[:200],
            "outcome": outcome,
            "res_model": change.get("res_model") or "",
            "res_id": change.get("res_id") or 0,
            "match_rule": "",
            "candidates": "",
            "detail": detail,
            "decision": "default",
            "link_res_id": 0,
        }

    def _go_live_pulls(self):
        """Enqueue the pulls of the connector-applied objects that were previewed, without the
        records skipped on the lines; the job runner runs them (and moves their watermarks)."""
        results = []
        Job = self.env["sync.job"]
        for pull in self._connector_pulls():
            lines = self.line_ids.filtered(
                lambda ln, o=pull["object"]: not ln.mapping_id and ln.remote_object == o
            )
            self._bind_chosen(lines.filtered(lambda ln: ln.decision == "link"))
            skipped = sorted(
                set(lines.filtered(lambda ln: ln.decision == "skip").mapped("external_id"))
            )
            payload = {**pull["payload"], "golive_skip": skipped} if skipped else pull["payload"]
            job = Job._enqueue(
                self.backend_id, pull["kind"], payload=payload, identity_key=pull["identity"]
            )
            results.append(
                self.env._(
                    "%(object)s: pull job %(job)s enqueued", object=pull["object"], job=job.id
                )
            )
        return results
