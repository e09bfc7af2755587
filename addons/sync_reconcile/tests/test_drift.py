# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.sync_core.tests.common import SyncCase


@tagged("post_install", "-at_install")
class TestPartnerDrift(SyncCase):
    """Master data drift on any connector's bound partners (sync_core's generic backend and
    fake: name owned by the remote, phone by Odoo, website by the latest change)."""

    def reconcile(self):
        today = fields.Date.context_today(self.env["sync.reconcile.run"])
        run = self.env["sync.reconcile.run"].create(
            {"backend_id": self.backend.id, "date_from": today, "date_to": today}
        )
        self.assertTrue(run._execute(), run.error)
        return run

    def partner(self, ext_id):
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", ext_id)]
        )
        return self.env["res.partner"].browse(binding.res_id)

    def test_drift_the_sync_does_not_explain(self):
        old = datetime.now() - timedelta(days=1)
        for ext_id, name in (("c1", "Initech"), ("c2", "Globex"), ("c3", "Umbrella")):
            self.fake.put(
                "customers",
                # Odoo stores the website with a scheme: not a difference
                {"name": name, "phone": "+1 555 0100", "website": f"{name.lower()}.example"},
                ext_id=ext_id,
                updated_at=old,
            )
        self.pull()
        self.assertEqual(self.partner("c1").website, "http://initech.example")
        self.assertFalse(self.reconcile().line_ids, "pulled: both sides agree")
        # c1: someone renames it in Odoo (the remote owns the name; no pull will undo it)
        self.env.cr.execute(
            "UPDATE res_partner SET name = 'Initech (edited)' WHERE id = %s",
            [self.partner("c1").id],
        )
        self.env.invalidate_all()
        # c2: someone changes the Odoo-owned phone in the remote
        self.fake.put("customers", {"name": "Globex", "phone": "+1 555 9999"}, ext_id="c2")
        # c3: the remote renames it (its field): the next pull brings it, explained
        self.fake.put("customers", {"name": "Umbrella Corp", "phone": "+1 555 0100"}, ext_id="c3")
        run = self.reconcile()
        drift = {(line.entry_id, line.field_name): line for line in run.line_ids}
        self.assertEqual(
            sorted(drift), [("c1", "customers:name"), ("c2", "customers:phone")], run.line_ids
        )
        c1 = drift[("c1", "customers:name")]
        self.assertEqual((c1.remote_value, c1.odoo_value), ("Initech", "Initech (edited)"))
        self.assertEqual((c1.res_model, c1.res_id), ("res.partner", self.partner("c1").id))
        self.assertEqual(c1.exception_id.category, "reconciliation")
        self.assertEqual(
            (c1.exception_id.remote_object, c1.exception_id.external_id), ("customers", "c1")
        )
        self.assertIn("+1 555 9999", drift[("c2", "customers:phone")].exception_id.name)
        # the card of a backend that is no PSA says what its reconciliation compares, shows no
        # billing figures, and a never-run check does not make it unhealthy
        self.assertEqual(run.drift_compared, 3)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.system_role, "other")
        self.assertEqual(
            self.backend.reconcile_status_text,
            "Last reconciliation compared the mapped fields of 3 bound partners, projects and "
            "employees with Odoo",
        )
        self.assertEqual(self.backend.health, "amber")  # the two open differences
        self.assertNotIn("Reconciliation", self.backend.health_reason)
        kanban = self.env["sync.backend"].get_views([(False, "kanban")])["views"]["kanban"]
        self.assertIn(
            """t-if="record.system_role.raw_value == 'psa' and record.reconcile_state""",
            kanban["arch"],
        )
        # the daily cron covers this backend too (drift only)
        cron = self.env.ref("sync_reconcile.ir_cron_sync_reconcile")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()
        daily = self.env["sync.reconcile.run"].search(
            [("backend_id", "=", self.backend.id)], limit=1
        )
        self.assertNotIn(daily, run)
        self.assertEqual(daily.difference_count, 2)
        self.assertEqual(c1.exception_id.occurrences, 2)
        # fixed in the remote: the pull applies it, the next run closes its exception (the
        # pull does not: it also applied c2, whose difference remains)
        self.fake.put(
            "customers", {"name": "Initech (edited)", "phone": "+1 555 0100"}, ext_id="c1"
        )
        self.pull()
        self.assertEqual(c1.exception_id.state, "open")
        self.reconcile()
        self.assertEqual(c1.exception_id.state, "resolved")
        self.assertEqual(drift[("c2", "customers:phone")].exception_id.state, "open")
