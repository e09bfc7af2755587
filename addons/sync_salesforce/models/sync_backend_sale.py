# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Salesforce opportunities on the shared quote-to-order workflow (sync_sale): Opportunity ->
canonical Deal, OpportunityLineItem -> DealLine, invoice figures -> Opportunity (and Account)
fields.  Only translation lives here; the workflow is sync_sale's."""

from datetime import date
from urllib.parse import urlparse

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_sale.deal import LOST, OPEN, WON, Deal, DealLine, DealParty

from .. import salesforce_adapter

OPPORTUNITY = "Opportunity"
LINE_ITEM = "OpportunityLineItem"
OPPORTUNITY_FIELDS = (
    "Name",
    "StageName",
    "IsWon",
    "IsClosed",
    "Amount",
    "CloseDate",
    "AccountId",
    "Account.Name",
)
# hosts that log in but show no records (the record link needs the org's instance)
LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    salesforce_won_stages = fields.Char(
        "Won stages",
        help="Comma-separated StageName values that count as won besides IsWon (e.g. "
        "'Contract Signed'). A closed opportunity that is not won is lost.",
    )
    salesforce_legal_entity_field = fields.Char(
        "Legal entity field",
        help="Opportunity field (e.g. Legal_Entity__c) or Account field through the "
        "relationship (e.g. Account.Legal_Entity__c) whose value picks the Odoo company "
        "(Quote to order tab, Legal entities); empty = the backend's company.",
    )
    salesforce_multi_currency = fields.Boolean(
        "Multi-currency org",
        help="The org has multiple currencies enabled: an opportunity's CurrencyIsoCode "
        "gives its order the currency (a pricelist in it). Otherwise every opportunity is in "
        "the org currency below.",
    )
    salesforce_currency = fields.Char(
        "Org currency",
        help="ISO code of a single-currency org; empty = the backend company's currency.",
    )
    salesforce_instance_url = fields.Char(
        "Instance URL",
        readonly=True,
        copy=False,
        help="Set by Test connection; links to records (…/lightning/r/Opportunity/<Id>/view).",
    )
    salesforce_field_invoice_number = fields.Char(
        "Opportunity field: invoice numbers", default="Odoo_Invoice_Number__c"
    )
    salesforce_field_invoice_state = fields.Char(
        "Opportunity field: invoice state", default="Odoo_Invoice_State__c"
    )
    salesforce_field_amount_invoiced = fields.Char(
        "Opportunity field: amount invoiced", default="Odoo_Amount_Invoiced__c"
    )
    salesforce_field_amount_paid = fields.Char(
        "Opportunity field: amount paid", default="Odoo_Amount_Paid__c"
    )
    salesforce_account_field_amount_invoiced = fields.Char(
        "Account field: amount invoiced",
        help="Account field that receives the sum invoiced over the account's orders; "
        "empty = not written.",
    )
    salesforce_account_field_amount_paid = fields.Char(
        "Account field: amount paid",
        help="Account field that receives the sum paid over the account's orders; "
        "empty = not written.",
    )

    # ------------------------------------------------------------------ links
    def action_test_connection(self):
        res = super().action_test_connection()
        for backend in self.filtered(lambda b: b.kind == "salesforce" and b.state == "ok"):
            adapter = backend._get_adapter()
            adapter._connect()  # the cached session of the test: no call
            instance = adapter.sf.sf_instance
            login = urlparse(adapter.login_url)
            scheme = login.scheme if login.netloc == instance else "https"
            backend.salesforce_instance_url = f"{scheme}://{instance}"
        return res

    def _system_role(self):
        return "crm" if self.kind == "salesforce" else super()._system_role()

    def _remote_record_url(self, remote_object, external_id):
        """The record page in Lightning Experience: <instance>/lightning/r/<Object>/<Id>/view
        (the sandbox fake serves the same path)."""
        if self.kind != "salesforce":
            return super()._remote_record_url(remote_object, external_id)
        base = self.salesforce_instance_url or self.base_url or ""
        if not base or not external_id or urlparse(base).hostname in LOGIN_HOSTS:
            return False
        return f"{base.rstrip('/')}/lightning/r/{remote_object}/{external_id}/view"

    def _sale_title(self, deal):
        if self.kind != "salesforce":
            return super()._sale_title(deal)
        return f"Salesforce opportunity {deal.external_id}"

    # ------------------------------------------------------------------ adapter
    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind != "salesforce":
            return config
        wanted = list(OPPORTUNITY_FIELDS)
        if self.salesforce_multi_currency:
            wanted.append("CurrencyIsoCode")
        if self.salesforce_legal_entity_field:
            wanted.append(self.salesforce_legal_entity_field.strip())
        config["fields"][OPPORTUNITY] = wanted
        return config

    # ------------------------------------------------------------------ jobs
    @api.model
    def _cron_schedule_pulls(self):
        res = super()._cron_schedule_pulls()
        Job = self.env["sync.job"]
        for backend in self.search([("kind", "=", "salesforce"), ("active", "=", True)]):
            if not backend._pull_due(OPPORTUNITY):
                continue
            payload = {"object": OPPORTUNITY}
            Job._enqueue(backend, "salesforce_pull_opportunities", payload=payload,
                         identity_key=f"pull:{OPPORTUNITY}")  # fmt: skip
        return res

    @api.model
    def _job_salesforce_pull_opportunities(self, job):
        """Changed opportunities applied page by page (their line items in one query per
        page); one that fails goes to a deal job of its own.  Then deleted opportunities
        (getDeleted) that have an order or opportunity in Odoo get their deal job (the
        workflow raises a conflict for an order, archives an opportunity)."""
        backend = job.backend_id
        started = fields.Datetime.now()
        totals = backend._sale_pull_deals(job, OPPORTUNITY, apply_pages=True)
        if "skipped" not in totals and "stopped" not in totals:
            totals.update(
                backend._salesforce_pull_deletes(
                    OPPORTUNITY, started, job, on_deleted=backend._salesforce_deleted_deals
                )
            )
        return totals

    def _salesforce_deleted_deals(self, ids):
        """Deleted opportunity ids (None: the delete log was purged, every bound one is
        re-read) -> deal jobs of the bound ones, which re-read them (queryAll)."""
        bound = self._sale_bound_deal_ids(OPPORTUNITY)
        todo = sorted(bound if ids is None else bound & set(ids))
        for external_id in todo:
            self._sale_enqueue_deal_job(external_id)
        return {"deletes": len(ids) if ids is not None else "purged", "deleted_deals": len(todo)}

    @api.model
    def _job_salesforce_opportunity(self, job):
        return job.backend_id._sale_deal_job(job, OPPORTUNITY)

    @api.model
    def _job_salesforce_line_items(self, job):
        """Outbound Message of line items without their OpportunityId: re-read them (deleted
        ones too) and enqueue the deal job of each opportunity."""
        backend = job.backend_id
        adapter = backend._get_adapter()
        items = adapter.read_batch(LINE_ITEM, job.payload["ids"], extra_fields=["OpportunityId"])
        backend._note_rate_limit(adapter)
        items, _unreadable = backend._set_aside_unreadable(items, LINE_ITEM, job, job.dry_run)
        opportunities = sorted({i["data"].get("OpportunityId") for i in items} - {None})
        for opportunity in opportunities:
            backend._sale_enqueue_deal_job(opportunity)
        return {"opportunities": opportunities}

    def _webhook_job_values(self, event):
        """Opportunity notifications go to the shared deal job; a line item's to its
        opportunity's (by the notification's OpportunityId, else by re-reading the item)."""
        if self.kind != "salesforce" or event["object_name"] not in (OPPORTUNITY, LINE_ITEM):
            return super()._webhook_job_values(event)
        if event["object_name"] == OPPORTUNITY:
            return self._salesforce_notified_job(event["external_id"])
        sent = (event.get("payload") or {}).get("fields") or {}
        if sent.get("OpportunityId"):
            return self._salesforce_notified_job(sent["OpportunityId"])
        return {
            "kind": "salesforce_line_items",
            "identity_key": f"salesforce_line_items:{event['external_id']}",
            "payload": {"ids": [event["external_id"]]},
        }

    def _salesforce_notified_job(self, opportunity_id):
        """The deal job of notified opportunities: one pending job per backend whose ids the
        notifications of a burst join (one read, one line item query for all of them; a deal
        that fails is handed to a job of its own by the workflow)."""
        values = self._sale_deal_job_values(opportunity_id)
        values["identity_key"] = f"{values['kind']}:notified"
        return values

    # ------------------------------------------------------------------ Opportunity -> Deal
    def _sale_deal_job_kind(self):
        if self.kind == "salesforce":
            return "salesforce_opportunity"
        return super()._sale_deal_job_kind()

    def _sale_deal_job_values(self, external_id):
        values = super()._sale_deal_job_values(external_id)
        if self.kind == "salesforce":  # the job's name says "Opportunity <id> (<order>)"
            values["payload"]["object"] = OPPORTUNITY
        return values

    def _sale_deal_from_record(self, record, adapter=None):
        if self.kind == "salesforce":
            return self._salesforce_deal(record, adapter)
        return super()._sale_deal_from_record(record, adapter=adapter)

    def _salesforce_deal(self, record, adapter=None):
        """An Opportunity -> canonical deal.  Won: IsWon or a configured won stage; lost:
        closed and not won.  Its line items are read when the workflow asks for them, for
        every opportunity of the batch in one query."""
        data = record["data"]
        stage = data.get("StageName") or ""
        won_stages = {s.strip().lower() for s in (self.salesforce_won_stages or "").split(",")}
        if _flag(data.get("IsWon")) or (stage.lower() in won_stages - {""}):
            status = WON
        elif _flag(data.get("IsClosed")):
            status = LOST
        else:
            status = OPEN
        account = data.get("AccountId")
        key_field = (self.salesforce_legal_entity_field or "").strip()
        deal = Deal(
            external_id=record["id"],
            name=data.get("Name") or "",
            status=status,
            stage=stage,
            amount=_number(data.get("Amount"), "Amount") or 0.0,
            currency_code=(
                data.get("CurrencyIsoCode")
                if self.salesforce_multi_currency
                else self.salesforce_currency
            )
            or "",
            close_date=_day(data.get("CloseDate")),
            customer=DealParty(
                "Account", str(account), name=(data.get("Account") or {}).get("Name") or ""
            )
            if account
            else None,
            company_key=str(_path(data, key_field) or "") if key_field else "",
            url=self._remote_record_url(OPPORTUNITY, record["id"]) or "",
            archived=record["archived"],
            updated_at=record["updated_at"],
            remote_object=OPPORTUNITY,
        )
        if adapter is not None:
            adapter.want_lines(record["id"])
            deal.load_lines = lambda: [_deal_line(i) for i in adapter.lines_of(record["id"])]
        return deal

    # ------------------------------------------------------------------ write-back
    def _sale_writeback_job(self):
        if self.kind == "salesforce":  # sync_sale's generic write-back kind
            return ("sale_writeback", "salesforce:writeback")
        return super()._sale_writeback_job()

    def _sale_writeback_values(self, figures):
        """Invoice figures -> the configured Opportunity fields (text, and numbers)."""
        if self.kind == "salesforce":
            return _named(
                (self.salesforce_field_invoice_number, ", ".join(figures.invoice_numbers)[:255]),
                (self.salesforce_field_invoice_state, figures.state),
                (self.salesforce_field_amount_invoiced, round(figures.amount_invoiced, 2)),
                (self.salesforce_field_amount_paid, round(figures.amount_paid, 2)),
            )
        return super()._sale_writeback_values(figures)

    def _sale_writeback_party_values(self, figures):
        """Summed figures of an account's orders -> the configured Account fields."""
        if self.kind == "salesforce":
            return _named(
                (self.salesforce_account_field_amount_invoiced, round(figures.amount_invoiced, 2)),
                (self.salesforce_account_field_amount_paid, round(figures.amount_paid, 2)),
            )
        return super()._sale_writeback_party_values(figures)

    def _sale_send_writeback(self, adapter, remote_object, items):
        """sObject Collections (200 a call, positional results, HTTP 200 with per-item
        failures): {id: None when written, else Salesforce's message}."""
        if self.kind != "salesforce":
            return super()._sale_send_writeback(adapter, remote_object, items)
        results = adapter.write_collection(remote_object, items)
        return {
            ext: None if result.get("success") else salesforce_adapter.item_error(result)
            for (ext, _values), result in zip(items, results, strict=True)
        }


def _named(*pairs):
    """{field: value} of the configured fields (a field left empty is not written); an empty
    text is sent as null (Salesforce clears the field)."""
    return {name: (None if value == "" else value) for name, value in pairs if name}


def _flag(value):
    """A checkbox: JSON true, or "true" in a Bulk CSV."""
    return value is True or str(value).lower() == "true"


def _number(value, label):
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"Salesforce sent {value!r} as {label}") from exc


def _day(value):
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError as exc:
        raise PayloadError(f"Salesforce sent {value!r} as a date") from exc


def _path(data, path):
    """A field, or a relationship path (Account.Legal_Entity__c), of a record's data."""
    value = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _deal_line(item):
    """An OpportunityLineItem (with Product2.ProductCode and Product2.Name) -> DealLine."""
    data = item["data"]
    product = data.get("Product2") or {}
    return DealLine(
        sku=(product.get("ProductCode") or "").strip(),
        quantity=_number(data.get("Quantity"), "Quantity") or 0.0,
        name=data.get("Description") or product.get("Name") or None,
        price_unit=_number(data.get("UnitPrice"), "UnitPrice"),
        discount=_number(data.get("Discount"), "Discount") or 0.0,
        external_id=item["id"],
    )
