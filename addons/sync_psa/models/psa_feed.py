# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Change feed: subscribed events, batched re-reads of changed records, the daily approval sweep,
deletions found by id."""

import json
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import (
    MissingReferenceError,
)
from odoo.addons.sync_core.unreadable import any_without_id

from .. import psa
from .sync_psa import FEED_LOOKBACK, FEED_MARGIN, SWEEP_DAYS, TARGETS


class SyncPsa(models.AbstractModel):
    _inherit = "sync.psa"

    @api.model
    def _import_job_values(self, object_name, external_id, backend=None):
        """A feed or webhook change of an imported PSA object, or of a project (of `backend`,
        when it maps projects) -> a batched re-read of its current state (``_job_psa_import``;
        a project goes through the project preparation of the pulls)."""
        if object_name == psa.PROJECTS:
            if not backend or not self.env["sync.mapping"].search_count(
                [("backend_id", "=", backend.id), ("remote_object", "=", psa.PROJECTS)], limit=1
            ):
                return None
        elif object_name not in psa.IMPORTED:
            return None
        return {
            "kind": "psa_import",
            "identity_key": f"psa:import:{object_name}:{external_id}",
            "batch_key": f"psa:import:{object_name}",
            "payload": {"object": object_name, "ids": [external_id]},
        }

    @api.model
    def _job_psa_events(self, job):
        """The change feed: events since the cursor are stored once each in the inbox (the
        feed repeats and reorders them) and become batched re-reads; each page is committed
        with the cursor moved to its latest event.  When the cursor is older
        than the feed keeps (first run, or a gap; the adapter's `event_retention()`, none: no
        feed), the filtered lists are pulled instead."""
        backend = job.backend_id
        wm = backend._watermark("subscribed_events")
        now = fields.Datetime.now()
        Job = self.env["sync.job"]
        adapter = backend._get_adapter() if wm.cursor_stamp else None
        retention = adapter.event_retention() if adapter else None
        if not retention or wm.cursor_stamp < now - retention + FEED_MARGIN:
            for object_name in psa.IMPORTED:
                Job._enqueue(
                    backend,
                    "psa_pull",
                    payload={"object": object_name, "sweep": bool(wm.cursor_stamp)},
                    identity_key=f"pull:{object_name}",
                )
            gap = wm.cursor_stamp
            wm.write(
                {
                    "cursor_stamp": now,
                    "last_run_at": now,
                    "last_success_at": now,
                    "last_stats": json.dumps({"fallback": True}),
                }
            )
            return {"fallback": "filtered lists", "gap_since": str(gap or "never")}
        since = wm.cursor_stamp - FEED_LOOKBACK
        last = wm.cursor_stamp
        totals = {"events": 0, "stored": 0, "duplicates": 0}
        for changes in adapter.iter_events(since, psa.IMPORTED):
            backend._note_rate_limit(adapter)
            events = [
                {
                    "dedup_key": f"event:{c['event_id']}",
                    "event_type": "deleted" if c["deleted"] else "changed",
                    "object_name": c["object"],
                    "external_id": c["id"],
                    "payload": {**c, "created_at": str(c["created_at"])},
                }
                for c in changes
            ]
            stored, duplicates = self.env["sync.event"]._store(backend, events, {})
            totals["events"] += len(events)
            totals["stored"] += stored
            totals["duplicates"] += duplicates
            stamps = [c["created_at"] for c in changes if c["created_at"]]
            if stamps and max(stamps) > last:
                # each page is committed with the cursor moved past it: a fault on a later
                # page of a long feed retries from here (less the lookback), not from the
                # start, and the failure does not count as an attempt (it saved a page)
                last = max(stamps)
                wm.cursor_stamp = last
                job._note_progress(saved=True)
                Job._commit()
        wm.write(
            {
                "cursor_stamp": last,
                "last_run_at": now,
                "last_success_at": now,
                "last_stats": json.dumps(totals),
                "last_error": False,
            }
        )
        totals["remote_calls"] = adapter.calls
        return totals

    @api.model
    def _job_psa_import(self, jobs):
        """Re-read records by id (feed changes, or records waiting for a reference) and apply
        their current state: ids the PSA no longer returns were deleted.  Projects go through
        ``_reread_projects``."""
        job = jobs[:1]
        backend = job.backend_id
        object_name = job.payload["object"]
        ids = list(dict.fromkeys(str(i) for j in jobs for i in j.payload["ids"]))
        adapter = backend._get_adapter()
        if object_name == psa.PROJECTS:
            stats = self._reread_projects(backend, ids, job, adapter)
            backend._note_rate_limit(adapter)
            stats["jobs"] = len(jobs)
            return stats
        waiting = {}
        stats = self._reread(backend, object_name, ids, job, adapter, waiting)
        backend._note_rate_limit(adapter)
        cause = job.payload.get("waiting")
        if cause and cause in waiting:
            info = waiting.pop(cause)
            self._park(backend, object_name, waiting)
            raise MissingReferenceError(
                self._waiting_message(object_name, info),
                pattern=info["pattern"],
                external_id=info["external_id"],
                remote_object=info["remote_object"],
                fix_kind="missing_record",
                fix_data={
                    "model": info["res_model"],
                    "remote_object": info["remote_object"],
                    "external_id": info["external_id"],
                },
            )
        stats["waiting"] = self._park(backend, object_name, waiting)
        stats["jobs"] = len(jobs)
        return stats

    @api.model
    def _job_psa_sweep(self, job):
        """Safety net against revenue leakage, one job per swept object (``psa.SWEPT``): the
        adapter's ``iter_approvals`` reads the object's records of the last SWEEP_DAYS by
        their date, whatever their ``updated_at`` (pages of 200), and they are applied like a
        pull's; records already imported are skipped by their payload hash.  Records of the
        window imported in Odoo that it did not list (unapproved or deleted since) are read by
        id and applied too.  It catches approvals and revocations that changed no
        ``updated_at`` and that the change feed did not report."""
        backend = job.backend_id
        object_name = job.payload.get("object") or psa.TIME  # jobs queued before 19.0.2.1
        adapter = backend._get_adapter()
        today = fields.Date.context_today(self)
        waiting = {}
        totals = {"object": object_name, "pages": 0, "read": 0}
        date_from = today - timedelta(days=SWEEP_DAYS)
        seen = set()
        for page in adapter.iter_approvals(object_name, date_from, today):
            stats = self._apply(backend, object_name, page, job, adapter, waiting)
            job._note_progress()  # a long sweep is not a hung job
            totals["pages"] += 1
            totals["read"] += len(page)
            seen.update(r["id"] for r in page)
            for key, val in stats.items():
                totals[key] = totals.get(key, 0) + val
            self.env["sync.job"]._commit()
        # imported records of the window the sweep did not list (unapproved or deleted since,
        # without a new updated_at): read by id, their current state applied
        target = TARGETS[object_name]
        imported = (
            self.env[target["model"]]
            .sudo()
            .search(
                [
                    ("psa_backend_id", "=", backend.id),
                    (target["id_field"], "!=", False),
                    ("date", ">=", date_from),
                    ("date", "<=", today),
                ]
            )
            .mapped(target["id_field"])
        )
        unlisted = [i for i in imported if i not in seen]
        totals["reread"] = len(unlisted)
        if unlisted:
            for key, val in self._reread(
                backend, object_name, unlisted, job, adapter, waiting
            ).items():
                totals[key] = totals.get(key, 0) + val
        totals["waiting"] = self._park(backend, object_name, waiting)
        totals["remote_calls"] = adapter.calls
        backend._watermark(f"{object_name}:approved").write(
            {
                "last_run_at": fields.Datetime.now(),
                "last_success_at": fields.Datetime.now(),
                "last_stats": json.dumps(totals),
            }
        )
        return totals

    @api.model
    def _reread(self, backend, object_name, ids, job, adapter, waiting, gone_only=False):
        """Read records by id and apply their current state; ids the PSA no longer returns
        were deleted.  `gone_only`: apply the deletions only."""
        records = adapter.read_batch(object_name, ids)
        found = {r["id"] for r in records}
        gone = [
            {"id": i, "updated_at": None, "archived": True, "data": {}}
            for i in ids
            if i not in found and not any_without_id(records)  # which one it was is unknown
        ]
        batch = gone if gone_only else records + gone
        if not batch:
            return {}
        stats = self._apply(backend, object_name, batch, job, adapter, waiting)
        stats["gone"] = len(gone)
        return stats

    @api.model
    def _sweep_deleted(self, backend, object_name, job, adapter, waiting):
        """Bound records the PSA no longer returns by id were deleted while the feed had a
        gap (the filtered lists never show deleted records)."""
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "=", TARGETS[object_name]["model"]),
                    ("remote_object", "=", object_name),
                    ("active", "=", True),
                ]
            )
        )
        ids = bindings.mapped("external_id")
        if not ids:
            return 0
        stats = self._reread(backend, object_name, ids, job, adapter, waiting, gone_only=True)
        return stats.get("gone", 0)
