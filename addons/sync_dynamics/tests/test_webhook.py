# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dataverse webhooks (a service endpoint with WebhookKey authentication) posting
RemoteExecutionContext JSON to the engine's inbox."""

import json

from odoo.tests import tagged

from .common import DynamicsCase


@tagged("-at_install", "post_install")
class TestDynamicsWebhook(DynamicsCase):
    def post(self, context, code="key-registered-1234"):
        url = f"{self.base_url()}/sync/dynamics/{self.backend.webhook_token}"
        return self.url_open(
            f"{url}?code={code}" if code else url,
            data=json.dumps(context),
            headers={"Content-Type": "application/json",
                     "x-ms-dynamics-entity-name": context.get("PrimaryEntityName", "")},
        )  # fmt: skip

    def events(self):
        return self.env["sync.event"].search([("backend_id", "=", self.backend.id)])

    def test_wrong_or_missing_key_refused_nothing_stored(self):
        context = self.fake.execution_context("Update", "accounts", self.account("Evil"))
        self.assertEqual(self.post(context, code="guessed").status_code, 401)
        self.assertEqual(self.post(context, code=None).status_code, 401)
        self.assertFalse(self.events())

    def test_update_refetches_the_row_never_the_body(self):
        account = self.account("Northwind")
        context = self.fake.execution_context("Update", "accounts", account)
        context["InputParameters"][0]["value"]["Attributes"] = [
            {"key": "name", "value": "Injected by the body"}
        ]
        res = self.post(context)
        self.assertEqual(res.status_code, 200, res.text)
        self.assertEqual(self.post(context).status_code, 200, "a redelivery")
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.delivery_count, 2)
        self.assertEqual((event.object_name, event.external_id), ("accounts", account))
        self.run_jobs()
        self.assertEqual(self.record_of(account).name, "Northwind")

    def test_opportunity_events_go_to_the_deal_job(self):
        _account, opp = self.opportunity("Tailspin won")
        self.assertEqual(self.post(self.fake.execution_context("Win", "opportunities", opp))
                         .status_code, 200)  # fmt: skip
        job = self.env["sync.job"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(job.kind_id.code, "sale_deal")
        self.run_jobs()
        order = self.record_of(opp, "sale.order")
        self.assertTrue(order)
        # deleted in Dynamics: the deal workflow raises a conflict, nothing deleted
        self.fake.delete("opportunities", opp)
        self.post(self.fake.execution_context("Delete", "opportunities", opp))
        self.run_jobs()
        self.assertTrue(order.exists())
        self.assertTrue(self.open_exceptions().filtered(lambda e: e.external_id == opp))

    def test_malformed_context_kept_as_rejected(self):
        res = self.post({"MessageName": "Update"})
        self.assertEqual(res.status_code, 400)
        self.assertEqual(self.events().state, "rejected")

    def test_opportunity_product_event_names_its_opportunity(self):
        _account, opp = self.opportunity("Coho won")
        line = self.fake.guid()
        reference = {"LogicalName": "opportunity", "Id": opp, "Name": None}
        context = self.fake.execution_context("Delete", "opportunityproducts", line)
        context["PreEntityImages"] = [
            {"key": "pre", "value": {"Attributes": [{"key": "opportunityid", "value": reference}]}}
        ]
        self.assertEqual(self.post(context).status_code, 200)
        event = self.events()
        self.assertEqual((event.object_name, event.external_id), ("opportunities", opp))
        self.assertEqual(event.job_id.kind_id.code, "sale_deal")

    def test_http_header_and_query_string_authentication(self):
        """The AuthType configured is the one accepted: a key sent another way is refused."""
        context = self.fake.execution_context("Update", "accounts", self.account("Litware"))
        url = f"{self.base_url()}/sync/dynamics/{self.backend.webhook_token}"
        key, body = "key-registered-1234", json.dumps(context)
        self.backend.write({"dynamics_webhook_auth": "HttpHeader",
                            "dynamics_webhook_key_name": "x-odoo-key"})  # fmt: skip
        self.assertEqual(self.url_open(f"{url}?code={key}", data=body).status_code, 401)
        res = self.url_open(url, data=body, headers={"X-Odoo-Key": key})
        self.assertEqual(res.status_code, 200, res.text)
        self.backend.dynamics_webhook_auth = "HttpQueryString"
        self.assertEqual(self.url_open(url, data=body, headers={"x-odoo-key": key}).status_code,
                         401)  # fmt: skip
        self.assertEqual(self.url_open(f"{url}?code={key}", data=body).status_code, 401)
        self.assertEqual(self.url_open(f"{url}?x-odoo-key={key}", data=body).status_code, 200)
        self.assertEqual(self.events().delivery_count, 2)
