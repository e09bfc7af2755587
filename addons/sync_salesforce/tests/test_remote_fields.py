# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mapping lines checked against the sObject describe (GET sobjects/{name}/describe)."""

from odoo.tests import tagged

from odoo.addons.sync_core import remote_schema

from .common import SalesforceCase


@tagged("post_install", "-at_install")
class TestRemoteFields(SalesforceCase):
    def setUp(self):
        super().setUp()
        remote_schema.forget()
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok")
        self.contacts = self.mappings.filtered(lambda m: m.remote_object == "Contact")

    def test_describe_checks_fields_and_relationship_paths(self):
        lines = self.contacts.line_ids
        self.assertEqual(set(lines.mapped("remote_field_state")), {"known"})
        self.assertEqual(self.fake.calls("/sobjects/Contact/describe"), 1)
        email = lines.filtered(lambda ln: ln.odoo_field == "email")
        email.remote_field = "Emial"
        self.assertEqual(email.remote_field_state, "unknown")
        self.assertEqual(
            email.remote_field_note,
            "Salesforce test has no field Emial on Contact (did you mean Email?).",
        )
        self.assertIn("Emial", self.contacts.message_ids[:1].body)
        # a relationship path starts with the lookup's relationship name
        email.remote_field = "Account.Name"
        self.assertEqual(email.remote_field_state, "known")
        # a custom field created in the org since the last read is found when saving
        self.fake.define_field("Contact", "VAT__c")
        email.remote_field = "VAT__c"
        self.assertEqual(email.remote_field_state, "known")
        # read: once for the lines, again at each save of a name it did not know
        self.assertEqual(self.fake.calls("/sobjects/Contact/describe"), 3)
