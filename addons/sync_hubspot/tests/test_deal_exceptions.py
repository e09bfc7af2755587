# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import requests

from odoo.addons.sync_core.tests.common import retry_from_form

from .test_deals import DealCase


class TestDealExceptions(DealCase):
    """The demo's won deal with an unknown SKU, as a finance user works it: one exception
    however often the deal is processed, the affected records on both sides, and a fix
    (create the product, or choose an existing one) followed by a retry that ends with the
    order and a green dashboard."""

    def open_exceptions(self):
        return self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("state", "=", "open")]
        )

    def test_unknown_sku_one_exception_then_create_product_and_retry(self):
        self.backend.sandbox = True  # a sandbox on the fake: record links go to the fake
        self.backend.action_test_connection()  # learns the portal id
        company, deal = self.won_deal(name="Security audit", skus=("RA-200", "AUDIT-1"))
        self.pull("companies")  # as the scheduled pulls do: the customer is in Odoo
        jobs = self.env["sync.job"]
        for _i in range(3):  # e.g. three scheduled pulls of the same won deal
            jobs |= self.deliver(deal)
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1, "one business problem, one exception")
        self.assertEqual(exc.occurrences, 3)
        self.assertEqual(exc.job_id, jobs.sorted("id")[-1])
        self.assertEqual((exc.remote_object, exc.external_id), ("deals", deal))
        self.assertEqual(exc.fix_kind, "missing_product")
        self.assertEqual(exc.fix_missing_key, "AUDIT-1")
        self.assertIn("AUDIT-1", exc.fix_status)
        self.backend.invalidate_recordset()
        self.assertEqual((self.backend.exception_open_count, self.backend.failed_24h), (1, 1))
        self.assertEqual(self.backend.health, "amber", self.backend.health_reason)
        # both sides: the deal in HubSpot (its app URL, served by the sandbox fake) and the
        # customer, imported in Odoo
        url = f"{self.backend.base_url}/contacts/{self.fake.portal_id}/record/0-3/{deal}"
        self.assertEqual(exc.remote_url, url)
        page = requests.get(url, timeout=5)
        self.assertEqual(page.json()["properties"]["dealname"], "Security audit")
        customer = self.record_of(company)
        self.assertTrue(customer)
        self.assertIn(f"/odoo/res.partner/{customer.id}", exc.affected_html)
        self.assertIn("Security audit Corp", exc.affected_html)
        self.assertIn(url, exc.affected_html)
        # "Create product": a product form prefilled with the SKU and the line's name and price
        action = exc.action_fix_create_record()
        self.assertEqual((action["res_model"], action["target"]), ("product.product", "new"))
        ctx = action["context"]
        self.assertEqual(ctx["default_default_code"], "AUDIT-1")
        self.assertEqual(ctx["default_name"], "Item AUDIT-1")
        self.assertEqual(ctx["default_list_price"], 100.0)
        self.assertEqual(ctx["default_type"], "service")
        product = self.env["product.product"].with_context(**ctx).create({})
        self.assertEqual(product.default_code, "AUDIT-1")
        self.assertEqual(product.service_tracking, "task_in_project")
        exc.invalidate_recordset()
        self.assertFalse(exc.fix_missing_key)
        self.assertIn("press Retry", exc.fix_status)
        # Retry from the form runs the deal at once and says so
        action = retry_from_form(self, exc)
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(exc.state, "resolved")
        order = self.orders_of(deal)
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["AUDIT-1", "RA-200"]
        )
        audit_line = order.order_line.filtered(lambda ln: ln.product_id == product)
        self.assertTrue(audit_line.task_id, "the new service made a task in the deal's project")
        # the job says which deal it handled and the order it made
        self.assertEqual(
            exc.job_id.display_name,
            f"HubSpot: won deal to sale order and project: deals {deal} ({order.name})",
        )
        # the dashboard is back to zero; only what never happened is left (this test
        # pulls no contact)
        self.backend.invalidate_recordset()
        self.assertEqual((self.backend.exception_open_count, self.backend.failed_24h), (0, 0))
        self.assertEqual(self.backend.health_reason, "Never pulled: HubSpot contacts")
        # a later pull of the same deal: no new exception, no second order
        self.deliver(deal)
        self.assertFalse(self.open_exceptions())
        self.assertEqual(self.orders_of(deal), order)
        self.assertEqual(exc.occurrences, 3)

    def test_failing_deal_pulled_again_is_one_job_retried(self):
        """Issue 15 point 5: scheduled pulls of a deal that keeps failing retry its one job
        (the exception counts the occurrences), instead of a new job per pull beside a
        cancelled one."""
        _company, deal = self.won_deal(name="Keeps failing", skus=("RA-200", "GONE-7"))
        self.pull("companies")
        Job = self.env["sync.job"]
        deal_jobs = [("backend_id", "=", self.backend.id), ("kind", "=", "hubspot_deal")]
        for n in range(4):  # four scheduled pulls, the deal edited in HubSpot between them
            self.fake.update("deals", deal, {"description": f"edit {n}"})
            pull = self.pull("deals")
            self.assertEqual(pull.state, "done", pull.error)
            self.run_jobs()
        jobs = Job.search(deal_jobs)
        self.assertEqual(len(jobs), 1, jobs.mapped("state"))
        self.assertEqual(jobs.state, "failed")
        self.assertFalse(Job.search([*deal_jobs, ("state", "=", "cancelled")]))
        exc = self.open_exceptions()
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.job_id, jobs)
        self.assertEqual(exc.occurrences, 4)
        self.assertIn("GONE-7", exc.name)
        # found by the deal id and by the customer its failure touches (issue 15 point 6)
        self.assertEqual(jobs.partner_name, "Keeps failing Corp")
        self.assertEqual([r[0] for r in Job.name_search(str(deal))], [jobs.id])
        self.assertIn(jobs.id, [r[0] for r in Job.name_search("Keeps failing Corp")])

    def test_unknown_sku_use_existing_product(self):
        _company, deal = self.won_deal(name="Retrofit", skus=("RA-200", "RETRO-9"))
        self.deliver(deal)
        exc = self.open_exceptions()
        existing = self.env["product.product"].create({"name": "Retrofit kit", "type": "consu"})
        wizard = (
            self.env["sync.exception.use.existing"]
            .with_context(active_model="sync.exception", active_id=exc.id)
            .create({"res_id": existing.id})
        )
        self.assertEqual((wizard.key, wizard.res_model), ("RETRO-9", "product.product"))
        action = wizard.action_confirm()
        self.assertEqual(action["params"]["next"]["type"], "ir.actions.act_window_close")
        self.assertEqual(existing.default_code, "RETRO-9")
        self.assertEqual(exc.job_id.state, "pending", "retried (queued)")
        self.run_jobs()
        self.assertEqual(exc.state, "resolved")
        self.assertIn(existing, self.orders_of(deal).order_line.product_id)

    def test_retry_still_failing_says_why(self):
        _company, deal = self.won_deal(name="Unfixed", skus=("GHOST-1",))
        self.deliver(deal)
        exc = self.open_exceptions()
        action = retry_from_form(self, exc)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("GHOST-1", action["params"]["message"])
        self.assertEqual(self.open_exceptions(), exc)
        self.assertEqual(exc.occurrences, 2)

    def test_conflict_opens_both_sides(self):
        self.backend.action_test_connection()
        _company, deal = self.won_deal(name="Cold feet")
        self.deliver(deal)
        order = self.record_of(deal, "sale.order")
        self.fake.update("deals", deal, {"dealstage": "closedlost"})
        self.deliver(deal)
        exc = self.open_exceptions()
        self.assertEqual(exc.fix_kind, "conflict")
        self.assertEqual((exc.remote_object, exc.external_id), ("deals", deal))
        odoo_side = exc.action_open_odoo_record()
        self.assertEqual((odoo_side["res_model"], odoo_side["res_id"]), ("sale.order", order.id))
        remote_side = exc.action_open_remote_record()
        self.assertEqual(remote_side["type"], "ir.actions.act_url")
        self.assertTrue(remote_side["url"].endswith(f"/record/0-3/{deal}"))

    def test_one_of_two_products_created_then_pulled_again(self):
        _company, deal = self.won_deal(name="Two missing", skus=("NEW-A", "NEW-B"))
        first_job = self.deliver(deal)
        first = self.open_exceptions()
        keys = [item["key"] for item in first.fix_data["missing"]]
        self.assertEqual(sorted(keys), ["NEW-A", "NEW-B"])
        self.assertEqual(first.fix_missing_key, keys[0])
        self.env["product.product"].create({"name": "A", "default_code": keys[0]})
        # the next scheduled pull sees the deal again before anyone pressed Retry
        job = self.deliver(deal)
        second = self.open_exceptions()
        self.assertEqual(len(second), 1, "one open problem for the deal")
        self.assertNotEqual(second, first)
        self.assertEqual(second.fix_missing_key, keys[1])
        self.assertEqual(first.state, "resolved")
        # one problem, one job: the deal's failed job was retried, not doubled (issue 15, 5)
        self.assertEqual(job, first_job)
        self.assertEqual(job.state, "failed")
        self.backend.invalidate_recordset()
        self.assertEqual((self.backend.exception_open_count, self.backend.failed_24h), (1, 1))
