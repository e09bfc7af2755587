# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from .common import HubSpotCase


class TestContactNames(HubSpotCase):
    def test_contact_without_any_name_is_a_validation_exception(self):
        """A contact Odoo cannot name: a validation exception naming the contact and what is
        missing, no SQL error in the log; a contact with a phone only is named by it."""
        named = self.fake.add("contacts", {"firstname": "Ann", "lastname": "Lee"})
        phone_only = self.fake.add("contacts", {"phone": "+32 2 555 01 01"})
        nothing = self.fake.add("contacts", {"jobtitle": "Buyer"})
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):
            job = self.pull("contacts")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.record_of(named).name, "Ann Lee")
        self.assertEqual(self.record_of(phone_only).name, "+32 2 555 01 01")
        self.assertFalse(self.binding_of(nothing))
        exc = self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", nothing)]
        )
        self.assertEqual(exc.category, "validation")
        self.assertEqual(
            exc.name,
            f"HubSpot test: contacts {nothing} cannot be created as Contact: Name (from "
            "HubSpot's first name, last name, email or phone) is empty. Complete the record "
            "in HubSpot test, or edit the payload here and retry.",
        )


class TestSystemOfRecord(HubSpotCase):
    """HubSpot owns the e-mail, Odoo owns the payment terms (sent to HubSpot)."""

    def test_email_from_hubspot_payment_terms_from_odoo(self):
        Term = self.env["account.payment.term"]
        net30 = Term.create({"name": "Net 30 (test)"})
        immediate = Term.create({"name": "Immediate (test)"})
        contacts = self.mappings.filtered(lambda m: m.remote_object == "contacts")
        contacts.line_ids = [
            (
                0,
                0,
                {
                    "remote_field": "odoo_payment_term_id",
                    "odoo_field": "property_payment_term_id",
                    "transform": "int",
                    "owner": "odoo",
                    "direction": "both",
                },
            )
        ]
        contact = self.fake.add(
            "contacts",
            {
                "firstname": "Ann",
                "lastname": "Lee",
                "email": "ann@old.example",
                "odoo_payment_term_id": str(net30.id),
            },
        )
        self.assertEqual(self.pull("contacts").state, "done")
        partner = self.record_of(contact)
        self.assertEqual(partner.email, "ann@old.example")
        self.assertEqual(partner.property_payment_term_id, net30, "set from HubSpot on create")
        # Odoo changes both fields: the payment terms go to HubSpot (Odoo owns them)
        partner.write({"property_payment_term_id": immediate.id, "email": "ann@odoo.example"})
        export = self.env["sync.job"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "export")]
        )
        self.assertEqual(len(export), 1)
        self.run_jobs()
        self.assertEqual(export.state, "done", export.error)
        remote = self.fake.get("contacts", contact)["properties"]
        self.assertEqual(remote["odoo_payment_term_id"], str(immediate.id))
        self.assertEqual(remote["email"], "ann@old.example", "Odoo does not own the e-mail")
        # HubSpot changes both: the e-mail wins, the payment terms do not
        self.fake.update(
            "contacts",
            contact,
            {"email": "ann@new.example", "odoo_payment_term_id": str(net30.id)},
        )
        job = self.pull("contacts")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(partner.email, "ann@new.example")
        self.assertEqual(partner.property_payment_term_id, immediate)


class TestCountry(HubSpotCase):
    def test_free_text_country_by_name_or_code(self):
        lines = self.mappings.filtered(lambda m: m.remote_object == "companies").line_ids
        country_lines = lines.filtered(lambda line: line.odoo_field == "country_id")
        self.assertEqual(country_lines.mapped("remote_field"), ["country"], "one line")
        self.assertEqual(country_lines.transform, "ref:country_name")
        named = self.fake.add("companies", {"name": "Named BV", "country": "Belgium"})
        coded = self.fake.add("companies", {"name": "Coded SA", "country": "FR"})
        blank = self.fake.add("companies", {"name": "Blank Ltd", "country": ""})
        job = self.pull("companies")
        self.assertEqual(job.state, "done", job.error)
        self.assertEqual(self.record_of(named).country_id.code, "BE")
        self.assertEqual(self.record_of(coded).country_id.code, "FR")
        self.assertFalse(self.record_of(blank).country_id)
