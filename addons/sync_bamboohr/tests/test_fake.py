# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from odoo.addons.sync_core.exceptions import (
    AuthenticationError,
    RateLimitedError,
    RemoteUnavailableError,
)
from odoo.addons.sync_hr import hr

from .common import BambooCase


@tagged("post_install", "-at_install")
class TestAdapterOnFake(BambooCase):
    def test_one_request_for_a_full_load(self):
        for n in range(30):
            self.fake.add_employee(f"E{n}", "Person", f"e{n}@example.com")
        adapter = self.backend._get_adapter()
        adapter.page_size = 10
        pages = list(adapter.iter_changes(hr.EMPLOYEES, None))
        self.assertEqual([len(p) for p in pages], [10, 10, 10])
        self.assertEqual(adapter.calls, 1)  # the custom report reads every employee at once

    def test_bad_key_and_throttling(self):
        self.backend.sudo().bamboohr_api_key = "wrong"
        with self.assertRaises(AuthenticationError):
            self.backend._get_adapter().time_off_types()
        self.backend.sudo().bamboohr_api_key = "bamboo-test-key"
        self.fake.status_next(1, None, None, 503, retry_after=7)
        with self.assertRaises(RemoteUnavailableError) as caught:
            self.backend._get_adapter().time_off_types()
        self.assertEqual(caught.exception.retry_after, 7)
        self.fake.status_next(1, None, None, 429, retry_after=11)
        with self.assertRaises(RateLimitedError):
            self.backend._get_adapter().time_off_types()

    def test_unreadable_employee_kept_apart(self):
        self.fake.add_employee("Good", "One", "good@example.com")
        self.fake.employees["99"] = {"id": "", "firstName": "No id"}
        self.sync()
        self.assertTrue(self.employee_of("1"))
        self.assertEqual(self.job("hr_pull").state, "done")
