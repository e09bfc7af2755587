# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import functools
import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.base.models.res_partner import _tz_get
from odoo.addons.sync_core.exceptions import PayloadError, RemoteUnavailableError
from odoo.addons.sync_core.hashing import event_key
from odoo.addons.sync_core.mapping import parse_datetime
from odoo.addons.sync_sale.deal import LOST, OPEN, WON, Deal, DealLine, DealParty

from .. import hubspot_adapter, mappings

_logger = logging.getLogger(__name__)
MANAGER = "sync_core.sync_core_group_manager"
# subscriptionType prefix -> CRM object
EVENT_OBJECTS = {
    "company": "companies",
    "contact": "contacts",
    "deal": "deals",
    "line_item": "line_items",
}
# objectTypeId of generic (object.*) subscriptions -> the prefix of the legacy ones
EVENT_TYPE_IDS = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-8": "line_item"}
# Fields of one delivery of an event, not of the event: HubSpot redelivers an event with a
# higher attemptNumber, the rest unchanged.
DELIVERY_FIELDS = ("attemptNumber",)
# Refresh an OAuth access token this long before HubSpot's expires_in runs out.
TOKEN_MARGIN = timedelta(minutes=5)
# Where a deal opens in HubSpot's UI (object type 0-3 = deals).
HUBSPOT_APP = "https://app.hubspot.com"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = fields.Selection(selection_add=[("hubspot", "HubSpot")], ondelete={"hubspot": "cascade"})
    hubspot_auth = fields.Selection(
        [("private_app", "Private app access token"), ("oauth", "OAuth 2.0 app")],
        string="HubSpot authentication",
        default="private_app",
    )
    hubspot_access_token = fields.Char(
        string="Access token",
        groups=MANAGER,
        copy=False,
        help="Private app token, or the current OAuth access token.",
    )
    hubspot_token_expires_at = fields.Datetime(
        string="Access token expires at", groups=MANAGER, copy=False, readonly=True
    )
    hubspot_client_id = fields.Char(string="App client id", groups=MANAGER, copy=False)
    hubspot_client_secret = fields.Char(
        string="App client secret",
        groups=MANAGER,
        copy=False,
        help="App client secret: OAuth refresh and webhook v3 signatures.",
    )
    hubspot_refresh_token = fields.Char(string="OAuth refresh token", groups=MANAGER, copy=False)
    hubspot_portal_id = fields.Char(string="HubSpot portal id", readonly=True, copy=False)
    hubspot_won_stages = fields.Char(
        string="Won deal stages",
        default="closedwon",
        help="Comma-separated deal stage ids that count as won; 'pipeline:stage' restricts a "
        "stage to one pipeline, e.g. 'closedwon, 1234567:98765'.",
    )
    hubspot_lost_stages = fields.Char(
        string="Lost deal stages",
        default="closedlost",
        help="Comma-separated deal stage ids that count as lost ('pipeline:stage' as for won "
        "stages); a mirrored opportunity of a lost deal is marked lost.",
    )
    hubspot_legal_entity_property = fields.Char(
        string="Legal entity property",
        help="Deal property whose value picks the Odoo company of the order (Quote to order "
        "tab, Legal entities); empty = the backend's company.",
    )
    hubspot_search_interval_ms = fields.Integer(
        string="Search spacing (ms)",
        default=200,
        help="Minimum milliseconds between two CRM search calls of this portal (HubSpot allows "
        "about 5 searches per second per portal, apart from its burst limit); 0 = no spacing.",
    )
    hubspot_time_zone = fields.Selection(
        _tz_get,
        string="HubSpot portal time zone",
        default=lambda self: self.env.company.partner_id.tz or self.env.user.tz or "UTC",
        help="The portal's time zone (HubSpot: Settings > Account defaults); HubSpot's daily "
        "API limit resets at midnight in it. Filled by 'Test connection'; defaults to the "
        "company's time zone, else the user's, else UTC.",
    )
    hubspot_prop_invoice_number = fields.Char(
        string="Deal property: invoice numbers",
        default="odoo_invoice_number",
        help="Internal name of the HubSpot deal property that receives the order's invoice "
        "numbers.",
    )
    hubspot_prop_invoice_state = fields.Char(
        string="Deal property: invoice status", default="odoo_invoice_state"
    )
    hubspot_prop_amount_invoiced = fields.Char(
        string="Deal property: amount invoiced", default="odoo_amount_invoiced"
    )
    hubspot_prop_amount_paid = fields.Char(
        string="Deal property: amount paid", default="odoo_amount_paid"
    )

    # ------------------------------------------------------------------ actions
    def action_hubspot_create_default_mappings(self):
        self._hubspot_create_default_mappings()
        return True

    def _connection_tested(self, info):
        """The portal id (record links, webhooks of this portal only) and its time zone (the
        daily API limit resets at midnight there)."""
        super()._connection_tested(info)
        if self.kind != "hubspot":
            return
        if info.account_id:
            self.hubspot_portal_id = info.account_id
        zone = info.details.get("time zone")
        if zone in dict(_tz_get(self)):
            self.hubspot_time_zone = zone

    def _remote_record_url(self, remote_object, external_id):
        """The record page in HubSpot's app; a sandbox backend on another API host (the
        demo's fake) links to that host, which serves the same path."""
        if self.kind != "hubspot":
            return super()._remote_record_url(remote_object, external_id)
        type_id = hubspot_adapter.OBJECT_TYPE_IDS.get(remote_object)
        if not type_id or not external_id or not self.hubspot_portal_id:
            return False
        base = self.base_url or ""
        if not self.sandbox or not base or "api.hubapi.com" in base:
            base = HUBSPOT_APP
        return (
            f"{base.rstrip('/')}/contacts/{self.hubspot_portal_id}/record/{type_id}/{external_id}"
        )

    # ------------------------------------------------------------------ adapter and tokens
    def _hubspot_access_token(self, force=False):
        """The bearer token to use now; an OAuth token is refreshed proactively when it
        expires within TOKEN_MARGIN (from HubSpot's expires_in), or when `force`d (HubSpot
        refused it with a 401 before that: the adapter's `refresh`)."""
        self.ensure_one()
        me = self.sudo()
        if me.hubspot_auth != "oauth":
            return me.hubspot_access_token or ""

        def fetch(current):
            return hubspot_adapter.refresh_access_token(
                {
                    "base_url": me.base_url,
                    "client_id": me.hubspot_client_id,
                    "client_secret": me.hubspot_client_secret,
                    "refresh_token": current["hubspot_refresh_token"],
                    "timeout": me.timeout,
                }
            )

        return me._oauth_access_token(
            fetch,
            "hubspot_access_token",
            refresh_field="hubspot_refresh_token",
            expires_field="hubspot_token_expires_at",
            force=force,
            margin=TOKEN_MARGIN,
        )

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind != "hubspot":
            return config
        properties = {}
        mappings = self.env["sync.mapping"].sudo().search([("backend_id", "=", self.id)])
        for mapping in mappings:
            names = properties.setdefault(mapping.remote_object, [])
            for line in mapping.line_ids:
                top = line.remote_field.split(".", 1)[0]
                if top not in ("name", "company_id") or mapping.remote_object == "companies":
                    names.append(top)
            names.extend(match.remote_field.split(".", 1)[0] for match in mapping.match_ids)
        if self.hubspot_legal_entity_property:
            properties.setdefault("deals", []).append(self.hubspot_legal_entity_property)
        config.update(
            access_token=self._hubspot_access_token(),
            auth=self.hubspot_auth,
            refresh=(
                functools.partial(self._hubspot_access_token, force=True)
                if self.hubspot_auth == "oauth"
                else None
            ),
            properties=properties,
            search_interval=max(self.hubspot_search_interval_ms, 0) / 1000,
            search_key=self.hubspot_portal_id or self.base_url or "api.hubapi.com",
            time_zone=self.hubspot_time_zone or "UTC",
        )
        return config

    def _get_adapter(self):
        if self.kind == "hubspot":
            self.ensure_one()
            return hubspot_adapter.HubSpotAdapter(self._adapter_config())
        return super()._get_adapter()

    def _remote_field_label(self, remote_object, remote_field):
        if self.kind == "hubspot" and (remote_object, remote_field) == ("contacts", "name"):
            return "HubSpot's first name, last name, email or phone"
        return super()._remote_field_label(remote_object, remote_field)

    # ------------------------------------------------------------------ webhooks
    def _webhook_verify(self, request_info):
        if self.kind != "hubspot":
            return super()._webhook_verify(request_info)
        me = self.sudo()
        hubspot_adapter.verify_v3(
            me.hubspot_client_secret or me.webhook_secret,
            request_info["method"],
            request_info["url"],
            request_info["body"],
            request_info["headers"],
            window=self.webhook_window or 300,
        )

    def _webhook_parse(self, request_info):
        if self.kind != "hubspot":
            return super()._webhook_parse(request_info)
        data = self._webhook_json(request_info)
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not data:
            raise PayloadError("HubSpot webhooks carry a non-empty JSON array of events")
        events = []
        portal = self.hubspot_portal_id
        for item in data:
            if not isinstance(item, dict):
                raise PayloadError("each HubSpot event must be a JSON object")
            object_id = _event_object_id(item)
            if object_id is None:
                raise PayloadError(
                    "each HubSpot event needs an objectId (fromObjectId for an association "
                    "change)"
                )
            # an app's secret signs the deliveries of every portal that installed it
            if portal and str(item.get("portalId")) != portal:
                raise PayloadError(
                    f"event of HubSpot portal {str(item.get('portalId'))[:20]}, but this backend "
                    f"is portal {portal}"
                )
            event_type = str(item.get("subscriptionType") or item.get("eventType") or "")
            if "." not in event_type:
                raise PayloadError(f"event without subscriptionType: {str(item)[:200]}")
            prefix = event_type.split(".", 1)[0].lower()
            if prefix == "object":
                # generic subscriptions (object.creation, object.propertyChange ...) name the
                # object by its type id ("0-1" contacts ...), an association by its "from" side
                type_id = item.get("objectTypeId") or item.get("fromObjectTypeId")
                prefix = EVENT_TYPE_IDS.get(str(type_id), f"object {str(type_id)[:20]}")
            if event_type.endswith(".merge") and not _ids_or_id(item.get("mergedObjectIds")):
                raise PayloadError("a HubSpot merge event's mergedObjectIds must be a list of ids")
            events.append(
                {
                    # HubSpot: eventId "is not guaranteed to be unique"
                    "dedup_key": event_key(
                        item, item.get("eventId"), delivery_fields=DELIVERY_FIELDS
                    ),
                    "event_type": event_type,
                    "object_name": EVENT_OBJECTS.get(prefix, prefix),
                    "external_id": object_id,
                    "payload": item,
                }
            )
        return events

    def _webhook_job_values(self, event):
        if self.kind != "hubspot":
            return super()._webhook_job_values(event)
        payload = event.get("payload") or {}
        object_name = event["object_name"]
        ids = [event["external_id"]]
        if str(event.get("event_type", "")).endswith(".merge"):
            # the survivor first (newObjectId when the merge made a new record, else the
            # primary), then every other record the merge touched: each is re-fetched
            merged = payload.get("mergedObjectIds")
            if not isinstance(merged, list):
                merged = [merged]
            candidates = [
                payload.get("newObjectId"),
                payload.get("primaryObjectId"),
                event["external_id"],
                *merged,
            ]
            ids = list(dict.fromkeys(str(i) for i in candidates if i not in (None, "")))
        if object_name == "deals":
            return {
                "kind": "hubspot_deal",
                "identity_key": f"hubspot:deal:{ids[0]}",
                "payload": {"ids": ids},
            }
        if not self.env["sync.mapping"].search_count(
            [("backend_id", "=", self.id), ("remote_object", "=", object_name)], limit=1
        ):
            return None
        return {
            "kind": "import_record",
            "identity_key": f"import:{object_name}:{ids[0]}",
            "batch_key": f"import:{object_name}",
            "payload": {"object": object_name, "ids": ids},
        }

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

    # ------------------------------------------------------------------ set-up
    def _hubspot_create_default_mappings(self):
        """Companies and contacts -> res.partner with match rules (idempotent)."""
        hubspot = self.filtered(lambda b: b.kind == "hubspot")
        return hubspot._create_default_mappings(mappings.DEFAULT_MAPPINGS)

    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_hubspot"):
            self._hubspot_demo_setup(fake_urls["sync_hubspot"])
        return res

    def _hubspot_demo_setup(self, base_url, token="pat-demo", secret="fake-client-secret"):
        """Sandbox backend wired to a running HubSpot fake (``python addons/sync_hubspot/fake
        --port 8990 --token pat-demo --seed demo``): default mappings, the demo products, and
        pulls of companies, contacts and deals enqueued."""
        backend = self.search(
            [("kind", "=", "hubspot"), ("base_url", "=", base_url), ("sandbox", "=", True)],
            limit=1,
        )
        if not backend:
            backend = self.create(
                {
                    "name": "HubSpot sandbox",
                    "kind": "hubspot",
                    "sandbox": True,
                    "base_url": base_url,
                    "hubspot_auth": "private_app",
                    "hubspot_access_token": token,
                    "hubspot_client_secret": secret,
                }
            )
        backend._hubspot_create_default_mappings()
        backend.action_test_connection()  # its status, and the portal id for record links
        backend._sale_demo_pricelist("EUR")  # the demo portal sells in EUR
        Product = self.env["product.product"]
        for code, name, vals in (
            ("RA-200", "Robot arm RA-200", {"type": "consu", "list_price": 5000.0}),
            (
                "SRV-INSTALL",
                "Installation service",
                {"type": "service", "service_tracking": "project_only", "list_price": 2500.0},
            ),
        ):
            if not Product.search_count([("default_code", "=", code)], limit=1):
                Product.create({"name": name, "default_code": code, **vals})
        Job = self.env["sync.job"]
        for object_name in ("companies", "contacts"):
            Job._enqueue(
                backend, "pull", payload={"object": object_name}, identity_key=f"pull:{object_name}"
            )
        Job._enqueue(
            backend, "hubspot_pull_deals", payload={"object": "deals"}, identity_key="pull:deals"
        )
        return backend


def _number(value):
    """A HubSpot number property (a string, or empty) -> float or None."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"HubSpot sent {value!r} where a number belongs") from exc


def _event_object_id(item):
    """The record an event is about, as a string: ``objectId``; an association change carries
    none (HubSpot sends ``fromObjectId`` and ``toObjectId``), its record is the "from" side.
    None when there is no usable id (missing, empty, a boolean, a list or an object)."""
    value = item.get("objectId")
    if value in (None, "") and str(
        item.get("subscriptionType") or item.get("eventType") or ""
    ).endswith(".associationChange"):
        value = item.get("fromObjectId")
    if value in (None, "") or isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value).strip() or None


def _ids_or_id(value):
    """True for what HubSpot may send as mergedObjectIds: nothing, one id (a number or a
    string), or a list of ids; False for anything else (objects, nested lists, booleans)."""
    if value is None or value == "":
        return True
    values = value if isinstance(value, list) else [value]
    return all(isinstance(v, int | str) and not isinstance(v, bool) for v in values)
