from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestMappingEditor(SyncCase):
    """The mapping editor: model and fields from lists, version history with what changed,
    and the preview (dry run) on the last synced record."""

    def import_ids(self, *ids):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": list(ids)}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)

    def test_preview_on_last_record_before_after_nothing_written(self):
        with self.assertRaisesRegex(UserError, "Nothing synced yet"):
            self.mapping.action_preview()
        ext = self.fake.put(
            "customers", {"name": "Acme", "email": "INFO@ACME.TEST", "country": "BE"}
        )
        self.import_ids(ext)
        partner = self.partner_of(ext)
        self.assertEqual(partner.email, "info@acme.test")
        # the remote renames it; the editor switches the email transform to "as is"
        self.fake.put(
            "customers",
            {"name": "Acme Corp", "email": "INFO@ACME.TEST", "country": "FR"},
            ext_id=ext,
        )
        email = self.mapping.line_ids.filtered(lambda ln: ln.odoo_field == "email")
        email.transform = "identity"
        action = self.mapping.action_preview()
        preview = self.env["sync.mapping.preview"].browse(action["res_id"])
        rows = {ln.field_label: ln for ln in preview.line_ids}
        self.assertEqual((rows["Name"].before, rows["Name"].after), ("Acme", "Acme Corp"))
        self.assertTrue(rows["Name"].changed)
        self.assertEqual(rows["Email"].after, "INFO@ACME.TEST")
        self.assertEqual((rows["Country"].before, rows["Country"].after), ("Belgium", "France"))
        # Odoo owns the phone: shown as kept
        self.assertFalse(rows["Phone"].changed)
        self.assertIn(f"customers {ext}", preview.external_id)
        self.assertEqual(preview.record_name, "Acme")
        self.assertIn("3 of", preview.summary)
        # a dry run: nothing written, no audit row, no new binding stamp
        partner.invalidate_recordset()
        self.assertEqual((partner.name, partner.email), ("Acme", "info@acme.test"))

    def test_preview_names_an_unknown_reference_instead_of_failing(self):
        ext = self.fake.put("customers", {"name": "Initech", "country": "BE"})
        self.import_ids(ext)
        self.fake.put("customers", {"name": "Initech", "country": "ZZ"}, ext_id=ext)
        preview = self.env["sync.mapping.preview"].browse(self.mapping.action_preview()["res_id"])
        country = preview.line_ids.filtered(lambda ln: ln.field_label == "Country")
        self.assertIn("'ZZ'", country.note)
        self.assertFalse(country.changed)

    def test_model_and_field_from_lists_and_version_diff(self):
        partner_model = self.env["ir.model"]._get("res.partner")
        self.assertEqual(self.mapping.res_model_id, partner_model)
        name_line = self.mapping.line_ids.filtered(lambda ln: ln.odoo_field == "name")
        self.assertEqual(name_line.odoo_field_id.name, "name")
        self.assertEqual(name_line.odoo_field_id.model, "res.partner")
        # choosing the field from the list writes its technical name
        with Form(self.mapping) as form, form.line_ids.edit(0) as line:
            line.odoo_field_id = self.env["ir.model.fields"]._get("res.partner", "ref")
        self.assertEqual(self.mapping.line_ids[0].odoo_field, "ref")
        self.assertEqual(self.mapping.version, 2, "one save, one version")
        last = self.mapping.version_ids.sorted("version")[-1]
        self.assertEqual(last.version, 2)
        self.assertIn("+ name -> ref", last.diff_text)
        self.assertIn("- name -> name", last.diff_text)
        self.mapping.line_ids[0].transform = "lower"
        self.mapping.invalidate_recordset(["version_ids"])
        self.assertIn(
            "~ name -> ref: transform str -> lower", self.mapping.version_ids[0].diff_text
        )
        first = self.mapping.version_ids[-1]
        self.assertIn("+ email -> email", first.diff_text)
        # the backend's Objects tab says where the object's fields flow
        self.assertEqual(self.mapping.direction, "Both ways")  # the phone goes both ways
        self.mapping.line_ids.write({"direction": "import"})
        self.assertEqual(self.mapping.direction, "From the remote")
        self.assertIn(self.mapping, self.backend.mapping_ids)
        # choosing another model from the list
        self.mapping.res_model_id = self.env["ir.model"]._get("res.partner.category")
        self.assertEqual(self.mapping.res_model, "res.partner.category")
