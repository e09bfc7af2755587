# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The quote-to-order workflow shared by every CRM connector.

A connector translates its vendor's records into canonical deals (`..deal.Deal`) in
`_sale_deal_from_record` and the invoice figures into its fields in `_sale_writeback_values`;
everything else is here: customer, order lines by SKU, pricelist in the deal's currency, legal
entity, sale order + project once, conflicts, mirrored opportunities, audit and chatter notes,
invoice figures written back through the outbox.
"""

import functools

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import float_compare

from odoo.addons.sync_core.exceptions import (
    ConflictError,
    DuplicateSuspectedError,
    MissingReferenceError,
    SyncError,
    ValidationSyncError,
    missing_product_fix,
)
from odoo.addons.sync_core.hashing import payload_hash
from odoo.addons.sync_core.models.sync_mapping import NO_EXPORT

from ..deal import InvoiceFigures, invoice_state, missing_skus, sku_of

QUIET = {NO_EXPORT: True, "tracking_disable": True, "mail_create_nosubscribe": True}
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
    sale_company_ids = fields.One2many(
        "sync.sale.company",
        "backend_id",
        string="Legal entities",
        help="Remote legal-entity values -> Odoo companies. Empty: every deal goes to the "
        "backend's company.",
    )

    sale_stage_ids = fields.One2many(
        "sync.sale.stage",
        "backend_id",
        string="Opportunity stages",
        help="Remote deal stages -> CRM stages of mirrored opportunities. A stage without a "
        "row goes to the CRM stage of the same name, if any.",
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

    def _sale_writeback_job(self):
        """Connector hook: (job kind code, identity key) of this backend's write-back of
        invoice figures; empty when its connector writes nothing back."""
        return ()

    def _sale_writeback_values(self, figures):
        """Connector hook: `InvoiceFigures` -> the remote fields to write on the deal."""
        return {
            "invoice_number": ", ".join(figures.invoice_numbers),
            "invoice_state": figures.state,
            "amount_invoiced": f"{figures.amount_invoiced:.2f}",
            "amount_paid": f"{figures.amount_paid:.2f}",
        }

    def _sale_writeback_party_values(self, figures):
        """Connector hook: the summed `InvoiceFigures` of all orders of one customer -> the
        remote fields to write on the customer's record (the remote object of its binding,
        e.g. a Salesforce Account); empty (the default) = nothing is written there."""
        return {}

    def _sale_send_writeback(self, adapter, remote_object, items):
        """Write [(remote id, values)] to the remote (deals, or customers); return the ids
        written, or {id: None when written, else the remote's reason}: each refused item
        becomes its own exception."""
        return adapter.write_batch(remote_object, items)

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

        adapter = self._get_adapter() if apply_pages else None

        def apply_deals(page):
            records = [r for r in page if wanted(r) is not False]
            result = self._sale_apply_batch(records, remote_object, job, adapter)
            handed = sum(1 for outcome in result.values() if outcome is None)
            return {"applied": len(result) - handed, "enqueued": handed}

        return self._pull(
            remote_object, job=job, apply_page=apply_deals if apply_pages else enqueue_deals
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
        result["not_found"] = sorted(set(ids) - {r["id"] for r in records})
        result["remote_calls"] = adapter.calls  # the runner counts every adapter of the job
        return result

    def _sale_apply_batch(self, records, remote_object, job, adapter):
        """Several remote deals at once: every record is translated first (a connector may
        read the lines of all of them when the first deal asks for its own), then each deal
        is applied under a savepoint.  One that fails is rolled back alone and handed to a
        deal job of its own, which reports its exception; one that passes resolves the open
        problems of its own job.  Returns {deal id: outcome, None when handed}."""
        deals, result = [], {}
        for record in records:
            try:
                deal = self._sale_deal_from_record(record, adapter=adapter)
                deal.remote_object = remote_object
                deals.append(deal)
            except SyncError:
                self._sale_enqueue_deal_job(record["id"])
                result[record["id"]] = None
        if adapter is not None:
            self._sale_share_customer_reads(deals, adapter)
        for deal in deals:
            try:
                with self.env.cr.savepoint():
                    outcome = self._sale_apply_deal(deal, job=job, adapter=adapter)
            except Exception:  # noqa: BLE001  its own job reports it, for this deal only
                self._sale_enqueue_deal_job(deal.external_id)
                result[deal.external_id] = None
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

    # ------------------------------------------------------------------ the workflow
    def _sale_apply_deal(self, deal, job=None, adapter=None):
        """A won deal gets its customer, sale order and project exactly once (the order is
        bound to the deal id); later line changes update the quotation or raise a conflict
        once it is confirmed; a deal that leaves won after its order exists raises a conflict
        (nothing is deleted).  Open and lost deals are mirrored to opportunities when asked."""
        self.ensure_one()
        order_binding = self._sale_binding("sale.order", deal)
        if order_binding:
            return self._sale_update_order(deal, order_binding, job)
        lead_binding = self._sale_binding("crm.lead", deal)
        if not deal.won:
            if self.sale_mirror_open_deals or lead_binding:
                return self._sale_mirror_lead(deal, lead_binding, job)
            return "not won"
        return self._sale_create_order(deal, lead_binding, job, adapter)

    def _sale_binding(self, res_model, deal):
        return (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, res_model, [deal.external_id], deal.remote_object)
            .get(deal.external_id)
        )

    def _sale_create_order(self, deal, lead_binding, job, adapter):
        lead = self.env["crm.lead"].browse(lead_binding.res_id if lead_binding else []).exists()
        company = self._sale_company(deal)
        partner = self._sale_customer(deal, job, adapter)
        order_lines = self._sale_order_lines(deal, company)
        vals = {
            "partner_id": partner.id,
            "company_id": company.id,
            "origin": self._sale_title(deal),
            "client_order_ref": (deal.name or "")[:250] or False,
            "order_line": [Command.create(line) for line in order_lines],
        }
        pricelist = self._sale_pricelist(deal, partner, company)
        if pricelist is not None:
            vals["pricelist_id"] = pricelist.id
        order = self.env["sale.order"].with_company(company).with_context(**QUIET).create(vals)
        self._sale_bind(order, deal)
        self.env.flush_all()  # the binding's unique key guards a concurrent twin
        if lead:
            if "opportunity_id" in order._fields:  # sale_crm
                order.opportunity_id = lead
            if lead.active and lead.won_status != "won":
                lead.with_context(tracking_disable=True).action_set_won()
        self._sale_audit(job, deal, order, "create")
        projects = self.env["project.project"]
        if self.sale_confirm_orders:
            before = self.env["project.project"].search([("sale_order_id", "=", order.id)])
            order.with_context(tracking_disable=True).action_confirm()
            projects = (
                self.env["project.project"].search([("sale_order_id", "=", order.id)]) - before
            )
            if projects:
                self._sale_bind(projects.sorted("id")[:1], deal)
            for project in projects:
                self._sale_audit(job, deal, project, "create")
        self._sale_note(
            [order, *projects, partner],
            deal,
            self.env._("won, sale order %(order)s", order=order.name),
        )
        return f"created {order.name}"

    def _sale_update_order(self, deal, binding, job):
        order = self.env["sale.order"].browse(binding.res_id).exists()
        if not order or order.state == "cancel":
            return "order exists"
        if not deal.won:
            what = "was deleted" if deal.archived else f"moved to stage {deal.stage}"
            raise ConflictError(
                f"{self._sale_title(deal)} ({deal.name}) {what} but sale order {order.name} "
                "exists: review the order (nothing was changed)",
                pattern="deal left the won stage",
                res_model="sale.order",
                res_id=order.id,
            )
        wanted = self._sale_order_lines(deal, order.company_id)
        commands, before, after = self._sale_line_commands(order, wanted)
        if not commands:
            return "order exists"
        if order.state not in ("draft", "sent"):
            raise ConflictError(
                f"{self._sale_title(deal)} ({deal.name}): its line items changed but sale order "
                f"{order.name} is confirmed: change the order by hand, or cancel it and retry "
                f"(nothing was changed). Order: {'; '.join(before)}. Deal: {'; '.join(after)}",
                pattern="deal lines changed after confirmation",
                res_model="sale.order",
                res_id=order.id,
            )
        order.with_context(**QUIET).write({"order_line": commands})
        binding.write({"remote_updated_at": deal.updated_at or False, "last_sync_at": _now()})
        self._sale_audit(job, deal, order, "write", {"order_line": [before, after]})
        return f"updated {order.name}"

    def _sale_line_commands(self, order, wanted):
        """Commands that turn the order's product lines into `wanted` (paired in order), and
        the lines before/after as text; no command when they already match."""
        current = order.order_line.filtered(
            lambda line: not line.display_type and not line.is_downpayment
        ).sorted(lambda line: (line.sequence, line.id))
        commands = []
        for index, vals in enumerate(wanted):
            line = current[index] if index < len(current) else None
            if line is None:
                commands.append(Command.create(vals))
                continue
            if any(_differs(line, k, v) for k, v in vals.items()):
                # all of them: a new quantity alone would recompute the price from the pricelist
                commands.append(Command.update(line.id, vals))
        commands.extend(Command.unlink(line.id) for line in current[len(wanted) :])
        before = [
            _line_text(line.product_id, line.product_uom_qty, line.price_unit) for line in current
        ]
        after = [
            _line_text(
                self.env["product.product"].browse(vals["product_id"]),
                vals["product_uom_qty"],
                vals.get("price_unit"),
            )
            for vals in wanted
        ]
        return commands, before, after

    # ------------------------------------------------------------------ legal entity
    def _sale_company(self, deal):
        """The Odoo company of a deal: its legal-entity key through the backend's table
        (case-insensitive), the backend's company when the deal has no key or no table is
        set; an unknown key is an exception (never a guess)."""
        self.ensure_one()
        key = (deal.company_key or "").strip().lower()
        if not key or not self.sale_company_ids:
            return self.company_id
        row = self.sale_company_ids.filtered(lambda r: r.remote_value.strip().lower() == key)
        if not row:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}): legal entity {deal.company_key!r} is "
                f"not mapped to a company on backend {self.name} (Legal entities)",
                pattern=f"legal entity {deal.company_key} not mapped",
            )
        return row[:1].company_id

    # ------------------------------------------------------------------ customer
    def _sale_customer(self, deal, job=None, adapter=None):
        """The customer of a won deal: the partner bound to its remote company (or person),
        imported through the backend's mapping of that object when not bound yet, or matched
        (VAT, e-mail) / created from the deal's reference when no mapping exists."""
        ref = deal.customer
        if not ref or not ref.external_id:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}) has no associated company: associate "
                f"one in {self._sale_crm_name()}, then retry",
                pattern="won deal without company",
            )
        partner = self._sale_bound_partner(ref)
        if not partner:
            mapping = self.env["sync.mapping"].search(
                [("backend_id", "=", self.id), ("remote_object", "=", ref.remote_object)],
                limit=1,
            )
            if mapping:
                if deal.load_customer:
                    records = deal.load_customer()
                else:
                    adapter = adapter or self._get_adapter()
                    records = adapter.read_batch(ref.remote_object, [ref.external_id])
                mapping._apply_page([r for r in records if not r.get("archived")], job=job)
            elif ref.name or ref.email or ref.vat:
                self._sale_match_or_create_customer(deal, job)
            partner = self._sale_bound_partner(ref)
        if not partner:
            raise MissingReferenceError(
                f"{self._sale_title(deal)}: company {ref.external_id} could not be imported",
                pattern="deal company not imported",
            )
        return partner

    def _sale_bound_partner(self, ref):
        """The partner bound to a deal's customer reference (an archived binding: none)."""
        binding = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, "res.partner", [ref.external_id], ref.remote_object)
            .get(ref.external_id)
        )
        if not binding or not binding.active:
            return self.env["res.partner"]
        return self.env["res.partner"].browse(binding.res_id).exists()

    def _sale_match_or_create_customer(self, deal, job):
        """No mapping imports the customer's object: an existing partner with the same VAT,
        else e-mail, is bound; otherwise one is created from the reference (audited)."""
        ref = deal.customer
        Partner = self.env["res.partner"].with_context(**QUIET)
        kind = [("is_company", "=", ref.is_company)]
        partner = Partner.browse()
        if ref.vat:
            partner = Partner.search([("vat", "=ilike", ref.vat.strip()), *kind], limit=1)
        if not partner and ref.email:
            partner = Partner.search([("email", "=ilike", ref.email.strip()), *kind], limit=1)
        taken = partner and self.env["sync.binding"].sudo()._for_records(self, partner)
        if taken:
            other = next(iter(taken.values()))
            raise DuplicateSuspectedError(
                f"{self._sale_title(deal)} ({deal.name}): its customer {ref.external_id} "
                f"({ref.name}) matches {partner.display_name}, already bound to "
                f"{other.remote_object} {other.external_id}: merge them in "
                f"{self._sale_crm_name()} or link the right partner, then retry",
                pattern="deal customer matches a partner bound to another record",
                res_model="res.partner",
                res_id=partner.id,
            )
        created = not partner
        if created:
            partner = Partner.create(
                {
                    "name": ref.name or ref.email or ref.vat,
                    "email": ref.email or False,
                    "vat": ref.vat or False,
                    "is_company": ref.is_company,
                }
            )
        old = (
            self.env["sync.binding"]
            .sudo()
            ._for_external_ids(self, "res.partner", [ref.external_id], ref.remote_object)
            .get(ref.external_id)
        )
        if old:  # archived (deleted remotely, then back)
            old.write({"res_id": partner.id, "active": True, "last_sync_at": _now()})
        else:
            self._sale_bind(
                partner, deal, remote_object=ref.remote_object, external_id=ref.external_id
            )
        if created:
            self._sale_audit(job, deal, partner, "create", external_id=ref.external_id)
        return partner

    # ------------------------------------------------------------------ lines and currency
    def _sale_order_lines(self, deal, company):
        """Sale order line values of a won deal, products found by SKU (Internal Reference)
        in the order's company."""
        lines = deal.get_lines()
        if not lines:
            raise ValidationSyncError(
                f"{self._sale_title(deal)} ({deal.name}) is won but has no line items",
                pattern="won deal without line items",
            )
        skus = sorted({sku_of(line) for line in lines} - {""})
        products = (
            self.env["product.product"]
            .with_company(company)
            .search([("default_code", "in", skus), ("company_id", "in", (company.id, False))])
        )
        by_sku = {p.default_code: p for p in products.sorted(lambda p: bool(p.company_id))}
        self._sale_check_products(deal, lines, by_sku)
        out = []
        for line in lines:
            vals = {
                "product_id": by_sku[sku_of(line)].id,
                "product_uom_qty": line.quantity if line.quantity is not None else 1.0,
            }
            if line.price_unit is not None:
                vals["price_unit"] = line.price_unit
            if line.price_unit is not None or line.discount:
                vals["discount"] = line.discount or 0.0
            if line.name:
                vals["name"] = line.name
            out.append(vals)
        return out

    def _sale_check_products(self, deal, lines, by_sku):
        """The one place that raises "no product with SKU ..." for a deal."""
        missing = missing_skus(lines, by_sku)
        if missing:
            raise MissingReferenceError(
                f"{self._sale_title(deal)} ({deal.name}): no product with SKU "
                f"{', '.join(missing)} (Internal Reference)",
                pattern=f"missing product SKU {', '.join(missing)}",
                remote_object=deal.remote_object,
                external_id=deal.external_id,
                fix_kind="missing_product",
                fix_data=missing_product_fix(
                    [
                        {"sku": sku_of(line), "name": line.name, "price": line.price_unit}
                        for line in lines
                        if sku_of(line) not in by_sku
                    ],
                    related=[(deal.customer.remote_object, deal.customer.external_id, "Customer")]
                    if deal.customer
                    else [],
                ),
            )

    def _sale_pricelist(self, deal, partner, company):
        """The pricelist that gives the order the deal's currency: the customer's when it is
        in that currency, else a pricelist of the company (or shared) in it; none is needed
        for the company's own currency.  None = the deal names no currency (Odoo's default);
        an empty recordset = no pricelist (the company's currency)."""
        code = (deal.currency_code or "").strip().upper()
        if not code:
            return None
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency.active:
            raise ValidationSyncError(
                f"{self._sale_title(deal)} ({deal.name}) is in {code}, a currency that is not "
                "active in Odoo: activate it (Accounting > Configuration > Currencies) and "
                "create a pricelist in it, then retry",
                pattern=f"currency {code} not active",
            )
        Pricelist = self.env["product.pricelist"].with_company(company)
        default = partner.with_company(company).property_product_pricelist
        if default and default.currency_id == currency:
            return default
        pricelists = Pricelist.search(
            [("currency_id", "=", currency.id), ("company_id", "in", (company.id, False))]
        )
        pricelist = pricelists.sorted(lambda p: (not p.company_id, p.sequence, p.id))[:1]
        if pricelist or currency == company.currency_id:
            return pricelist
        raise MissingReferenceError(
            f"{self._sale_title(deal)} ({deal.name}) is in {code} but company {company.name} "
            f"has no pricelist in {code}: create one (Sales > Products > Pricelists), then "
            "retry (no order was made in another currency)",
            pattern=f"no pricelist in {code} for {company.name}",
        )

    # ------------------------------------------------------------------ opportunities
    def _sale_mirror_lead(self, deal, binding, job=None):
        """An open or lost deal -> its opportunity (crm.lead), created or updated: it follows
        the deal's stage (a crm stage of that name), a lost deal marks it lost, a reopened
        one restores it; a deleted deal archives it.  The customer is set when the deal's
        company is already imported."""
        self.ensure_one()
        Lead = self.env["crm.lead"].with_context(**QUIET)
        lead = Lead.with_context(active_test=False).browse(binding.res_id if binding else [])
        lead = lead.exists()
        if deal.archived:
            if lead.active:
                lead.action_archive()
                return f"lead {lead.id} archived"
            return "deleted, no lead"
        digest = payload_hash(deal.header())
        if lead and binding.payload_hash == digest:
            return f"lead {lead.id} identical"
        company = lead.company_id if lead else self._sale_company(deal)
        vals = {
            "name": deal.name or self._sale_title(deal),
            "type": "opportunity",
            "expected_revenue": self._sale_company_amount(deal, company),
            "date_deadline": deal.close_date or False,
        }
        if deal.customer:
            partner = self._sale_bound_partner(deal.customer)
            if partner:
                vals["partner_id"] = partner.id
        stage = self._sale_lead_stage(deal)
        if stage:
            vals["stage_id"] = stage.id
        created = not lead
        if not created:
            before = {k: _jsonable(lead[k]) for k in vals}
            lead.write(dict(vals))  # crm's write adds keys to the dict it is given
            binding.write(
                {
                    "payload_hash": digest,
                    "remote_updated_at": deal.updated_at or False,
                    "last_sync_at": _now(),
                }
            )
            changes = {
                k: [before[k], _jsonable(lead[k])]
                for k in before
                if before[k] != _jsonable(lead[k])
            }
            what = "updated"
        else:
            lead = Lead.create({**vals, "company_id": company.id})
            self._sale_bind(lead, deal, payload=digest)
            self.env.flush_all()
            self._sale_note([lead], deal, self.env._("mirrored as an opportunity"))
            changes, what = {}, "created"
        if deal.lost and lead.active:
            lead.action_set_lost()
            changes["won_status"] = ["pending", "lost"]
            what = "lost"
        elif not deal.lost and not lead.active:
            lead.action_restore()
            changes["won_status"] = ["lost", "pending"]
            what = "restored"
        self._sale_audit(job, deal, lead, "create" if created else "write", changes)
        return f"lead {lead.id} {what}"

    def _sale_company_amount(self, deal, company):
        """The deal's amount in the company's currency (an opportunity's expected revenue is),
        converted at the close date's rate (today's when none); as is when the deal names no
        currency or one Odoo does not know."""
        amount = deal.amount or 0.0
        code = (deal.currency_code or "").strip().upper()
        if not code or code == company.currency_id.name:
            return amount
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency:
            return amount
        day = deal.close_date or fields.Date.context_today(self)
        return currency._convert(amount, company.currency_id, company, day)

    def _sale_lead_stage(self, deal):
        """The CRM stage of a deal's stage: the backend's table, else a stage of that name."""
        key = (deal.stage or "").strip().lower()
        if not key:
            return self.env["crm.stage"]
        row = self.sale_stage_ids.filtered(lambda r: r.remote_stage.strip().lower() == key)
        if row:
            return row[:1].stage_id
        return self.env["crm.stage"].search([("name", "=ilike", deal.stage.strip())], limit=1)

    # ------------------------------------------------------------------ bindings, audit, notes
    def _sale_bind(self, record, deal, payload=None, remote_object=None, external_id=None):
        return self.env["sync.binding"]._bind(
            self,
            record,
            external_id or deal.external_id,
            remote_object or deal.remote_object,
            remote_updated_at=deal.updated_at or False,
            payload_hash=payload or payload_hash(deal.header()),
            last_sync_at=_now(),
        )

    def _sale_audit(self, job, deal, record, operation, changes=None, external_id=None):
        """An audit row for a record the workflow created or changed, like the mappings
        write for the partners they import."""
        return (
            self.env["sync.audit"]
            .sudo()
            .create(
                {
                    "backend_id": self.id,
                    "job_id": job.id if job else False,
                    "correlation_id": job.correlation_id if job else False,
                    "external_id": external_id or deal.external_id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "operation": operation,
                    "changes": changes or {},
                }
            )
        )

    def _sale_note(self, records, deal, outcome):
        """Chatter note on what the workflow made of a deal (order, projects, customer,
        opportunity): which CRM, backend and deal, with a link to the remote record."""
        name = deal.name or deal.external_id
        link = (
            Markup('<a href="%s" target="_blank">%s</a>') % (deal.url, name) if deal.url else name
        )
        text = self.env._("%(crm)s deal %(deal)s (%(id)s, backend %(backend)s): %(outcome)s")
        body = Markup(escape(text)) % {
            "crm": self._sale_crm_name(),
            "deal": link,
            "id": deal.external_id,
            "backend": self.name,
            "outcome": outcome,
        }
        for record in records:
            record.with_context(mail_create_nosubscribe=True).message_post(
                body=body, subtype_xmlid="mail.mt_note"
            )

    # ------------------------------------------------------------------ demo
    def _sale_demo_pricelist(self, currency_code):
        """Sandbox demo: the currency of the demo deals active, with a pricelist in it for
        the backend's company (without one, such deals stop on an exception)."""
        self.ensure_one()
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", currency_code)], limit=1)
        )
        if not currency:
            return self.env["product.pricelist"]
        currency.active = True
        Pricelist = self.env["product.pricelist"]
        domain = [
            ("currency_id", "=", currency.id),
            ("company_id", "in", (self.company_id.id, False)),
        ]
        return Pricelist.search(domain, limit=1) or Pricelist.create(
            {
                "name": f"{currency_code} ({self.company_id.name})",
                "currency_id": currency.id,
                "company_id": self.company_id.id,
            }
        )

    # ------------------------------------------------------------------ write-back
    @api.model
    def _cron_sale_writeback(self):
        """Safety net: every backend that writes invoice figures back gets its batch job."""
        for backend in self.search([("active", "=", True)]):
            backend._sale_enqueue_own_writeback()

    def _sale_enqueue_own_writeback(self):
        job = self._sale_writeback_job()
        if job:
            self.env["sync.job"].sudo()._enqueue(self, job[0], payload={}, identity_key=job[1])
        return bool(job)

    @api.model
    def _sale_enqueue_writeback(self, moves):
        """Invoices whose figures changed (posted, reset, paid...): enqueue the write-back of
        the backends whose deals own their sale orders.  One identity key per backend, so many
        invoices collapse into one pending batch."""
        invoices = moves.filtered(lambda m: m.is_sale_document(include_receipts=True))
        orders = invoices.sudo().line_ids.sale_line_ids.order_id
        if not orders:
            return self.browse()
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "sale.order"),
                    ("res_id", "in", orders.ids),
                    ("backend_id.active", "=", True),
                ]
            )
        )
        return bindings.backend_id.filtered(lambda b: b._sale_enqueue_own_writeback())

    @api.model
    def _job_sale_writeback(self, job):
        return job.backend_id._sale_writeback()

    def _sale_invoice_figures(self, order):
        """Invoice numbers, payment state, amounts invoiced and paid (credit notes count
        negative) of the posted customer invoices of an order."""
        invoices = order.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type in ("out_invoice", "out_refund")
        )
        sign = {"out_invoice": 1, "out_refund": -1}
        return InvoiceFigures(
            invoice_numbers=invoices.sorted("id").mapped("name"),
            state=invoice_state(invoices.mapped("payment_state")),
            amount_invoiced=sum(sign[m.move_type] * m.amount_total for m in invoices),
            amount_paid=sum(sign[m.move_type] * self._sale_amount_paid(m) for m in invoices),
            currency_code=order[:1].currency_id.name or "",  # several: the customer's orders
        )

    @api.model
    def _sale_amount_paid(self, invoice):
        """Reconciled amount, plus payments matched without a journal entry (Odoo 18+: a
        registered payment on a journal without outstanding account leaves the residual)."""
        paid = invoice.amount_total - invoice.amount_residual
        pending = invoice.matched_payment_ids.filtered(
            lambda p: not p.move_id
            and p.state in ("in_process", "paid")
            and p.currency_id == invoice.currency_id
        )
        return min(invoice.amount_total, paid + sum(pending.mapped("amount")))

    def _sale_writeback(self):
        """Invoice figures of the orders bound to deals, mapped by the connector and sent in
        batches; only values that changed since the last send (hash) are sent.  Each item the
        remote refuses is its own exception (the others are marked sent and never sent
        again); a later successful send resolves it.

        When the connector also writes figures to the customer's record
        (`_sale_writeback_party_values`), the figures of all the customer's orders are summed
        and sent once per customer; the order bindings' ``export_hash`` then keeps both
        digests, ``deal|customer``."""
        self.ensure_one()
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search([("backend_id", "=", self.id), ("res_model", "=", "sale.order")])
        )
        orders = {
            o.id: o for o in self.env["sale.order"].browse(bindings.mapped("res_id")).exists()
        }
        deal_rows, by_partner = {}, {}
        for binding in bindings:
            order = orders.get(binding.res_id)
            if not order:
                continue
            values = self._sale_writeback_values(self._sale_invoice_figures(order))
            digest = payload_hash(values)
            if digest != (binding.export_hash or "").partition("|")[0]:
                deal_rows.setdefault(binding.remote_object, []).append((binding, values, digest))
            by_partner.setdefault(order.partner_id.commercial_partner_id, []).append(binding)
        party_rows = self._sale_party_rows(by_partner, orders)
        if not deal_rows and not party_rows:
            return {"sent": 0}
        adapter = self._get_adapter()
        sent, failed = 0, 0
        for remote_object, rows in deal_rows.items():
            outcome = self._sale_send_items(adapter, remote_object, rows)
            self._sale_resolve_writeback(remote_object, [k for k, v in outcome.items() if not v])
            for binding, _values, digest in rows:
                error = outcome[binding.external_id]
                if error is None:
                    party = (binding.export_hash or "").partition("|")[2]
                    binding.write(
                        {"export_hash": f"{digest}|{party}" if party else digest,
                         "last_sync_at": _now()}
                    )  # fmt: skip
                    sent += 1
                else:
                    failed += 1
                    self._sale_writeback_failed(remote_object, binding.external_id, error, binding)
        for remote_object, rows in party_rows.items():
            outcome = self._sale_send_items(adapter, remote_object, rows)
            self._sale_resolve_writeback(remote_object, [k for k, v in outcome.items() if not v])
            for party_binding, _values, digest, order_bindings in rows:
                error = outcome[party_binding.external_id]
                if error is None:
                    for binding in order_bindings:
                        deal = (binding.export_hash or "").partition("|")[0]
                        binding.export_hash = f"{deal}|{digest}"
                    sent += 1
                else:
                    failed += 1
                    self._sale_writeback_failed(
                        remote_object, party_binding.external_id, error, order_bindings[0]
                    )
        result = {"sent": sent, "remote_calls": adapter.calls, "rate_limit": adapter.rate_limit}
        if failed:
            result["failed"] = failed
        return result

    def _sale_party_rows(self, by_partner, orders):
        """{remote object: [(customer binding, values, digest, order bindings)]} of the
        customers whose summed figures changed; empty when the connector writes none."""
        rows = {}
        if not self._sale_writeback_party_values(InvoiceFigures()):
            return rows  # the connector writes nothing to customers
        for partner, order_bindings in by_partner.items():
            party = (
                self.env["sync.binding"].sudo()._for_records(self, partner).get(partner.id)
                if partner
                else None
            )
            if not party or not party.active:
                continue
            figures = self._sale_invoice_figures(
                self.env["sale.order"].union(*(orders[b.res_id] for b in order_bindings))
            )
            values = self._sale_writeback_party_values(figures)
            if not values:
                continue
            digest = payload_hash(values)
            if any((b.export_hash or "").partition("|")[2] != digest for b in order_bindings):
                rows.setdefault(party.remote_object, []).append(
                    (party, values, digest, order_bindings)
                )
        return rows

    def _sale_send_items(self, adapter, remote_object, rows):
        """Send [(binding, values, ...)] -> {external id: None (written) or the remote's
        reason}.  `_sale_send_writeback` returns the ids written, or that mapping itself."""
        items = [(row[0].external_id, row[1]) for row in rows]
        answer = self._sale_send_writeback(adapter, remote_object, items)
        self._note_rate_limit(adapter)
        if not isinstance(answer, dict):
            answer = {ext: None for ext in answer}
        not_updated = self.env._("not updated (deleted?)")
        return {ext: answer.get(ext, not_updated) for ext, _values in items}

    def _sale_writeback_failed(self, remote_object, external_id, error, binding):
        """One exception per item the remote did not take (no job: the next write-back, by
        an invoice change or the 15-minute cron, sends it again and resolves it)."""
        order = self.env["sale.order"].browse(binding.res_id).exists()
        exc = ValidationSyncError(
            f"{self._sale_crm_name()} did not take the invoice figures of order "
            f"{order.name or binding.res_id} on {remote_object} {external_id}: {error}",
            pattern=f"write-back to {remote_object} refused",
        )
        self.env["sync.exception"]._open(
            self,
            exc,
            remote_object=remote_object,
            external_id=external_id,
            res_model="sale.order",
            res_id=order.id or False,
        )

    def _sale_resolve_writeback(self, remote_object, external_ids):
        if not external_ids:
            return
        self.env["sync.exception"].sudo().search(
            [
                ("backend_id", "=", self.id),
                ("state", "=", "open"),
                ("remote_object", "=", remote_object),
                ("external_id", "in", list(external_ids)),
                ("pattern", "=", f"write-back to {remote_object} refused"),
            ]
        )._mark_resolved(self.env._("The invoice figures were written back."))


def _now():
    return fields.Datetime.now()


def _differs(line, name, value):
    field = line._fields[name]
    current = line[name]
    if field.type == "many2one":
        return current.id != value
    if field.type == "float":
        digits = field.get_digits(line.env)
        return float_compare(current, value, precision_digits=digits[1] if digits else 6) != 0
    return (current or "") != (value or "")


def _line_text(product, quantity, price):
    price_text = "" if price is None else f" @ {price:.2f}"
    return f"{product.default_code or product.display_name} x {quantity:g}{price_text}"


def _jsonable(value):
    if isinstance(value, models.BaseModel):
        return value.id or False
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
