import base64
import json

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConfigPromotion(TransactionCase):
    """Configuration export, import into "another database" (other ids), diff, rollback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls._backend("Sandbox")
        cls.mapping = cls.env["sync.mapping"].create(
            {
                "name": "Customers",
                "backend_id": cls.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
                "default_values": "{'is_company': True}",
                "line_ids": [
                    (0, 0, {"remote_field": "name", "odoo_field": "name", "owner": "remote"}),
                    (
                        0,
                        0,
                        {
                            "remote_field": "email",
                            "odoo_field": "email",
                            "transform": "lower",
                            "owner": "remote",
                        },
                    ),  # fmt: skip
                    (
                        0,
                        0,
                        {
                            "remote_field": "phone",
                            "odoo_field": "phone",
                            "owner": "odoo",
                            "direction": "both",
                        },
                    ),  # fmt: skip
                ],
                "match_ids": [(0, 0, {"remote_field": "email", "odoo_field": "email"})],
            }
        )
        cls.env["sync.channel"].create(
            {"backend_id": cls.backend.id, "kind_code": "export", "capacity": 3}
        )
        cls.env["sync.watermark"].create(
            {"backend_id": cls.backend.id, "object_name": "customers", "pull_interval": 15}
        )

    @classmethod
    def _backend(cls, name):
        return cls.env["sync.backend"].create(
            {
                "name": name,
                "kind": "generic",
                "base_url": "http://127.0.0.1:9",
                "api_token": "tok-SECRET-1",
                "webhook_secret": "whsec-SECRET-2",
                "page_size": 40,
                "timeout": 7,
            }
        )

    def _doc(self, backend=None):
        return json.loads((backend or self.backend)._config_dump())

    def _counts(self):
        return {
            model: self.env[model].with_context(active_test=False).search_count([])
            for model in (
                "sync.mapping", "sync.mapping.line", "sync.mapping.match", "sync.channel",
                "sync.watermark", "sync.audit", "sync.config.snapshot",
            )
        }  # fmt: skip

    def test_export_is_stable_and_has_no_secret(self):
        text = self.backend._config_dump()
        self.assertEqual(text, self.backend._config_dump())
        doc = json.loads(text)
        self.assertEqual(text, json.dumps(doc, indent=2, sort_keys=True) + "\n")
        self.assertEqual(doc["backend_kind"], "generic")
        self.assertIn("sync_core", doc["addons"])
        self.assertTrue(doc["odoo_version"])
        mapping = doc["mappings"]["customers/res.partner"]
        self.assertEqual(sorted(mapping["lines"]), ["email/email", "name/name", "phone/phone"])
        self.assertEqual(mapping["lines"]["email/email"]["transform"], "lower")
        self.assertEqual(doc["channels"]["export"]["capacity"], 3)
        self.assertEqual(doc["schedules"]["customers"]["pull_interval"], 15)
        self.assertEqual(doc["backend"]["settings"]["page_size"], 40)
        self.assertIn("retry_pattern", doc["job_kinds"]["export"])
        for secret in ("SECRET", self.backend.webhook_token, "api_token", "webhook_secret"):
            self.assertNotIn(secret, text)
        self.assertNotIn('"id"', text)  # no database ids

    def test_import_resolves_by_natural_keys(self):
        """Another database: a second backend, and the mapping recreated (other ids)."""
        text = self.backend._config_dump()
        production = self._backend("Production")
        self.assertEqual(self._doc(production)["mappings"], {})
        production._config_apply(json.loads(text), "promotion")
        got = self._doc(production)
        for section in ("mappings", "channels", "schedules", "backend"):
            self.assertEqual(got[section], json.loads(text)[section], section)
        self.assertNotEqual(production.mapping_ids.id, self.mapping.id)
        # same backend, records deleted and recreated: the file still applies by keys
        self.mapping.unlink()
        self.env["sync.mapping"].create(
            {
                "name": "Other",
                "backend_id": self.backend.id,
                "remote_object": "customers",
                "res_model": "res.partner",
            }  # fmt: skip
        )
        self.backend._config_apply(json.loads(text), "restore")
        self.assertEqual(self.backend._config_dump(), text)

    def test_unresolvable_changes_nothing(self):
        doc = self._doc()
        doc["mappings"]["customers/res.partner"]["lines"]["nope/x_nope"] = {
            "remote_field": "nope", "odoo_field": "x_nope", "direction": "import",
            "owner": "remote", "transform": "str", "sequence": 10, "ref_object": None,
        }  # fmt: skip
        doc["mappings"]["deals/x.no.model"] = {
            "remote_object": "deals", "res_model": "x.no.model", "name": "Deals",
        }  # fmt: skip
        doc["job_kinds"]["x_kind"] = {"code": "x_kind", "max_attempts": 2}
        doc["mappings"]["customers/res.partner"]["name"] = "Changed"
        before = self._counts()
        problems = self.backend._config_problems(doc)
        self.assertEqual(len(problems), 3, problems)
        self.assertIn("field x_nope does not exist on res.partner", problems[0] + problems[1])
        self.assertTrue(any("model x.no.model is not installed" in p for p in problems))
        self.assertTrue(any("Job kinds x_kind does not exist" in p for p in problems))
        with self.assertRaisesRegex(UserError, "Nothing was changed"):
            self.backend._config_apply(doc, "bad")
        self.assertEqual(self._counts(), before)
        self.assertEqual(self.mapping.name, "Customers")
        other = self._doc()
        other["backend_kind"] = "salesforce"
        self.assertIn("kind salesforce", self.backend._config_problems(other)[0])

    def test_diff_and_audit(self):
        doc = self._doc()
        lines = doc["mappings"]["customers/res.partner"]["lines"]
        lines["email/email"]["owner"] = "odoo"
        del lines["phone/phone"]
        lines["vat/vat"] = dict(lines["name/name"], remote_field="vat", odoo_field="vat")
        doc["channels"]["export"]["capacity"] = 5
        self.assertEqual(
            self.backend._config_diff(doc),
            [
                "~ Mappings customers/res.partner > Lines email/email: System of record "
                "Remote system wins -> Odoo wins",
                "- Mappings customers/res.partner > Lines phone/phone: removed",
                "+ Mappings customers/res.partner > Lines vat/vat: added",
                "~ Channels export: Capacity 3 -> 5",
            ],
        )
        snapshot = self.backend._config_apply(doc, "tuning")
        self.assertIn("Capacity 3 -> 5", snapshot.diff_text)
        audits = self.env["sync.audit"].search([("correlation_id", "=", "config: tuning")])
        self.assertEqual(
            sorted(audits.mapped("operation")), ["config_remove", "create", "write", "write"]
        )
        self.assertEqual(audits.user_id, self.env.user)  # who applied it
        channel_audit = audits.filtered(lambda a: a.res_model == "sync.channel")
        self.assertEqual(channel_audit.changes, {"capacity": [3, 5]})
        self.assertIn("tuning", self.backend.message_ids[:1].body)
        self.assertEqual(self.backend._config_diff(doc), [])

    def test_schedule_is_kept_and_said(self):
        """A file without a schedule leaves it (its pull position) and the review says so."""
        doc = self._doc()
        del doc["schedules"]["customers"]
        self.assertEqual(
            self.backend._config_diff(doc),
            ["= Schedules customers: kept (an import never removes it)"],
        )
        self.backend._config_apply(doc, "without the schedule")
        self.assertEqual(self.backend.watermark_ids.object_name, "customers")

    def test_wizard_import_then_rollback(self):
        original = self.backend._config_dump()
        doc = self._doc()
        doc["mappings"]["customers/res.partner"]["lines"]["name/name"]["owner"] = "latest"
        doc["schedules"]["customers"]["pull_interval"] = 60
        wizard = self.env["sync.config.import"].create(
            {
                "backend_id": self.backend.id,
                "upload": base64.b64encode(json.dumps(doc).encode()),
                "upload_name": "prod.json",
            }
        )
        wizard.action_review()
        self.assertFalse(wizard.problems_text)
        self.assertIn("Pull every (min) 15 -> 60", wizard.diff_text)
        self.assertEqual(self.backend.watermark_ids.pull_interval, 15)  # review writes nothing
        wizard.action_apply()
        self.assertEqual(self.backend.watermark_ids.pull_interval, 60)
        snapshots = self.env["sync.config.snapshot"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(
            snapshots.mapped("name"), ["Import of prod.json", "Before Import of prod.json"]
        )
        self.assertTrue(snapshots[0].is_current)
        before = snapshots[1]
        self.assertEqual(before.content, original)
        action = before.action_rollback()
        rollback = self.env["sync.config.import"].browse(action["res_id"])
        self.assertIn("Pull every (min) 60 -> 15", rollback.diff_text)
        self.assertIn(
            "System of record Last modified wins -> Remote system wins", rollback.diff_text
        )
        rollback.action_apply()
        self.assertEqual(self.backend._config_dump(), original)
        self.assertEqual(self.backend.watermark_ids.pull_interval, 15)
        line = self.mapping.line_ids.filtered(lambda ln: ln.odoo_field == "name")
        self.assertEqual(line.owner, "remote")

    def test_bad_file(self):
        wizard = self.env["sync.config.import"].create(
            {"backend_id": self.backend.id, "upload": base64.b64encode(b"not json")}
        )
        with self.assertRaisesRegex(UserError, "not valid JSON"):
            wizard.action_review()
        wizard.upload = base64.b64encode(b'{"format": 99}')
        wizard.action_review()
        self.assertIn("not a configuration file", wizard.problems_text)

    def test_export_action_downloads_the_file(self):
        action = self.backend.action_config_export()
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertEqual(attachment.raw.decode(), self.backend._config_dump())
        self.assertEqual(attachment.name, "Sandbox configuration.json")
