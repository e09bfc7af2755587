# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The vendor-neutral layer on its own: the canonical shapes' arithmetic and wording, the
adapter contract, and the registration of PSA kinds (no connector needed)."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.sync_psa import psa
from odoo.addons.sync_psa.psa_adapter import PsaAdapter


def record(data, archived=False):
    return {"id": "1", "updated_at": None, "archived": archived, "data": data}


@tagged("post_install", "-at_install")
class TestPsaLayer(TransactionCase):
    def test_canonical_object_names_are_neutral(self):
        self.assertEqual(
            (psa.TIME, psa.EXPENSES, psa.PROJECTS, psa.PEOPLE, psa.MILESTONES),
            ("time_entries", "expenses", "projects", "users", "milestones"),
        )
        self.assertEqual(psa.IMPORTED, (psa.TIME, psa.EXPENSES, psa.MILESTONES))

    def test_arithmetic_and_states(self):
        self.assertEqual(psa.hours(90), 1.5)
        self.assertEqual(psa.hours(None), 0.0)
        self.assertEqual(psa.amount(18450), 184.5)
        self.assertEqual(psa.amount(1234, 0), 1234)
        self.assertTrue(psa.is_live(record({"approved": True})))
        self.assertFalse(psa.is_live(record({"approved": True}, archived=True)))
        self.assertEqual(psa.change_verb(record({"approved": True}, archived=True)), "deleted")
        self.assertEqual(psa.change_verb(record({"approved": False})), "unapproved")
        self.assertEqual(psa.change_verb(record({"approved": True})), "edited")

    def test_waiting_summary(self):
        time = [record({"minutes": 300}), record({"minutes": 30})]
        self.assertEqual(psa.waiting_summary(psa.TIME, time), "2 approved time entries, 5.50 h")
        money = [
            record({"amount_cents": 12000, "currency": "USD"}),
            record({"amount_cents": 5000, "currency": "EUR"}),
        ]
        self.assertEqual(
            psa.waiting_summary(psa.EXPENSES, money), "2 approved expenses, 50.00 EUR + 120.00 USD"
        )

    def test_adapter_contract(self):
        adapter = PsaAdapter({})
        self.assertIsNone(adapter.event_retention(), "no change feed unless the PSA says")
        calls = [
            lambda: adapter.iter_events(None, [psa.TIME]),
            lambda: adapter.submission_records("timesheet", ["1"]),
            lambda: adapter.iter_approvals(psa.TIME, None, None),
            lambda: adapter.iter_approved_time(None, None),
            lambda: adapter.iter_expenses_between(None, None),
            lambda: adapter.write_reference(psa.TIME, "1", "account.analytic.line", 1),
            lambda: adapter.find_by_reference(psa.PROJECTS, "project.project", 1),
            adapter.cost_rates,
        ]
        for call in calls:
            with self.assertRaises(NotImplementedError):
                call()

    def test_only_registered_kinds_are_psas(self):
        Backend = self.env["sync.backend"]
        generic = Backend.create({"name": "Not a PSA", "kind": "generic"})
        self.assertNotIn("generic", Backend._psa_kinds())
        self.assertFalse(generic.is_psa)
        self.assertNotEqual(generic.system_role, "psa")
        self.assertFalse(generic.action_psa_sync() is False)
        self.assertFalse(self.env["sync.job"].search([("backend_id", "=", generic.id)]))
