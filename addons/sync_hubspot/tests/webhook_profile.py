# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HubSpot in the shared webhook suite (sync_core/tests/webhook_suite.py): the backend, the v3
signature of HubSpot's sender (the fake's own implementation) and the documented event."""

import time

from hypothesis import strategies as st

from odoo.addons.sync_core.tests.webhook_suite import WebhookProfile
from odoo.addons.sync_hubspot.fake import webhooks

PORTAL = 62515
SUBSCRIPTIONS = [
    "company.creation",
    "company.propertyChange",
    "company.deletion",
    "contact.creation",
    "contact.propertyChange",
    "contact.merge",
    "deal.creation",
    "deal.propertyChange",
    "deal.merge",
    "line_item.creation",
]
# legacy association changes: no objectId, the two records and the association's label
ASSOCIATIONS = {
    "contact.associationChange": ["CONTACT_TO_COMPANY", "CONTACT_TO_DEAL"],
    "company.associationChange": [
        "COMPANY_TO_CONTACT",
        "COMPANY_TO_DEAL",
        "PARENT_TO_CHILD_COMPANY",
    ],
    "deal.associationChange": ["DEAL_TO_CONTACT", "DEAL_TO_COMPANY", "DEAL_TO_LINE_ITEM"],
}
# generic subscriptions name the object by its type id: contacts, companies, deals, line items,
# tickets (no mapping: ignored with a reason) and a custom object
GENERIC = [
    "object.creation",
    "object.deletion",
    "object.propertyChange",
    "object.associationChange",
    "object.merge",
    "object.restore",
]
TYPE_IDS = ["0-1", "0-2", "0-3", "0-8", "0-5", "2-3456789"]
# event types the accepted deliveries must include (the suite counts them)
COVERED = [*SUBSCRIPTIONS, *ASSOCIATIONS, *GENERIC]


class HubSpotProfile(WebhookProfile):
    kind = "hubspot"
    secret = "suite-hubspot-app-secret"
    other_org = (
        "event of another HubSpot portal",
        [webhooks.build_event("company.creation", 5, portal_id=PORTAL + 1, event_id=1)],
    )

    def create_backend(self, env):
        backend = env["sync.backend"].create(
            {
                "name": "Suite HubSpot",
                "kind": "hubspot",
                "hubspot_client_secret": self.secret,
                "hubspot_portal_id": str(PORTAL),
            }
        )
        backend._hubspot_create_default_mappings()
        return backend

    def stamp(self, seconds):
        return str(int(seconds * 1000))

    def sign(self, backend, url, body, stamp=None, secret=None):
        stamp = self.stamp(time.time()) if stamp is None else stamp
        return {
            "X-HubSpot-Signature-v3": webhooks.sign_v3(
                secret or self.secret, "POST", url, body, stamp
            ),
            "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature": webhooks.sign_v1(secret or self.secret, body),
        }

    def noise_headers(self):
        return [
            "X-HubSpot-Signature-v3",
            "X-HubSpot-Request-Timestamp",
            "X-HubSpot-Signature-Version",
            "User-Agent",
        ]

    def legacy_event(self):
        """A legacy subscription (``contact.creation`` ...) with its objectId."""
        ids = st.integers(1, 2**53)
        return st.builds(
            lambda kind, object_id, event_id, merged, prop, stamp: webhooks.build_event(
                kind,
                object_id,
                portal_id=PORTAL,
                event_id=event_id,
                occurred_at=stamp,
                **(
                    {"primaryObjectId": object_id, "mergedObjectIds": merged}
                    if kind.endswith(".merge")
                    else {}
                ),
                **({"propertyName": prop, "propertyValue": "x"} if "property" in kind else {}),
            ),
            st.sampled_from(SUBSCRIPTIONS),
            ids,
            ids,
            st.lists(ids, max_size=3),
            st.sampled_from(["name", "email", "dealstage", "amount"]),
            st.integers(1_600_000_000_000, 1_900_000_000_000),
        )

    def association_event(self):
        """A legacy ``*.associationChange``: fromObjectId/toObjectId, no objectId."""
        ids = st.integers(1, 2**53)
        kind = st.sampled_from(sorted(ASSOCIATIONS))
        return kind.flatmap(
            lambda kind: st.builds(
                lambda from_id, to_id, label, removed, primary, event_id, stamp: (
                    webhooks.build_event(
                        kind,
                        from_id,
                        portal_id=PORTAL,
                        event_id=event_id,
                        occurred_at=stamp,
                        toObjectId=to_id,
                        associationType=label,
                        associationRemoved=removed,
                        isPrimaryAssociation=primary,
                    )
                ),
                ids,
                ids,
                st.sampled_from(ASSOCIATIONS[kind]),
                st.booleans(),
                st.booleans(),
                ids,
                st.integers(1_600_000_000_000, 1_900_000_000_000),
            )
        )

    def generic_event(self):
        """A generic ``object.*`` subscription: objectTypeId ("0-1" ...), ids as numbers or
        strings; an association change names both sides by type id and id."""
        ids = st.integers(1, 2**53)
        any_id = ids | ids.map(str)
        return st.builds(
            self._generic,
            st.sampled_from(GENERIC),
            st.sampled_from(TYPE_IDS),
            st.sampled_from(TYPE_IDS),
            any_id,
            any_id,
            st.lists(ids, max_size=3),
            st.booleans(),
            ids,
            st.integers(1_600_000_000_000, 1_900_000_000_000),
        )

    @staticmethod
    def _generic(kind, type_id, to_type_id, object_id, to_id, merged, flag, event_id, stamp):
        event = webhooks.build_event(
            kind, int(object_id), portal_id=PORTAL, event_id=event_id, occurred_at=stamp
        )
        if kind == "object.associationChange":
            event.update(
                fromObjectTypeId=type_id,
                toObjectTypeId=to_type_id,
                fromObjectId=object_id,
                toObjectId=to_id,
                associationTypeId=int(to_id) % 300,
                associationCategory="HUBSPOT_DEFINED" if flag else "USER_DEFINED",
                associationRemoved=flag,
            )
            return event
        event.update(objectTypeId=type_id, objectId=object_id)
        if kind == "object.propertyChange":
            event.update(propertyName="name", propertyValue="x")
        elif kind == "object.merge":
            event.update(primaryObjectId=object_id, mergedObjectIds=merged, newObjectId=to_id)
        return event

    def event(self):
        return st.one_of(self.legacy_event(), self.association_event(), self.generic_event())

    def covered_event_types(self):
        return COVERED

    def valid_events(self):
        return [webhooks.build_event("company.creation", 4242, portal_id=PORTAL, event_id=7)]
