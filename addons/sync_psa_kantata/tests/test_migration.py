# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""sync_psa's migrations of Kantata backends (tested here: they need the Kantata kind)."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path

from odoo.addons.sync_core.exceptions import PayloadError
from odoo.addons.sync_core.mapping import match_command

MIGRATIONS = Path(file_path("sync_psa/migrations"))
SCRIPT = MIGRATIONS / "19.0.2.0.0" / "post-migrate.py"


def load(script, name):
    spec = importlib.util.spec_from_file_location(name, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_migration():
    return load(SCRIPT, "sync_psa_migrate_2")


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


RENAME = MIGRATIONS / "19.0.2.2.0" / "post-migrate.py"
SPLIT = MIGRATIONS / "19.0.3.0.0" / "pre-migrate.py"


@tagged("post_install", "-at_install")
class TestObjectNamesMigration(TransactionCase):
    """19.0.2.2.0: Kantata's collection names stored as canonical objects become neutral."""

    def test_stored_names_of_kantata_backends_are_renamed(self):
        Backend = self.env["sync.backend"]
        kantata = Backend.create({"name": "Old", "kind": "kantata", "psa_event_feed": False})
        other = Backend.create({"name": "Other", "kind": "generic"})
        mapping = self.env["sync.psa"]._create_default_mappings(kantata)
        mapping.remote_object = "workspaces"
        project = self.env["project.project"].create({"name": "Renamed rollout"})
        Binding = self.env["sync.binding"]
        binding = Binding._bind(kantata, project, "77", "workspaces")
        untouched = Binding._bind(other, project.copy(), "77", "workspaces")
        watermark = kantata._watermark("stories")
        job = self.env["sync.job"]._enqueue(
            kantata,
            "psa_import",
            payload={"object": "stories", "ids": ["5"]},
            identity_key="psa:import:stories:5",
            batch_key="psa:import:stories",
        )
        pull = self.env["sync.job"]._enqueue(
            kantata, "pull", payload={"object": "workspaces"}, identity_key="pull:workspaces"
        )
        event = self.env["sync.event"].create(
            {
                "backend_id": kantata.id,
                "dedup_key": "event:1",
                "object_name": "workspaces",
                "external_id": "77",
                "body": '{"object": "workspaces", "id": "77"}',
            }
        )
        Exc = self.env["sync.exception"]
        broken = PayloadError("broken")
        exc = Exc._open(kantata, broken, remote_object="workspaces", external_id="77")
        self.env.flush_all()
        for _twice in range(2):
            load(RENAME, "sync_psa_migrate_22").migrate(self.env.cr, "19.0.2.1.0")
        self.assertEqual(mapping.remote_object, "projects")
        self.assertEqual(binding.remote_object, "projects")
        self.assertEqual(untouched.remote_object, "workspaces", "another kind keeps its names")
        self.assertEqual(watermark.object_name, "milestones")
        self.assertEqual(job.payload, {"object": "milestones", "ids": ["5"]})
        self.assertEqual(
            (job.identity_key, job.batch_key), ("psa:import:milestones:5", "psa:import:milestones")
        )
        self.assertEqual((pull.payload["object"], pull.identity_key), ("projects", "pull:projects"))
        self.assertEqual(event.object_name, "projects")
        self.assertIn('"workspaces"', event.body, "the raw body stays as received")
        self.assertEqual(exc.remote_object, "projects")
        again = Exc._open(kantata, broken, remote_object="projects", external_id="77")
        self.assertEqual(again, exc, "the same problem after the upgrade counts on the old one")
        self.assertEqual(exc.occurrences, 2)


@tagged("post_install", "-at_install")
class TestSplitMigration(TransactionCase):
    """19.0.3.0.0: the Kantata kind and fields move to sync_psa_kantata, installed in the same
    upgrade where Kantata backends exist; nothing of theirs is left for sync_psa to remove."""

    def xmlids(self, module):
        return set(
            self.env["ir.model.data"]
            .search([("module", "=", module), ("name", "=like", "%kantata%")])
            .mapped("name")
        )

    def test_kantata_xmlids_and_install_move_to_the_new_addon(self):
        moved = self.xmlids("sync_psa_kantata")
        self.assertIn("selection__sync_backend__kind__kantata", moved)
        self.assertIn("field_sync_backend__kantata_access_token", moved)
        self.assertIn("selection__sync_backend__kantata_auth__client_credentials", moved)
        self.assertFalse(self.xmlids("sync_psa"), "a fresh install gives sync_psa none")
        # as 19.0.2.x left them: sync_psa owns them, and sync_psa_kantata is not installed
        imd = self.env["ir.model.data"].search(
            [("module", "=", "sync_psa_kantata"), ("name", "in", list(moved))]
        )
        imd.write({"module": "sync_psa"})
        module = self.env["ir.module.module"].search([("name", "=", "sync_psa_kantata")])
        module.state = "uninstalled"
        split = load(SPLIT, "sync_psa_migrate_3")
        self.env["sync.backend"].search([("kind", "=", "kantata")]).unlink()
        self.env.flush_all()
        split.migrate(self.env.cr, "19.0.2.2.0")
        self.env.invalidate_all()
        self.assertEqual(self.xmlids("sync_psa_kantata"), moved)
        self.assertFalse(self.xmlids("sync_psa"))
        self.assertEqual(module.state, "uninstalled", "no Kantata backend: not installed")
        self.env["sync.backend"].create({"name": "Kantata", "kind": "kantata"})
        self.env.flush_all()
        split.migrate(self.env.cr, "19.0.2.2.0")
        self.env.invalidate_all()
        self.assertEqual(module.state, "to install")
        self.assertEqual(self.xmlids("sync_psa_kantata"), moved, "run twice: the same")
