"""Remote field names: a remote that does not describe its fields says "not checked" (never
"known"), and a value absent from the remote record never blanks the Odoo field."""

from odoo.tests import BaseCase

from odoo.addons.sync_core import mapping as mapping_logic

from .common import SyncCase


class TestAbsentValues(BaseCase):
    def test_map_inbound_skips_absent_keys_not_empty_ones(self):
        lines = [
            mapping_logic.line_command("email", "email", "lower")[2],
            mapping_logic.line_command("zz_nonsense_prop!!", "phone")[2],
            mapping_logic.line_command("Account.Name", "comment")[2],
        ]
        vals, _refs, _conflicts = mapping_logic.map_inbound(
            lines, {"email": None, "Account": None}, is_new=False
        )
        # email said empty: written empty; the unknown key: absent, left out; an empty parent
        self.assertEqual(vals, {"email": False, "comment": False})


class TestRemoteFieldCheck(SyncCase):
    def test_generic_remote_is_not_checked_and_says_why(self):
        line = self.mapping.line_ids[:1]
        self.assertEqual(line.remote_field_state, "unchecked")
        self.assertIn("has not passed its test yet", line.remote_field_note)
        self.backend.state = "ok"
        line.invalidate_recordset()
        self.assertEqual(line.remote_field_state, "unchecked")
        self.assertEqual(
            line.remote_field_note,
            "not checked: Generic test does not describe the fields of customers",
        )

    def test_unknown_field_with_remote_wins_never_blanks_the_email(self):
        ext = self.fake.put("customers", {"name": "Keep Mail", "email": "keep@mail.test"})
        self.assertEqual(self.pull().state, "done")
        partner = self.partner_of(ext)
        self.assertEqual(partner.email, "keep@mail.test")
        self.mapping.line_ids.filtered(lambda ln: ln.odoo_field == "email").write(
            {"remote_field": "zz_nonsense_prop!!", "owner": "remote"}
        )
        self.fake.put("customers", {"name": "Keep Mail 2", "email": "keep@mail.test"}, ext_id=ext)
        job = self.pull()
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(partner.name, "Keep Mail 2", "the record was applied")
        self.assertEqual(partner.email, "keep@mail.test", "an absent value blanks nothing")
