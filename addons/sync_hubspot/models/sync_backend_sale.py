# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot deals: their scheduled pulls, deals read as the quote-to-order workflow's
canonical deals, and the write-back of the invoice figures."""

from odoo import api, models

from odoo.addons.sync_core.exceptions import PayloadError, RemoteUnavailableError
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_core.unreadable import UnreadableRecordError, is_unreadable
from odoo.addons.sync_sale.deal import LOST, OPEN, WON, Deal, DealLine, DealParty


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ pulls
    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        for backend in self.search([("kind", "=", "hubspot")]):
            if not backend._pull_due("deals"):
                continue
            self.env["sync.job"]._enqueue(
                backend,
                "hubspot_pull_deals",
                payload={"object": "deals"},
                identity_key="pull:deals",
            )
        return res

    @api.model
    def _job_hubspot_pull_deals(self, job):
        """Incremental pull of deals through the shared quote-to-order workflow (sync_sale)."""
        return job.backend_id._sale_pull_deals(job, "deals")

    @api.model
    def _job_hubspot_deal(self, job):
        return job.backend_id._sale_deal_job(job, "deals")

    @api.model
    def _job_hubspot_writeback(self, job):
        return self._job_sale_writeback(job)

    # ------------------------------------------------------------------ deals -> canonical deals
    def _hubspot_is_won(self, data):
        return self._hubspot_stage_in(data, self.hubspot_won_stages)

    def _hubspot_stage_in(self, data, stages):
        self.ensure_one()
        stage, pipeline = data.get("dealstage") or "", data.get("pipeline") or ""
        for token in (stages or "").split(","):
            token = token.strip()
            if not token:
                continue
            if ":" in token:
                if token == f"{pipeline}:{stage}":
                    return True
            elif token == stage:
                return True
        return False

    def _sale_deal_job_values(self, external_id):
        if self.kind != "hubspot":
            return super()._sale_deal_job_values(external_id)
        return {
            "kind": "hubspot_deal",
            "identity_key": f"hubspot:deal:{external_id}",
            "payload": {"ids": [str(external_id)]},
        }

    def _sale_deal_from_record(self, record, adapter=None):
        """A HubSpot deal (properties, primary company association) -> canonical deal; its
        line items are read only when the workflow asks for them."""
        if self.kind != "hubspot":
            return super()._sale_deal_from_record(record, adapter=adapter)
        data = record["data"]
        if self._hubspot_is_won(data):
            status = WON
        elif self._hubspot_stage_in(data, self.hubspot_lost_stages):
            status = LOST
        else:
            status = OPEN
        close = parse_datetime(data.get("closedate"))
        company_id = data.get("company_id")
        deal = Deal(
            external_id=record["id"],
            name=data.get("dealname") or "",
            status=status,
            stage=data.get("dealstage") or "",
            amount=_number(data.get("amount")) or 0.0,
            currency_code=data.get("deal_currency_code") or "",
            close_date=close.date() if close else None,
            customer=DealParty("companies", str(company_id)) if company_id else None,
            company_key=str(data.get(self.hubspot_legal_entity_property) or "")
            if self.hubspot_legal_entity_property
            else "",
            url=self._remote_record_url("deals", record["id"]) or "",
            archived=record["archived"],
            updated_at=record["updated_at"],
        )
        if adapter is not None:
            deal.load_lines = lambda: self._hubspot_deal_lines(adapter, record["id"])
        return deal

    @api.model
    def _hubspot_deal_lines(self, adapter, deal_id):
        """The deal's line items (v4 associations, batch read) as canonical lines, by id.
        An associated line item the read did not return (HubSpot answers a batch read 207
        with the ids it could not get) fails the deal's attempt: an order is never made
        with only some of its lines."""
        links = adapter.associations("deals", "line_items", [deal_id]).get(deal_id, [])
        item_ids = list(dict.fromkeys(to_id for to_id, _types in links))
        items = adapter.read_batch("line_items", item_ids, archived_too=False) if item_ids else []
        for item in items:
            if is_unreadable(item):  # never an order with only some of its lines
                raise UnreadableRecordError(
                    f"HubSpot deal {deal_id}: line item {item['id']} cannot be read "
                    f"({item['unreadable']['error']})",
                    pattern="unreadable line item",
                )
        missing = sorted(set(item_ids) - {item["id"] for item in items})
        if missing:
            raise RemoteUnavailableError(
                f"HubSpot deal {deal_id}: line items {', '.join(missing[:10])} are associated "
                "but the read did not return them",
                pattern="line items not returned",
            )
        lines = []
        for item in sorted(items, key=lambda i: int(i["id"])):
            data = item["data"]
            price = _number(data.get("price"))
            quantity = _number(data.get("quantity"))
            discount = _number(data.get("hs_discount_percentage"))
            unit_discount = _number(data.get("discount"))
            if discount is None and unit_discount and price:
                discount = 100.0 * unit_discount / price
            lines.append(
                DealLine(
                    sku=(data.get("hs_sku") or "").strip(),
                    quantity=1.0 if quantity is None else quantity,
                    name=data.get("name") or None,
                    price_unit=price,
                    discount=discount or 0.0,
                    external_id=item["id"],
                )
            )
        return lines

    # ------------------------------------------------------------------ write-back
    def _sale_writeback_job(self):
        if self.kind != "hubspot":
            return super()._sale_writeback_job()
        return ("hubspot_writeback", "hubspot:writeback")

    def _sale_writeback_values(self, figures):
        """Invoice figures -> the configured deal properties (HubSpot takes strings)."""
        if self.kind != "hubspot":
            return super()._sale_writeback_values(figures)
        return {
            self.hubspot_prop_invoice_number: ", ".join(figures.invoice_numbers),
            self.hubspot_prop_invoice_state: figures.state,
            self.hubspot_prop_amount_invoiced: f"{figures.amount_invoiced:.2f}",
            self.hubspot_prop_amount_paid: f"{figures.amount_paid:.2f}",
        }


def _number(value):
    """A HubSpot number property (a string, or empty) -> float or None."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"HubSpot sent {value!r} where a number belongs") from exc
