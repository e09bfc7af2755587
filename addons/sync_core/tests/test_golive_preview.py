from datetime import datetime, timedelta

from .common import SyncCase, row_counts

COUNTED = ("res_partner", "sync_binding", "sync_watermark", "sync_audit", "sync_exception")


class TestGoLivePreview(SyncCase):
    """The first pull rehearsed on planted data: one remote record of each outcome."""

    def setUp(self):
        super().setUp()
        Partner = self.env["res.partner"]
        self.acme = Partner.create({"name": "Acme", "vat": "BE0123", "is_company": True})
        self.beta = Partner.create(
            {"name": "Beta SA", "vat": "FR999", "is_company": True, "email": "info@beta.test"}
        )
        self.gamma1 = Partner.create({"name": "Gamma 1", "vat": "DE777", "is_company": True})
        self.gamma2 = Partner.create({"name": "Gamma 2", "vat": "DE777", "is_company": True})
        start = datetime(2024, 1, 1)
        planted = {
            "r-match": {"name": "Acme", "vat": "BE0123"},
            "r-conflict": {"name": "Beta Renamed", "vat": "FR999"},
            "r-ambiguous": {"name": "Gamma", "vat": "DE777"},
            "r-create": {"name": "Newco", "email": "x@newco.test"},
            "r-create2": {"name": "Othco", "email": "y@othco.test"},
            "r-rejected": {"email": "z@nowhere.test"},
        }
        for i, (ext_id, data) in enumerate(planted.items()):
            self.fake.put("customers", data, ext_id=ext_id, updated_at=start + timedelta(seconds=i))
        self.preview = self.env["sync.golive.preview"].create(
            {"backend_id": self.backend.id, "mapping_ids": [(6, 0, self.mapping.ids)]}
        )

    def counts(self):
        return row_counts(self.env, COUNTED)

    def line(self, ext_id):
        return self.preview.line_ids.filtered(lambda ln: ln.external_id == ext_id)

    def go_live(self):
        self.env.flush_all()
        with self.worker_env() as env:
            env["sync.golive.preview"].browse(self.preview.id).action_go_live()

    def test_preview_writes_nothing_and_classifies(self):
        before = self.counts()
        self.preview.action_run_preview()
        self.assertEqual(self.counts(), before, "a preview writes no business row")
        self.assertEqual(self.preview.state, "previewed")
        self.assertEqual(len(self.preview.line_ids), 6)
        match = self.line("r-match")
        self.assertEqual(match.outcome, "match")
        self.assertEqual(match.res_id, self.acme.id)
        self.assertIn("vat", match.match_rule)
        conflict = self.line("r-conflict")
        self.assertEqual(conflict.outcome, "conflict")
        self.assertEqual(conflict.res_id, self.beta.id)
        self.assertIn("name: 'Beta SA' → 'Beta Renamed' (owner: remote)", conflict.detail)
        ambiguous = self.line("r-ambiguous")
        self.assertEqual(ambiguous.outcome, "ambiguous")
        self.assertEqual(ambiguous.candidates, f"{self.gamma1.id},{self.gamma2.id}")
        self.assertEqual(self.line("r-create").outcome, "create")
        rejected = self.line("r-rejected")
        self.assertEqual(rejected.outcome, "rejected")
        self.assertIn("cannot be created", rejected.detail)
        for outcome, count in (("create", 2), ("match", 1), ("ambiguous", 1), ("conflict", 1)):
            self.assertIn(f"<td data-outcome='{outcome}'>{count}</td>", self.preview.summary)
        self.assertFalse(self.backend.watermark_ids, "not even a watermark row")
        self.assertIn("data-unchecked='constraints'", self.preview.summary, "says what it skipped")
        action = match.action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.acme.id))
        rows = self.preview.line_ids.export_data(["external_id", "outcome", "record_name"])
        self.assertIn(["r-match", "Would match", "Acme"], rows["datas"], "spreadsheet export")
        self.preview.check_writes = True
        self.preview.action_run_preview()
        self.assertNotIn("data-unchecked", self.preview.summary)

    def test_rerun_replaces_lines_and_keeps_decisions(self):
        self.preview.action_run_preview()
        first = self.preview.line_ids
        self.line("r-create").action_skip()
        self.fake.put("customers", {"name": "Late"}, ext_id="r-late")
        self.fake.put("customers", {"name": "Gone"}, ext_id="r-gone", archived=True)
        self.preview.action_run_preview()
        self.assertFalse(first.exists(), "the earlier lines are replaced")
        self.assertEqual(len(self.preview.line_ids), 8)
        self.assertEqual(self.line("r-late").outcome, "create")
        self.assertEqual(self.line("r-gone").outcome, "deleted")
        self.assertEqual(self.line("r-create").decision, "skip", "a decision is kept")

    def test_go_live_does_what_was_previewed(self):
        self.preview.action_run_preview()
        self.line("r-ambiguous").write({"decision": "link", "link_res_id": self.gamma2.id})
        self.line("r-create2").action_skip()
        lines = self.preview.line_ids
        to_create = lines.filtered(lambda ln: ln.outcome == "create" and ln.decision != "skip")
        to_bind = lines.filtered(lambda ln: ln.outcome in ("match", "conflict", "ambiguous"))
        partners = self.env["res.partner"].search_count([])
        self.go_live()
        self.preview.invalidate_recordset()
        self.assertEqual(self.preview.state, "live")
        self.assertEqual(self.env["res.partner"].search_count([]) - partners, len(to_create))
        bindings = self.env["sync.binding"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(bindings), len(to_create) + len(to_bind))
        self.assertEqual(self.partner_of("r-ambiguous"), self.gamma2, "the decision is kept")
        self.assertEqual(self.partner_of("r-match"), self.acme)
        self.assertEqual(self.partner_of("r-conflict").name, "Beta Renamed")
        self.assertEqual(self.partner_of("r-create").name, "Newco")
        self.assertFalse(self.binding_of("r-create2"), "skipped")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Othco")]))
        self.assertTrue(
            self.env["sync.exception"].search([("backend_id", "=", self.backend.id)]),
            "the rejected record is an exception, as in any pull",
        )
        wm = self.backend.watermark_ids
        self.assertEqual(wm.cursor_stamp, datetime(2024, 1, 1, 0, 0, 5), "watermark set")
        self.assertIn("skipped", self.preview.live_result)

    def test_suspected_duplicates(self):
        """Records no match rule finds but that look like an existing partner by a fuzzy key
        are reported with the candidate; go-live keeps the user's decision on them."""
        Partner = self.env["res.partner"]
        belgium = self.env.ref("base.be")
        delta = Partner.create({"name": "Delta Trading", "country_id": belgium.id})
        epsilon = Partner.create({"name": "EPSILON", "email": "anna@epsilon.test"})
        Partner.create({"name": "Zeta", "email": "z@gmail.com"})
        self.fake.put("customers", {"name": "Delta-Trading SA", "country": "BE"}, ext_id="r-dup1")
        self.fake.put(
            "customers", {"name": "Epsilon GmbH", "email": "bob@Epsilon.test"}, ext_id="r-dup2"
        )
        self.fake.put("customers", {"name": "Delta Trading", "country": "FR"}, ext_id="r-other")
        self.fake.put("customers", {"name": "Zeta", "email": "q@gmail.com"}, ext_id="r-public")
        before = self.counts()
        self.preview.action_run_preview()
        self.assertEqual(self.counts(), before, "a preview writes no business row")
        dup1, dup2 = self.line("r-dup1"), self.line("r-dup2")
        self.assertEqual((dup1.outcome, dup1.candidates), ("duplicate", str(delta.id)))
        self.assertIn("same name and country", dup1.detail)
        self.assertEqual(dup1.record_name, "Delta Trading")
        self.assertEqual((dup2.outcome, dup2.candidates), ("duplicate", str(epsilon.id)))
        self.assertIn("same name and e-mail domain epsilon.test", dup2.detail)
        self.assertEqual(self.line("r-other").outcome, "create", "another country")
        self.assertEqual(self.line("r-public").outcome, "create", "a public mail domain")
        self.assertEqual(self.line("r-create").outcome, "create")
        self.assertIn("Suspected duplicate", self.preview.summary)
        dup1.action_link_first_candidate()
        self.line("r-dup2").action_skip()
        partners = Partner.search_count([])
        self.go_live()
        self.assertEqual(self.partner_of("r-dup1"), delta, "linked as decided")
        self.assertFalse(self.binding_of("r-dup2"), "skipped as decided")
        created = self.preview.line_ids.filtered(
            lambda ln: ln.outcome == "create" and ln.decision == "default"
        )
        self.assertEqual(Partner.search_count([]) - partners, len(created))

    def test_dry_run_of_a_connector_page_handler_writes_nothing(self):
        """A pull given a connector's own page handler, as a dry run: the handler's writes are
        rolled back and each record's outcome is read from what it did."""
        Partner = self.env["res.partner"]

        def handler(page):
            notes = {}
            for rec in page:
                name = (rec.get("data") or {}).get("name")
                if rec["id"] == "r-match":
                    res_id = self.acme.id
                elif name:
                    res_id = Partner.create({"name": f"{name} (handler)"}).id
                else:
                    notes[rec["id"]] = ("error", "no name")
                    continue
                self.env["sync.binding"].create(
                    {
                        "backend_id": self.backend.id,
                        "res_model": "res.partner",
                        "res_id": res_id,
                        "remote_object": "customers",
                        "external_id": rec["id"],
                    }
                )
            return {"done": len(page), "record_notes": notes}

        before = self.counts()
        totals = self.backend._pull("customers", dry_run=True, apply_page=handler)
        after = self.counts()
        after.pop("sync_watermark"), before.pop("sync_watermark")  # a dry run's own row
        self.assertEqual(after, before, "nothing the handler wrote stays")
        self.assertFalse(Partner.search([("name", "like", "(handler)")]))
        ops = {c["external_id"]: c for c in totals["changes"]}
        self.assertEqual(ops["r-create"]["operation"], "create")
        self.assertIn("res.partner", ops["r-create"]["detail"])
        self.assertEqual(ops["r-match"]["operation"], "match")
        self.assertEqual(ops["r-match"]["res_id"], self.acme.id)
        self.assertEqual((ops["r-rejected"]["operation"], ops["r-rejected"]["error"]),
                         ("error", "no name"))  # fmt: skip
        self.assertEqual(totals["done"], 6)
        self.assertFalse(self.backend.watermark_ids.cursor_stamp, "the watermark did not move")

    def test_unique_index_checked_without_writes(self):
        """A unique index over a mapped column: records to create that collide with an existing
        row or with each other are rejected by the preview, without trying the writes."""
        self.env.cr.execute("CREATE UNIQUE INDEX test_golive_website_uniq ON res_partner (website)")
        self.acme.website = "https://acme.test"
        for ext_id, name, site in (
            ("r-web1", "Webco", "https://acme.test"),
            ("r-web2", "Twin one", "https://twin.test"),
            ("r-web3", "Twin two", "https://twin.test"),
        ):
            self.fake.put("customers", {"name": name, "website": site}, ext_id=ext_id)
        before = self.counts()
        self.preview.action_run_preview()
        self.assertEqual(self.counts(), before)
        web1, web2, web3 = self.line("r-web1"), self.line("r-web2"), self.line("r-web3")
        self.assertEqual((web1.outcome, web1.res_id), ("rejected", self.acme.id))
        self.assertIn("test_golive_website_uniq", web1.detail)
        self.assertEqual(web2.outcome, "create")
        self.assertEqual(web3.outcome, "rejected")
        self.assertIn("remote record r-web2 of this load", web3.detail)
        self.assertEqual(self.line("r-create").outcome, "create")
