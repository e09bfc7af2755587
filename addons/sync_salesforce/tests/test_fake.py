# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The fake speaks what simple-salesforce expects (its own query/bulk2/deleted helpers, not
the connector's adapter code paths) and Salesforce's documented error bodies."""

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import requests
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest
from werkzeug.serving import make_server

from odoo.tests import tagged

from .common import SalesforceCase


@tagged("post_install", "-at_install")
class TestFake(SalesforceCase):
    def client(self):
        adapter = self.backend._get_adapter()
        adapter._connect()
        return adapter.sf

    def test_query_all_iter_follows_next_records_url(self):
        for i in range(450):
            self.fake.add("Account", {"Name": f"A{i:03d}"})
        sf = self.client()
        names = [
            r["Name"]
            for r in sf.query_all_iter(
                "SELECT Id, Name FROM Account ORDER BY Name",
                headers={"Sforce-Query-Options": "batchSize=200"},
            )
        ]
        self.assertEqual(names, [f"A{i:03d}" for i in range(450)])
        self.assertEqual(self.fake.calls("/query/01g"), 2)
        self.assertEqual(sf.api_usage["api-usage"].total, 15000)

    def test_bulk2_query_generator_reads_csv_pages_until_null_locator(self):
        for i in range(25):
            self.fake.add("Account", {"Name": f"B{i:02d}", "Phone": None})
        sf = self.client()
        pages = list(
            sf.bulk2.Account.query("SELECT Id, Name, Phone FROM Account", max_records=10, wait=0)
        )
        self.assertEqual(len(pages), 3)
        rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
        self.assertEqual(len(rows), 25)
        self.assertEqual(rows[0]["Phone"], "")

    def test_get_deleted_and_updated_shapes(self):
        acc = self.fake.add("Account", {"Name": "Gone"}, self.fake.now() - timedelta(minutes=5))
        self.fake.delete("Account", acc, self.fake.now() - timedelta(minutes=3))
        sf = self.client()
        now = datetime.now(UTC)
        answer = sf.Account.deleted(now - timedelta(hours=1), now)
        self.assertEqual([d["id"] for d in answer["deletedRecords"]], [acc])
        self.assertRegex(answer["latestDateCovered"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000\+0000$")
        self.assertIn("earliestDateAvailable", answer)
        self.assertEqual(sf.Account.updated(now - timedelta(hours=1), now)["ids"], [])
        with self.assertRaises(SalesforceMalformedRequest) as caught:
            sf.Account.deleted(now - timedelta(days=31), now)
        self.assertEqual(caught.exception.content[0]["errorCode"], "INVALID_REPLICATION_DATE")

    def test_error_bodies_are_json_arrays_of_message_and_error_code(self):
        sf = self.client()
        self.fake.expire_sessions()
        with self.assertRaises(SalesforceExpiredSession) as caught:
            sf.query("SELECT Id FROM Account")
        self.assertEqual(
            caught.exception.content,
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        )
        response = requests.get(f"{self.fake.base_url}/services/data/v59.0/query?q=x", timeout=5)
        self.assertEqual(response.status_code, 401)
        self.assertIn("api-usage=", response.headers["Sforce-Limit-Info"])

    def test_oauth_errors_follow_the_oauth_shape(self):
        response = requests.post(
            f"{self.fake.base_url}/services/oauth2/token",
            data={"grant_type": "password", "client_id": "x", "client_secret": "y"},
            timeout=5,
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"error", "error_description"})

    def test_outbound_message_sender_posts_the_current_values(self):
        acc = self.fake.add("Account", {"Name": "Acme"})
        received = []

        def listener(environ, start_response):
            received.append(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [b"<ok/>"]

        server = make_server("127.0.0.1", 0, listener)
        threading.Thread(target=server.handle_request, daemon=True).start()
        status, _body = self.fake.outbound_message(
            f"http://127.0.0.1:{server.server_port}/om", "Account", [acc], ("Id", "Name")
        )
        server.server_close()
        self.assertEqual(status, 200)
        self.assertIn(b'xsi:type="sf:Account"', received[0])
        # indented like Salesforce's messages: the values in order, whitespace between them
        compact = b"".join(line.strip() for line in received[0].splitlines())
        self.assertIn(f"<sf:Id>{acc}</sf:Id><sf:Name>Acme</sf:Name>".encode(), compact)
        self.assertIn(b"\n   <Notification>\n    <Id>", received[0])

    def test_relationship_fields_read_the_same_through_rest_and_bulk(self):
        acme = self.fake.add("Account", {"Name": "Acme"})
        ann = self.fake.add("Contact", {"LastName": "Lee", "AccountId": acme})
        loner = self.fake.add("Contact", {"LastName": "Solo"})
        soql = "SELECT Id, LastName, Account.Name FROM Contact WHERE Account.Name = 'Acme'"
        adapter = self.backend._get_adapter()
        rest = next(adapter.query_pages(soql))["records"]
        self.assertEqual(rest[0]["Account"]["Name"], "Acme")
        self.assertEqual(rest[0]["Account"]["attributes"]["type"], "Account")
        rest_records = [adapter._record(r) for r in rest]
        bulk_records = [r for page in adapter.bulk_pages("Contact", soql) for r in page]
        self.assertEqual([r["id"] for r in rest_records], [ann])
        self.assertEqual(rest_records[0]["data"], bulk_records[0]["data"])
        self.assertEqual(rest_records[0]["data"]["Account"], {"Name": "Acme"})
        everyone = next(adapter.query_pages("SELECT Id, Account.Name FROM Contact"))["records"]
        self.assertIsNone({r["Id"]: r for r in everyone}[loner]["Account"])
