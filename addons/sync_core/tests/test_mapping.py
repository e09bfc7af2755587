from datetime import timedelta

from odoo.tools import SQL

from odoo.addons.sync_core.fake.server import GenericFake
from odoo.addons.sync_core.mapping import TRANSFORMS
from odoo.addons.sync_core.models.sync_mapping import NO_EXPORT, no_export_context
from odoo.addons.sync_core.models.sync_mapping_find import _prefilter
from odoo.addons.sync_core.models.sync_mapping_match import IEXACT_SQL

from .common import SyncCase


class TestMapping(SyncCase):
    def import_ids(self, *ids):
        job = self.env["sync.job"]._enqueue(
            self.backend, "import_record", {"object": "customers", "ids": list(ids)}
        )
        self.run_jobs()
        self.assertEqual(job.state, "done", job.error)
        return job

    def test_record_odoo_cannot_create_is_a_validation_exception(self):
        """A remote record without what Odoo needs (a partner's name) is refused before any
        INSERT: one validation exception naming the record and the missing field, no SQL
        error in the log; the rest of the page is applied."""
        good = self.fake.put("customers", {"name": "Named Ltd", "email": "a@named.test"})
        nameless = self.fake.put("customers", {"email": "who@nameless.test"})
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):
            job = self.import_ids(good, nameless)
        self.assertEqual(self.partner_of(good).name, "Named Ltd")
        self.assertFalse(self.binding_of(nameless))
        exc = self.env["sync.exception"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", nameless)]
        )
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.category, "validation")
        self.assertIn(f"customers {nameless} cannot be created as Contact", exc.name)
        self.assertIn("Name (from 'name') is empty", exc.name)
        self.assertNotIn("violates", exc.name)
        self.assertEqual(job.state, "done")

    def test_system_of_record_per_field(self):
        ext = self.fake.put("customers", {"name": "Acme", "phone": "111", "website": "acme.test"})
        self.import_ids(ext)
        partner = self.partner_of(ext)
        self.assertEqual(
            (partner.name, partner.phone, partner.website), ("Acme", "111", "http://acme.test")
        )
        # both sides change; Odoo's change is more recent than the remote's
        partner.write({"phone": "222", "website": "odoo.test", "name": "Acme (Odoo)"})
        self.env.flush_all()
        odoo_time = partner.write_date
        rec = self.fake.get("customers", ext)
        self.fake.put(
            "customers",
            {"name": "Acme Corp", "phone": "333", "website": "remote.test"},
            ext_id=ext,
            updated_at=odoo_time - timedelta(hours=1),
        )
        self.binding_of(ext).remote_updated_at = rec["updated_at"] - timedelta(days=1)
        self.import_ids(ext)
        self.assertEqual(partner.name, "Acme Corp", "remote owns the name")
        self.assertEqual(partner.phone, "222", "Odoo owns the phone")
        self.assertEqual(partner.website, "http://odoo.test", "latest: Odoo's change was later")
        # the remote changes again, after Odoo's change: now the remote is the latest
        self.fake.put(
            "customers",
            {"name": "Acme Corp", "phone": "444", "website": "new.test"},
            ext_id=ext,
            updated_at=odoo_time + timedelta(hours=1),
        )
        self.import_ids(ext)
        self.assertEqual(partner.phone, "222")
        self.assertEqual(partner.website, "http://new.test")
        audit = self.env["sync.audit"].search(
            [("res_id", "=", partner.id), ("res_model", "=", "res.partner")], limit=1
        )
        self.assertEqual(audit.operation, "write")
        self.assertEqual(audit.mapping_version, self.mapping.version)
        self.assertEqual(audit.changes["website"][1], "new.test")
        self.assertTrue(audit.correlation_id)

    def test_older_and_identical_updates_are_skipped(self):
        ext = self.fake.put("customers", {"name": "Stable"})
        self.import_ids(ext)
        job = self.import_ids(ext)
        self.assertIn('"identical": 1', job.result)
        binding = self.binding_of(ext)
        self.fake.put(
            "customers",
            {"name": "Rolled back"},
            ext_id=ext,
            updated_at=binding.remote_updated_at - timedelta(minutes=5),
        )
        job = self.import_ids(ext)
        self.assertIn('"older": 1', job.result)
        self.assertEqual(self.partner_of(ext).name, "Stable")

    def test_match_before_create_binds_existing_partner(self):
        by_vat = self.env["res.partner"].create(
            {"name": "Existing BV", "vat": "BE0477472701", "is_company": True}
        )
        by_domain = self.env["res.partner"].create(
            {"name": "Domain Co", "email": "info@domain.test", "is_company": True}
        )
        e1 = self.fake.put("customers", {"name": "Existing BV (remote)", "vat": "be0477472701"})
        e2 = self.fake.put("customers", {"name": "Domain Co", "email": "Sales@Domain.test"})
        job = self.import_ids(e1, e2)
        self.assertIn('"matched": 2', job.result)
        self.assertEqual(self.partner_of(e1), by_vat)
        self.assertEqual(self.partner_of(e2), by_domain)
        self.assertEqual(by_vat.name, "Existing BV (remote)")
        self.assertEqual(self.env["res.partner"].search_count([("name", "ilike", "Domain Co")]), 1)

    def test_mapping_versioned(self):
        version = self.mapping.version
        self.mapping.line_ids[:1].owner = "latest"
        self.assertEqual(self.mapping.version, version + 1)
        self.assertEqual(len(self.mapping.version_ids), version + 1)
        old = self.mapping.version_ids.filtered(lambda v: v.version == version)
        self.assertEqual(old.snapshot["lines"][0]["owner"], "remote")

    def test_echo_suppression_and_outbox(self):
        ext = self.fake.put("customers", {"name": "Echo", "phone": "1"})
        self.import_ids(ext)
        exports = self.env["sync.job"].search([("kind", "=", "export")])
        self.assertFalse(exports, "the sync's own writes never export")
        partner = self.partner_of(ext)
        partner.phone = "999"
        partner.phone = "998"
        exports = self.env["sync.job"].search([("kind", "=", "export")])
        self.assertEqual(len(exports), 1, "one pending export per record")
        self.run_jobs()
        self.assertEqual(exports.state, "done", exports.error)
        self.assertEqual(self.fake.get("customers", ext)["data"]["phone"], "998")
        self.assertEqual(self.fake.get("customers", ext)["data"]["name"], "Echo")
        upserts = self.fake.count("POST", "batch/upsert")
        partner.write({"phone": "998"})
        partner.comment = "not exported"
        again = self.env["sync.job"].search([("kind", "=", "export"), ("state", "=", "pending")])
        self.run_jobs()
        self.assertTrue(all(j.state == "done" for j in again))
        self.assertEqual(self.fake.count("POST", "batch/upsert"), upserts, "never sent twice")

    def test_echo_suppression_is_per_origin(self):
        """A record written by one backend's sync is not exported back to that backend, but is
        to every other backend whose mapping exports it (a second generic system here); a
        write that names no origin (a user's) goes to both; `sync_no_export=True` to none."""
        other_fake = GenericFake(token="other-token")
        other_fake.start()
        self.addCleanup(other_fake.stop)
        other = self.backend.copy(
            {"name": "Generic other", "base_url": other_fake.base_url, "api_token": "other-token"}
        )
        self.mapping.copy({"backend_id": other.id, "export_create": True})
        Job = self.env["sync.job"]
        ext = self.fake.put("customers", {"name": "Hub", "phone": "1"})
        # pulled from the first backend: exported to the other only (the runner that applied
        # the page runs the export job it enqueued)
        self.import_ids(ext)
        exports = Job.search([("kind", "=", "export")])
        self.assertEqual(exports.backend_id, other)
        self.assertEqual(len(exports), 1)
        self.assertEqual(exports.state, "done", exports.error)
        partner = self.partner_of(ext)
        [created] = other_fake.objects["customers"].values()
        self.assertEqual(created["data"]["phone"], "1")
        # the other backend's sync writes the partner: exported to the first one, not back
        partner.with_context(**no_export_context(other)).phone = "2"
        exports = Job.search([("kind", "=", "export"), ("state", "=", "pending")])
        self.assertEqual(exports.backend_id, self.backend)
        # origins add up: written by both syncs, exported to neither
        exports.unlink()
        first = partner.with_context(**no_export_context(self.backend))
        first.with_context(**no_export_context(other, first.env.context)).phone = "3"
        self.assertFalse(Job.search([("kind", "=", "export"), ("state", "=", "pending")]))
        partner.with_context(**{NO_EXPORT: True}).phone = "4"
        self.assertFalse(Job.search([("kind", "=", "export"), ("state", "=", "pending")]))
        partner.phone = "5"  # a user's change goes to every backend that exports it
        exports = Job.search([("kind", "=", "export"), ("state", "=", "pending")])
        self.assertEqual(exports.backend_id, self.backend | other)

    def test_country_by_name(self):
        self.mapping.line_ids.filtered(
            lambda line: line.odoo_field == "country_id"
        ).transform = "ref:country_name"
        e1 = self.fake.put("customers", {"name": "Named", "country": "Belgium"})
        e2 = self.fake.put("customers", {"name": "Coded", "country": "fr"})
        self.import_ids(e1, e2)
        self.assertEqual(self.partner_of(e1).country_id.code, "BE")
        self.assertEqual(self.partner_of(e2).country_id.code, "FR")

    def test_exports_of_many_records_go_in_one_batch(self):
        exts = [self.fake.put("customers", {"name": f"Batch out {i}"}) for i in range(3)]
        self.import_ids(*exts)
        for i, ext in enumerate(exts):
            self.partner_of(ext).phone = f"+32 {i}"
        exports = self.env["sync.job"].search([("kind", "=", "export")])
        self.assertEqual(len(exports), 3)
        before = self.fake.count("POST", "batch/upsert")
        self.run_jobs()
        self.assertEqual(set(exports.mapped("state")), {"done"})
        self.assertEqual(self.fake.count("POST", "batch/upsert") - before, 1)
        self.assertEqual(self.fake.get("customers", exts[2])["data"]["phone"], "+32 2")

    def test_numbers_that_are_not_finite_are_refused(self):
        """'nan' and 'inf' parse as Python floats; no amount or quantity is one: the value is
        refused (the record becomes an exception), never stored."""
        convert_float, convert_int = TRANSFORMS["float"][1], TRANSFORMS["int"][1]
        self.assertEqual(convert_float("12.50"), 12.5)
        self.assertEqual(convert_int("3.0"), 3)
        self.assertEqual(convert_float(""), 0.0)
        for value in ("nan", "NaN", "inf", "-Infinity", float("nan")):
            with self.assertRaises(ValueError):
                convert_float(value)
            with self.assertRaises(ValueError):
                convert_int(value)

    def test_match_rules_are_served_by_an_index(self):
        """The match prefilter runs once per pulled page: an index on the rule's normalised
        column serves it (without one, each page reads the whole table, a regexp per row)."""
        cr = self.env.cr
        cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["sync_match_res_partner_vat_iexact"],
        )
        self.assertIn("regexp_replace", cr.fetchone()[0])
        self.env["sync.mapping.match"].create(
            {"mapping_id": self.mapping.id, "remote_field": "ref", "odoo_field": "ref",
             "method": "exact"}
        )  # fmt: skip
        cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'sync_match_res_partner_ref_exact'")
        self.assertTrue(cr.fetchone())
        # the prefilter's expression is the index's, as PostgreSQL normalises both: the planner
        # can use it.  (Asking the planner itself is not reliable here: an index created in
        # this transaction on a table with HOT chains is flagged indcheckxmin and unusable
        # until the transaction ends, whatever the expression.)
        cr.execute(
            "EXPLAIN (COSTS OFF) SELECT id FROM res_partner WHERE"
            " lower(regexp_replace(trim(vat), '\\s+', ' ', 'g')) = ANY(%s)",
            [["a@b.example", "c@d.example"]],
        )
        plan = "\n".join(row[0] for row in cr.fetchall())
        cr.execute(
            "SELECT pg_get_indexdef(indexrelid, 1, true) FROM pg_index"
            " WHERE indexrelid = 'sync_match_res_partner_vat_iexact'::regclass"
        )
        expression = cr.fetchone()[0]
        self.assertIn("regexp_replace(TRIM(BOTH FROM vat)", expression)
        self.assertIn(expression, plan)

    def test_match_prefilter_forces_the_index_only_when_usable(self):
        """The prefilter turns sequential scans off for its statement only when the plan then
        probes the rule's index; either way it finds the same rows, and the setting is back
        to its default after it."""
        partner = self.env["res.partner"].create({"name": "Probe BV", "vat": " BE 0123 "})
        Partner = self.env["res.partner"]
        column = Partner._field_to_sql(Partner._table, "vat")
        where = SQL(IEXACT_SQL % "%s" + " = ANY(%s)", column, ["be 0123", "nl 9"])
        cr = self.env.cr
        for index in ("sync_match_res_partner_vat_iexact", "no_such_index", None):
            self.assertEqual(_prefilter(cr, Partner, where, index), [partner.id], index)
            cr.execute("SHOW enable_seqscan")
            self.assertEqual(cr.fetchone()[0], "on", index)
