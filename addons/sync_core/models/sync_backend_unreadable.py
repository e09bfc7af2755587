# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Remote records a connector could not read: one exception each, the rest of the page goes on.

Connectors translate pages with ``unreadable.read_each``; every apply path of the engine (the
watermark pull, a mapping's page, a webhook re-fetch) hands its page to
``_set_aside_unreadable`` first, so a record nobody can read never fails its page."""

import json

from odoo import models

from ..unreadable import UNREADABLE, UnreadableRecordError, is_unreadable


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _set_aside_unreadable(self, records, object_name, job=None, dry_run=False):
        """(the records that were read, [change rows of the others]): each unreadable record
        of the page is one exception naming it, its raw record as the payload (none on a dry
        run, which only lists them)."""
        self.ensure_one()
        if not any(is_unreadable(rec) for rec in records):
            return records, []
        good, changes = [], []
        for rec in records:
            if not is_unreadable(rec):
                good.append(rec)
                continue
            exc = self._unreadable_error(rec, object_name)
            if not dry_run:
                self._open_unreadable(rec, object_name, exc, job)
            changes.append({"external_id": rec["id"], "operation": "error", "error": exc.message})
        return good, changes

    def _unreadable_error(self, rec, object_name):
        info = rec[UNREADABLE]
        known = info.get("known_id")
        what = (
            self.env._("%(object)s %(id)s", object=object_name, id=known)
            if known
            else self.env._("A record of %(object)s without an id", object=object_name)
        )
        return UnreadableRecordError(
            self.env._(
                "%(backend)s: %(what)s cannot be read (%(error)s). It was left out; the rest "
                "of its page was applied. Correct the record in %(backend)s; its raw content "
                "is kept here.",
                backend=self.name,
                what=what,
                error=info.get("error") or "",
            ),
            pattern=f"unreadable {object_name} record",
            remote_object=object_name,
            external_id=rec["id"],
        )

    def _open_unreadable(self, rec, object_name, exc, job=None):
        """The exception of one unreadable record (counted again when it comes back).  It
        belongs to no job: the job that read its page succeeded; re-reading the record (Retry,
        when it has an id) or applying it later resolves it."""
        info = rec[UNREADABLE]
        exception = self.env["sync.exception"]._open(
            self,
            exc,
            remote_object=object_name,
            external_id=rec["id"],
            payload_text=json.dumps(info.get("raw"), indent=2, sort_keys=True, default=str),
            technical_detail=f"job {job.id if job else '-'}: {info.get('error')}",
        )
        if exception.job_id:
            exception.job_id = False
        return exception

    def _readable_pages(self, apply_page, object_name, job=None, dry_run=False):
        """`apply_page` of a pull, given only the records of each page that were read."""

        def apply(page):
            good, changes = self._set_aside_unreadable(page, object_name, job, dry_run)
            if len(good) == len(page):
                return apply_page(page)
            stats = apply_page(good) if good else {}
            stats["unreadable"] = stats.get("unreadable", 0) + len(page) - len(good)
            if dry_run:
                stats["changes"] = changes + list(stats.get("changes") or [])
            return stats

        return apply
