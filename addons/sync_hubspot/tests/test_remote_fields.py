# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mapping lines checked against HubSpot's properties (GET /crm/v3/properties/{object}): an
unknown property warns at save and is flagged on the mapping and in Preview; it never blanks
the Odoo field; a portal that cannot be asked never blocks saving and says "not checked"."""

from odoo.addons.sync_core import remote_schema

from .common import HubSpotCase

PROPERTIES = "/crm/v3/properties/contacts"


class TestRemoteFields(HubSpotCase):
    def setUp(self):
        super().setUp()
        remote_schema.forget()
        self.backend.action_test_connection()
        self.assertEqual(self.backend.state, "ok")
        self.contacts = self.mappings.filtered(lambda m: m.remote_object == "contacts")

    def email_line(self):
        return self.contacts.line_ids.filtered(lambda ln: ln.odoo_field == "email")

    def test_unknown_property_warns_at_save_and_is_flagged(self):
        line = self.email_line()
        line.write({"remote_field": "zz_nonsense_prop!!", "owner": "remote"})
        self.assertEqual(line.remote_field_state, "unknown")
        self.assertEqual(
            line.remote_field_note, "HubSpot test has no field zz_nonsense_prop!! on contacts."
        )
        message = self.contacts.message_ids[:1]
        self.assertIn("Unknown remote field(s) saved", message.body)
        self.assertIn("zz_nonsense_prop!!", message.body)
        # the other lines: known (the connector's own keys too: name, company_id)
        others = self.contacts.line_ids - line
        self.assertEqual(set(others.mapped("remote_field_state")), {"known"})
        self.assertIn("company_id", others.mapped("remote_field"))
        # a near miss names the property it probably is
        line.remote_field = "emial"
        self.assertEqual(
            line.remote_field_note,
            "HubSpot test has no field emial on contacts (did you mean email?).",
        )
        # editing it in the form warns at once
        warning = line._onchange_remote_field_check()
        self.assertEqual(warning["warning"]["title"], "Unknown remote field")

    def test_schema_read_once_per_object_then_again_for_a_new_property(self):
        lines = self.contacts.line_ids
        self.fake.reset_log()
        lines.invalidate_recordset()
        self.assertEqual(set(lines.mapped("remote_field_state")), {"known"})
        lines.invalidate_recordset()
        lines.mapped("remote_field_state")
        self.assertEqual(self.calls("GET", PROPERTIES), 1, "cached per backend and object")
        # a custom property created in HubSpot after the last read: saving reads again
        self.fake.define_property("contacts", "vat_number")
        line = self.email_line()
        line.remote_field = "vat_number"
        self.assertEqual(line.remote_field_state, "known")
        self.assertEqual(self.calls("GET", PROPERTIES), 2)
        self.assertFalse(self.contacts.message_ids.filtered(lambda m: "Unknown" in m.body))

    def test_unreachable_portal_saves_and_says_not_checked(self):
        # a private app without the crm.schemas.contacts.read scope: 403 on the properties API
        self.fake.fail_next(1, 403, path_contains=PROPERTIES)
        line = self.email_line()
        line.write({"remote_field": "zz_nonsense_prop!!"})
        self.assertEqual(line.remote_field, "zz_nonsense_prop!!", "saved")
        self.assertEqual(line.remote_field_state, "unchecked")
        self.assertTrue(
            line.remote_field_note.startswith(
                "not checked: HubSpot test could not be asked for the fields of contacts"
            ),
            line.remote_field_note,
        )

    def test_preview_flags_it_and_the_pull_keeps_the_email(self):
        ext = self.fake.add(
            "contacts", {"firstname": "Ann", "lastname": "Lee", "email": "ann@lee.example"}
        )
        self.assertEqual(self.pull("contacts").state, "done")
        partner = self.record_of(ext)
        self.assertEqual(partner.email, "ann@lee.example")
        self.email_line().write({"remote_field": "zz_nonsense_prop!!", "owner": "remote"})
        preview = self.env["sync.mapping.preview"]._for_mapping(self.contacts)
        row = preview.line_ids.filtered(lambda r: r.remote_field == "zz_nonsense_prop!!")
        self.assertTrue(row.flagged)
        self.assertFalse(row.changed)
        self.assertEqual((row.before, row.after), ("ann@lee.example", "ann@lee.example"))
        self.assertEqual(
            row.note,
            "HubSpot test has no field zz_nonsense_prop!! on contacts. Nothing is read from it "
            "or written to it: the Odoo value is kept.",
        )
        self.assertFalse(preview.line_ids.filtered("flagged") - row)
        # remote wins, the record changes in HubSpot: applied, and the e-mail is not blanked
        self.fake.update("contacts", ext, {"lastname": "Lee-Smith"})
        job = self.pull("contacts")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(partner.name, "Ann Lee-Smith")
        self.assertEqual(partner.email, "ann@lee.example")
