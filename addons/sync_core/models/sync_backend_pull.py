"""Batch pulls of sync.backend: one remote object since its watermark, page by page.

Transaction structure: the pages a pull applies are committed together, with the watermark
moved past them in the same transaction, once `_pull_commit_budget` is used up (about a second
of applied pages, or a number of remote pages, whichever comes first) and after the last page.
Each apply runs under a savepoint of its own: a page that fails is rolled back alone, and the
pages applied before it in the transaction are committed with their watermark before the
failure is recorded.  A read that fails (a remote fault) commits what was applied before it the
same way.  A process killed mid-pull (SIGKILL) loses the uncommitted pages together with the
watermark move that covered them: nothing is lost (the next attempt reads them again from the
watermark) and nothing is doubled (the watermark never passes an uncommitted page).
"""

import dataclasses
import json
import logging
import time
from datetime import datetime, timedelta

from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# A scheduled pull is due this much before its interval has fully elapsed.
PULL_DUE_SLACK = timedelta(minutes=1)
# A pull commits its applied pages once this many seconds passed since its last commit, or once
# it holds this many remote pages, whichever comes first (`_pull_commit_budget`).  One commit
# per page cost about 38 ms a page (a third of a 200-record page's apply).
PULL_COMMIT_SECONDS = 1.0
PULL_COMMIT_PAGES = 20
# A pull applies the remote pages it read once it holds at least this many records (and the
# connector's pages per apply): Odoo's `create(vals_list)` costs about a sixth more per record
# in calls of 200 than in calls of 1,000 (per-call defaults, flushes, recomputations), and so
# do the binding and audit inserts.
PULL_APPLY_RECORDS = 1000
# Would-be changes a dry run returns.
CHANGES_KEPT = 200


def _without(apply_page, skipped):
    """`apply_page` without the remote records whose ids are in `skipped` (counted)."""

    def apply(page):
        kept = [rec for rec in page if str(rec.get("id")) not in skipped]
        stats = apply_page(kept) if kept else {}
        stats["skipped"] = stats.get("skipped", 0) + len(page) - len(kept)
        return stats

    return apply


def _stamp_key(rec):
    return (rec["updated_at"] or datetime.min, rec["id"])


@dataclasses.dataclass
class PullRun:
    """One pull of one object, as its steps go: where it reads from, what it applied, and the
    pages held in the current transaction (not committed yet)."""

    object_name: str
    wm: object
    job: object
    dry_run: bool
    apply_page: object
    adapter: object = None
    since: datetime | None = None
    # the export to continue: what the watermark saved, for this window
    export: dict | None = None
    unordered_last: dict | None = None
    # pages of the current export applied (over its attempts), and the most any export of this
    # window had applied: only pages past that are new progress
    progress: dict = dataclasses.field(default_factory=lambda: {"pages": 0, "best": 0})
    totals: dict = dataclasses.field(default_factory=lambda: {"pages": 0, "read": 0})
    changes: list = dataclasses.field(default_factory=list)
    buffered: list = dataclasses.field(default_factory=list)
    buffered_records: int = 0
    held_pages: int = 0  # remote pages applied since the last commit
    held_saved: bool = False  # ... of which one moved the watermark (or its export) forward
    held_since: float = dataclasses.field(default_factory=time.monotonic)
    commits: int = 0


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ pull
    def _watermark(self, object_name):
        self.ensure_one()
        Watermark = self.env["sync.watermark"].sudo()
        wm = Watermark.search(
            [("backend_id", "=", self.id), ("object_name", "=", object_name)], limit=1
        )
        return wm or Watermark.create({"backend_id": self.id, "object_name": object_name})

    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        """Batch pull of one object since its watermark, page by page.

        The watermark is locked for the whole pull (a second pull of the same object stops at
        once), read from (cursor - lookback), and advanced after each applied page, in the
        transaction of the page: it never moves past what is committed.  Pages are committed
        together on a budget (`_pull_commit_budget`); see the module docstring.  A dry run
        writes nothing and leaves the watermark where it was.

        An adapter whose pages are not in (stamp, id) order (``adapter.ordered`` false, e.g. a
        bulk export job) gets the watermark moved once, after its last page.  When it says
        where its export can be continued (``adapter.export_state`` after each page), that
        state is saved with each page on the watermark (``export_state``) and handed back to
        the next attempt (``iter_changes(..., resume=...)``): an interrupted export goes on
        from its last committed page instead of starting over.

        `apply_page(page) -> stats` replaces the default (the object's mapping applies the page)
        for objects a connector handles itself, e.g. deals that become orders.
        ``_pull_pages_per_commit`` > 1 applies that many remote pages at once (one apply).
        """
        self.ensure_one()
        wm = self._watermark(object_name)
        if not dry_run:  # the watermark row must exist for other workers
            self.env["sync.job"]._commit()
        if not wm._try_lock():
            return {"skipped": f"a pull of {object_name} is already running"}
        run = PullRun(object_name, wm, job, dry_run, apply_page)
        try:
            self._pull_begin(run)
            self._pull_pages(run)
            self._pull_end(run)
        except Exception as exc:
            self._pull_failed(run, exc)
            raise
        finally:
            wm._unlock()
        return run.totals

    def _pull_begin(self, run):
        """The page handler, the adapter, the window to read (cursor - lookback) and the export
        an earlier attempt left to continue."""
        own = run.apply_page is not None
        if not own:
            mapping = self.env["sync.mapping"]._for(self, run.object_name)

            def apply_page(page):
                return mapping._apply_page(page, job=run.job, dry_run=run.dry_run)

            run.apply_page = apply_page
        skipped = set((run.job.payload or {}).get("golive_skip") or ()) if run.job else set()
        if skipped:  # records a go-live preview's user chose to skip
            run.apply_page = _without(run.apply_page, skipped)
        # a record the connector could not read is one exception, not a failed page
        run.apply_page = self._readable_pages(run.apply_page, run.object_name, run.job, run.dry_run)
        if own and run.dry_run:  # a connector's own apply, rehearsed and rolled back
            run.apply_page = self._rehearsed(run.apply_page, run.object_name)
        run.adapter = self._get_adapter()
        wm = run.wm
        if wm.cursor_stamp:
            run.since = wm.cursor_stamp - timedelta(seconds=wm.lookback_seconds)
        if not run.dry_run:
            wm.last_run_at = fields.Datetime.now()
            run.export = wm._export_to_resume(run.since)
            if run.export:
                run.unordered_last = run.export["last"]
                run.progress = {"pages": run.export["pages"], "best": run.export["best"]}
        run.held_since = time.monotonic()

    def _pull_pages(self, run):
        """Read the remote pages, apply them (``_pull_pages_per_commit`` at a time), commit on
        the budget and after the last one."""
        adapter = run.adapter
        per_apply = max(self._pull_pages_per_commit(run.object_name), 1)
        apply_records = self._pull_apply_records(run.object_name)
        seconds, most = self._pull_commit_budget(run.object_name)
        most = max(most, per_apply)
        kwargs = {"page_size": self.page_size}
        if run.export:
            kwargs["resume"] = run.export["adapter"]
        try:
            for page in adapter.iter_changes(run.object_name, run.since, **kwargs):
                self._note_rate_limit(adapter)
                if run.export and not run.totals["pages"] and not adapter.resumed:
                    run.progress["pages"] = 0  # the remote no longer has it: a new export
                run.totals["pages"] += 1
                run.buffered.append(page)
                run.buffered_records += len(page)
                if len(run.buffered) < per_apply or run.buffered_records < apply_records:
                    continue
                self._pull_apply(run)
                if run.held_pages >= most or time.monotonic() - run.held_since >= seconds:
                    self._pull_commit(run)
        except Exception:
            # a read failed: the pages read before it are applied (`_pull_failed` commits
            # them), so that a remote fault does not make the next attempt read them again
            self._pull_apply_read(run)
            raise
        if run.buffered:
            self._pull_apply(run)
        if run.held_pages:
            self._pull_commit(run)

    def _pull_apply_read(self, run):
        """Apply the pages read but not applied yet when the read that followed them failed;
        a failure of this apply is logged (its pages are read again by the next attempt), the
        read's failure is the one the job records."""
        if not run.buffered:
            return
        try:
            self._pull_apply(run)
        except Exception:  # noqa: BLE001
            _logger.warning(
                "pull of %s: the pages read before a failed read were not applied",
                run.object_name,
                exc_info=True,
            )

    def _pull_apply(self, run):
        """Apply the buffered remote pages as one page and move the watermark past them (or
        save the position of their export), under a savepoint: a failure takes back these
        pages only; the pages applied before them stay in the transaction (`_pull_failed`
        commits them)."""
        count = len(run.buffered)
        page = [rec for chunk in run.buffered for rec in chunk]
        run.buffered.clear()
        run.buffered_records = 0
        with self.env.cr.savepoint():
            stats = run.apply_page(page)
            saved = False if run.dry_run else self._pull_move_watermark(run, page, count)
        run.changes.extend(stats.pop("changes", [])[: max(0, CHANGES_KEPT - len(run.changes))])
        run.totals["read"] += len(page)
        for key, val in stats.items():
            run.totals[key] = run.totals.get(key, 0) + val
        run.held_pages += count
        run.held_saved = run.held_saved or saved

    def _pull_move_watermark(self, run, page, count):
        """The watermark past an applied page (ordered pages), or the position of its export
        (unordered pages: the watermark moves once, after the last page).  True when this is
        saved work a retry will not redo: the cursor moved forward (pages read again through
        the lookback move nothing), or the export went past the most pages any export of this
        window had applied."""
        wm, adapter = run.wm, run.adapter
        last = max(page, key=_stamp_key)
        if adapter.ordered:
            moved = wm._advance(last)
            if wm.export_state:  # an export given up for a keyset read
                wm.export_state = False
            return moved
        run.unordered_last = max((r for r in (run.unordered_last, last) if r), key=_stamp_key)
        if adapter.export_state is None:
            return False
        progress = run.progress
        progress["pages"] += count
        moved = progress["pages"] > progress["best"]
        progress["best"] = max(progress["best"], progress["pages"])
        wm._save_export(adapter.export_state, run.since, run.unordered_last, progress)
        return moved

    def _pull_commit(self, run):
        """Commit the pages applied since the last commit, with the watermark that covers them
        and the job's progress (a long pull is not a hung one; pages whose watermark moved
        forward are saved work: a failure after them is not one more attempt)."""
        if not run.dry_run:
            if run.job:
                run.job._note_progress(saved=run.held_saved)
            self.env["sync.job"]._commit()
            run.commits += 1
        run.held_pages, run.held_saved, run.held_since = 0, False, time.monotonic()

    def _pull_end(self, run):
        """The completed pull: an export's watermark move, the watermark's figures."""
        wm, adapter, totals = run.wm, run.adapter, run.totals
        if run.export and adapter.resumed:  # pages of the export applied by earlier attempts
            totals["resumed_after_pages"] = run.export["pages"]
        if run.unordered_last and not run.dry_run:
            wm._advance(run.unordered_last)
        if wm.export_state and not run.dry_run:  # the export is complete
            wm.export_state = False
        totals["remote_calls"] = adapter.calls
        if adapter.rate_limit:
            totals["rate_limit"] = adapter.rate_limit
        if run.dry_run:
            totals["changes"] = run.changes
            return
        totals["commits"] = run.commits
        wm.write(
            {
                "last_success_at": fields.Datetime.now(),
                "last_count": totals["read"],
                "last_stats": json.dumps(totals),
                "last_error": False,
            }
        )

    def _pull_failed(self, run, exc):
        """A read or an apply failed.  The pages applied before it are committed with their
        watermark (the failed apply was rolled back to its savepoint, a failed read applied
        nothing), with the error on the watermark.  When the database refused a statement
        outside those savepoints, the transaction is rolled back instead: the pages since the
        last commit are read again by the next attempt."""
        cr = self.env.cr
        status = cr._cnx.info.transaction_status
        sound = not run.dry_run and status in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS)
        if sound and run.held_pages and run.job:
            run.job._note_progress(saved=run.held_saved)
        if not sound:
            cr.rollback()
        if run.dry_run:
            return
        wm, adapter = run.wm, run.adapter
        wm.last_error = str(exc)[:2000]
        if adapter and not adapter.ordered and adapter.export_state and not run.totals["pages"]:
            # a new export failed before its first page: the next attempt may still read it
            # (nothing of it applied, so no progress either)
            if not adapter.resumed:
                run.progress["pages"] = 0
            wm._save_export(adapter.export_state, run.since, run.unordered_last, run.progress)
        try:
            self.env["sync.job"]._commit()
        except Exception:  # noqa: BLE001  the original failure is what the job records
            cr.rollback()  # e.g. a held write the database refuses at flush: the pages go too
            wm.last_error = str(exc)[:2000]
            self.env["sync.job"]._commit()

    def _pull_pages_per_commit(self, object_name):
        """Remote pages a pull applies at once (one apply, one savepoint).  More, for records
        whose creation recomputes something that grows with the data (e.g. an order line's
        delivered quantity over all its timesheets): fewer, larger batches.  Connectors
        override per object."""
        return 1

    def _pull_apply_records(self, object_name):
        """Records a pull holds before it applies them (with at least
        `_pull_pages_per_commit` pages): fewer, larger `create` calls.  The system parameter
        ``sync_core.pull_apply_records`` sets it (1: every remote page on its own);
        connectors may override per object."""
        param = self.env["ir.config_parameter"].sudo().get_param("sync_core.pull_apply_records")
        try:
            return max(int(param), 1) if param else PULL_APPLY_RECORDS
        except ValueError:
            return PULL_APPLY_RECORDS

    def _pull_commit_budget(self, object_name):
        """(seconds, remote pages): a pull commits the pages it applied once either is reached
        since its last commit.  Connectors may override per object."""
        return PULL_COMMIT_SECONDS, PULL_COMMIT_PAGES

    @api.model
    def _global_pull_interval(self):
        """Minutes between runs of the *Sync: schedule batch pulls* cron (Settings > Sync)."""
        cron = self.env.ref("sync_core.ir_cron_sync_schedule_pulls", raise_if_not_found=False)
        if not cron:
            return 0
        factor = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080, "months": 43200}
        return cron.sudo().interval_number * factor.get(cron.sudo().interval_type, 1)

    def _pull_due(self, object_name):
        """Whether the scheduled pull of one object is due: its watermark's interval (empty:
        the global one) has elapsed since its last run.  A minute of slack, so that a pull that
        started a few seconds after the cron is not skipped at the cron's next run.  Every
        connector's `_cron_schedule_pulls` asks this before enqueueing a pull of an object."""
        self.ensure_one()
        wm = (
            self.env["sync.watermark"]
            .sudo()
            .search([("backend_id", "=", self.id), ("object_name", "=", object_name)], limit=1)
        )
        if not wm.last_run_at or self.env.context.get("sync_golive_discover"):
            return True
        minutes = wm.pull_interval or self._global_pull_interval()
        due_at = wm.last_run_at + timedelta(minutes=minutes) - PULL_DUE_SLACK
        return due_at <= fields.Datetime.now()

    @api.model
    def _cron_schedule_pulls(self):
        """Enqueue one pull per (active backend, mapped object) whose interval has elapsed
        (`_pull_due`); identities keep it single."""
        for mapping in self.env["sync.mapping"].search([("backend_id.active", "=", True)]):
            if not mapping.backend_id._pull_due(mapping.remote_object):
                continue
            self.env["sync.job"]._enqueue(
                mapping.backend_id,
                "pull",
                payload={"object": mapping.remote_object},
                identity_key=f"pull:{mapping.remote_object}",
            )

    def _pull_reconcile(self, object_name, seen, job=None, apply_page=None):
        """After a full re-read of an object (a connector's change cursor, e.g. a delta token,
        had expired), `seen` the ids it returned: bound rows it did not return are deleted
        rows, applied as such by `apply_page` when given (e.g. the deal workflow), else by the
        object's mapping (its delete policy).  A note on the backend says what was found."""
        self.ensure_one()
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search([("backend_id", "=", self.id), ("remote_object", "=", object_name)])
        )
        gone = sorted(set(bindings.mapped("external_id")) - set(seen))
        rows = [{"id": ext, "updated_at": None, "archived": True, "data": {}} for ext in gone]
        if rows and apply_page is None:
            self.env["sync.mapping"]._for(self, object_name)._apply_page(rows, job=job)
        elif rows:
            apply_page(rows)
        self.message_post(
            body=self.env._(
                "The change cursor of %(object)s had expired: every row was read again "
                "(%(live)s), %(gone)s bound rows no longer there were taken as deleted.",
                object=object_name,
                live=len(seen),
                gone=len(gone),
            )
        )
        return {"reconciled": True, "live": len(seen), "gone": len(gone)}
