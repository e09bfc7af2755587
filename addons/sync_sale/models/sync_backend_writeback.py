# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Quote to order: invoice figures of the orders of deals written back to the CRM (the
outbox), per deal and per customer."""

from odoo import api, models

from odoo.addons.sync_core.exceptions import ValidationSyncError
from odoo.addons.sync_core.hashing import payload_hash

from ..deal import InvoiceFigures, invoice_state
from .sync_backend import _now


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ connector hooks
    def _sale_writeback_job(self):
        """Connector hook: (job kind code, identity key) of this backend's write-back of
        invoice figures; empty when its connector writes nothing back."""
        return ()

    def _sale_writeback_values(self, figures):
        """Connector hook: `InvoiceFigures` -> the remote fields to write on the deal.  No
        default: each CRM connector maps the figures to its own fields (HubSpot to its
        configured deal properties, Salesforce to its Opportunity fields); the generic REST
        backend of sync_core (sandbox and tests) takes them under their canonical names."""
        if self.kind != "generic":
            raise NotImplementedError(f"{self.kind} does not map invoice figures to deals")
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
        becomes its own exception.  An adapter that tells each item's outcome offers
        `write_outcomes(remote_object, items)` -> that mapping, and it is used."""
        if hasattr(adapter, "write_outcomes"):
            return adapter.write_outcomes(remote_object, items)
        return adapter.write_batch(remote_object, items)

    # ------------------------------------------------------------------ the write-back
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
