import json

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestConfigTour(HttpCase):
    def test_rollback_tour(self):
        backend = self.env["sync.backend"].create(
            {"name": "Tour backend", "kind": "generic", "base_url": "http://127.0.0.1:9"}
        )
        self.env["sync.watermark"].create(
            {"backend_id": backend.id, "object_name": "customers", "pull_interval": 15}
        )
        doc = json.loads(backend._config_dump())
        doc["schedules"]["customers"]["pull_interval"] = 60
        backend._config_apply(doc, "Import of prod.json")
        self.start_tour(
            f"/odoo/action-sync_core.sync_backend_action/{backend.id}",
            "sync_core_tour_config_rollback",
            login="admin",
        )
        self.assertEqual(backend.watermark_ids.pull_interval, 15)
