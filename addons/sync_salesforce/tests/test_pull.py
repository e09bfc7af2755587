# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo.tests import tagged

from .common import SalesforceCase


def _stats(job):
    return json.loads(job.result or "{}")


@tagged("post_install", "-at_install")
class TestPull(SalesforceCase):
    def test_accounts_then_contacts_under_their_account(self):
        acme = self.fake.add(
            "Account",
            {"Name": "Acme", "Website": "acme.example", "BillingCountry": "Belgium"},
        )
        self.fake.add(
            "Contact",
            {"FirstName": "Ann", "LastName": "Lee", "Email": "ANN@acme.example", "AccountId": acme},
        )
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        company = self.record_of(acme)
        self.assertTrue(company.is_company)
        self.assertEqual(company.country_id.code, "BE")
        job = self.pull("Contact")
        self.assertEqual(job.state, "done", job.error)
        person = self.env["res.partner"].search([("email", "=", "ann@acme.example")])
        self.assertEqual(person.parent_id, company)
        self.assertEqual(person.name, "Ann Lee")
        soql = self.fake.queries()[0]
        self.assertIn("ORDER BY SystemModstamp, Id", soql)
        self.assertNotIn("LastModifiedDate", soql)

    def test_keyset_paging_across_identical_stamps(self):
        """450 accounts share one SystemModstamp; the cursor expires after the first page: the
        query restarts after (stamp, last id), so nothing is skipped or read twice."""
        stamp = self.fake.now() - timedelta(minutes=1)
        ids = [self.fake.add("Account", {"Name": f"Same {i:03d}"}, stamp) for i in range(450)]
        self.fake.fail_next(
            1, 400, "INVALID_QUERY_LOCATOR", "invalid query locator", path_contains="/query/01g"
        )
        job = self.pull("Account")
        self.assertEqual(job.state, "done", job.error)
        stats = _stats(job)
        self.assertEqual((stats["read"], stats["created"]), (450, 450))
        restart = self.fake.queries()[1]
        self.assertIn(
            f"(SystemModstamp > {stamp:%Y-%m-%dT%H:%M:%S}Z OR (SystemModstamp = "
            f"{stamp:%Y-%m-%dT%H:%M:%S}Z AND Id > '{ids[199]}'))",
            restart,
        )
        wm = self.watermark("Account")
        self.assertEqual((wm.cursor_stamp, wm.cursor_id), (stamp, ids[-1]))
        self.assertEqual(
            len(self.env["sync.binding"].search([("backend_id", "=", self.backend.id)])), 450
        )

    def test_lookback_overlap_reads_late_commits_once(self):
        first = self.fake.add("Account", {"Name": "First"})
        self.pull("Account")
        wm = self.watermark("Account")
        # committed late on the remote: an older stamp than the cursor, inside the lookback
        late = self.fake.add("Account", {"Name": "Late"}, wm.cursor_stamp - timedelta(seconds=90))
        job = self.pull("Account")
        stats = _stats(job)
        self.assertEqual(stats["created"], 1)
        self.assertEqual(stats["identical"], 1)
        self.assertTrue(self.record_of(late))
        self.assertEqual(self.record_of(first).name, "First")
        self.assertIn(
            f"SystemModstamp >= {wm.cursor_stamp - timedelta(seconds=300):%Y-%m-%dT%H:%M:%S}Z",
            self.fake.queries()[-1],
        )
