"""Access over JSON-RPC with real sessions, as each sync group, portal and public user (issue 11,
2.7): only managers read credentials, operators replay and retry, users read; every sync model
is isolated by company; secrets never reach logs, tracebacks, exception records, job payloads
or audit rows."""

import json
import logging
import re

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.sync_core.fake.server import GenericFake

from .webhook_suite import customer_mapping, report

MANAGER = "sync_core.sync_core_group_manager"
# every sync model and whether it carries a company (record rule)
SYNC_MODELS = [
    "sync.backend",
    "sync.binding",
    "sync.channel",
    "sync.job",
    "sync.job.kind",
    "sync.event",
    "sync.watermark",
    "sync.mapping",
    "sync.mapping.line",
    "sync.mapping.match",
    "sync.mapping.version",
    "sync.exception",
    "sync.audit",
]
PASSWORD = "sync-Access-pw-1!"


def credential_fields(env):
    """Fields of sync.backend only managers may read (the credentials, connectors' included)."""
    fields = env["sync.backend"]._fields.values()
    return sorted(f.name for f in fields if f.groups and MANAGER in f.groups.split(","))


@tagged("-at_install", "post_install", "sync_reliability")
class TestAccessOverRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Sync Other Co"})
        groups = {
            "user": "sync_core.sync_core_group_user",
            "operator": "sync_core.sync_core_group_operator",
            "manager": "sync_core.sync_core_group_manager",
            "portal": "base.group_portal",
        }
        cls.logins = {}
        for role, group in groups.items():
            login = f"acc_{role}"
            new_test_user(
                cls.env,
                login,
                password=PASSWORD,
                groups=group,
                company_id=cls.company_a.id,
                company_ids=[cls.company_a.id],
            )
            cls.logins[role] = login
        new_test_user(
            cls.env,
            "acc_manager_b",
            password=PASSWORD,
            groups="sync_core.sync_core_group_manager",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
        )
        cls.records_a = cls.populate(cls.company_a, "A")
        cls.records_b = cls.populate(cls.company_b, "B")

    @classmethod
    def populate(cls, company, tag):
        """One record of every sync model in `company` (as the engine writes them)."""
        env = cls.env
        backend = env["sync.backend"].create(
            {
                "name": f"Access {tag}",
                "kind": "generic",
                "company_id": company.id,
                "api_token": f"tok-{tag}-never-shown",
                "webhook_secret": f"whsec-{tag}-never-shown",
            }
        )
        mapping = customer_mapping(
            env,
            backend,
            f"Customers {tag}",
            match_ids=[(0, 0, {"remote_field": "email", "odoo_field": "email"})],
        )
        mapping.name = f"Customers {tag} v2"  # freezes a version
        env["sync.event"]._store(
            backend,
            [{"dedup_key": f"e-{tag}", "object_name": "customers", "external_id": "1"}],
            {},
        )
        event = env["sync.event"].search([("backend_id", "=", backend.id)])
        partner = env["res.partner"].create({"name": f"Access partner {tag}"})
        env["sync.binding"].create(
            {
                "backend_id": backend.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "remote_object": "customers",
                "external_id": f"x-{tag}",
            }
        )
        env["sync.audit"].create(
            {
                "backend_id": backend.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "external_id": f"x-{tag}",
                "operation": "create",
            }
        )
        backend._watermark("customers")
        exc = env["sync.exception"]._open_for_job(event.job_id, Exception(f"boom {tag}"))
        env["sync.job"].browse(event.job_id.id).state = "failed"
        env.flush_all()
        return {
            "backend": backend,
            "mapping": mapping,
            "event": event,
            "job": event.job_id,
            "exception": exc,
        }

    def rpc(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def refused(self, model, method, *args, **kwargs):
        try:
            self.rpc(model, method, *args, **kwargs)
        except JsonRpcException:
            return True
        return False

    def login(self, role):
        self.authenticate(self.logins.get(role, role), PASSWORD)

    def test_credentials_only_for_managers(self):
        backend = self.records_a["backend"]
        fields = credential_fields(self.env)
        self.assertTrue({"api_token", "webhook_secret", "webhook_token"} <= set(fields))
        checks = 0
        for role in ("user", "operator", "manager"):
            self.login(role)
            for field in fields:
                checks += 1
                if role == "manager":
                    rows = self.rpc("sync.backend", "read", [backend.id], [field])
                    self.assertIn(field, rows[0])
                else:
                    self.assertTrue(
                        self.refused("sync.backend", "read", [backend.id], [field]),
                        f"{role} read {field}",
                    )
            if role != "manager":
                rows = self.rpc("sync.backend", "search_read", [], fields=[])
                self.assertTrue(rows)
                text = json.dumps(rows, default=str)
                self.assertNotIn("never-shown", text, f"{role} saw a credential")
                self.assertFalse(set(fields) & set(rows[0]))
        self.assertEqual(
            self.rpc("sync.backend", "read", [backend.id], ["api_token"])[0]["api_token"],
            "tok-A-never-shown",
        )
        report(
            "access",
            "credentials",
            f"{len(fields)} credential fields x 3 groups: {checks} reads, only managers read",
        )

    def test_roles_user_reads_operator_replays(self):
        recs = self.records_a
        self.login("user")
        for model in SYNC_MODELS:
            self.assertTrue(self.rpc(model, "search_read", [], fields=["id"]), model)
        self.assertTrue(self.refused("sync.backend", "write", [recs["backend"].id], {"name": "x"}))
        self.assertTrue(self.refused("sync.event", "action_replay", [recs["event"].id]))
        self.assertTrue(self.refused("sync.exception", "action_retry", [recs["exception"].id]))
        self.assertTrue(self.refused("sync.job", "action_requeue", [recs["job"].id]))

        self.login("operator")
        self.assertTrue(self.rpc("sync.event", "action_replay", [recs["event"].id]))
        self.assertTrue(self.rpc("sync.job", "action_requeue", [recs["job"].id]))
        self.assertTrue(
            self.rpc("sync.exception", "action_ignore", [recs["exception"].id], "test data")
        )
        self.rpc("sync.exception", "action_reopen", [recs["exception"].id])
        self.rpc("sync.exception", "action_retry", [recs["exception"].id])
        self.assertTrue(self.refused("sync.backend", "write", [recs["backend"].id], {"name": "x"}))
        self.assertTrue(self.refused("sync.mapping", "write", [recs["mapping"].id], {"name": "x"}))
        self.assertTrue(self.refused("sync.backend", "create", {"name": "new", "kind": "generic"}))

        self.login("manager")
        new_id = self.rpc("sync.backend", "create", {"name": "By manager", "kind": "generic"})
        self.assertTrue(new_id)
        report(
            "access",
            "roles",
            f"{len(SYNC_MODELS)} models read by users; replay/requeue/retry refused to users, "
            "allowed to operators; configuration only by managers",
        )

    def test_portal_and_public_get_nothing(self):
        refused = 0
        for who in ("portal", "public"):
            if who == "portal":
                self.login("portal")
            else:
                self.logout()
            for model in SYNC_MODELS:
                self.assertTrue(self.refused(model, "search_read", [], fields=["id"]), (who, model))
                refused += 1
            self.assertTrue(
                self.refused("sync.event", "action_replay", [self.records_a["event"].id])
            )
            refused += 1
        report("access", "portal/public", f"{refused} of {refused} calls refused")

    def test_company_isolation_on_every_model(self):
        checked = []
        for role, own, other in (
            ("manager", self.records_a, self.records_b),
            ("acc_manager_b", self.records_b, self.records_a),
        ):
            self.login(role)
            other_backend = other["backend"]
            for model in SYNC_MODELS:
                Model = self.env[model]
                if "company_id" not in Model._fields:
                    continue
                theirs = Model.sudo().search([("company_id", "=", other_backend.company_id.id)])
                mine = Model.sudo().search([("company_id", "=", own["backend"].company_id.id)])
                self.assertTrue(theirs and mine, f"fixture has no {model} in both companies")
                rows = self.rpc(model, "search_read", [], fields=["id"])
                seen = {row["id"] for row in rows}
                self.assertFalse(
                    seen & set(theirs.ids), f"{role} sees {model} of the other company"
                )
                self.assertTrue(seen & set(mine.ids), f"{role} does not see its own {model}")
                self.assertTrue(
                    self.refused(model, "read", theirs.ids[:1], ["id"]),
                    f"{role} reads {model} {theirs.ids[:1]} of the other company",
                )
                checked.append(model)
        models = sorted(set(checked))
        # Every model of SYNC_MODELS but sync.job.kind (shared, no company) has a company
        # today: a loop that skipped them all (a renamed field, an emptied list) must fail.
        self.assertGreaterEqual(len(models), 12, models)
        self.assertEqual(len(checked), 2 * len(models), "both roles checked every model")
        report(
            "access",
            "companies",
            f"{len(models)} sync models with a company, 2 companies: 0 rows of the other "
            "company listed or read",
        )

    def test_secrets_never_leak(self):
        """Failures with secrets configured: nothing in the database (but the credential
        columns themselves) nor in the log holds a secret."""
        fake = GenericFake(token="the-right-token")
        fake.start()
        self.addCleanup(fake.stop)
        secrets = {
            "api_token": "sk-live-LEAKCHECK-1a2b3c",
            "webhook_secret": "whsec-LEAKCHECK-4d5e6f",
        }
        Backend = self.env["sync.backend"]
        backends = Backend.create(
            [
                {  # the remote refuses the token (401): authentication exception
                    "name": "Leak 401",
                    "kind": "generic",
                    "base_url": fake.base_url,
                    **secrets,
                },
                {  # a token pasted with a line break: HTTP cannot even send it
                    "name": "Leak newline",
                    "kind": "generic",
                    "base_url": fake.base_url,
                    "api_token": secrets["api_token"] + "\n",
                    "webhook_secret": secrets["webhook_secret"],
                },
                {  # nothing listens there
                    "name": "Leak unreachable",
                    "kind": "generic",
                    "base_url": "http://127.0.0.1:9",
                    **secrets,
                },
            ]
        )
        tokens = backends.mapped("webhook_token")
        for backend in backends:
            customer_mapping(self.env, backend, "Leak customers")
        captured = []
        handler = logging.Handler(level=logging.DEBUG)
        handler.emit = lambda record: captured.append(logging.Formatter().format(record))
        root = logging.getLogger()
        root.addHandler(handler)
        self.addCleanup(root.removeHandler, handler)
        for name in ("", "odoo", "werkzeug"):  # INFO, as production runs, whatever the test's
            logger = logging.getLogger(name)
            self.addCleanup(logger.setLevel, logger.level)
            logger.setLevel(logging.INFO)
        # failing jobs to their last attempt, a connection test, forged and good webhooks
        jobs = self.env["sync.job"]
        for backend in backends:
            job = self.env["sync.job"]._enqueue(
                backend, "pull", payload={"object": "customers"}, identity_key="pull:customers"
            )
            job.max_attempts = 1
            jobs |= job
            try:
                backend.action_test_connection()
            except Exception:  # noqa: BLE001  a UserError is expected: the message is checked
                logging.getLogger(__name__).info("connection test refused", exc_info=True)
            body = b'[{"event_id": "leak-1", "object": "customers", "id": "1"}]'
            self.url_open(
                f"/sync/generic/{backend.webhook_token}",
                data=body,
                headers={"X-Sync-Signature": "0" * 64, "X-Sync-Timestamp": "1"},
            )
        self.env.ref("sync_core.ir_cron_sync_job_runner").method_direct_trigger()
        self.env.invalidate_all()
        self.assertEqual(set(jobs.mapped("state")), {"failed"}, jobs.mapped("error"))
        self.assertEqual(len(jobs.exception_ids), 3)
        needles = [*secrets.values(), *tokens]
        pattern = "|".join(re.escape(n) for n in needles)
        cr = self.env.cr
        cr.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            " AND table_name != 'sync_backend'"
        )
        tables = [row[0] for row in cr.fetchall()]
        leaks = []
        for table in tables:
            cr.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text ~ %s', [pattern])
            if cr.fetchone()[0]:
                leaks.append(f"table {table}")
        for line in captured:
            if re.search(pattern, line):
                leaks.append(f"log: {line[:300]}")
        report(
            "access",
            "secrets",
            f"{len(jobs)} failed jobs, {len(jobs.exception_ids)} exceptions, {len(tables)} tables"
            f" and {len(captured)} log records grepped for {len(needles)} secrets:"
            f" {len(leaks)} leaks",
        )
        self.assertFalse(leaks)
