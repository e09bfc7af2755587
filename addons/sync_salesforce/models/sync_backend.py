# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import PayloadError, WebhookAuthError
from odoo.addons.sync_core.mapping import line_command as _line
from odoo.addons.sync_core.mapping import match_command as _match

from .. import outbound, salesforce_adapter

_logger = logging.getLogger(__name__)
MANAGER = "sync_core.sync_core_group_manager"
# Daily API usage the last adapter of this worker saw, per backend id (from _note_rate_limit;
# persisted on the watermark of each pull; seeds new adapters' budget checks).
_LAST_USAGE = {}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = fields.Selection(
        selection_add=[("salesforce", "Salesforce")], ondelete={"salesforce": "cascade"}
    )
    salesforce_auth = fields.Selection(
        [
            ("password", "Username, password and security token"),
            ("jwt", "OAuth 2.0 JWT bearer (connected app certificate)"),
            ("client_credentials", "OAuth 2.0 client credentials"),
        ],
        string="Salesforce login",
        default="password",
        help="The login URL is the API base URL when set (a My Domain, e.g. "
        "https://acme.my.salesforce.com; required for client credentials), else "
        "https://test.salesforce.com for a sandbox and https://login.salesforce.com otherwise.",
    )
    salesforce_username = fields.Char(groups=MANAGER, copy=False)
    salesforce_password = fields.Char(groups=MANAGER, copy=False)
    salesforce_security_token = fields.Char(groups=MANAGER, copy=False)
    salesforce_consumer_key = fields.Char(groups=MANAGER, copy=False)
    salesforce_consumer_secret = fields.Char(groups=MANAGER, copy=False)
    salesforce_private_key = fields.Text(
        groups=MANAGER, copy=False, help="PEM private key whose certificate the connected app has."
    )
    salesforce_api_version = fields.Char(string="Salesforce API version", default="59.0")
    salesforce_org_id = fields.Char(
        string="Salesforce org id",
        copy=False,
        help="Set by Test connection; Outbound Messages of another org are refused.",
    )
    salesforce_bulk_threshold = fields.Integer(
        default=10000,
        help="A pull matching more records than this (initial load, resync) reads them "
        "through a Bulk API 2.0 query job; 0 = never.",
    )
    salesforce_query_batch_size = fields.Integer(
        string="Query batch size",
        default=2000,
        help="Records per SOQL query response (Sforce-Query-Options batchSize, 200 to 2000); "
        "pages of the backend's page size are cut from it, so a large batch saves API calls.",
    )
    salesforce_bulk_page_size = fields.Integer(
        default=10000, help="Rows per Bulk API 2.0 result page (maxRecords)."
    )
    salesforce_api_budget = fields.Float(
        string="Daily API budget (%)",
        default=80.0,
        help="Pulls stop when the org's daily API usage passes this share of its limit "
        "(webhook re-fetches and write-back go on); 0 = no budget.",
    )
    salesforce_api_used = fields.Integer(compute="_compute_salesforce_api_usage")
    salesforce_api_max = fields.Integer(compute="_compute_salesforce_api_usage")

    @api.depends("watermark_ids.salesforce_api_used")
    def _compute_salesforce_api_usage(self):
        for backend in self:
            marks = backend.watermark_ids.filtered("salesforce_api_checked_at").sorted(
                lambda w: (w.salesforce_api_checked_at, w.id), reverse=True
            )[:1]
            backend.salesforce_api_used = marks.salesforce_api_used
            backend.salesforce_api_max = marks.salesforce_api_max

    # ------------------------------------------------------------------ actions
    def action_salesforce_create_default_mappings(self):
        self._salesforce_create_default_mappings()
        return True

    def action_test_connection(self):
        res = super().action_test_connection()
        for backend in self.filtered(lambda b: b.kind == "salesforce"):
            message = backend.status_message or ""
            if message.startswith("Salesforce org "):
                backend.salesforce_org_id = message.split(" ", 3)[2]
        return res

    # ------------------------------------------------------------------ adapter
    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind != "salesforce":
            return config
        me = self.sudo()
        names = {}
        for mapping in self.env["sync.mapping"].sudo().search([("backend_id", "=", self.id)]):
            wanted = names.setdefault(mapping.remote_object, [])
            wanted.extend(line.remote_field for line in mapping.line_ids)
            wanted.extend(match.remote_field for match in mapping.match_ids)
        config.update(
            login_url=me.base_url or "",
            auth=me.salesforce_auth,
            username=me.salesforce_username,
            password=me.salesforce_password,
            security_token=me.salesforce_security_token or "",
            consumer_key=me.salesforce_consumer_key,
            consumer_secret=me.salesforce_consumer_secret,
            private_key=me.salesforce_private_key,
            api_version=me.salesforce_api_version,
            fields=names,
            bulk_threshold=max(me.salesforce_bulk_threshold, 0),
            bulk_page_size=me.salesforce_bulk_page_size or 10000,
            query_batch_size=me.salesforce_query_batch_size or 2000,
            budget_share=max(me.salesforce_api_budget, 0.0) / 100.0,
        )
        return config

    def _get_adapter(self):
        if self.kind == "salesforce":
            self.ensure_one()
            adapter = salesforce_adapter.SalesforceAdapter(self._adapter_config())
            adapter.page_size = self.page_size or adapter.page_size
            adapter.api_usage = _LAST_USAGE.get(self._salesforce_usage_key()) or (
                {"used": self.salesforce_api_used, "max": self.salesforce_api_max}
                if self.salesforce_api_max
                else None
            )
            return adapter
        return super()._get_adapter()

    def _note_rate_limit(self, adapter):
        if self.kind == "salesforce" and getattr(adapter, "api_usage", None):
            _LAST_USAGE[self._salesforce_usage_key()] = adapter.api_usage
        return super()._note_rate_limit(adapter)

    # ------------------------------------------------------------------ Outbound Messages
    def _webhook_verify(self, request_info):
        """The path token found this backend; the envelope's OrganizationId must be its org's
        (a malformed envelope is left to _webhook_parse, which keeps it as rejected)."""
        if self.kind != "salesforce":
            return super()._webhook_verify(request_info)
        try:
            envelope = outbound.parse_envelope(request_info["body"])
        except PayloadError:
            return
        expected = (self.salesforce_org_id or "")[:15]
        if not expected:
            raise WebhookAuthError(
                "this backend has no Salesforce org id yet: run Test connection", status=403
            )
        if envelope["organization_id"][:15] != expected:
            raise WebhookAuthError("OrganizationId is not this backend's org", status=403)

    def _webhook_parse(self, request_info):
        if self.kind != "salesforce":
            return super()._webhook_parse(request_info)
        envelope = outbound.parse_envelope(request_info["body"])
        return [
            {
                "dedup_key": note["id"],
                "event_type": "outbound_message",
                "object_name": note["sobject"],
                "external_id": note["fields"]["Id"],
                "payload": {
                    "notification_id": note["id"],
                    "action_id": envelope["action_id"],
                    "sobject": note["sobject"],
                    "fields": note["fields"],
                },
            }
            for note in envelope["notifications"]
        ]

    def _webhook_answer(self, http_status, body):
        """Salesforce expects ``notificationsResponse/Ack`` true (sent only after the
        notifications are stored); anything else, here a SOAP fault, makes it deliver again."""
        if self.kind != "salesforce":
            return super()._webhook_answer(http_status, body)
        headers = [("Content-Type", "text/xml; charset=utf-8")]
        if http_status == 200:
            return outbound.ack(), headers, 200
        code = "soapenv:Server" if http_status >= 500 else "soapenv:Client"
        # SOAP 1.1 (section 6.2): a fault travels with HTTP 500.
        return outbound.fault(body.get("reason") or "refused", code), headers, 500

    # ------------------------------------------------------------------ pulls
    def _pull(self, object_name, job=None, dry_run=False, apply_page=None):
        """Changes by the engine's watermark pull (SystemModstamp keyset, or Bulk 2.0 for big
        loads), then deletes through getDeleted.  A pull that passes the org's daily API budget
        stops with one exception for the backend."""
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
        except salesforce_adapter.ApiBudgetExceeded as exc:
            self.env.cr.rollback()
            self.env["sync.exception"]._open(
                self, exc, remote_object="(org)", external_id="daily API budget"
            )
            self._salesforce_keep_usage(object_name)
            return {"stopped": exc.message}
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

    def _salesforce_pull_deletes(self, object_name, started, job=None, dry_run=False):
        """Deletes since the delete cursor (getDeleted), applied through the mapping's delete
        policy; ``latestDateCovered`` becomes the next start.  When the delete log no longer
        reaches back to the cursor (``earliestDateAvailable`` later, or older than Salesforce
        keeps), a full id reconciliation runs instead, and says so on the backend."""
        wm = self._watermark(object_name)
        if not wm.salesforce_deleted_until:
            if not dry_run:  # first pull: deletes are tracked from now on
                wm.salesforce_deleted_until = started
            return {"deletes": 0}
        if not wm._try_lock():
            return {"deletes": "skipped: a pull of this object is running"}
        try:
            mapping = self.env["sync.mapping"]._for(self, object_name)
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
            if purged:
                return self._salesforce_reconcile(mapping, adapter, wm, job, dry_run)
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
        bindings = (
            self.env["sync.binding"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.id),
                    ("remote_object", "=", mapping.remote_object),
                    ("res_model", "=", mapping.res_model),
                ]
            )
        )
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

    # ------------------------------------------------------------------ set-up
    def _salesforce_create_default_mappings(self):
        """Account -> company, Contact -> person under its account (idempotent, editable)."""
        Mapping = self.env["sync.mapping"]
        created = Mapping.browse()
        for backend in self.filtered(lambda b: b.kind == "salesforce"):
            existing = set(
                Mapping.search([("backend_id", "=", backend.id)]).mapped("remote_object")
            )
            vals_list = []
            if "Account" not in existing:
                vals_list.append(
                    {
                        "name": "Salesforce accounts",
                        "backend_id": backend.id,
                        "remote_object": "Account",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': True}",
                        "delete_policy": "archive",
                        "line_ids": [
                            _line("Name", "name"),
                            _line("Website", "website"),
                            _line("Phone", "phone"),
                            _line("BillingStreet", "street"),
                            _line("BillingCity", "city"),
                            _line("BillingPostalCode", "zip"),
                            _line("BillingCountry", "country_id", "ref:country_name"),
                        ],
                        "match_ids": [
                            _match(
                                "Website",
                                "website",
                                "email_domain",
                                1,
                                "[('is_company', '=', True)]",
                            ),
                        ],
                    }
                )
            if "Contact" not in existing:
                vals_list.append(
                    {
                        "name": "Salesforce contacts",
                        "backend_id": backend.id,
                        "remote_object": "Contact",
                        "res_model": "res.partner",
                        "default_values": "{'is_company': False, 'type': 'contact'}",
                        "delete_policy": "archive",
                        "line_ids": [
                            _line("Name", "name"),
                            _line("Email", "email", "lower"),
                            _line("Phone", "phone"),
                            _line("Title", "function"),
                            _line("AccountId", "parent_id", "ref:binding", ref_object="Account"),
                        ],
                        "match_ids": [
                            _match("Email", "email", "iexact", 1, "[('is_company', '=', False)]"),
                        ],
                    }
                )
            created |= Mapping.create(vals_list)
        return created

    @api.model
    def _demo_setup(self, fake_urls):
        res = super()._demo_setup(fake_urls)
        if fake_urls.get("sync_salesforce"):
            self._salesforce_demo_setup(fake_urls["sync_salesforce"])
        return res

    def _salesforce_demo_setup(
        self,
        login_url,
        username="integration@example.com",
        password="demo-password",
        token="DEMOTOKEN",
    ):
        """Sandbox backend wired to a running Salesforce fake (``python
        addons/sync_salesforce/fake --port 8991 --seed demo``): test connection (org id), default
        mappings, pulls of accounts and contacts enqueued."""
        backend = self.search(
            [("kind", "=", "salesforce"), ("base_url", "=", login_url), ("sandbox", "=", True)],
            limit=1,
        )
        if not backend:
            backend = self.create(
                {
                    "name": "Salesforce sandbox",
                    "kind": "salesforce",
                    "sandbox": True,
                    "base_url": login_url,
                    "salesforce_auth": "password",
                    "salesforce_username": username,
                    "salesforce_password": password,
                    "salesforce_security_token": token,
                }
            )
        backend._salesforce_create_default_mappings()
        try:
            backend.action_test_connection()
        except Exception:  # noqa: BLE001  the demo goes on; the backend shows the error
            _logger.warning("Salesforce sandbox demo: connection test failed", exc_info=True)
        # contacts refer to their account's binding: accounts first
        now = fields.Datetime.now()
        for object_name, delay in (("Account", 0), ("Contact", 15)):
            self.env["sync.job"]._enqueue(
                backend,
                "pull",
                payload={"object": object_name},
                identity_key=f"pull:{object_name}",
                eta=now + timedelta(seconds=delay),
            )
        return backend
