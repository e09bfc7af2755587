"""What a user reads on the sync screens: no summed version numbers, values of new records in
words, units next to numbers, audit rows without empty-to-empty lines, and a backend whose
objects never arrived is not "Healthy"."""

from lxml import etree

from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestReadableUi(SyncCase):
    def test_version_numbers_are_not_added_up_in_group_rows(self):
        for model, names in (
            ("sync.mapping", ["version", "sequence"]),
            ("sync.mapping.version", ["version"]),
            ("sync.audit", ["mapping_version"]),
        ):
            described = self.env[model].fields_get(names, ["aggregator"])
            for name in names:
                self.assertFalse(described[name].get("aggregator"), f"{model}.{name}")

    def test_values_of_new_records_in_words(self):
        self.assertEqual(self.mapping.default_values_text, "Is a Company: Yes")
        self.mapping.default_values = "{'is_company': True, 'country_id': %d, 'nope': 1}" % (
            self.env.ref("base.be").id
        )
        self.assertEqual(
            self.mapping.default_values_text, "Is a Company: Yes\nCountry: Belgium\nnope: 1"
        )
        self.mapping.default_values = "[1, 2"
        self.assertEqual(self.mapping.default_values_text, "Not a dict of field values: [1, 2")
        arch = self.env["sync.mapping"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="default_values_text"', arch)

    def test_settings_numbers_have_their_unit(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        doc = etree.fromstring(arch)
        pulls = doc.xpath("//div[@name='sync_pull_interval_unit']")[0]
        self.assertEqual(" ".join("".join(pulls.itertext()).split()), "Every minutes")
        self.assertTrue(pulls.xpath("./field[@name='sync_pull_interval']"))
        kept = doc.xpath("//div[@name='sync_job_retention_unit']")[0]
        self.assertEqual(" ".join("".join(kept.itertext()).split()), "Keep days")

    def test_creation_audit_lists_only_values_set(self):
        ext = self.fake.put("customers", {"name": "Initech", "email": ""})
        self.pull()
        partner = self.partner_of(ext)
        created = self.env["sync.audit"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )
        self.assertEqual(created.operation, "create")
        self.assertEqual(set(created.changes), {"name"}, created.changes)
        self.assertEqual(created.changes_text, "Name: (empty) \N{RIGHTWARDS ARROW} Initech")
        # a row stored before this fix shows no empty-to-empty line either
        created.changes = {"name": [False, "Initech"], "phone": [False, False], "vat": [None, ""]}
        self.assertEqual(created.changes_text, "Name: (empty) \N{RIGHTWARDS ARROW} Initech")

    def test_backend_whose_objects_never_arrived_is_not_healthy(self):
        backend = self.backend
        self.assertEqual(backend.system_role, "other")
        self.assertIn(backend, self.env["sync.backend"].search([("system_role", "=", "other")]))
        self.assertNotIn(backend, self.env["sync.backend"].search([("system_role", "=", "psa")]))
        backend.action_test_connection()
        backend.invalidate_recordset()
        self.assertEqual(backend.state, "ok")
        self.assertEqual(backend.health, "amber")
        self.assertIn("Never pulled: Customers", backend.health_reason)
        job = self.pull()  # the remote has no customer
        self.assertEqual(job.state, "done", job.error)
        backend.invalidate_recordset()
        self.assertEqual(backend.health, "amber")
        self.assertIn("Pulled, but not one record received yet: Customers", backend.health_reason)
        self.fake.put("customers", {"name": "First"})
        self.pull()
        backend.invalidate_recordset()
        self.assertEqual(backend.health, "green", backend.health_reason)
