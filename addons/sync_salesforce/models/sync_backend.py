# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import PayloadError, WebhookAuthError
from odoo.addons.sync_core.models.sync_backend import ADAPTERS, kind_option
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS
from odoo.addons.sync_core.secret_fields import SecretChar, SecretText

from .. import outbound, salesforce_adapter

_logger = logging.getLogger(__name__)
MANAGER = "sync_core.sync_core_group_manager"
# Daily API usage the last adapter of this worker saw, per backend id (from _note_rate_limit;
# persisted on the watermark of each pull; seeds new adapters' budget checks).
_LAST_USAGE = {}
# kept with each Outbound Message: the org that sent it
KEPT_HEADERS.update({"x-sfdc-organization-id"})
ADAPTERS["salesforce"] = (salesforce_adapter.SalesforceAdapter, None)


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("salesforce", "Salesforce")
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
    salesforce_password = SecretChar(groups=MANAGER, copy=False)
    salesforce_security_token = SecretChar(groups=MANAGER, copy=False)
    salesforce_consumer_key = fields.Char(groups=MANAGER, copy=False)
    salesforce_consumer_secret = SecretChar(groups=MANAGER, copy=False)
    salesforce_private_key = SecretText(
        groups=MANAGER, copy=False, help="PEM private key whose certificate the connected app has."
    )
    salesforce_api_version = fields.Char(string="Salesforce API version", default="59.0")
    salesforce_org_id = fields.Char(
        string="Salesforce org id",
        copy=False,
        help="Set by Test connection; Outbound Messages of another org are refused.",
    )
    salesforce_bulk_threshold = fields.Integer(
        string="Bulk export above (records)",
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
        string="Bulk export page (records)",
        default=10000,
        help="Records per result page of a Bulk API 2.0 export (maxRecords): the engine saves "
        "its progress after each page.",
    )
    salesforce_api_budget = fields.Float(
        string="Daily API budget (%)",
        default=80.0,
        help="Pulls stop when the org's daily API usage passes this share of its limit "
        "(webhook re-fetches and write-back go on); 0 = no budget.",
    )
    salesforce_api_used = fields.Integer(
        string="Daily API calls used",
        compute="_compute_salesforce_api_usage",
        help="API calls the org made in the last 24 hours, as Salesforce reported them on the "
        "latest reading (a pull, or a connection test), with the limit below.",
    )
    salesforce_api_max = fields.Integer(
        string="Daily API call limit",
        compute="_compute_salesforce_api_usage",
        help="The org's limit of API calls in 24 hours (all integrations together).",
    )
    salesforce_api_checked_at = fields.Datetime(
        string="API usage read at", compute="_compute_salesforce_api_usage"
    )
    salesforce_api_over_budget = fields.Boolean(
        string="Over its API budget",
        compute="_compute_salesforce_api_usage",
        help="The org's daily usage passed the budget share this backend may use: pulls wait "
        "until it falls back (webhook re-fetches and write-back go on).",
    )

    @api.depends(
        "watermark_ids.salesforce_api_used",
        "salesforce_api_budget",
        "connection_info",
        "last_test_at",
        "state",
    )
    def _compute_salesforce_api_usage(self):
        """One figure from one source: the newest reading of the ``Sforce-Limit-Info`` header,
        whether a pull (kept on its watermark) or the connection test read it."""
        for backend in self:
            readings = [
                (mark.salesforce_api_checked_at, mark.id, mark.salesforce_api_used,
                 mark.salesforce_api_max)
                for mark in backend.watermark_ids.filtered("salesforce_api_checked_at")
            ]  # fmt: skip
            tested = backend.state == "ok" and _connection_usage(backend.connection_info)
            if tested and backend.last_test_at:
                readings.append((backend.last_test_at, 0, tested["used"], tested["max"]))
            checked_at, _id, used, maximum = max(readings, default=(False, 0, 0, 0))
            backend.salesforce_api_used = used
            backend.salesforce_api_max = maximum
            backend.salesforce_api_checked_at = checked_at
            backend.salesforce_api_over_budget = bool(
                backend.salesforce_api_budget
                and maximum
                and used >= backend.salesforce_api_budget / 100.0 * maximum
            )

    # ------------------------------------------------------------------ actions
    def action_salesforce_create_default_mappings(self):
        self._salesforce_create_default_mappings()
        return True

    def _connection_tested(self, info):
        """The org id (Outbound Messages of another org are refused), and the daily API usage
        the test read, the backend's figure until a later call reads another."""
        res = super()._connection_tested(info)
        if self.kind == "salesforce":
            if info.account_id:
                self.salesforce_org_id = info.account_id
            usage = _connection_usage(info.as_dict())
            if usage:
                _LAST_USAGE[self._salesforce_usage_key()] = usage
        return res

    # ------------------------------------------------------------------ adapter
    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind != "salesforce":
            return config
        me = self.sudo()
        names = self._mapped_remote_fields()
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

    def _value_style(self):
        """Values go out as strings, as they always have (Salesforce converts them to the
        field's type); typed JSON ("json") is what its REST API documents, a change of the
        values sent (and of every export hash) left for its own decision."""
        return "text" if self.kind == "salesforce" else super()._value_style()

    def _get_adapter(self):
        adapter = super()._get_adapter()
        if self.kind == "salesforce":
            adapter.api_usage = _LAST_USAGE.get(self._salesforce_usage_key()) or (
                {"used": self.salesforce_api_used, "max": self.salesforce_api_max}
                if self.salesforce_api_max
                else None
            )
        return adapter

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


def _connection_usage(info):
    """{"used", "max"} of the daily API calls a connection test read, or None."""
    for limit in (info or {}).get("limits") or ():
        if limit.get("label") == "daily API calls" and limit.get("max") is not None:
            return {"used": limit.get("used") or 0, "max": limit["max"]}
    return None
