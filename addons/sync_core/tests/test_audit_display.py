from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestAuditDisplay(SyncCase):
    """Audit rows and bindings read as sentences: field labels, names of linked records,
    selection labels; no raw ids, no Python repr, no `sync.binding,8`."""

    def test_readable_changes_and_names(self):
        ext = self.fake.put("customers", {"name": "Initech", "country": "BE"})
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        self.fake.put("customers", {"name": "Initech", "country": "FR"}, ext_id=ext)
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": [ext]}
        )
        self.run_jobs()
        partner = self.partner_of(ext)
        audit = self.env["sync.audit"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)], limit=1
        )
        self.assertEqual(audit.operation, "write")
        self.assertEqual(
            audit.changes["country_id"],
            [
                self.env.ref("base.be").id,
                self.env.ref("base.fr").id,
            ],
        )
        self.assertEqual(audit.changes_text, "Country: Belgium \N{RIGHTWARDS ARROW} France")
        self.assertEqual(audit.display_name, f"Updated Initech (customers {ext})")
        self.assertEqual(audit.record_name, "Initech")
        created = self.env["sync.audit"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)], order="id"
        )[:1]
        self.assertEqual(created.operation, "create")
        self.assertIn("Name: (empty) \N{RIGHTWARDS ARROW} Initech", created.changes_text)
        self.assertNotIn("'", created.changes_text)
        self.assertNotIn("None", created.changes_text)
        binding = self.binding_of(ext)
        self.assertEqual(binding.display_name, f"Initech \N{LEFT RIGHT ARROW} customers {ext}")
