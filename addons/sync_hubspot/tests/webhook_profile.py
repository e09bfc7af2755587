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
    "contact.associationChange",
    "deal.creation",
    "deal.propertyChange",
    "deal.merge",
    "line_item.creation",
]


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

    def event(self):
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

    def valid_events(self):
        return [webhooks.build_event("company.creation", 4242, portal_id=PORTAL, event_id=7)]
