# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The quote-to-order workflow shared by every CRM connector: its settings, connector hooks
and deal jobs.

A connector translates its vendor's records into canonical deals (`..deal.Deal`) in
`_sale_deal_from_record` and the invoice figures into its fields in `_sale_writeback_values`;
everything else is in sync_sale, one file per role: deal jobs and pulls (here), the deal
applied to an order and project (`sync_backend_deal`), customers (`sync_backend_customer`),
lines and products (`sync_backend_lines`), currency and legal entity (`sync_backend_company`),
mirrored opportunities (`sync_backend_lead`), invoice figures written back
(`sync_backend_writeback`) and the sandbox demo (`sync_backend_demo`).
"""

import functools

from odoo import fields, models

from odoo.addons.sync_core.exceptions import SyncError
from odoo.addons.sync_core.models.sync_mapping import no_export_context


def quiet(backend):
    """Context of the workflow's writes: untracked, never exported back to `backend` (echo
    suppression) but to the other backends that export them (a won deal's project -> PSA)."""
    ctx = no_export_context(backend, backend.env.context)
    return {**ctx, "tracking_disable": True, "mail_create_nosubscribe": True}


# Order line fields a deal line sets (compared to detect line-item changes).
LINE_FIELDS = ("product_id", "product_uom_qty", "price_unit", "discount", "name")


class SyncBackend(models.Model):
    _inherit = "sync.backend"
    sale_confirm_orders = fields.Boolean(
        string="Confirm orders",
        default=True,
        help="Confirm the sale order of a won deal (its service products create the project).",
    )
    sale_mirror_open_deals = fields.Boolean(
        string="Mirror open deals to CRM",
        help="Open deals are mirrored to opportunities (crm.lead) that follow the deal's stage "
        "(a lost deal marks its opportunity lost); when a deal is won its opportunity is marked "
        "won and linked to the sale order.",
    )

    # ------------------------------------------------------------------ connector hooks
    def action_open_affected(self):
        """Dashboard: the customers, projects, orders and invoices this backend's open
        problems touch."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sync_sale.sync_affected_action")
        action["domain"] = [("backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1}
        return action

    def _sale_deal_from_record(self, record, adapter=None):
        """Connector hook: one remote record (the adapter's dict) -> `Deal`.  With an
        adapter, the deal may get a `load_lines` callable that reads its lines."""
        raise NotImplementedError(f"{self.kind} does not translate deals")

    def _sale_deal_job_kind(self):
        """Connector hook: the code of its job kind that re-reads and applies deals (the
        handler calls `_sale_deal_job`); used by the default `_sale_deal_job_values`."""
        raise NotImplementedError(f"{self.kind} has no deal job")

    def _sale_deal_job_values(self, external_id):
        """The job that re-reads and applies one deal (kind, identity_key, payload), as
        `_webhook_job_values` returns it: by default the connector's deal job kind, one
        pending job per deal."""
        kind = self._sale_deal_job_kind()
        ids = [str(external_id)]
        return {"kind": kind, "identity_key": f"{kind}:{ids[0]}", "payload": {"ids": ids}}

    # ------------------------------------------------------------------ naming
    def _sale_crm_name(self):
        self.ensure_one()
        return dict(self._fields["kind"]._description_selection(self.env)).get(self.kind, self.kind)

    def _sale_title(self, deal):
        """e.g. "HubSpot deal 123": the order's origin, and how messages name a deal."""
        return f"{self._sale_crm_name()} deal {deal.external_id}"

    # ------------------------------------------------------------------ jobs
    def _sale_pull_deals(self, job, remote_object, apply_pages=False):
        """Incremental pull of deals (the engine's watermark pull): every changed deal that
        is won, already has an order or opportunity, or is open while open deals are
        mirrored, gets a deal job of its own (one bad deal is one exception).

        With `apply_pages`, the pull applies those deals itself, page by page, from the
        records it read (the connector may read the lines of the whole page in one go); a deal
        that fails is rolled back alone and handed to a deal job of its own, which re-reads it
        and reports its exception."""
        self.ensure_one()
        bound = self._sale_bound_deal_ids(remote_object)

        def wanted(record):
            """The deal to work on (None: translation failed, its job will say why), or
            False when the deal needs nothing."""
            try:
                deal = self._sale_deal_from_record(record)
                deal.remote_object = remote_object
            except SyncError:
                return None  # its deal job will say what is wrong, for this deal only
            if deal.external_id in bound or (
                not deal.archived and (deal.won or self.sale_mirror_open_deals)
            ):
                return deal
            return False

        def enqueue_deals(page):
            enqueued = 0
            for record in page:
                if wanted(record) is not False:
                    self._sale_enqueue_deal_job(record["id"])
                    enqueued += 1
            return {"enqueued": enqueued}

        dry_run = bool(job and job.dry_run)
        # a dry run applies the deals (rolled back by the engine) as their deal jobs would
        apply_pages = apply_pages or dry_run
        adapter = self._get_adapter() if apply_pages else None

        def apply_deals(page):
            records = [r for r in page if wanted(r) is not False]
            errors = {} if dry_run else None
            result = self._sale_apply_batch(records, remote_object, job, adapter, errors)
            handed = sum(1 for outcome in result.values() if outcome is None)
            stats = {"applied": len(result) - handed, "enqueued": handed}
            if dry_run:  # what each deal would get, for the rehearsal's lines
                notes = {r["id"]: ("skip", self.env._("not won: nothing to do")) for r in page}
                notes.update((ext, ("skip", out)) for ext, out in result.items() if out)
                notes.update((ext, ("error", why)) for ext, why in errors.items())
                stats["record_notes"] = notes
            return stats

        return self._pull(
            remote_object,
            job=job,
            dry_run=dry_run,
            apply_page=apply_deals if apply_pages else enqueue_deals,
        )

    def _sale_bound_deal_ids(self, remote_object):
        """Ids of the deals that have an order or an opportunity in Odoo."""
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("res_model", "in", ("sale.order", "crm.lead")),
                    ("remote_object", "=", remote_object),
                ]
            )
        )
        return set(bindings.mapped("external_id"))

    def _sale_enqueue_deal_job(self, external_id):
        values = self._sale_deal_job_values(external_id)
        return self.env["sync.job"]._enqueue(
            self, values["kind"], payload=values["payload"], identity_key=values["identity_key"]
        )

    def _sale_resolve_deal(self, deal, job):
        """A deal applied by a pull: the open problems its deal job had are fixed."""
        key = self._sale_deal_job_values(deal.external_id)["identity_key"]
        self.env["sync.exception"].sudo().search(
            [("backend_id", "=", self.id), ("identity_key", "=", key), ("state", "=", "open")]
        )._mark_resolved(
            self.env._("The deal was applied by pull job %(job)s.", job=job.id if job else "-"),
            by_job=job,
        )

    def _sale_deal_job(self, job, remote_object):
        """Re-read the deals of the job's payload and apply each one."""
        self.ensure_one()
        adapter = self._get_adapter()
        ids = [str(i) for i in job.payload["ids"]]
        records = adapter.read_batch(remote_object, ids)
        self._note_rate_limit(adapter)
        # a deal the connector could not read: one exception naming it, the others go on
        records, unreadable = self._set_aside_unreadable(records, remote_object, job, job.dry_run)
        if len(records) > 1:  # several deals: one that fails goes to a job of its own
            result = {
                ext: self.env._("handed to its own job") if outcome is None else outcome
                for ext, outcome in self._sale_apply_batch(
                    records, remote_object, job, adapter
                ).items()
            }
        else:
            result = {}
            for record in records:
                deal = self._sale_deal_from_record(record, adapter=adapter)
                deal.remote_object = remote_object  # the bindings' object, whatever translates
                result[deal.external_id] = self._sale_apply_deal(deal, job=job, adapter=adapter)
            self._note_rate_limit(adapter)
        result["not_found"] = sorted(
            set(ids) - {r["id"] for r in records} - {u["external_id"] for u in unreadable}
        )
        if unreadable:
            result["unreadable"] = [u["external_id"] for u in unreadable]
        result["remote_calls"] = adapter.calls  # the runner counts every adapter of the job
        job._refresh_search_refs()  # found by the customer of the order it made
        return result

    def _sale_apply_batch(self, records, remote_object, job, adapter, errors=None):
        """Several remote deals at once: every record is translated first (a connector may
        read the lines of all of them when the first deal asks for its own), then each deal
        is applied under a savepoint.  One that fails is rolled back alone and handed to a
        deal job of its own, which reports its exception; one that passes resolves the open
        problems of its own job.  Returns {deal id: outcome, None when handed}; `errors`,
        when given, gets {deal id: why} of the deals handed."""
        deals, result = [], {}
        for record in records:
            try:
                deal = self._sale_deal_from_record(record, adapter=adapter)
                deal.remote_object = remote_object
                deals.append(deal)
            except SyncError as exc:
                self._sale_enqueue_deal_job(record["id"])
                result[record["id"]] = None
                if errors is not None:
                    errors[record["id"]] = str(exc)
        if adapter is not None:
            self._sale_share_customer_reads(deals, adapter)
        for deal in deals:
            try:
                with self.env.cr.savepoint():
                    outcome = self._sale_apply_deal(deal, job=job, adapter=adapter)
            except Exception as exc:  # noqa: BLE001  its own job reports it, for this deal only
                self._sale_enqueue_deal_job(deal.external_id)
                result[deal.external_id] = None
                if errors is not None:
                    errors[deal.external_id] = str(exc) or type(exc).__name__
                continue
            self._sale_resolve_deal(deal, job)
            result[deal.external_id] = outcome
        if adapter is not None:
            self._note_rate_limit(adapter)
        return result

    def _sale_share_customer_reads(self, deals, adapter):
        """The customers a batch of won deals will import (not bound yet, imported through a
        mapping) are read together: the first deal that imports its customer reads those of
        every deal of the batch in one call per remote object, instead of one call per deal.
        Each deal still imports its own under its savepoint; a read that fails fails that
        deal only and keeps nothing, the next deal reads the remaining ones again."""
        pending = {}
        for deal in deals:
            ref = deal.customer
            if deal.won and ref and ref.external_id and not self._sale_bound_partner(ref):
                pending.setdefault(ref.remote_object, {}).setdefault(ref.external_id, [])
        read = {}

        def load(remote_object, external_id):
            if (remote_object, external_id) not in read:
                todo = [i for i in pending[remote_object] if (remote_object, i) not in read]
                found = {i: [] for i in todo}
                for record in adapter.read_batch(remote_object, todo):
                    found.setdefault(str(record["id"]), []).append(record)
                read.update(((remote_object, i), records) for i, records in found.items())
            return read[(remote_object, external_id)]

        for remote_object in pending:
            if not self.env["sync.mapping"].search_count(
                [("backend_id", "=", self.id), ("remote_object", "=", remote_object)], limit=1
            ):
                continue
            for deal in deals:
                ref = deal.customer
                if (
                    ref
                    and ref.remote_object == remote_object
                    and ref.external_id in pending[remote_object]
                ):
                    deal.load_customer = functools.partial(load, remote_object, ref.external_id)


def _now():
    return fields.Datetime.now()
