# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce pulls: the engine's watermark pull, then deletes (getDeleted, or a full id
reconciliation after a purged delete log), within the org's daily API budget."""

from datetime import timedelta

from odoo import fields, models

from odoo.addons.sync_core.exceptions import QuotaExhaustedError

from .sync_backend import _LAST_USAGE


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ pulls
    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        """Changes by the engine's watermark pull (SystemModstamp keyset, or Bulk 2.0 for big
        loads), then deletes through getDeleted.  A pull that passes the org's daily API budget
        (or meets Salesforce's daily REQUEST_LIMIT_EXCEEDED) stops with one exception for the
        backend and pauses the backend (QuotaExhaustedError, the job keeps its attempt)."""
        if self.kind != "salesforce":
            return super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)
        started = fields.Datetime.now()
        try:
            self._salesforce_check_budget()
            totals = super()._pull(object_name, job=job, dry_run=dry_run, apply_page=apply_page)
            if "skipped" not in totals and apply_page is None:
                deletes = self._salesforce_pull_deletes(object_name, started, job, dry_run)
                deletes["deleted"] = deletes.get("deleted", 0) + totals.get("deleted", 0)
                totals.update(deletes)
        except QuotaExhaustedError as exc:
            # over the backend's share, or Salesforce's own REQUEST_LIMIT_EXCEEDED of the 24 h
            # total: one grouped exception for the backend (counted again at each re-check),
            # then the job's QuotaExhaustedError pauses every channel of the backend (attempt
            # kept) until exc.reset_at, when the next pull re-checks the usage
            self.env.cr.rollback()
            self.env["sync.exception"]._open(
                self, exc, remote_object="(org)", external_id="daily API budget"
            )
            self._salesforce_keep_usage(object_name)
            if job is None or dry_run:  # a pull outside the job runner: nothing to pause
                return {"stopped": exc.message}
            self.env["sync.job"]._commit()  # the exception outlives the job's rollback
            raise
        if "skipped" in totals:  # another pull of this object runs and owns its watermark
            return totals
        self._salesforce_keep_usage(object_name)
        if not self._get_adapter().over_budget():
            self._salesforce_budget_exception().filtered(
                lambda e: e.state == "open"
            )._mark_resolved(self.env._("A pull ran within the daily API budget again."))
        return totals

    def _salesforce_usage_key(self):
        return (self.env.cr.dbname, self.id)

    def _salesforce_check_budget(self):
        """Before a pull: when the last known usage is over the budget, one cheap call tells
        whether it still is (the 24 h window rolls on); raise ApiBudgetExceeded if so."""
        adapter = self._get_adapter()
        if adapter.over_budget():
            adapter.refresh_usage()
            self._note_rate_limit(adapter)
            adapter.check_budget()

    def _salesforce_budget_exception(self):
        return (
            self.env["sync.exception"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("remote_object", "=", "(org)"),
                    ("external_id", "=", "daily API budget"),
                ]
            )
        )

    def _salesforce_keep_usage(self, object_name):
        usage = _LAST_USAGE.get(self._salesforce_usage_key())
        if usage:
            self._watermark(object_name).write(
                {
                    "salesforce_api_used": usage["used"],
                    "salesforce_api_max": usage["max"],
                    "salesforce_api_checked_at": fields.Datetime.now(),
                }
            )

    def _salesforce_pull_deletes(
        self, object_name, started, job=None, dry_run=False, on_deleted=None
    ):
        """Deletes since the delete cursor (getDeleted), applied through the mapping's delete
        policy; ``latestDateCovered`` becomes the next start.  When the delete log no longer
        reaches back to the cursor (``earliestDateAvailable`` later, or older than Salesforce
        keeps), a full id reconciliation runs instead, and says so on the backend.

        `on_deleted(ids) -> stats` replaces the mapping for objects handled otherwise (e.g.
        opportunities); it gets None when the delete log was purged."""
        wm = self._watermark(object_name)
        if not wm.salesforce_deleted_until:
            if not dry_run:  # first pull: deletes are tracked from now on
                wm.salesforce_deleted_until = started
            return {"deletes": 0}
        if not wm._try_lock():
            return {"deletes": "skipped: a pull of this object is running"}
        try:
            mapping = None if on_deleted else self.env["sync.mapping"]._for(self, object_name)
            adapter = self._get_adapter()
            start = wm.salesforce_deleted_until
            now = fields.Datetime.now()
            purged = start < now - timedelta(days=29)
            answer = None
            if not purged:
                adapter.check_budget()
                answer = adapter.deleted(object_name, start, max(now, start + timedelta(minutes=1)))
                purged = bool(answer["earliest"] and answer["earliest"] > start)
            self._note_rate_limit(adapter)
            if purged and on_deleted:
                stats = on_deleted(None)
                wm.write({"salesforce_deleted_until": now, "salesforce_reconciled_at": now})
                self.env["sync.job"]._commit()
                return stats
            if purged:
                return self._salesforce_reconcile(mapping, adapter, wm, job, dry_run)
            if on_deleted:
                stats = on_deleted([rec_id for rec_id, _stamp in answer["ids"]])
                if answer["latest"] and answer["latest"] > start:
                    wm.salesforce_deleted_until = answer["latest"]
                self.env["sync.job"]._commit()
                return stats
            # a delete is final whatever its stamp says (no "older than the binding" skip)
            records = [
                {"id": rec_id, "updated_at": None, "archived": True, "data": {}}
                for rec_id, _stamp in answer["ids"]
            ]
            stats = mapping._apply_page(records, job=job, dry_run=dry_run) if records else {}
            if not dry_run and answer["latest"] and answer["latest"] > start:
                wm.salesforce_deleted_until = answer["latest"]
            self.env["sync.job"]._commit()
            return {"deletes": len(records), "deleted": stats.get("deleted", 0)}
        finally:
            wm._unlock()

    def _salesforce_reconcile(self, mapping, adapter, wm, job=None, dry_run=False):
        """Every live id is read; bound records whose id is gone are deleted through the
        mapping's delete policy (never silently: the backend's chatter says how many)."""
        now = fields.Datetime.now()
        live = set()
        for ids in adapter.all_ids(mapping.remote_object):
            adapter.check_budget()
            live.update(ids)
        self._note_rate_limit(adapter)
        bindings = self.env["sync.binding"]._of_mapping(mapping)
        gone = [b.external_id for b in bindings if b.external_id not in live]
        deleted = 0
        for start in range(0, len(gone), 200):
            records = [
                {"id": ext, "updated_at": now, "archived": True, "data": {}}
                for ext in gone[start : start + 200]
            ]
            deleted += mapping._apply_page(records, job=job, dry_run=dry_run).get("deleted", 0)
        if not dry_run:
            wm.write({"salesforce_deleted_until": now, "salesforce_reconciled_at": now})
            self.message_post(
                body=self.env._(
                    "The Salesforce delete log of %(object)s no longer reaches back to the last "
                    "sync point (%(since)s): a full id reconciliation read %(live)s live records "
                    "and deleted %(gone)s bound records that are gone.",
                    object=mapping.remote_object,
                    since=wm.salesforce_deleted_until,
                    live=len(live),
                    gone=len(gone),
                )
            )
            self.env["sync.job"]._commit()
        return {"deletes": len(gone), "deleted": deleted, "reconciled": True, "live": len(live)}
