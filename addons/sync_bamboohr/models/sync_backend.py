# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The BambooHR backend kind: credentials, adapter, signed webhooks, what to mask, and the
sandbox demo.  What every HR backend does (pulls, leave, reconciliation) is in sync_hr."""

import hmac
from functools import partial

from odoo import api, fields, models

from odoo.addons.sync_core.exceptions import PayloadError, WebhookAuthError
from odoo.addons.sync_core.hashing import event_key
from odoo.addons.sync_core.models.sync_backend import ADAPTERS, kind_option
from odoo.addons.sync_core.models.sync_backend_demo import DEMO_SETUPS
from odoo.addons.sync_core.models.sync_backend_health import KIND_ROLES
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS
from odoo.addons.sync_core.secret_fields import SecretChar
from odoo.addons.sync_core.signatures import check_timestamp, hmac_hex
from odoo.addons.sync_hr import hr

from .. import bamboohr_adapter

MANAGER = "sync_core.sync_core_group_manager"
# kept with each webhook event: when BambooHR signed it
KEPT_HEADERS.update({"x-bamboohr-timestamp"})
ADAPTERS["bamboohr"] = (bamboohr_adapter.BambooHRAdapter, None)
DEMO_SETUPS["sync_bamboohr"] = "_bamboohr_demo_setup"
KIND_ROLES["bamboohr"] = "hr"


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    kind = kind_option("bamboohr", "BambooHR (HR)")
    bamboohr_company = fields.Char(
        string="BambooHR company domain",
        help="The company's subdomain: 'acme' for acme.bamboohr.com.",
    )
    bamboohr_api_key = SecretChar(
        string="BambooHR API key",
        groups=MANAGER,
        copy=False,
        help="An API key of a BambooHR user allowed to read employees, compensation and time "
        "off (sent as the Basic authentication user, with 'x' as password).",
    )
    bamboohr_oauth_scopes = fields.Char(
        string="BambooHR OAuth scopes",
        default=bamboohr_adapter.OAUTH_SCOPES,
        help="Asked for at Connect, space-separated: add the API scopes your BambooHR app was "
        "given in the developer portal (offline_access: a refresh token).",
    )

    # ------------------------------------------------------------------ adapter
    def _oauth_providers(self):
        """BambooHR's OAuth app on the company's own subdomain (sync_core's Connect)."""
        if self.kind != "bamboohr":
            return super()._oauth_providers()
        provider = dict(bamboohr_adapter.OAUTH["bamboohr"])
        for name in ("authorize_url", "token_url"):
            provider[name] = provider[name].replace("{company}", self.bamboohr_company or "")
        provider["scopes"] = (self.bamboohr_oauth_scopes or bamboohr_adapter.OAUTH_SCOPES).split()
        return {"bamboohr": provider}

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.kind == "bamboohr":
            me = self.sudo()
            config["base_url"] = self.base_url or bamboohr_adapter.DEFAULT_BASE_URL
            config["company"] = self.bamboohr_company or ""
            config["api_key"] = me.bamboohr_api_key or ""
            if me.auth_mode == "oauth":
                config["access_token"] = me._oauth_token("bamboohr")
                config["refresh"] = partial(me._oauth_token, "bamboohr", force=True)
        return config

    def _remote_record_url(self, remote_object, external_id):
        if self.kind != "bamboohr":
            return super()._remote_record_url(remote_object, external_id)
        if remote_object != hr.EMPLOYEES or not external_id or not self.bamboohr_company:
            return False
        return (
            f"https://{self.bamboohr_company}.bamboohr.com/employees/employee.php?id={external_id}"
        )

    def _sync_sensitive_keys(self):
        """Keys of BambooHR payloads that carry pay: masked by sync_core wherever it keeps a
        payload (audit rows, events, job payloads, exceptions)."""
        keys = set(getattr(super(), "_sync_sensitive_keys", lambda: set())())
        if self.kind == "bamboohr":
            keys |= bamboohr_adapter.SENSITIVE_KEYS | hr.SENSITIVE_KEYS
        return keys

    # ------------------------------------------------------------------ webhooks
    def _webhook_verify(self, request_info):
        """X-BambooHR-Signature = hex HMAC-SHA256 of (raw body + X-BambooHR-Timestamp) with the
        webhook's private key (the backend's webhook secret); a stale timestamp is refused."""
        if self.kind != "bamboohr":
            return super()._webhook_verify(request_info)
        secret = self.sudo().webhook_secret
        if not secret:
            raise WebhookAuthError("backend has no BambooHR webhook private key", status=403)
        headers = request_info["headers"]
        signature = headers.get("X-BambooHR-Signature")
        if not signature:
            raise WebhookAuthError("missing signature header")
        stamp = headers.get("X-BambooHR-Timestamp")
        check_timestamp(stamp, window=self.webhook_window or 300)
        expected = hmac_hex(secret, (request_info["body"] or b"") + str(stamp).encode())
        if not hmac.compare_digest(
            expected.encode(), signature.strip().lower().encode("utf-8", "replace")
        ):
            raise WebhookAuthError("bad signature")

    def _webhook_parse(self, request_info):
        """``{"employees": [{"id", "action", "timestamp", ...}]}`` -> one event per employee;
        the job re-reads the employee, so the posted field values are not used."""
        if self.kind != "bamboohr":
            return super()._webhook_parse(request_info)
        _data, items = self._webhook_member(
            request_info, "employees", list, "BambooHR webhooks carry a non-empty 'employees' list"
        )
        events = []
        for item in items:
            emp_id = item.get("id") if isinstance(item, dict) else None
            if emp_id in (None, "") or isinstance(emp_id, bool | dict | list):
                raise PayloadError("each BambooHR webhook employee needs an 'id'")
            # only the id and the action are kept: the posted fields may carry pay
            kept = {k: item.get(k) for k in ("id", "action", "timestamp", "changedFields")}
            events.append(
                {
                    "dedup_key": event_key(kept, emp_id),
                    "event_type": f"employee.{str(item.get('action') or 'updated').lower()}",
                    "object_name": hr.EMPLOYEES,
                    "external_id": str(emp_id),
                    "payload": kept,
                }
            )
        return events

    # ------------------------------------------------------------------ demo
    @api.model
    def _bamboohr_demo_setup(self, base_url, company="fakeco", key="bamboo-demo"):
        """Sandbox BambooHR backend on its fake (``python addons/sync_bamboohr/fake --port 8996
        --seed demo``): its Vacation type mapped to an Odoo Vacation type (made when
        missing), a first sync enqueued."""
        backend = self.search([("kind", "=", "bamboohr"), ("sandbox", "=", True)], limit=1)
        if not backend:
            backend = self.create(
                {
                    "name": "BambooHR (sandbox)",
                    "kind": "bamboohr",
                    "sandbox": True,
                    "base_url": base_url,
                    "bamboohr_company": company,
                }
            )
            backend.sudo().write({"bamboohr_api_key": key, "webhook_secret": "bamboo-demo-key"})
        if not backend.hr_leave_type_ids:
            LeaveType = self.env["hr.leave.type"].sudo()
            vacation = LeaveType.search([("name", "=ilike", "Vacation")], limit=1) or (
                LeaveType.create(
                    {"name": "Vacation", "requires_allocation": False,
                     "leave_validation_type": "no_validation", "request_unit": "day"}
                )
            )  # fmt: skip
            self.env["sync.hr.leave.type"].create(
                {"backend_id": backend.id, "remote_id": "1", "name": "Vacation",
                 "leave_type_id": vacation.id}
            )  # fmt: skip
        backend.action_test_connection()  # a failure stays on the backend (state, message)
        self.env["sync.hr"]._schedule(backend)
        return backend
