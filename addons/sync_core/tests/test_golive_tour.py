import io
import json
import zipfile
from datetime import datetime, timedelta

from odoo import http
from odoo.tests import HttpCase, tagged

from odoo.addons.sync_core.fake.server import GenericFake

PLANTED = {
    "r-match": {"name": "Tour Acme", "vat": "BE0111"},
    "r-conf": {"name": "Tour Beta Renamed", "vat": "FR0222"},
    "r-amb": {"name": "Tour Gamma", "vat": "DE0333"},
    "r-new": {"name": "Tour Newco", "email": "hello@tour-newco.test"},
    "r-dup": {"name": "Tour Delta SA", "email": "bob@tour-delta.test"},
    "r-rej": {"email": "nobody@tour-nowhere.test"},
}


@tagged("post_install", "-at_install")
class TestGoLiveTour(HttpCase):
    """Preview -> go live in the browser; the rows applied are the rows previewed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = GenericFake(token="tour-token")
        cls.fake.start()
        cls.addClassCleanup(cls.fake.stop)

    def setUp(self):
        super().setUp()
        self.fake.reset()
        self.backend = self.env["sync.backend"].create(
            {
                "name": "Go-live tour",
                "kind": "generic",
                "base_url": self.fake.base_url,
                "api_token": "tour-token",
                "page_size": 50,
                "timeout": 5,
            }
        )
        fields_ = ("name", "email", "vat")
        self.mapping = self.env["sync.mapping"].create(
            {
                "name": "Tour customers",
                "backend_id": self.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "line_ids": [(0, 0, {"remote_field": f, "odoo_field": f}) for f in fields_],
                "match_ids": [(0, 0, {"remote_field": "vat", "odoo_field": "vat"})],
            }
        )
        Partner = self.env["res.partner"]
        self.acme = Partner.create({"name": "Tour Acme", "vat": "BE0111"})
        self.beta = Partner.create({"name": "Tour Beta", "vat": "FR0222"})
        self.gamma1 = Partner.create({"name": "Tour Gamma 1", "vat": "DE0333"})
        self.gamma2 = Partner.create({"name": "Tour Gamma 2", "vat": "DE0333"})
        self.delta = Partner.create({"name": "Tour Delta", "email": "ann@tour-delta.test"})
        start = datetime(2024, 1, 1)
        for i, (ext_id, data) in enumerate(PLANTED.items()):
            self.fake.put("customers", data, ext_id=ext_id, updated_at=start + timedelta(seconds=i))

    def bound(self, ext_id):
        binding = self.env["sync.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", ext_id)]
        )
        return self.env["res.partner"].browse(binding.res_id)

    def test_preview_then_go_live(self):
        partners = self.env["res.partner"].search_count([])
        self.start_tour(
            f"/odoo/action-sync_core.sync_backend_action/{self.backend.id}",
            "sync_core_tour_golive",
            login="admin",
        )
        preview = self.env["sync.golive.preview"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(preview), 1)
        self.assertEqual(preview.state, "live")
        lines = {ln.external_id: ln for ln in preview.line_ids}
        self.assertEqual(lines["r-amb"].decision, "link")
        self.assertEqual(lines["r-amb"].link_res_id, self.gamma1.id)
        # what was previewed is what was applied, row for row
        created = [e for e, ln in lines.items() if ln.outcome in ("create", "duplicate")]
        bound = [e for e, ln in lines.items() if ln.outcome != "rejected"]
        self.assertEqual(
            self.env["res.partner"].search_count([]) - partners, len(created), "r-new, r-dup"
        )
        bindings = self.env["sync.binding"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(sorted(bindings.mapped("external_id")), sorted(bound))
        self.assertEqual(self.bound("r-match"), self.acme)
        self.assertEqual(self.bound("r-conf"), self.beta)
        self.assertEqual(self.beta.name, "Tour Beta Renamed", "the conflict previewed, applied")
        self.assertEqual(self.bound("r-amb"), self.gamma1, "the decision taken in the preview")
        self.assertEqual(self.bound("r-new").name, "Tour Newco")
        self.assertNotEqual(self.bound("r-dup"), self.delta, "a duplicate left as is: created")
        rejected = self.env["sync.exception"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(rejected.mapped("external_id"), ["r-rej"])
        watermark = self.backend.watermark_ids.filtered(lambda w: w.object_name == "customers")
        self.assertEqual(watermark.cursor_stamp, datetime(2024, 1, 1, 0, 0, 5), "watermark set")

    def test_preview_lines_export_as_spreadsheet(self):
        """The lines' list view export (/web/export/xlsx) gives a real XLSX with the outcomes,
        the Odoo records and the reasons."""
        preview = self.env["sync.golive.preview"].create({"backend_id": self.backend.id})
        preview.action_run_preview()
        names = ("external_id", "outcome", "record_name", "candidates", "detail")
        Line = self.env["sync.golive.preview.line"]
        fields_ = [
            {"name": n, "label": Line._fields[n].string, "type": Line._fields[n].type}
            for n in names
        ]
        self.authenticate("admin", "admin")
        params = {
            "model": Line._name,
            "fields": fields_,
            "ids": preview.line_ids.ids,
            "domain": [],
            "import_compat": False,
            "context": {},
        }
        response = self.url_open(
            "/web/export/xlsx",
            data={"data": json.dumps(params), "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            strings = book.read("xl/sharedStrings.xml").decode()
        for text in ("Remote id", "Suspected duplicate", "Tour Delta", "r-amb", "Ambiguous"):
            self.assertIn(text, strings)
        self.assertIn(f"{self.gamma1.id},{self.gamma2.id}", strings)
