# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Jira webhooks registered by a Jira admin (System > WebHooks) into sync_core's inbox: issue
events re-read the issue as a milestone, project events re-read the project.  A webhook with
a secret signs its body (``X-Hub-Signature: sha256=<hex HMAC-SHA256>``); without a secret on
the backend unsigned ones are accepted.  Bodies are never applied: an event only names what
to read again, so a deletion is seen by the re-read, as the neutral layer sees any."""

from odoo import models

from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_core.hashing import event_key
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS
from odoo.addons.sync_core.signatures import verify_prefixed
from odoo.addons.sync_psa import psa

# Jira's delivery id, unchanged across retries, and its retry counter
KEPT_HEADERS.update({"x-atlassian-webhook-identifier", "x-atlassian-webhook-retry"})
# webhookEvent prefix -> (the body's object key, the canonical object read again)
EVENT_OBJECTS = {"jira:issue_": ("issue", psa.MILESTONES), "project_": ("project", psa.PROJECTS)}


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    def _webhook_verify(self, request_info):
        if self.kind != "jira":
            return super()._webhook_verify(request_info)
        secret = self.sudo().webhook_secret
        if not secret:
            return  # unsigned webhooks: their events only name what is read again
        signature = request_info["headers"].get("X-Hub-Signature")
        verify_prefixed(secret, request_info["body"], signature, "X-Hub-Signature")

    def _webhook_parse(self, request_info):
        """``{"webhookEvent", "timestamp", "issue"|"project": {"id", "key"}}`` -> one event; other
        Jira events are kept and ignored.  Only the event's name, time and ids are kept."""
        if self.kind != "jira":
            return super()._webhook_parse(request_info)
        data, name = self._webhook_member(
            request_info, "webhookEvent", str, "a Jira webhook body carries its 'webhookEvent'"
        )
        key, object_name = next(
            (found for prefix, found in EVENT_OBJECTS.items() if name.startswith(prefix)),
            (None, name),
        )
        item = data.get(key) if key else {}
        ext_id = item.get("id") if isinstance(item, dict) else None
        if key and (ext_id in (None, "") or isinstance(ext_id, bool | dict | list)):
            raise PayloadError(f"the Jira event {name} names no {key} 'id'")
        kept = {
            "webhookEvent": name,
            "timestamp": data.get("timestamp"),
            "id": ext_id,
            "key": item.get("key") if isinstance(item, dict) else None,
        }
        delivery = request_info["headers"].get("X-Atlassian-Webhook-Identifier")
        return [
            {
                "dedup_key": event_key(kept, delivery or name),
                "event_type": name,
                "object_name": object_name,
                "external_id": str(ext_id if key else "-"),
                "payload": kept,
            }
        ]
