# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot webhooks: v3 signatures, events -> jobs re-fetching the records."""

from odoo import models

from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_core.hashing import event_key
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS

from .. import hubspot_signature

# kept with each webhook event: when HubSpot signed it, and how (v1, v2 or v3)
KEPT_HEADERS.update({"x-hubspot-request-timestamp", "x-hubspot-signature-version"})
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


class SyncBackend(models.Model):
    _inherit = "sync.backend"

    # ------------------------------------------------------------------ webhooks
    def _webhook_verify(self, request_info):
        if self.kind != "hubspot":
            return super()._webhook_verify(request_info)
        me = self.sudo()
        hubspot_signature.verify_v3(
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
