# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.sync_hubspot.fake import webhooks

SECRET = "app-client-secret"


@tagged("-at_install", "post_install")
class TestWebhook(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["sync.backend"].create(
            {"name": "HubSpot hook", "kind": "hubspot", "hubspot_client_secret": SECRET}
        )
        cls.backend._hubspot_create_default_mappings()
        cls.path = f"/sync/hubspot/{cls.backend.webhook_token}"

    def post(self, events, secret=SECRET, timestamp_ms=None, tamper=False, query=""):
        url = self.base_url() + self.path + query
        body = json.dumps(events, separators=(",", ":")).encode()
        timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": webhooks.sign_v3(secret, "POST", url, body, timestamp_ms),
            "X-HubSpot-Request-Timestamp": str(timestamp_ms),
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature": webhooks.sign_v1(secret, body),
        }
        if tamper:
            body += b" "
        return self.url_open(url, data=body, headers=headers)

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_event_keeps_the_headers_hubspot_declares(self):
        res = self.post([webhooks.build_event("company.propertyChange", 105)])
        self.assertEqual(res.status_code, 200, res.text)
        headers = {k.lower(): v for k, v in self.events().headers.items()}
        self.assertEqual(headers["x-hubspot-signature-version"], "v1")
        self.assertTrue(headers["x-hubspot-request-timestamp"].isdigit())
        self.assertNotIn("x-hubspot-signature-v3", headers, "a signature is not kept")
        self.assertEqual(self.backend._value_style(), "text", "HubSpot properties are strings")

    def test_valid_signature_enqueues_refetch_jobs(self):
        events = [
            webhooks.build_event("company.propertyChange", 101, property_name="name"),
            webhooks.build_event("deal.propertyChange", 202, property_name="dealstage"),
            webhooks.build_event(
                "contact.merge",
                303,
                primaryObjectId=303,
                mergedObjectIds=[304],
                newObjectId=303,
            ),
        ]
        # the documented shape (eventType, no subscriptionType) is accepted too
        documented = dict(events[0], eventId=9_999_001)
        documented["eventType"] = documented.pop("subscriptionType")
        res = self.post([*events, documented], query="?db=x%3Ay")
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(res.json()["stored"], 4)
        stored = self.events()
        self.assertEqual(set(stored.mapped("state")), {"queued"})
        jobs = stored.job_id
        by_kind = {job.kind: job for job in jobs}
        self.assertEqual(len(jobs), 3, "two events of company 101 share one job")
        self.assertEqual(by_kind["hubspot_deal"].payload, {"ids": ["202"]})
        self.assertEqual(
            jobs.filtered(lambda j: j.identity_key == "import:contacts:303").payload,
            {"object": "contacts", "ids": ["303", "304"]},
        )
        self.assertEqual(
            jobs.filtered(lambda j: j.identity_key == "import:companies:101").payload,
            {"object": "companies", "ids": ["101"]},
        )

    def test_duplicate_event_id_stored_once(self):
        event = webhooks.build_event("company.creation", 77)
        res = self.post([event, dict(event)])
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual((res.json()["stored"], res.json()["duplicates"]), (1, 1))
        res = self.post([event])  # redelivery
        self.assertEqual(res.json()["duplicates"], 1)
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(self.events().delivery_count, 3)

    def test_refused_requests_store_nothing(self):
        events = [webhooks.build_event("company.creation", 88)]
        res = self.post(events, secret="wrong-secret")
        self.assertEqual(res.status_code, 401)
        self.assertEqual(res.json()["reason"], "bad signature")
        res = self.post(events, tamper=True)
        self.assertEqual(res.status_code, 401)
        res = self.post(events, timestamp_ms=int(time.time() * 1000) - 6 * 60 * 1000)
        self.assertEqual(res.status_code, 401)
        self.assertIn("stale", res.json()["reason"])
        raw = json.dumps(events).encode()
        res = self.url_open(
            self.base_url() + self.path, data=raw, headers={"Content-Type": "application/json"}
        )
        self.assertEqual(res.status_code, 401)
        self.assertFalse(self.events())
        self.assertFalse(self.env["sync.job"].search([("backend_id", "=", self.backend.id)]))

    def test_malformed_events_rejected(self):
        res = self.post([{"subscriptionType": "company.creation"}])
        self.assertEqual(res.status_code, 400)
        self.assertEqual(self.events().state, "rejected")

    def test_shared_event_id_distinct_events_both_stored(self):
        """HubSpot: eventId "is not guaranteed to be unique".  Two different events that share
        one are two events, and both records are re-fetched."""
        contact = webhooks.build_event("contact.creation", 501, event_id=42)
        company = webhooks.build_event(
            "company.propertyChange", 601, event_id=42, property_name="name"
        )
        res = self.post([contact, company])
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual((res.json()["stored"], res.json()["duplicates"]), (2, 0))
        self.assertEqual(
            sorted(self.events().job_id.mapped("identity_key")),
            ["import:companies:601", "import:contacts:501"],
        )
        # the same property of the same record changed twice: two events, one job
        again = dict(company, occurredAt=company["occurredAt"] + 5, propertyValue="New name")
        res = self.post([again])
        self.assertEqual(res.json()["stored"], 1)
        self.assertEqual(len(self.events()), 3)

    def test_redelivery_is_recognised(self):
        """A true redelivery (HubSpot increments attemptNumber; numbers may come as strings)
        only counts a delivery."""
        event = webhooks.build_event("contact.propertyChange", 502, property_name="email")
        self.assertEqual(self.post([event]).json()["stored"], 1)
        retry = dict(event, attemptNumber=1)
        stringly = {k: str(v) if isinstance(v, int) else v for k, v in event.items()}
        stringly["attemptNumber"] = "2"
        res = self.post([retry, stringly])
        self.assertEqual((res.json()["stored"], res.json()["duplicates"]), (0, 2))
        self.assertEqual(self.events().delivery_count, 3)
        # no eventId at all: the event itself identifies it
        bare = {k: v for k, v in event.items() if k != "eventId"}
        self.assertEqual(self.post([bare, dict(bare, attemptNumber=3)]).json()["stored"], 1)

    def test_merge_adds_merged_ids_to_the_pending_job(self):
        """A merge whose surviving record already has a pending job adds the merged ids to
        that job (contacts and deals): the merged records are re-fetched too."""
        self.post([webhooks.build_event("contact.propertyChange", 701, property_name="email")])
        self.post([webhooks.build_event("deal.propertyChange", 801, property_name="amount")])
        jobs = self.events().job_id
        self.assertEqual(len(jobs), 2)
        res = self.post(
            [
                webhooks.build_event(
                    "contact.merge",
                    701,
                    primaryObjectId=701,
                    mergedObjectIds=[702, 703],
                    newObjectId=701,
                    numberOfPropertiesMoved=4,
                ),
                webhooks.build_event(
                    "deal.merge",
                    801,
                    primaryObjectId=801,
                    mergedObjectIds=["802"],
                    newObjectId=801,
                ),
            ]
        )
        self.assertEqual(res.json()["stored"], 2, res.text)
        self.assertEqual(self.events().job_id, jobs, "the merges joined the pending jobs")
        by_key = {job.identity_key: job for job in jobs}
        self.assertEqual(
            by_key["import:contacts:701"].payload,
            {"object": "contacts", "ids": ["701", "702", "703"]},
        )
        self.assertEqual(by_key["hubspot:deal:801"].payload, {"ids": ["801", "802"]})

    def test_merge_with_malformed_merged_ids_is_refused_and_kept(self):
        """mergedObjectIds as an object (not an id nor a list of ids): 400 with a JSON reason,
        the body kept as a rejected event, no job."""
        res = self.post(
            [
                webhooks.build_event(
                    "contact.merge", 911, primaryObjectId=911, mergedObjectIds={"a": 1}
                )
            ]
        )
        self.assertEqual(res.status_code, 400, res.text)
        self.assertIn("mergedObjectIds", res.json()["reason"])
        self.assertEqual(self.events().state, "rejected")
        self.assertFalse(self.events().job_id)

    def test_merge_into_a_new_record_refetches_every_record(self):
        """A merge that made a new record (newObjectId apart from primaryObjectId): the new
        record, the primary and the merged ones are all re-fetched."""
        res = self.post(
            [
                webhooks.build_event(
                    "company.merge",
                    905,
                    primaryObjectId="905",
                    mergedObjectIds="906",  # a single id, not a list: accepted
                    newObjectId=907,
                )
            ]
        )
        self.assertEqual(res.json()["stored"], 1, res.text)
        job = self.events().job_id
        self.assertEqual(job.identity_key, "import:companies:907")
        self.assertEqual(job.payload, {"object": "companies", "ids": ["907", "905", "906"]})

    def test_wire_shapes_of_real_deliveries(self):
        """Shapes of HubSpot's documented and recorded deliveries in one batch: association
        changes carry no objectId (fromObjectId / toObjectId, sourceId "userId:..."), generic
        subscriptions say object.* with an objectTypeId, ids beyond 32 bits, the documented
        eventType spelling, events of objects nothing maps (conversations) kept as ignored."""
        base = {"portalId": 62515, "appId": 4_210_001, "attemptNumber": 0}
        events = [
            dict(
                base,
                eventId=2_073_300_001,
                subscriptionId=3_100_001,
                occurredAt=1_786_997_905_997,
                subscriptionType="deal.associationChange",
                changeSource="USER",
                associationType="DEAL_TO_LINE_ITEM",
                fromObjectId=64_058_900_001,
                toObjectId=58_061_500_001,
                associationRemoved=False,
                sourceId="userId:82000001",
            ),
            dict(
                base,
                eventId=2_073_300_002,
                subscriptionId=3_100_002,
                occurredAt=1_786_997_905_998,
                subscriptionType="contact.associationChange",
                changeSource="CRM_UI",
                associationType="CONTACT_TO_COMPANY",
                fromObjectId=65_059_600_001,
                toObjectId=18_000_000_001,
                associationRemoved=True,
                isPrimaryAssociation=True,
            ),
            dict(
                base,
                eventId=2_073_300_003,
                subscriptionId=3_100_003,
                occurredAt=1_786_997_906_000,
                subscriptionType="object.propertyChange",
                objectTypeId="0-2",
                objectId=18_000_000_002,
                propertyName="name",
                propertyValue="Initech GmbH",
                changeSource="INTEGRATION",
                sourceId="1234567",
            ),
            dict(
                base,
                eventId=2_073_300_004,
                subscriptionId=3_100_004,
                occurredAt=1_786_997_906_001,
                subscriptionType="object.creation",
                objectTypeId="0-3",
                objectId=64_058_900_002,
                changeFlag="CREATED",
                changeSource="CRM_UI",
            ),
            # a generic association change: its "from" side by type id
            dict(
                base,
                eventId=2_073_300_007,
                subscriptionId=3_100_007,
                occurredAt=1_786_997_906_004,
                subscriptionType="object.associationChange",
                fromObjectTypeId="0-3",
                toObjectTypeId="0-8",
                fromObjectId="64058900003",
                toObjectId="58061500003",
                associationTypeId=19,
                associationCategory="HUBSPOT_DEFINED",
                associationRemoved=True,
            ),
            # the documented spelling: eventType, no subscriptionType
            dict(
                base,
                eventId=3_816_200_001,
                subscriptionId=25,
                occurredAt=1_462_216_307_945,
                eventType="contact.propertyChange",
                objectId=1_246_001,
                propertyName="lifecyclestage",
                propertyValue="subscriber",
                changeSource="ACADEMY",
            ),
            dict(
                base,
                eventId=2_073_300_005,
                subscriptionId=3_100_005,
                occurredAt=1_786_997_906_002,
                subscriptionType="conversation.creation",
                objectId=9_100_001,
                changeFlag="NEW_MESSAGE",
            ),
            dict(
                base,
                eventId=2_073_300_006,
                subscriptionId=3_100_006,
                occurredAt=1_786_997_906_003,
                subscriptionType="object.propertyChange",
                objectTypeId="0-5",
                objectId=5_000_001,
                propertyName="subject",
                propertyValue="Printer on fire",
            ),
        ]
        res = self.post(events)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(res.json()["stored"], 8, res.text)
        stored = self.events()
        self.assertEqual(
            sorted(stored.filtered(lambda e: e.state == "queued").job_id.mapped("identity_key")),
            [
                "hubspot:deal:64058900001",
                "hubspot:deal:64058900002",
                "hubspot:deal:64058900003",
                "import:companies:18000000002",
                "import:contacts:1246001",
                "import:contacts:65059600001",
            ],
        )
        self.assertEqual(len(stored.filtered(lambda e: e.state == "ignored")), 2)

    def test_event_without_any_id_is_refused_with_a_reason(self):
        """An association change with neither objectId nor fromObjectId, or an objectId that is
        an object: 400 with a JSON reason, the body kept as rejected, no job."""
        for bad in (
            {"subscriptionType": "deal.associationChange", "portalId": 62515, "toObjectId": 5},
            {"subscriptionType": "deal.creation", "portalId": 62515, "objectId": {"id": 5}},
            {"subscriptionType": "deal.creation", "portalId": 62515, "objectId": True},
        ):
            res = self.post([bad])
            self.assertEqual(res.status_code, 400, res.text)
            self.assertIn("objectId", res.json()["reason"])
        self.assertEqual(set(self.events().mapped("state")), {"rejected"})
        self.assertFalse(self.events().job_id)
