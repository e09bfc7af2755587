# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 backend: credentials of the application user, the Dataverse adapter, and the
webhooks of a Dataverse service endpoint (WebhookKey authentication)."""

import hmac
from urllib.parse import parse_qs, urlparse

from odoo import fields, models

from odoo.addons.sync_core.exceptions import PayloadError, WebhookAuthError
from odoo.addons.sync_core.hashing import payload_hash
from odoo.addons.sync_core.models.sync_backend import ADAPTERS, kind_option
from odoo.addons.sync_core.models.sync_backend_connector import ACCOUNT_ID_FIELDS
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS
from odoo.addons.sync_core.secret_fields import SecretChar

from .. import dataverse_adapter

MANAGER = "sync_core.sync_core_group_manager"
ADAPTERS["dynamics"] = (dataverse_adapter.DataverseAdapter, None)
ACCOUNT_ID_FIELDS["dynamics"] = "dynamics_org_id"
# what a Dataverse webhook says of itself, kept with each event
KEPT_HEADERS.update({"x-ms-dynamics-organization", "x-ms-dynamics-entity-name",
                     "x-ms-dynamics-request-name", "x-ms-correlation-request-id"})  # fmt: skip
# table (logical) name in a RemoteExecutionContext -> entity set of the Web API
ENTITY_SETS = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities",
               "opportunityproduct": "opportunityproducts"}  # fmt: skip


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("dynamics", "Dynamics 365")
    dynamics_authority = fields.Char(
        string="Entra ID authority",
        default="https://login.microsoftonline.com",
        help="The login host of Microsoft Entra ID (another for a national cloud); the tenant "
        "below is appended to it.",
    )
    dynamics_tenant = fields.Char(string="Tenant id", help="Directory (tenant) id or domain.")
    dynamics_client_id = fields.Char(
        string="Application (client) id", groups=MANAGER, copy=False,
        help="The app registration of the application user Dataverse knows.",
    )  # fmt: skip
    dynamics_client_secret = SecretChar(string="Client secret", groups=MANAGER, copy=False)
    dynamics_org_id = fields.Char("Organization id", readonly=True, copy=False)
    dynamics_webhook_auth = fields.Selection(
        [("WebhookKey", "WebhookKey"), ("HttpHeader", "HttpHeader"),
         ("HttpQueryString", "HttpQueryString")], string="Webhook authentication",
        default="WebhookKey", required=True,
        help="The AuthType of the service endpoint: WebhookKey sends the key as ?code=; "
        "HttpHeader and HttpQueryString send the key-value pair named below.",
    )  # fmt: skip
    dynamics_webhook_key_name = fields.Char(
        "Webhook key name", default="x-sync-key",
        help="HttpHeader / HttpQueryString: the name of the pair the endpoint sends; its value "
        "is the webhook secret.",
    )  # fmt: skip

    # ------------------------------------------------------------------ adapter
    def _adapter_config(self):
        if self.kind != "dynamics":
            return super()._adapter_config()
        config, me, columns = super()._adapter_config(), self.sudo(), self._mapped_remote_fields()
        legal = (self.dynamics_legal_entity_column or "").strip()
        columns.setdefault("opportunities", []).extend([legal] if legal else [])
        config.update(
            authority=f"{(me.dynamics_authority or '').rstrip('/')}/{me.dynamics_tenant or ''}",
            client_id=me.dynamics_client_id or "",
            client_secret=me.dynamics_client_secret or "",
            columns=columns,
            delta_links={
                mark.object_name: mark.dynamics_delta_link
                for mark in me.watermark_ids
                if mark.dynamics_delta_link
            },
        )
        return config

    def _remote_record_url(self, remote_object, external_id):
        """The record's form in the model-driven app (main.aspx, entity record page)."""
        if self.kind != "dynamics":
            return super()._remote_record_url(remote_object, external_id)
        logical = {v: k for k, v in ENTITY_SETS.items()}.get(remote_object)
        if not (self.base_url and logical and external_id):
            return False
        base = self.base_url.rstrip("/")
        return f"{base}/main.aspx?pagetype=entityrecord&etn={logical}&id={external_id}"

    # ------------------------------------------------------------------ webhooks
    def _webhook_verify(self, request_info):
        """The key the service endpoint was registered with must be this backend's webhook
        secret: WebhookKey sends it as the ``code`` query parameter, HttpHeader as the header
        and HttpQueryString as the query parameter named by `dynamics_webhook_key_name`."""
        if self.kind != "dynamics":
            return super()._webhook_verify(request_info)
        expected = self.sudo().webhook_secret or ""
        if not expected:
            raise WebhookAuthError("this backend has no webhook key (secret) yet", status=403)
        auth, name = self.dynamics_webhook_auth, (self.dynamics_webhook_key_name or "").strip()
        if auth == "HttpHeader":
            given = request_info["headers"].get(name) or "" if name else ""
        else:
            query = parse_qs(urlparse(request_info["url"]).query)
            given = query.get("code" if auth == "WebhookKey" else name, [""])[0]
        if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
            raise WebhookAuthError(f"the webhook key ({auth}) is not this backend's", status=401)

    def _webhook_parse(self, request_info):
        """A RemoteExecutionContext -> one event naming the row to re-read (its content is
        never applied: the job reads the row again).  A change of an opportunity product
        names its opportunity (the Target's or pre-image's reference), whose deal job
        re-reads every line."""
        if self.kind != "dynamics":
            return super()._webhook_parse(request_info)
        context = self._webhook_json(request_info)
        if not isinstance(context, dict):
            raise PayloadError("a Dataverse webhook posts one RemoteExecutionContext object")
        message = context.get("MessageName")
        logical = context.get("PrimaryEntityName")
        record_id = context.get("PrimaryEntityId")
        if not (isinstance(message, str) and isinstance(logical, str) and record_id):
            raise PayloadError("MessageName, PrimaryEntityName and PrimaryEntityId are required")
        object_name, external_id = ENTITY_SETS.get(logical, logical), str(record_id)
        if logical == "opportunityproduct":
            external_id = _opportunity_of_line(context)
            object_name = "opportunities" if external_id else "opportunityproducts"
            external_id = external_id or str(record_id)
        key = context.get("RequestId") or context.get("OperationId") or payload_hash(context)
        event = {"dedup_key": f"{key}:{logical}:{record_id}", "event_type": message[:64]}
        return [{**event, "object_name": object_name, "external_id": external_id,
                 "payload": context}]  # fmt: skip


def _opportunity_of_line(context):
    """The opportunity an opportunity product belongs to, as the context's Target or
    pre-image names it (an id to re-read, nothing else is taken from the body)."""
    pairs = [*(context.get("InputParameters") or ()), *(context.get("PreEntityImages") or ())]
    images = [p["value"] for p in pairs if isinstance(p, dict) and isinstance(p.get("value"), dict)]
    for attribute in (a for image in images for a in image.get("Attributes") or ()):
        value = attribute.get("value") if isinstance(attribute, dict) else None
        if isinstance(value, dict) and attribute.get("key") == "opportunityid":
            return str(value.get("Id") or "") or None
    return None
