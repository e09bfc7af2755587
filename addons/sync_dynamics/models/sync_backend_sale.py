# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 opportunities on sync_sale's quote-to-order workflow, translation only: row ->
Deal, opportunity products -> DealLines, invoice figures -> opportunity and account columns."""

import functools
from datetime import date

from odoo import fields, models

from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_core.unreadable import UNREADABLE, UnreadableRecordError, is_unreadable
from odoo.addons.sync_sale.deal import LOST, OPEN, WON, Deal, DealLine, DealParty
from odoo.addons.sync_sale.models.sync_backend_crm import CRM_DEALS

OPPORTUNITIES = "opportunities"
STATES = {0: OPEN, 1: WON, 2: LOST}
# sync_sale runs the deal jobs and writes the invoice figures to the columns these fields name
# fmt: off
CRM_DEALS["dynamics"] = {
    "object": OPPORTUNITIES, "noun": "opportunity", "pull_pages": True, "text_max": 4000,
    "deal_fields": (("invoice_numbers", "dynamics_col_invoice_numbers"),
                    ("state", "dynamics_col_invoice_state"),
                    ("amount_invoiced", "dynamics_col_amount_invoiced"),
                    ("amount_paid", "dynamics_col_amount_paid")),
    "party_fields": (("amount_invoiced", "dynamics_account_col_invoiced"),
                     ("amount_paid", "dynamics_account_col_paid")),
}
# fmt: on


def _column(label, default=None):
    help_text = "Dataverse column written with this invoice figure; empty = not written."
    return fields.Char(label, default=default, help=help_text)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    dynamics_col_invoice_numbers = _column("Invoice numbers column", "new_odooinvoicenumbers")
    dynamics_col_invoice_state = _column("Invoice state column", "new_odooinvoicestate")
    dynamics_col_amount_invoiced = _column("Amount invoiced column", "new_odooamountinvoiced")
    dynamics_col_amount_paid = _column("Amount paid column", "new_odooamountpaid")
    dynamics_account_col_invoiced = _column("Account: amount invoiced column")
    dynamics_account_col_paid = _column("Account: amount paid column")
    dynamics_legal_entity_column = fields.Char(
        "Legal entity column",
        help="Opportunity column whose value picks the Odoo company (Quote to order tab, Legal "
        "entities); empty = the name of the opportunity's owning business unit.",
    )

    # ------------------------------------------------------------------ row -> Deal
    def _sale_deal_from_record(self, record, adapter=None):
        if self.kind != "dynamics":
            return super()._sale_deal_from_record(record, adapter=adapter)
        data, opportunity_id = record["data"], record["id"]
        status = STATES.get(data.get("statecode"), OPEN)
        value = _amount(data.get("actualvalue"), "actualvalue") if status == WON else None
        value = value or _amount(data.get("estimatedvalue"), "estimatedvalue") or 0.0
        account = data.get("_parentaccountid_value")
        deal = Deal(
            opportunity_id, data.get("name") or "", status, data.get("stepname") or "", value
        )
        deal.remote_object, deal.archived = OPPORTUNITIES, record["archived"]
        deal.customer = DealParty("accounts", str(account)) if account else None
        deal.updated_at = record["updated_at"]
        deal.close_date = _date(data.get("actualclosedate") or data.get("estimatedclosedate"))
        deal.currency_code = self._dynamics_lookup(adapter, data, "currency") or ""
        deal.company_key = self._dynamics_lookup(adapter, data, "company") or ""
        deal.url = self._remote_record_url(OPPORTUNITIES, opportunity_id) or ""
        if adapter is not None:  # the lines of every opportunity translated so far, at once
            adapter.want_lines(opportunity_id)
            deal.load_lines = functools.partial(_lines, adapter, opportunity_id)
        return deal

    def _dynamics_lookup(self, adapter, data, what):
        """The transaction currency's ISO code, or the legal entity key (the configured
        column, else the owning business unit's name); None without an adapter (a pull
        only asks whether the deal is wanted)."""
        column = (self.dynamics_legal_entity_column or "").strip()
        if what == "company" and column:
            return str(data.get(column) or "")
        if adapter is None:
            return None
        if what == "currency":
            return adapter.lookup_value("transactioncurrencies", "transactioncurrencyid",
                                        data.get("_transactioncurrencyid_value"),
                                        "isocurrencycode")  # fmt: skip
        return adapter.lookup_value(
            "businessunits", "businessunitid", data.get("_owningbusinessunit_value"), "name"
        )


def _amount(value, column):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"Dynamics 365 sent {value!r} as {column}")
    return float(value)


def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise PayloadError(f"Dynamics 365 sent {value!r} as a date") from exc


def _lines(adapter, opportunity_id):
    rows = adapter.lines_of(opportunity_id)
    for row in rows:
        if is_unreadable(row):  # never an order with only some of its lines
            raise UnreadableRecordError(
                f"Dynamics 365 opportunity {opportunity_id}: opportunity product {row['id']} "
                f"cannot be read ({row[UNREADABLE]['error']})", pattern="unreadable line",
            )  # fmt: skip
    return [_line(row) for row in rows]


def _line(row):
    """An opportunityproduct (its product expanded) -> DealLine; the discount is an amount
    on the line in Dataverse, a percentage in Odoo."""
    data = row["data"]
    product = data.get("productid") or {}
    quantity = _amount(data.get("quantity"), "quantity") or 0.0
    price = _amount(data.get("priceperunit"), "priceperunit")
    off = _amount(data.get("manualdiscountamount"), "manualdiscountamount") or 0.0
    gross = (price or 0.0) * quantity
    return DealLine(
        sku=(product.get("productnumber") or "").strip(),
        quantity=quantity,
        name=data.get("productdescription") or product.get("name") or None,
        price_unit=price,
        discount=round(100.0 * off / gross, 4) if gross and off else 0.0,
        external_id=row["id"],
    )
