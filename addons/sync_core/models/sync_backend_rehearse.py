"""Dry runs of the objects a connector applies itself, and the pulls that apply them.

A pull given its own `apply_page` (deals that become orders, PSA time entries, HR employees)
runs its handler's apply of each page, in a dry run, under a savepoint that is rolled back
(`_rehearsed`): whatever the handler writes, nothing stays.  Before the rollback the engine
reads what the apply did to each remote record of the page, the same way for every connector:
- a binding made to a record that the rollback takes away: the record would be created;
- a binding made to a record that is still there after the rollback: it would be matched;
- a binding that was there before: the record is linked already (its record updated);
- an exception opened, a record the connector could not read, or a refusal the handler notes
  (``stats["record_notes"] = {id: ("error", why)}``): it would be rejected;
- otherwise the handler's own note (e.g. "not won"), or nothing to do.
Records a neutral layer keys by a column of its own rather than by bindings (e.g. time entries
by their PSA id) are declared per object (`_rehearsal_keyed`).

`_golive_pulls` lists the pulls a go-live preview rehearses that way: the jobs the scheduler
would enqueue for the backend's objects ("pull:<object>" identities, other than the engine's
mapping pull), found by running the scheduler in a savepoint that is rolled back; neutral
layers add the ones named otherwise (e.g. PSA people, HR employees).
"""

import uuid

from odoo import models
from odoo.tools import SQL

from ..mapping import latest_per_id

# token (in the context of a preview's dry-run job) -> the list its rehearsed pulls fill
REHEARSALS = {}
_OPERATIONS = ("error", "create", "match", "bound")


def record_label(rec):
    data = rec.get("data") or {}
    for key in ("name", "title", "dealname", "Name", "email", "work_email", "display_name"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key][:200]
    person = data.get("person")
    return str(person.get("name") or "")[:200] if isinstance(person, dict) else ""


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ dry-run applies
    def _rehearsed(self, apply_page, object_name):
        """`apply_page` of a dry run: each page applied in a savepoint that is rolled back,
        its stats given `changes`, one row per remote record (see the module docstring)."""
        sink = REHEARSALS.get(self.env.context.get("sync_rehearsal"))

        def apply(page):
            cr = self.env.cr
            marks = self._rehearsal_marks()
            savepoint = cr.savepoint(flush=True)
            with savepoint:
                stats = apply_page(page)
                self.env.flush_all()
                effects = self._rehearsal_effects(object_name, marks, page)
                savepoint.rollback()
            notes = stats.pop("record_notes", None) or {}
            changes = self._rehearsal_changes(
                object_name, page, stats.pop("changes", None), notes, effects
            )
            if sink is not None:
                sink.extend(changes)
            stats["changes"] = changes
            return stats

        return apply

    def _rehearsal_marks(self):
        """The highest binding and exception ids before a rehearsed page."""
        self.env.flush_all()
        marks = {}
        for table in ("sync_binding", "sync_exception"):
            self.env.cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM %s", SQL.identifier(table)))
            marks[table] = self.env.cr.fetchone()[0]
        return marks

    def _rehearsal_keyed(self, object_name):
        """{model: (field, domain)} of the records an object's handler keys by a column of
        their own (the remote id; `domain`: e.g. this backend's) instead of a binding.
        Neutral layers add theirs."""
        return {}

    def _rehearsal_effects(self, object_name, marks, page):
        """What the apply of a page did, read before its rollback: the bindings it made
        ((external id, model, res id)), the exceptions it opened ({external id: message}),
        the keyed records it made or found."""
        ids = [str(rec.get("id")) for rec in page if rec.get("id")]
        Binding = self.env["sync.binding"].sudo().with_context(active_test=False)
        made = [
            (b.external_id, b.res_model, b.res_id)
            for b in Binding.search(
                [
                    ("id", ">", marks["sync_binding"]),
                    ("backend_id", "=", self.id),
                    ("remote_object", "=", object_name),
                ]
            )
        ]
        opened = {
            exc.external_id: exc.name
            for exc in self.env["sync.exception"]
            .sudo()
            .search([("id", ">", marks["sync_exception"]), ("backend_id", "=", self.id)])
            if exc.external_id
        }
        keyed = []
        for model, (field, domain) in self._rehearsal_keyed(object_name).items():
            Model = self.env[model].sudo().with_context(active_test=False)
            for row in Model.search_read([(field, "in", ids), *domain], [field]):
                keyed.append((str(row[field]), model, row["id"]))
        return {"made": made, "keyed": keyed, "opened": opened}

    def _rehearsal_changes(self, object_name, page, earlier, notes, effects):
        """One change row per remote record of a rehearsed page (after its rollback)."""
        found = {}  # external id -> (operation, model, res id, detail)
        survivors = {}
        for _ext, model, res_id in effects["made"] + effects["keyed"]:
            survivors.setdefault(model, set()).add(res_id)
        survivors = {
            model: set(
                self.env[model].sudo().with_context(active_test=False).browse(ids).exists().ids
            )
            for model, ids in survivors.items()
        }
        for ext, model, res_id in effects["made"]:  # bindings the apply made
            op = "match" if res_id in survivors[model] else "create"
            _keep(found, ext, op, model, res_id if op != "create" else 0)
        for ext, model, res_id in effects["keyed"]:  # records keyed by the remote id
            op = "bound" if res_id in survivors[model] else "create"
            _keep(found, ext, op, model, res_id if op != "create" else 0)
        before = (
            self.env["sync.binding"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("remote_object", "=", object_name),
                    ("external_id", "in", [str(r.get("id")) for r in page]),
                ]
            )
        )
        for binding in before:  # linked already: its record is updated, if anything
            _keep(found, binding.external_id, "bound", binding.res_model, binding.res_id)
        for row in earlier or []:
            _keep(found, row["external_id"], "error", "", 0, row.get("error") or "")
        for ext, message in effects["opened"].items():
            _keep(found, ext, "error", "", 0, message)
        changes = []
        for rec in latest_per_id(page):
            ext = str(rec.get("id") or "")
            note = notes.get(ext) or notes.get(rec.get("id"))
            if note and note[0] == "error":
                _keep(found, ext, "error", "", 0, note[1])
            op, model, res_id, detail = found.get(ext, ("skip", "", 0, ""))
            if op == "create":
                created = sorted({m for e, m, _r in effects["made"] + effects["keyed"] if e == ext})
                detail = self.env._("would create: %(models)s", models=", ".join(created))
            elif op == "skip" and note:
                detail = str(note[1])
            changes.append(
                {
                    "external_id": ext,
                    "operation": op,
                    "res_model": model,
                    "res_id": res_id,
                    "name": record_label(rec),
                    "error" if op == "error" else "detail": detail,
                }
            )
        return changes

    # ------------------------------------------------------------------ go-live pulls
    def _golive_pulls(self):
        """[{object, kind, payload, identity}]: the pulls of objects the connector applies
        itself (not through one of the backend's mappings), as the scheduler would enqueue
        them now: found by running it in a savepoint that is rolled back (every object due)."""
        self.ensure_one()
        mapped = set(
            self.env["sync.mapping"].search([("backend_id", "=", self.id)]).mapped("remote_object")
        )
        Job = self.env["sync.job"].sudo()
        savepoint = self.env.cr.savepoint(flush=True)
        with savepoint:
            self.env["sync.backend"].sudo().with_context(
                sync_golive_discover=True
            )._cron_schedule_pulls()
            self.env.flush_all()
            jobs = Job.search(
                [
                    ("backend_id", "=", self.id),
                    ("state", "=", "pending"),
                    ("identity_key", "=like", "pull:%"),
                    ("kind", "!=", "pull"),
                ],
                order="id",
            )
            found = [
                {
                    "object": (job.payload or {}).get("object") or job.identity_key[5:],
                    "kind": job.kind,
                    "payload": dict(job.payload or {}),
                    "identity": job.identity_key,
                }
                for job in jobs
            ]
            savepoint.rollback()
        return [pull for pull in found if pull["object"] not in mapped]

    def _golive_rehearse(self, pull):
        """([change rows], error) of one pull of `_golive_pulls` run as a dry-run job in a
        savepoint that is rolled back: nothing it writes stays."""
        self.ensure_one()
        token = uuid.uuid4().hex
        REHEARSALS[token] = sink = []
        error = ""
        savepoint = self.env.cr.savepoint(flush=True)
        try:
            with savepoint:
                try:
                    with self.env.cr.savepoint():
                        result = self._golive_run_job(pull, token)
                    skipped = result.get("skipped") if isinstance(result, dict) else None
                    if isinstance(skipped, str):  # e.g. a pull of the object is running
                        error = skipped
                except Exception as exc:  # noqa: BLE001  shown on the preview, nothing kept
                    error = str(exc) or type(exc).__name__
                savepoint.rollback()
        finally:
            REHEARSALS.pop(token, None)
        return sink, error

    def _golive_run_job(self, pull, token):
        Job = self.env["sync.job"].sudo().with_context(sync_rehearsal=token)
        kind = self.env["sync.job.kind"].sudo().search([("code", "=", pull["kind"])], limit=1)
        job = Job.create(
            {
                "name": f"go-live preview: {pull['object']}",
                "kind": pull["kind"],
                "backend_id": self.id,
                "payload": pull["payload"],
                "dry_run": True,
            }
        )
        handler = getattr(self.env[kind.model_name].sudo().with_context(sync_rehearsal=token),
                          kind.method_name)  # fmt: skip
        return handler(job)


def _keep(found, ext, op, model, res_id, detail=""):
    """Keep the strongest outcome of a record: an error, then create, match, bound."""
    current = found.get(ext)
    if current is None or _OPERATIONS.index(op) < _OPERATIONS.index(current[0]):
        found[ext] = (op, model, res_id, detail)
