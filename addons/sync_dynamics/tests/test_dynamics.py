# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Dynamics 365 against the wire-level Dataverse fake: auth, change tracking, deals,
write-back in $batch change sets, service protection."""

from odoo.tests import tagged

from odoo.addons.sync_core.exceptions import RateLimitedError

from .common import DynamicsCase


@tagged("-at_install", "post_install")
class TestDynamicsSync(DynamicsCase):
    def test_connection_whoami_and_token_cached(self):
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok", self.backend.status_message)
        self.assertEqual(self.backend.dynamics_org_id, self.fake.org_id)
        info = self.backend.connection_info
        self.assertEqual(info["account_name"], "Contoso Sandbox")
        self.assertEqual(info["user"], self.fake.user_id)
        self.assertEqual(info["limits"][0]["max"], 6000)
        # a second adapter uses msal's cached token; a revoked token is refreshed once
        self.backend._get_adapter().test_connection()
        self.assertEqual(self.fake.token_requests, 1)
        self.fake.revoke_tokens()
        self.backend._get_adapter().test_connection()
        self.assertEqual(self.fake.token_requests, 2)

    def test_wrong_secret_is_a_readable_failure(self):
        self.backend.dynamics_client_secret = "wrong"
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "error")
        self.assertIn("invalid_client", self.backend.status_message)

    def test_accounts_paged_then_delta_with_a_deleted_account(self):
        self.backend.page_size = 2
        ids = [self.account(f"Firm{n}", address1_city="Lyon") for n in range(5)]
        job = self.pull("accounts")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.count("$skiptoken="), 2, "5 rows in pages of 2")
        partners = [self.record_of(i) for i in ids]
        self.assertEqual([p.city for p in partners], ["Lyon"] * 5)
        self.assertTrue(all(p.is_company for p in partners))
        link = (
            self.env["sync.watermark"]
            .search([("backend_id", "=", self.backend.id), ("object_name", "=", "accounts")])
            .dynamics_delta_link
        )
        self.assertIn("$deltatoken=", link)
        self.fake.delete("accounts", ids[0])
        self.fake.update("accounts", ids[1], name="Firm1 renamed")
        job = self.pull("accounts")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.count("$deltatoken="), 1)
        self.assertFalse(partners[0].active, "a deleted account archives its partner")
        self.assertEqual(partners[1].name, "Firm1 renamed")
        self.assertTrue(partners[2].active)
        before = self.fake.count("/accounts")
        job = self.pull("accounts")  # nothing changed: an empty delta page, one request
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.fake.count("/accounts") - before, 1)

    def test_contacts_under_their_account(self):
        account = self.account("Fabrikam")
        values = {"fullname": "Ann Lee", "emailaddress1": "ANN@x.example"}
        contact = self.fake.add("contacts", {**values, "_parentcustomerid_value": account})
        self.pull("accounts")
        self.pull("contacts")
        person = self.record_of(contact)
        self.assertEqual((person.name, person.email), ("Ann Lee", "ann@x.example"))
        self.assertEqual(person.parent_id, self.record_of(account))

    def test_expired_delta_token_full_reread_reconciles_ids(self):
        ids = [self.account(f"Keep{n}") for n in range(3)]
        self.pull("accounts")
        self.fake.delete("accounts", ids[2])
        self.fake.expire_delta_tokens()
        job = self.pull("accounts")
        self.assertEqual(job.state, "done", job.error)
        result = self.result(job)
        self.assertEqual((result["reconciled"], result["gone"], result["live"]), (True, 1, 2))
        self.assertFalse(self.record_of(ids[2]).active)
        self.assertTrue(self.record_of(ids[0]).active)
        wm = self.backend.watermark_ids.filtered(lambda w: w.object_name == "accounts")
        self.assertTrue(wm.dynamics_reconciled_at)
        self.fake.update("accounts", ids[0], name="Keep0 again")
        self.assertEqual(self.pull("accounts").state, "done")
        self.assertEqual(self.record_of(ids[0]).name, "Keep0 again", "the new delta link works")

    def test_429_is_rate_limited_with_retry_after_and_blocks_the_channel(self):
        self.account("Busy")
        adapter = self.backend._get_adapter()
        self.fake.status_next(1, "GET", "/accounts", 429, retry_after=42)
        with self.assertRaises(RateLimitedError) as caught:
            list(adapter.iter_changes("accounts", None))
        self.assertEqual(caught.exception.retry_after, 42)
        self.fake.status_next(5, "GET", "/accounts", 429, retry_after=120)
        job = self.enqueue("pull", "accounts")
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(job.state, "pending", "retried later, not dead")
        self.assertEqual(job.attempt, 1)
        self.assertEqual(self.fake.count("/accounts", "GET"), 2, "no hot loop")

    def test_won_eur_opportunity_becomes_order_and_project(self):
        eur = (
            self.env["res.currency"].with_context(active_test=False).search([("name", "=", "EUR")])
        )
        eur.active = True
        if self.env.company.currency_id != eur:
            self.env["product.pricelist"].create({"name": "Euro", "currency_id": eur.id})
        account, opp = self.opportunity("Contoso rollout", currency="EUR",
                                        lines=(("D365-WS", 4, 500.0, 200.0),))  # fmt: skip
        open_account, open_opp = self.opportunity("Litware pilot", state=0)
        self.backend.sale_mirror_open_deals = True
        job = self.pull_opportunities()
        self.assertEqual(job.state, "done", job.error)
        order = self.record_of(opp, "sale.order")
        self.assertTrue(order, self.open_exceptions().mapped("name"))
        self.assertEqual(order.currency_id, eur)
        self.assertEqual(order.partner_id, self.record_of(account))
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.order_line.product_id, self.workshop)
        self.assertAlmostEqual(order.order_line.discount, 10.0)
        self.assertTrue(order.project_ids or order.order_line.project_id, "a project")
        self.assertEqual(order.origin, f"Dynamics 365 opportunity {opp}")
        lead = self.record_of(open_opp, "crm.lead")
        self.assertTrue(lead.active)
        self.assertEqual(lead.type, "opportunity")
        # lost later: the mirrored opportunity is lost
        self.fake.update("opportunities", open_opp, statecode=2, statuscode=4)
        self.assertEqual(self.pull_opportunities().state, "done")
        self.assertFalse(lead.active)
        self.assertEqual(self.fake.count("opportunityproducts"), 1, "lines of a page at once")

    def test_missing_product_number_is_one_exception(self):
        _a, opp = self.opportunity("Adatum audit", lines=(("NOPE-1", 1, 10.0, 0.0),))
        self.pull_opportunities()
        self.assertFalse(self.record_of(opp, "sale.order"))
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1)
        self.assertIn("NOPE-1", exc.name)

    def test_writeback_batch_changesets_partial_failure(self):
        opps = [self.opportunity(f"Deal{n} won")[1] for n in range(3)]
        self.pull_opportunities()
        orders = [self.record_of(opp, "sale.order") for opp in opps]
        self.assertTrue(all(orders))
        for order in orders:
            order._create_invoices().action_post()
        self.fake.refused[opps[1]] = "The opportunity is read-only (a plug-in refused it)."
        job = self.enqueue("sale_writeback", identity="dynamics:writeback", payload={})
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual((self.result(job)["sent"], self.result(job)["failed"]), (2, 1))
        self.assertEqual(self.fake.count("$batch", "POST"), 1, "one $batch for the three")
        row = self.fake.get("opportunities", opps[0])
        self.assertEqual(row["new_odooinvoicenumbers"], orders[0].invoice_ids.name)
        self.assertEqual(row["new_odooinvoicestate"], "not_paid")
        self.assertNotIn("new_odooinvoicestate", self.fake.get("opportunities", opps[1]))
        exc = self.open_exceptions()
        self.assertEqual((exc.remote_object, exc.external_id), ("opportunities", opps[1]))
        self.assertIn("plug-in refused", exc.name)
        del self.fake.refused[opps[1]]
        job = self.enqueue("sale_writeback", identity="dynamics:writeback", payload={})
        self.run_jobs()
        self.assertEqual(self.result(job)["sent"], 1, "the failed one only")
        self.assertEqual(exc.state, "resolved")

    def test_unreadable_row_is_one_exception_rest_applied(self):
        good = self.account("Readable")
        bad = self.account("Garbled")
        self.fake.get("accounts", bad)["modifiedon"] = "not a date"
        job = self.pull("accounts")
        self.assertEqual(job.state, "done", job.error)
        self.assertTrue(self.record_of(good))
        self.assertFalse(self.record_of(bad))
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1)
        self.assertIn("not a date", exc.name + (exc.payload_text or ""))
