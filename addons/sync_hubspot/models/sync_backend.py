# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import functools
from datetime import timedelta

from odoo import fields, models

from odoo.addons.base.models.res_partner import _tz_get
from odoo.addons.sync_core.models.sync_backend import kind_option
from odoo.addons.sync_core.secret_fields import SecretChar

from .. import hubspot_adapter

MANAGER = "sync_core.sync_core_group_manager"
# Refresh an OAuth access token this long before HubSpot's expires_in runs out.
TOKEN_MARGIN = timedelta(minutes=5)
# Where a deal opens in HubSpot's UI (object type 0-3 = deals).
HUBSPOT_APP = "https://app.hubspot.com"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("hubspot", "HubSpot")
    hubspot_auth = fields.Selection(
        [("private_app", "Private app access token"), ("oauth", "OAuth 2.0 app")],
        string="HubSpot authentication",
        default="private_app",
    )
    hubspot_access_token = SecretChar(
        string="Access token",
        groups=MANAGER,
        copy=False,
        help="Private app token, or the current OAuth access token.",
    )
    hubspot_token_expires_at = fields.Datetime(
        string="Access token expires at", groups=MANAGER, copy=False, readonly=True
    )
    hubspot_client_id = fields.Char(string="App client id", groups=MANAGER, copy=False)
    hubspot_client_secret = SecretChar(
        string="App client secret",
        groups=MANAGER,
        copy=False,
        help="App client secret: OAuth refresh and webhook v3 signatures.",
    )
    hubspot_refresh_token = SecretChar(string="OAuth refresh token", groups=MANAGER, copy=False)
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
        res = super()._connection_tested(info)
        if self.kind == "hubspot":
            if info.account_id:
                self.hubspot_portal_id = info.account_id
            zone = info.details.get("time zone")
            if zone in dict(_tz_get(self)):
                self.hubspot_time_zone = zone
        return res

    def _system_role(self):
        return "crm" if self.kind == "hubspot" else super()._system_role()

    def _value_style(self):
        """HubSpot's properties are strings (numbers, dates and booleans included)."""
        return "text" if self.kind == "hubspot" else super()._value_style()

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
