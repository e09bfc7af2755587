# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Kantata serves no description of its fields: mapping lines are checked against the
declared list (the keys the connector translates Kantata's documented attributes to)."""

from odoo.tests import tagged

from odoo.addons.sync_core import remote_schema

from .common import PsaCase


@tagged("post_install", "-at_install")
class TestRemoteFields(PsaCase):
    def test_workspace_lines_checked_against_the_declared_list(self):
        remote_schema.forget()
        self.backend.state = "ok"
        calls = len(self.fake.calls())
        mapping = self.env["sync.mapping"].search(
            [("backend_id", "=", self.backend.id), ("remote_object", "=", "projects")]
        )
        lines = mapping.line_ids
        self.assertEqual(set(lines.mapped("remote_field_state")), {"known"})
        budget = lines.filtered(lambda ln: ln.remote_field == "budget_cents")
        budget.remote_field = "budget"
        self.assertEqual(budget.remote_field_state, "unknown")
        self.assertEqual(
            budget.remote_field_note,
            "Kantata test has no field budget on projects (did you mean budget_cents?).",
        )
        self.assertEqual(len(self.fake.calls()), calls, "a declared list: no remote call")
