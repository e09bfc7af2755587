# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

from odoo.addons.sync_core.mapping import match_command

SCRIPT = Path(__file__).parents[1] / "migrations" / "19.0.2.0.0" / "post-migrate.py"


def load_migration():
    spec = importlib.util.spec_from_file_location("sync_psa_migrate_2", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(TransactionCase):
    """19.0.2.0.0: workspace mappings move from the name-only match rule to name + customer."""

    def backend(self, name, rule):
        backend = self.env["sync.backend"].create(
            {"name": name, "kind": "kantata", "psa_event_feed": False}
        )
        mapping = self.env["sync.psa"]._create_default_mappings(backend)
        # as 19.0.1.1.0 made it: no customer line, the name-only rule
        mapping.line_ids.filtered(lambda line: line.odoo_field == "partner_id").unlink()
        mapping.write({"match_ids": [rule]})
        return mapping

    def test_old_default_moves_and_changed_rules_stay(self):
        old = self.backend("Old default", match_command("name", "name", "iexact", 1))
        changed = self.backend("Changed", match_command("name", "name", "exact", 1))
        narrowed = self.backend(
            "Narrowed",
            match_command("name", "name", "iexact", 1, "[('partner_id', '!=', False)]"),
        )
        old.write({"match_ids": [match_command("status", "description", "exact", 5)]})
        version = old.version
        load_migration().migrate(self.env.cr, "19.0.1.1.0")
        self.assertEqual(old.match_ids.mapped("remote_field"), ["status"], "the added rule stays")
        self.assertEqual(changed.match_ids.method, "exact")
        self.assertTrue(narrowed.match_ids.extra_domain)
        for mapping in old | changed | narrowed:
            line = mapping.line_ids.filtered(lambda ln: ln.odoo_field == "partner_id")
            self.assertEqual((line.remote_field, line.owner), ("customer_id", "odoo"))
        self.assertGreater(old.version, version, "the change is a new mapping version")
        # run twice: nothing more
        load_migration().migrate(self.env.cr, "19.0.1.1.0")
        self.assertEqual(len(old.line_ids.filtered(lambda ln: ln.odoo_field == "partner_id")), 1)
