# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The HubSpot fake, driven over HTTP by the real ``hubspot-api-client``."""

import json
import threading
import time

from hubspot import HubSpot
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.companies import (
    ApiException,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)
from hubspot.oauth import ApiException as OAuthApiException
from hubspot.utils.signature import Signature
from urllib3.util.retry import Retry
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from odoo.tests import BaseCase
from odoo.tools import mute_logger

from odoo.addons.sync_hubspot.fake import webhooks
from odoo.addons.sync_hubspot.fake.server import HubSpotFake, to_ms

TOKEN = "pat-na1-test"
SEARCH_PATH = "/crm/v3/objects/companies/search"
T0 = to_ms("2024-05-01T10:00:00.000Z")


class TestHubSpotFake(BaseCase):
    def setUp(self):
        super().setUp()
        self.fake = HubSpotFake(token=TOKEN)
        self.base_url = self.fake.start()
        self.addCleanup(self.fake.stop)

    def client(self, token=TOKEN, **options):
        return HubSpot(access_token=token, host=self.base_url, **options)

    def search(self, client, raw=False, **request):
        request.setdefault("sorts", [{"propertyName": "hs_object_id", "direction": "ASCENDING"}])
        answer = client.crm.companies.search_api.do_search(
            public_object_search_request=PublicObjectSearchRequest(**request),
            _preload_content=not raw,
        )
        return json.loads(answer.data) if raw else answer

    def assertApiError(self, call, code, **body):
        with self.assertRaises((ApiException, OAuthApiException)) as caught:
            call()
        self.assertEqual(caught.exception.status, code)
        answer = json.loads(caught.exception.body)
        for key, value in body.items():
            self.assertEqual(answer.get(key), value, answer)
        return caught.exception

    def test_slow_answer_is_decided_on_arrival(self):
        """A timeout fault answers late, as decided when the request arrived: the request a
        client abandoned on its timeout is not authenticated after the tokens expired (the
        faults suite once logged such a 401, which no client read, as a 'second 401')."""
        token = self.fake.issue_tokens()["access_token"]
        self.fake.add("companies", {"name": "Slow"})
        self.fake.timeout_next(1, seconds=1.0, path_contains=SEARCH_PATH)
        client = self.client(token=token)
        with self.assertRaises(Exception):  # noqa: B017  urllib3's read timeout
            client.crm.companies.search_api.do_search(
                public_object_search_request=PublicObjectSearchRequest(limit=1),
                _request_timeout=0.3,
            )
        self.fake.expire_access_tokens()
        deadline = time.monotonic() + 3
        while not self.fake.request_log and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual([e["status"] for e in self.fake.request_log], [200])

    def test_list_cursor_paging(self):
        ids = self.fake.add_many("companies", [{"name": f"C{n}"} for n in range(250)])
        self.fake.archive("companies", ids[-1])
        api = self.client().crm.companies.basic_api
        first = api.get_page(limit=100, properties=["name"])
        self.assertEqual([c.id for c in first.results], ids[:100])
        cursor = first.paging.next.after
        self.assertFalse(cursor.isdigit(), "list cursors are opaque, not offsets")
        self.assertTrue(first.paging.next.link.endswith(f"?after={cursor}"))
        self.assertEqual(api.get_page(limit=100, after=cursor).results[0].id, ids[100])
        self.assertEqual(
            [c.id for c in self.client().crm.companies.get_all(properties=["name"])], ids[:-1]
        )
        last = api.get_page(limit=100, archived=True)
        self.assertEqual([(c.id, c.archived) for c in last.results], [(ids[-1], True)])
        self.assertIsNone(last.paging)
        self.assertEqual(self.fake.calls("GET", "/crm/v3/objects/companies"), 6)

    def test_read_not_found_and_inline_associations(self):
        company = self.fake.add("companies", {"name": "Acme", "domain": "acme.example"})
        contact = self.fake.add("contacts", {"email": "a@acme.example"}, [("companies", company)])
        api = self.client().crm.companies.basic_api
        record = api.get_by_id(company, properties=["name"], associations=["contacts"])
        self.assertEqual(record.properties["name"], "Acme")
        self.assertRegex(record.properties["hs_lastmodifieddate"], r"T\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(record.associations["contacts"].results[0].id, contact)
        self.assertApiError(
            lambda: api.get_by_id("999999"), 404, status="error", category="OBJECT_NOT_FOUND"
        )

    def test_search_paging_numeric_after_and_last_page(self):
        stamps = [T0 + n * 1000 for n in range(450)]
        ids = self.fake.add_many("companies", [{"name": f"C{n}"} for n in range(450)], stamps)
        self.fake.archive("companies", ids[0])
        client = self.client()
        since = [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(T0)}]
        request = {"filter_groups": [{"filters": since}], "limit": 200, "properties": ["name"]}
        first = self.search(client, raw=True, **request)
        self.assertEqual((first["total"], first["paging"]), (449, {"next": {"after": "200"}}))
        self.assertEqual(first["results"][0]["id"], ids[1], "archived records are not searched")
        last = self.search(client, raw=True, after="400", **request)
        self.assertEqual(len(last["results"]), 49)
        self.assertNotIn("paging", last)
        window = [
            {
                "propertyName": "hs_lastmodifieddate",
                "operator": "BETWEEN",
                "value": "2024-05-01T10:00:10.000Z",
                "highValue": str(T0 + 12_000),
            }
        ]
        newest_first = self.search(
            client,
            filter_groups=[{"filters": window}],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}],
        )
        self.assertEqual([c.id for c in newest_first.results], ids[12:9:-1])
        self.assertApiError(
            lambda: self.search(client, limit=201), 400, category="VALIDATION_ERROR"
        )

    def test_search_window_of_ten_thousand(self):
        self.fake.add_many("companies", [{"name": f"C{n}"} for n in range(10_500)])
        client = self.client()
        page = self.search(client, limit=200, after="9800")
        self.assertEqual((page.total, page.paging.next.after), (10_500, "10000"))
        self.assertApiError(
            lambda: self.search(client, limit=200, after="10000"),
            400,
            status="error",
            category="VALIDATION_ERROR",
        )
        self.assertApiError(lambda: self.search(client, limit=100, after="9950"), 400)

    def test_batch_read_shuffles_and_reports_missing(self):
        ids = self.fake.add_many("companies", [{"name": f"C{n}"} for n in range(6)])
        batch = self.client().crm.companies.batch_api
        answer = batch.read(
            BatchReadInputSimplePublicObjectId(
                inputs=[{"id": i} for i in ids], properties=["name"], properties_with_history=[]
            )
        )
        got = [c.id for c in answer.results]
        self.assertCountEqual(got, ids)
        self.assertNotEqual(got, ids, "HubSpot does not keep the input order")
        answer = batch.read(
            BatchReadInputSimplePublicObjectId(
                inputs=[{"id": ids[0]}, {"id": "424242"}], properties=[], properties_with_history=[]
            )
        )
        self.assertEqual([c.id for c in answer.results], [ids[0]])
        self.assertEqual(answer.errors[0].category, "OBJECT_NOT_FOUND")
        self.assertEqual(answer.errors[0].context, {"ids": ["424242"]})

    def test_rate_limited_then_success(self):
        self.fake.add("companies", {"name": "Acme"})
        path = "/crm/v3/objects/companies"
        self.fake.fail_next(1, status=429, retry_after=0, path_contains=path)
        retry = Retry(total=2, status_forcelist=[429], allowed_methods=None, backoff_factor=0)
        page, status, headers = self.client(
            retry=retry
        ).crm.companies.basic_api.get_page_with_http_info()
        self.assertEqual((status, len(page.results)), (200, 1))
        self.assertEqual(self.fake.calls("GET", path), 2)
        for name in ("Daily", "Daily-Remaining", "Interval-Milliseconds", "Max", "Remaining"):
            self.assertIn(f"X-HubSpot-RateLimit-{name}", headers)
        self.fake.fail_next(1, status=429)
        error = self.assertApiError(
            self.client().crm.companies.basic_api.get_page, 429, category="RATE_LIMITS"
        )
        self.assertNotIn("Retry-After", error.headers)
        # urllib3's default Retry re-sends a GET that got Retry-After: use a POST (search) here
        self.fake.fail_next(1, status=429, retry_after=2, methods="POST")
        error = self.assertApiError(
            lambda: self.search(self.client()),
            429,
            errorType="RATE_LIMIT",
            policyName="SECONDLY",
        )
        self.assertEqual(error.headers["Retry-After"], "2")

    def test_daily_limit(self):
        """HubSpot's daily 429 (API usage guidelines): policyName DAILY, nothing remaining."""
        self.fake.exhaust_daily_limit()
        error = self.assertApiError(
            lambda: self.search(self.client()),
            429,
            status="error",
            message="You have reached your daily limit.",
            errorType="RATE_LIMIT",
            policyName="DAILY",
        )
        self.assertIn("requestId", json.loads(error.body))
        self.assertEqual(error.headers["X-HubSpot-RateLimit-Daily-Remaining"], "0")
        self.fake.reset_daily_limit()
        self.search(self.client())
        # injected once, same shape
        self.fake.fail_next(1, status=429, policy="DAILY", methods="POST")
        error = self.assertApiError(lambda: self.search(self.client()), 429, policyName="DAILY")
        self.assertEqual(error.headers["X-HubSpot-RateLimit-Daily-Remaining"], "0")

    def test_search_rate_limit_switch(self):
        self.fake.search_rate_limit = 2
        client = self.client()
        self.search(client)
        self.search(client)
        self.assertApiError(lambda: self.search(client), 429, policyName="SECONDLY")
        self.assertEqual(self.fake.calls("POST", SEARCH_PATH), 3)

    def test_expired_and_unknown_tokens(self):
        tokens = self.fake.issue_tokens()
        api = self.client(tokens["access_token"]).crm.companies.basic_api
        self.assertEqual(api.get_page().results, [])
        self.fake.advance_clock(tokens["expires_in"] + 1)
        self.assertApiError(api.get_page, 401, category="EXPIRED_AUTHENTICATION")
        self.assertApiError(
            self.client("pat-wrong").crm.companies.basic_api.get_page,
            401,
            category="INVALID_AUTHENTICATION",
        )
        self.assertEqual(self.client().crm.companies.basic_api.get_page().results, [])

    def test_oauth_refresh_and_authorization_code(self):
        refresh = self.fake.issue_tokens()["refresh_token"]
        self.fake.expire_access_tokens()
        oauth = HubSpot(host=self.base_url).oauth
        secrets = {"client_id": self.fake.client_id, "client_secret": self.fake.client_secret}
        tokens = oauth.tokens_api.create(
            grant_type="refresh_token", refresh_token=refresh, **secrets
        )
        self.assertEqual((tokens.refresh_token, tokens.expires_in), (refresh, 1800))
        info = oauth.access_tokens_api.get(tokens.access_token)
        self.assertEqual((info.hub_id, info.token_type), (self.fake.portal_id, "access"))
        api = self.client(tokens.access_token).crm.companies.basic_api
        api.create(SimplePublicObjectInputForCreate(properties={"name": "Acme"}))
        _page, _status, headers = api.get_page_with_http_info()
        self.assertNotIn("X-HubSpot-RateLimit-Daily", headers, "no daily limit under OAuth")
        self.assertApiError(
            lambda: oauth.tokens_api.create(
                grant_type="refresh_token", refresh_token="na1-unknown", **secrets
            ),
            400,
            status="BAD_REFRESH_TOKEN",
        )
        code = self.fake.issue_auth_code()
        tokens = oauth.tokens_api.create(
            grant_type="authorization_code", code=code, redirect_uri="https://x/cb", **secrets
        )
        self.assertTrue(tokens.refresh_token and tokens.access_token)
        account = self.client(tokens.access_token).api_request(
            {"path": "/account-info/v3/details", "base_url": self.base_url}
        )
        self.assertEqual(account.json()["portalId"], self.fake.portal_id)

    def test_associations_v4(self):
        deal = self.fake.add("deals", {"dealname": "Robots", "dealstage": "closedwon"})
        lonely = self.fake.add("deals", {"dealname": "Nothing"})
        items = [
            self.fake.add("line_items", {"hs_sku": sku}, [("deals", deal)])
            for sku in ("RA-200", "SRV")
        ]
        v4 = self.client().crm.associations.v4
        page = v4.basic_api.get_page("deals", deal, "line_items")
        self.assertEqual([str(r.to_object_id) for r in page.results], items)
        self.assertEqual(page.results[0].association_types[0].type_id, 19)
        answer = v4.batch_api.get_page(
            "deals",
            "line_items",
            BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": deal}, {"id": lonely}]),
        )
        self.assertEqual(answer.results[0]._from.id, deal)
        self.assertEqual(answer.errors[0].context["fromObjectId"], [lonely])

    @mute_logger("urllib3.connectionpool")
    def test_faults_timeout_and_malformed(self):
        self.fake.timeout_next(1, seconds=1.0)
        api = self.client().crm.companies.basic_api
        started = time.monotonic()
        api.get_page(_request_timeout=0.2)  # urllib3's default retries re-send the GET
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(self.fake.calls("GET", "/crm/v3/objects/companies"), 2)
        self.fake.malformed_next(1)
        self.assertIsNone(api.get_page().results, "the client swallows a non-JSON body")

    def test_webhook_signature_matches_hubspot_client(self):
        secret, timestamp = "app-secret", int(time.time() * 1000)
        uri = "https://odoo.example/hubspot/webhook?db=prod%3Amain&note=a%20b%2Cc"
        decoded = "https://odoo.example/hubspot/webhook?db=prod:main&note=a%20b,c"
        self.assertEqual(webhooks.decode_uri(uri), decoded)
        body = b'[{"eventId":1,"objectId":5}]'
        signature = webhooks.sign_v3(secret, "POST", uri, body, timestamp)
        self.assertEqual(signature, webhooks.sign_v3(secret, "POST", decoded, body, timestamp))

        def valid(http_uri):
            return Signature.is_valid(
                signature=signature,
                client_secret=secret,
                request_body=body.decode(),
                http_uri=http_uri,
                signature_version="v3",
                timestamp=str(timestamp),
            )

        self.assertTrue(valid(decoded))
        self.assertFalse(valid(uri), "hubspot's helper expects the URI already decoded")

    def test_webhook_send_to_a_receiver(self):
        secret, seen = "app-secret", []

        def receiver(environ, start_response):
            request = Request(environ)
            headers = request.headers
            ok = Signature.is_valid(
                signature=headers["X-HubSpot-Signature-v3"],
                client_secret=secret,
                request_body=request.get_data(as_text=True),
                http_uri=webhooks.decode_uri(request.url),
                signature_version="v3",
                timestamp=headers["X-HubSpot-Request-Timestamp"],
            )
            seen.extend(json.loads(request.get_data()) if ok else [])
            return Response(status=204 if ok else 401)(environ, start_response)

        server = make_server("127.0.0.1", 0, receiver, threaded=True)
        self.addCleanup(server.server_close)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self.addCleanup(server.shutdown)
        company = self.fake.add("companies", {"name": "Acme"})
        self.fake.update("companies", company, {"name": "Acme Inc"})
        events = self.fake.pop_events()
        self.assertEqual(
            [e["subscriptionType"] for e in events],
            ["company.creation", "company.propertyChange"],
        )
        self.assertEqual(
            (events[0]["changeFlag"], events[1]["propertyValue"]), ("CREATED", "Acme Inc")
        )
        url = f"http://127.0.0.1:{server.server_port}/hubspot/webhook?db=x%3Ay"
        self.assertEqual(webhooks.send(url, events, secret)[0], 204)
        self.assertEqual(webhooks.send(url, events, secret, tamper=True)[0], 401)
        self.assertEqual(seen, events)
