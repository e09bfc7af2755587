# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What became of the Odoo side of remote records that are gone, in words for a job's outcome.

A webhook's re-fetch (or an operator's replay of its event) that finds the remote record
deleted applies the mapping's delete policy (``sync.mapping.delete_policy``: keep the Odoo
record and drop the link, archive the Odoo record, or ask a user through an exception); this
says which one happened to which record, read back from the database once the page is applied,
so a replay of an event handled before says it too."""

from odoo import models

from ..unreadable import any_without_id, is_unreadable


class SyncMapping(models.Model):
    _inherit = "sync.mapping"

    def _deletion_outcome(self, records, asked_ids, dry_run=False):
        """Sentences for the remote records of `records` that are deleted (archived) and the
        `asked_ids` the remote did not return at all, when an Odoo record is linked to them."""
        self.ensure_one()
        gone = [r["id"] for r in records if r.get("archived") and not is_unreadable(r)]
        returned = {r["id"] for r in records}
        missing = [i for i in dict.fromkeys(asked_ids) if i not in returned]
        if any_without_id(records):  # one of them came back unreadable: which is unknown
            missing = []
        if not gone and not missing:
            return []
        bindings = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self.backend_id, self.res_model, gone + missing, self.remote_object)
        )
        notes = [self._deleted_note(ext, bindings.get(ext), dry_run) for ext in gone]
        for ext in missing:
            binding = bindings.get(ext)
            record = binding and binding.active and self._bound_record(binding)
            if record:
                notes.append(
                    self.env._(
                        "%(object)s %(id)s is not returned by %(backend)s (deleted there for "
                        "good, or not visible to this connection): %(record)s and its link were "
                        "left as they are.",
                        object=self.remote_object,
                        id=ext,
                        backend=self.backend_id.name,
                        record=record.display_name,
                    )
                )
        return notes

    def _bound_record(self, binding):
        return (
            self.env[self.res_model]
            .sudo()
            .with_context(active_test=False)
            .browse(binding.res_id)
            .exists()
        )

    def _deleted_note(self, external_id, binding, dry_run):
        what = self.env._(
            "%(object)s %(id)s was deleted in %(backend)s",
            object=self.remote_object,
            id=external_id,
            backend=self.backend_id.name,
        )
        record = binding and self._bound_record(binding)
        if not record:
            return self.env._("%(what)s; no Odoo record is linked to it: nothing to do.", what=what)
        policy = dict(self._fields["delete_policy"]._description_selection(self.env))
        if dry_run:
            return self.env._(
                "%(what)s; delete policy “%(policy)s” for %(record)s (dry run: nothing changed).",
                what=what,
                policy=policy[self.delete_policy],
                record=record.display_name,
            )
        if self.delete_policy == "exception":
            exception = (
                self.env["sync.exception"]
                .sudo()
                .search(
                    [
                        ("backend_id", "=", self.backend_id.id),
                        ("remote_object", "=", self.remote_object),
                        ("external_id", "=", external_id),
                        ("state", "=", "open"),
                    ],
                    limit=1,
                )
            )
            return self.env._(
                "%(what)s; %(record)s is kept until a user decides what to do with it "
                "(exception %(exception)s).",
                what=what,
                record=record.display_name,
                exception=exception.id or self.env._("not opened"),
            )
        if self.delete_policy == "archive" and "active" not in record._fields:
            return self.env._(
                "%(what)s; its link was removed and %(record)s is kept: it cannot be archived.",
                what=what,
                record=record.display_name,
            )
        if self.delete_policy == "archive":
            if not record.active:
                return self.env._(
                    "%(what)s; %(record)s was archived (delete policy).",
                    what=what,
                    record=record.display_name,
                )
            return self.env._(
                "%(what)s; %(record)s is active: it was restored in Odoo, or the delete policy "
                "changed, after the delete was applied.",
                what=what,
                record=record.display_name,
            )
        return self.env._(
            "%(what)s; its link was removed and %(record)s is kept (delete policy: “%(policy)s”).",
            what=what,
            record=record.display_name,
            policy=policy[self.delete_policy],
        )
