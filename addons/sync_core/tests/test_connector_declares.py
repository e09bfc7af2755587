"""What a connector declares instead of the neutral layer guessing it (issue 16 section 1):
the webhook headers kept with an event, and how outbound values are typed."""

from datetime import date, datetime

from odoo.tests import BaseCase

from odoo.addons.sync_core import mapping as mapping_logic
from odoo.addons.sync_core.models.sync_event import KEPT_HEADERS

from .common import SyncCase

LINES = [
    mapping_logic.line_command(remote, odoo, transform, owner="odoo", direction="export")[2]
    for remote, odoo, transform in (
        ("name", "name", "str"),
        ("employees", "employees", "int"),
        ("revenue", "revenue", "float"),
        ("vip", "vip", "bool"),
        ("since", "since", "date"),
        ("seen", "seen", "datetime"),
        ("note", "note", "str"),
    )
]
VALUES = {
    "name": "Acme",
    "employees": 12,
    "revenue": 1.5,
    "vip": False,
    "since": date(2024, 3, 1),
    "seen": datetime(2024, 3, 1, 8, 30),
    "note": False,
}


class TestValueStyles(BaseCase):
    def test_text_style_is_every_value_a_string(self):
        self.assertEqual(
            mapping_logic.map_outbound(LINES, VALUES, style="text"),
            {
                "name": "Acme",
                "employees": "12",
                "revenue": "1.5",
                "vip": "false",
                "since": "2024-03-01",
                "seen": "2024-03-01T08:30:00.000Z",
                "note": "",
            },
        )

    def test_json_style_keeps_types_and_empty_is_null(self):
        self.assertEqual(
            mapping_logic.map_outbound(LINES, VALUES, style="json"),
            {
                "name": "Acme",
                "employees": 12,
                "revenue": 1.5,
                "vip": False,
                "since": "2024-03-01",
                "seen": "2024-03-01T08:30:00.000Z",
                "note": None,
            },
        )

    def test_neutral_headers_name_no_vendor(self):
        neutral = {"content-type", "user-agent", "x-request-id", "x-sync-timestamp"}
        self.assertLessEqual(neutral, KEPT_HEADERS)
        for header in KEPT_HEADERS - neutral:  # those connectors added when loaded
            self.assertTrue(header.startswith(("x-hubspot-", "x-sfdc-")), header)


class TestGenericStyle(SyncCase):
    def test_generic_rest_sends_strings_as_before(self):
        self.assertEqual(self.backend._value_style(), "text")
