# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import (
    ConflictError,
    MissingReferenceError,
    PayloadError,
    ValidationSyncError,
)
from odoo.addons.sync_core.hashing import payload_hash
from odoo.addons.sync_core.mapping import line_command, parse_datetime
from odoo.addons.sync_core.models.sync_mapping import NO_EXPORT

from .. import hubspot_adapter

_logger = logging.getLogger(__name__)
MANAGER = "sync_core.sync_core_group_manager"
# subscriptionType prefix -> CRM object
EVENT_OBJECTS = {
    "company": "companies",
    "contact": "contacts",
    "deal": "deals",
    "line_item": "line_items",
}
# Refresh an OAuth access token this long before HubSpot's expires_in runs out.
TOKEN_MARGIN = timedelta(minutes=5)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = fields.Selection(selection_add=[("hubspot", "HubSpot")], ondelete={"hubspot": "cascade"})
    hubspot_auth = fields.Selection(
        [("private_app", "Private app access token"), ("oauth", "OAuth 2.0 app")],
        string="HubSpot authentication",
        default="private_app",
    )
    hubspot_access_token = fields.Char(
        groups=MANAGER, copy=False, help="Private app token, or the current OAuth access token."
    )
    hubspot_token_expires_at = fields.Datetime(groups=MANAGER, copy=False, readonly=True)
    hubspot_client_id = fields.Char(groups=MANAGER, copy=False)
    hubspot_client_secret = fields.Char(
        groups=MANAGER,
        copy=False,
        help="App client secret: OAuth refresh and webhook v3 signatures.",
    )
    hubspot_refresh_token = fields.Char(groups=MANAGER, copy=False)
    hubspot_portal_id = fields.Char(string="HubSpot portal id", readonly=True, copy=False)
    hubspot_won_stages = fields.Char(
        default="closedwon",
        help="Comma-separated deal stage ids that count as won; 'pipeline:stage' restricts a "
        "stage to one pipeline, e.g. 'closedwon, 1234567:98765'.",
    )
    hubspot_confirm_orders = fields.Boolean(
        default=True,
        help="Confirm the sale order of a won deal (its service products create the project).",
    )
    hubspot_mirror_open_deals = fields.Boolean(
        string="Mirror open deals to CRM",
        help="Open (not won) deals are mirrored to opportunities (crm.lead); when a deal is won "
        "its opportunity is marked won and linked to the sale order.",
    )
    hubspot_search_interval_ms = fields.Integer(
        string="Search spacing (ms)",
        default=200,
        help="Minimum milliseconds between two CRM search calls of this portal (HubSpot allows "
        "about 5 searches per second per portal, apart from its burst limit); 0 = no spacing.",
    )
    hubspot_prop_invoice_number = fields.Char(default="odoo_invoice_number")
    hubspot_prop_invoice_state = fields.Char(default="odoo_invoice_state")
    hubspot_prop_amount_invoiced = fields.Char(default="odoo_amount_invoiced")
    hubspot_prop_amount_paid = fields.Char(default="odoo_amount_paid")

    # ------------------------------------------------------------------ actions
    def action_hubspot_create_default_mappings(self):
        self._hubspot_create_default_mappings()
        return True

    def action_test_connection(self):
        res = super().action_test_connection()
        for backend in self.filtered(lambda b: b.kind == "hubspot"):
            if backend.status_message and "portal" in backend.status_message:
                portal = backend.status_message.split("portal ", 1)[1].split(" ", 1)[0]
                backend.hubspot_portal_id = portal
        return res

    # ------------------------------------------------------------------ adapter and tokens
    def _hubspot_access_token(self):
        """The bearer token to use now; an OAuth token is refreshed proactively when it
        expires within TOKEN_MARGIN (from HubSpot's expires_in), not after a 401."""
        self.ensure_one()
        me = self.sudo()
        if me.hubspot_auth != "oauth":
            return me.hubspot_access_token or ""
        now = fields.Datetime.now()
        expires = me.hubspot_token_expires_at
        if me.hubspot_access_token and expires and expires - TOKEN_MARGIN > now:
            return me.hubspot_access_token
        tokens = hubspot_adapter.refresh_access_token(
            {
                "base_url": me.base_url,
                "client_id": me.hubspot_client_id,
                "client_secret": me.hubspot_client_secret,
                "refresh_token": me.hubspot_refresh_token,
                "timeout": me.timeout,
            }
        )
        me.write(
            {
                "hubspot_access_token": tokens["access_token"],
                "hubspot_refresh_token": tokens["refresh_token"] or me.hubspot_refresh_token,
                "hubspot_token_expires_at": now + timedelta(seconds=tokens["expires_in"]),
            }
        )
        return tokens["access_token"]

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
        config.update(
            access_token=self._hubspot_access_token(),
            auth=self.hubspot_auth,
            properties=properties,
            search_interval=max(self.hubspot_search_interval_ms, 0) / 1000,
            search_key=self.hubspot_portal_id or self.base_url or "api.hubapi.com",
        )
        return config

    def _get_adapter(self):
        if self.kind == "hubspot":
            self.ensure_one()
            return hubspot_adapter.HubSpotAdapter(self._adapter_config())
        return super()._get_adapter()

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
        for item in data:
            if not isinstance(item, dict) or item.get("objectId") in (None, ""):
                raise PayloadError("each HubSpot event needs an objectId")
            event_type = str(item.get("subscriptionType") or item.get("eventType") or "")
            if "." not in event_type:
                raise PayloadError(f"event without subscriptionType: {str(item)[:200]}")
            prefix = event_type.split(".", 1)[0].lower()
            dedup = item.get("eventId")
            events.append(
                {
                    "dedup_key": str(dedup)
                    if dedup not in (None, "")
                    else "hash:" + payload_hash(item),
                    "event_type": event_type,
                    "object_name": EVENT_OBJECTS.get(prefix, prefix),
                    "external_id": str(item["objectId"]),
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
            survivor = payload.get("newObjectId") or payload.get("primaryObjectId")
            ids = [str(survivor or event["external_id"])] + [
                str(i) for i in payload.get("mergedObjectIds") or [] if str(i) != str(survivor)
            ]
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
            self.env["sync.job"]._enqueue(
                backend,
                "hubspot_pull_deals",
                payload={"object": "deals"},
                identity_key="pull:deals",
            )
        return res

    @api.model
    def _job_hubspot_pull_deals(self, job):
        """Incremental pull of deals (the engine's watermark pull): every changed deal that is
        won, or already has an order, gets a deal job of its own (one bad deal is one
        exception)."""
        backend = job.backend_id
        bound = set(
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("res_model", "in", ("sale.order", "crm.lead")),
                    ("remote_object", "=", "deals"),
                ]
            )
            .mapped("external_id")
        )

        def enqueue_deals(page):
            enqueued = 0
            for deal in page:
                if (
                    deal["id"] in bound
                    or (not deal["archived"] and backend._hubspot_is_won(deal["data"]))
                    or (not deal["archived"] and backend.hubspot_mirror_open_deals)
                ):
                    self.env["sync.job"]._enqueue(
                        backend,
                        "hubspot_deal",
                        payload={"ids": [deal["id"]]},
                        identity_key=f"hubspot:deal:{deal['id']}",
                    )
                    enqueued += 1
            return {"enqueued": enqueued}

        return backend._pull("deals", job=job, apply_page=enqueue_deals)

    # ------------------------------------------------------------------ deals
    def _hubspot_is_won(self, data):
        self.ensure_one()
        stage, pipeline = data.get("dealstage") or "", data.get("pipeline") or ""
        for token in (self.hubspot_won_stages or "").split(","):
            token = token.strip()
            if not token:
                continue
            if ":" in token:
                if token == f"{pipeline}:{stage}":
                    return True
            elif token == stage:
                return True
        return False

    @api.model
    def _job_hubspot_deal(self, job):
        backend = job.backend_id
        adapter = backend._get_adapter()
        ids = [str(i) for i in job.payload["ids"]]
        deals = adapter.read_batch("deals", ids)
        backend._note_rate_limit(adapter)
        result = {}
        for deal in deals:
            result[deal["id"]] = backend._hubspot_apply_deal(adapter, deal, job=job)
        backend._note_rate_limit(adapter)
        result["not_found"] = sorted(set(ids) - {d["id"] for d in deals})
        return result

    def _hubspot_apply_deal(self, adapter, deal, job=None):
        """A won deal gets its customer, sale order (lines from its line items) and project,
        exactly once (binding of the order to the deal id).  A deal that leaves won after its
        order exists raises a conflict for a human; nothing is deleted."""
        self.ensure_one()
        Binding = self.env["sync.binding"].sudo()
        data = deal["data"]
        won = not deal["archived"] and self._hubspot_is_won(data)
        binding = Binding._for_external_ids(self, "sale.order", [deal["id"]], "deals").get(
            deal["id"]
        )
        if binding:
            order = self.env["sale.order"].browse(binding.res_id).exists()
            if not won and order and order.state != "cancel":
                what = (
                    "was deleted" if deal["archived"] else f"moved to stage {data.get('dealstage')}"
                )
                raise ConflictError(
                    f"HubSpot deal {deal['id']} ({data.get('dealname')}) {what} but sale order "
                    f"{order.name} exists: review the order (nothing was changed)",
                    pattern="deal left the won stage",
                    res_model="sale.order",
                    res_id=order.id,
                )
            return "order exists"
        lead_binding = Binding._for_external_ids(self, "crm.lead", [deal["id"]], "deals").get(
            deal["id"]
        )
        if not won:
            if self.hubspot_mirror_open_deals or lead_binding:
                return self._hubspot_mirror_lead(deal, lead_binding)
            return "not won"
        lead = self.env["crm.lead"].browse(lead_binding.res_id if lead_binding else []).exists()
        partner = self._hubspot_deal_customer(adapter, deal, job=job)
        order_lines = self._hubspot_deal_lines(adapter, deal)
        order = (
            self.env["sale.order"]
            .with_context(**{NO_EXPORT: True, "tracking_disable": True})
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "origin": f"HubSpot deal {deal['id']}",
                    "client_order_ref": (data.get("dealname") or "")[:250] or False,
                    "order_line": [(0, 0, vals) for vals in order_lines],
                }
            )
        )
        Binding.create(
            {
                "backend_id": self.id,
                "res_model": "sale.order",
                "res_id": order.id,
                "remote_object": "deals",
                "external_id": deal["id"],
                "remote_updated_at": deal["updated_at"] or False,
                "payload_hash": payload_hash(data),
                "last_sync_at": fields.Datetime.now(),
            }
        )
        self.env.flush_all()  # the binding's unique key guards a concurrent twin
        if lead:
            if "opportunity_id" in order._fields:  # sale_crm
                order.opportunity_id = lead
            if lead.active and lead.won_status != "won":
                lead.with_context(tracking_disable=True).action_set_won()
        if self.hubspot_confirm_orders:
            order.action_confirm()
        return f"created {order.name}"

    def _hubspot_mirror_lead(self, deal, binding):
        """An open deal -> its opportunity (crm.lead), created or updated; a deleted deal
        archives it.  The customer is set when the deal's company is already imported."""
        self.ensure_one()
        data = deal["data"]
        Lead = self.env["crm.lead"].with_context(
            **{NO_EXPORT: True, "tracking_disable": True, "mail_create_nosubscribe": True}
        )
        lead = Lead.with_context(active_test=False).browse(binding.res_id if binding else [])
        lead = lead.exists()
        if deal["archived"]:
            if lead.active:
                lead.action_archive()
                return f"lead {lead.id} archived"
            return "deleted, no lead"
        digest = payload_hash(data)
        if lead and binding.payload_hash == digest:
            return f"lead {lead.id} identical"
        close = parse_datetime(data.get("closedate"))
        vals = {
            "name": data.get("dealname") or f"HubSpot deal {deal['id']}",
            "type": "opportunity",
            "expected_revenue": float(data.get("amount") or 0.0),
            "date_deadline": close.date() if close else False,
        }
        company_id = data.get("company_id")
        if company_id:
            partner_binding = (
                self.env["sync.binding"]
                .sudo()
                ._for_external_ids(self, "res.partner", [company_id], "companies")
                .get(company_id)
            )
            if partner_binding and partner_binding.active:
                vals["partner_id"] = partner_binding.res_id
        if lead:
            lead.write(vals)
            binding.write(
                {
                    "payload_hash": digest,
                    "remote_updated_at": deal["updated_at"] or False,
                    "last_sync_at": fields.Datetime.now(),
                }
            )
            return f"lead {lead.id} updated"
        lead = Lead.create({**vals, "company_id": self.company_id.id})
        self.env["sync.binding"].sudo().create(
            {
                "backend_id": self.id,
                "res_model": "crm.lead",
                "res_id": lead.id,
                "remote_object": "deals",
                "external_id": deal["id"],
                "remote_updated_at": deal["updated_at"] or False,
                "payload_hash": digest,
                "last_sync_at": fields.Datetime.now(),
            }
        )
        self.env.flush_all()
        return f"lead {lead.id} created"

    def _hubspot_deal_customer(self, adapter, deal, job=None):
        company_id = deal["data"].get("company_id")
        if not company_id:
            raise MissingReferenceError(
                f"HubSpot deal {deal['id']} ({deal['data'].get('dealname')}) has no associated "
                "company: associate one in HubSpot, then retry",
                pattern="won deal without company",
            )
        Binding = self.env["sync.binding"].sudo()
        binding = Binding._for_external_ids(self, "res.partner", [company_id], "companies").get(
            company_id
        )
        if not binding or not binding.active:
            mapping = self.env["sync.mapping"]._for(self, "companies")
            records = adapter.read_batch("companies", [company_id], archived_too=False)
            mapping._apply_page(records, job=job)
            binding = Binding._for_external_ids(self, "res.partner", [company_id], "companies").get(
                company_id
            )
        partner = self.env["res.partner"].browse(binding.res_id if binding else []).exists()
        if not partner:
            raise MissingReferenceError(
                f"HubSpot deal {deal['id']}: company {company_id} could not be imported",
                pattern="deal company not imported",
            )
        return partner

    def _hubspot_deal_lines(self, adapter, deal):
        links = adapter.associations("deals", "line_items", [deal["id"]]).get(deal["id"], [])
        item_ids = [to_id for to_id, _types in links]
        items = adapter.read_batch("line_items", item_ids, archived_too=False) if item_ids else []
        if not items:
            raise ValidationSyncError(
                f"HubSpot deal {deal['id']} ({deal['data'].get('dealname')}) is won but has no "
                "line items",
                pattern="won deal without line items",
            )
        skus = {(item["data"].get("hs_sku") or "").strip() for item in items}
        products = self.env["product.product"].search([("default_code", "in", sorted(skus - {""}))])
        by_sku = {p.default_code: p for p in products}
        missing = sorted(sku or "(no SKU)" for sku in skus if sku not in by_sku)
        if missing:
            raise MissingReferenceError(
                f"HubSpot deal {deal['id']} ({deal['data'].get('dealname')}): no product with "
                f"SKU {', '.join(missing)} (Internal Reference)",
                pattern=f"missing product SKU {', '.join(missing)}",
            )
        lines = []
        for item in sorted(items, key=lambda i: int(i["id"])):
            data = item["data"]
            product = by_sku[(data.get("hs_sku") or "").strip()]
            vals = {
                "product_id": product.id,
                "product_uom_qty": float(data.get("quantity") or 1.0),
            }
            if data.get("price") not in (None, ""):
                vals["price_unit"] = float(data["price"])
            if data.get("name"):
                vals["name"] = data["name"]
            lines.append(vals)
        return lines

    # ------------------------------------------------------------------ write-back
    @api.model
    def _cron_hubspot_writeback(self):
        for backend in self.search([("kind", "=", "hubspot")]):
            self.env["sync.job"]._enqueue(
                backend, "hubspot_writeback", payload={}, identity_key="hubspot:writeback"
            )

    @api.model
    def _job_hubspot_writeback(self, job):
        return job.backend_id._hubspot_writeback()

    @api.model
    def _hubspot_enqueue_writeback(self, moves):
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
                    ("remote_object", "=", "deals"),
                    ("backend_id.kind", "=", "hubspot"),
                    ("backend_id.active", "=", True),
                ]
            )
        )
        backends = bindings.backend_id
        for backend in backends:
            self.env["sync.job"].sudo()._enqueue(
                backend, "hubspot_writeback", payload={}, identity_key="hubspot:writeback"
            )
        return backends

    def _hubspot_invoice_properties(self, order):
        self.ensure_one()
        invoices = order.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type in ("out_invoice", "out_refund")
        )
        sign = {"out_invoice": 1, "out_refund": -1}
        invoiced = sum(sign[m.move_type] * m.amount_total for m in invoices)
        paid = sum(sign[m.move_type] * self._hubspot_amount_paid(m) for m in invoices)
        states = set(invoices.mapped("payment_state"))
        if not invoices:
            state = ""
        elif states <= {"paid", "in_payment", "reversed"}:
            state = "paid"
        elif states & {"paid", "in_payment", "partial"}:
            state = "partial"
        else:
            state = "not_paid"
        return {
            self.hubspot_prop_invoice_number: ", ".join(invoices.sorted("id").mapped("name")),
            self.hubspot_prop_invoice_state: state,
            self.hubspot_prop_amount_invoiced: f"{invoiced:.2f}",
            self.hubspot_prop_amount_paid: f"{paid:.2f}",
        }

    @api.model
    def _hubspot_amount_paid(self, invoice):
        """Reconciled amount, plus payments matched without a journal entry (Odoo 18+: a
        registered payment on a journal without outstanding account leaves the residual)."""
        paid = invoice.amount_total - invoice.amount_residual
        pending = invoice.matched_payment_ids.filtered(
            lambda p: not p.move_id
            and p.state in ("in_process", "paid")
            and p.currency_id == invoice.currency_id
        )
        return min(invoice.amount_total, paid + sum(pending.mapped("amount")))

    def _hubspot_writeback(self):
        """Invoice figures of the orders bound to deals, sent in batch updates (100 per call);
        only orders whose figures changed since the last send (hash) are sent."""
        self.ensure_one()
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("res_model", "=", "sale.order"),
                    ("remote_object", "=", "deals"),
                ]
            )
        )
        orders = {
            o.id: o for o in self.env["sale.order"].browse(bindings.mapped("res_id")).exists()
        }
        items, metas = [], []
        for binding in bindings:
            order = orders.get(binding.res_id)
            if not order:
                continue
            props = self._hubspot_invoice_properties(order)
            digest = payload_hash(props)
            if digest != binding.export_hash:
                items.append((binding.external_id, props))
                metas.append((binding, digest))
        if not items:
            return {"sent": 0}
        adapter = self._get_adapter()
        written = set(adapter.write_batch("deals", items))
        self._note_rate_limit(adapter)
        now = fields.Datetime.now()
        for binding, digest in metas:
            if binding.external_id in written:
                binding.write({"export_hash": digest, "last_sync_at": now})
        missing = [b.external_id for b, _d in metas if b.external_id not in written]
        if missing:
            raise MissingReferenceError(
                f"HubSpot did not update deals {', '.join(missing)} (deleted?)",
                pattern="write-back to missing deals",
            )
        return {
            "sent": len(written),
            "remote_calls": adapter.calls,
            "rate_limit": adapter.rate_limit,
        }

    # ------------------------------------------------------------------ set-up
    def _hubspot_create_default_mappings(self):
        """Companies and contacts -> res.partner with match rules (idempotent)."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in self.filtered(lambda b: b.kind == "hubspot"):
            existing = set(
                Mapping.search([("backend_id", "=", backend.id)]).mapped("remote_object")
            )
            vals_list = []
            if "companies" not in existing:
                vals_list.append(
                    {
                        "name": "HubSpot companies",
                        "backend_id": backend.id,
                        "remote_object": "companies",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': True}",
                        "delete_policy": "binding",
                        "line_ids": [
                            _line("name", "name"),
                            _line("domain", "website"),
                            _line("phone", "phone"),
                            _line("city", "city"),
                            # HubSpot's country is free text ("Belgium"); by name or ISO code
                            _line("country", "country_id", "ref:country_name"),
                            _line("vat", "vat"),
                        ],
                        "match_ids": [
                            _match("vat", "vat", "iexact", 1, "[('is_company', '=', True)]"),
                            _match(
                                "domain",
                                "website",
                                "email_domain",
                                2,
                                "[('is_company', '=', True)]",
                            ),
                            _match(
                                "domain", "email", "email_domain", 3, "[('is_company', '=', True)]"
                            ),
                        ],
                    }
                )
            if "contacts" not in existing:
                vals_list.append(
                    {
                        "name": "HubSpot contacts",
                        "backend_id": backend.id,
                        "remote_object": "contacts",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': False, 'type': 'contact'}",
                        "delete_policy": "binding",
                        "line_ids": [
                            _line("name", "name"),
                            _line("email", "email", "lower"),
                            _line("phone", "phone"),
                            _line("jobtitle", "function"),
                            _line("company_id", "parent_id", "ref:binding", ref_object="companies"),
                        ],
                        "match_ids": [
                            _match("email", "email", "iexact", 1, "[('is_company', '=', False)]"),
                        ],
                    }
                )
            created |= Mapping.create(vals_list)
        return created

    @api.model
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
        backend = self._demo_backend(
            "hubspot",
            base_url,
            "HubSpot sandbox",
            {
                "hubspot_auth": "private_app",
                "hubspot_access_token": token,
                "hubspot_client_secret": secret,
            },
        )
        backend._hubspot_create_default_mappings()
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


_line = line_command


def _match(remote, odoo, method, sequence, extra_domain=False):
    return (
        0,
        0,
        {
            "remote_field": remote,
            "odoo_field": odoo,
            "method": method,
            "sequence": sequence,
            "extra_domain": extra_domain,
        },
    )
