"""Configuration promotion between two databases (issue 20, "Done when": an import into a
second database with different ids).

Database A is the suite's database (sync_core installed); sync_sale (stage table, legal
entities), sync_psa (the expense product reference) and sync_hubspot (a CRM connector, the
backend's kind) are installed in it, then database B is copied from it and given other ids
(partners, products, backends with mappings, lines, match rules, stage rows created first).
One `odoo-bin` server per database; everything after the set-up goes through JSON-RPC and
HTTP as a user would: the export is the download of `action_config_export`, the import the
`sync.config.import` wizard (review, then apply) run by a Sync manager of B, the rollback a
restore point's `action_rollback`.

Checks: the file downloaded twice is the same bytes and holds no secret (values nor field
names); B's review lists exactly what the file adds; after the apply, B's configuration read
record by record by natural keys (never ids: many2one values by product reference or name)
equals A's, the ids differ, and every change has an audit row by the manager during the
apply; a change in A shows in B's review as exactly those changed/added/removed lines and
applies; rolling back to the first import's restore point gives A's first configuration
again, and to the first restore point B's own configuration before any import (plus the
schedules the import added: an import never removes one, the review says so); a file naming
a product, a field and a CRM stage B lacks is refused with the three named, nothing written
(row counts of every configuration table the same).  Both databases dropped at the end (B by
this script, A by the caller, as for the other long suites).

    python tests/reliability/config_two_databases.py --db DB     (sync_core installed in DB;
    the extra addons are installed in it, DB_b is created and dropped)
"""

import base64
import json
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import benchlib

EXTRA_ADDONS = ("sync_sale", "sync_psa", "sync_hubspot")
MANAGER = ("promoter", "promoter-Passw0rd-long")
SECRETS = {
    "api_token": "tok-SANDBOX-api-secret",
    "webhook_secret": "whsec-SANDBOX-webhook-secret",
    "hubspot_access_token": "pat-SANDBOX-access-secret",
    "hubspot_client_secret": "cs-SANDBOX-client-secret",
}
# configuration tables whose row counts a refused import must leave alone
TABLES = (
    "sync_backend",
    "sync_mapping",
    "sync_mapping_line",
    "sync_mapping_match",
    "sync_channel",
    "sync_watermark",
    "sync_sale_stage",
    "sync_sale_company",
    "sync_audit",
    "sync_config_snapshot",
    "product_product",
)
# natural-key reading of a backend's configuration: model, natural key, compared fields
SCOPED = (
    ("sync.channel", ("kind_code",), ("capacity", "rate_per_second")),
    ("sync.watermark", ("object_name",), ("lookback_seconds", "pull_interval")),
    ("sync.sale.stage", ("remote_stage",), ("stage_id",)),
    ("sync.sale.company", ("remote_value",), ("company_id",)),
)
MAPPING_FIELDS = (
    "name",
    "active",
    "sequence",
    "default_values",
    "delete_policy",
    "export_create",
    "export_domain",
)
LINE_FIELDS = ("sequence", "direction", "owner", "transform", "ref_object")
MATCH_FIELDS = ("sequence", "extra_domain")
BACKEND_FIELDS = (
    "timeout",
    "page_size",
    "channel_capacity",
    "webhook_window",
    "sale_confirm_orders",
    "sale_mirror_open_deals",
    "sale_service_policy",
    "psa_event_feed",
    "psa_expense_product_id",
)
# A's backend and its own mapping (beside the connector's default ones)
SANDBOX = {
    "name": "Sandbox", "kind": "hubspot", "base_url": "http://127.0.0.1:9", "page_size": 40,
    "timeout": 7, "channel_capacity": 6, "sale_confirm_orders": True, **SECRETS,
}  # fmt: skip
DEALS = {
    "name": "Deals", "remote_object": "deals", "res_model": "crm.lead",
    "default_values": "{'type': 'opportunity'}", "delete_policy": "archive",
}  # fmt: skip
# remote field, Odoo field, transform, system of record, direction, sequence
DEAL_LINES = (
    ("dealname", "name", "str", "remote", "import", 10),
    ("amount", "expected_revenue", "float", "latest", "both", 10),
    ("closedate", "date_deadline", "date", "odoo", "import", 30),
)
DEAL_MATCH = {
    "remote_field": "dealname", "odoo_field": "name", "method": "exact",
    "extra_domain": "[('type', '=', 'opportunity')]",
}  # fmt: skip
KIND_FIELDS = ("max_attempts", "retry_pattern", "jitter", "priority", "batch_size", "timeout")


class RpcError(Exception):
    pass


class Rpc:
    """JSON-RPC (`/jsonrpc`) as one user, and an HTTP session of that user for downloads."""

    def __init__(self, port, db, login, password):
        self.base, self.db, self.password = f"http://127.0.0.1:{port}", db, password
        self.uid = self.call("common", "login", db, login, password)
        if not self.uid:
            raise RpcError(f"login {login} refused on {db}")
        self.http = requests.Session()
        res = self.http.post(
            f"{self.base}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        )
        if res.json().get("error"):
            raise RpcError(res.json()["error"])

    def call(self, service, method, *args):
        body = requests.post(
            f"{self.base}/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": list(args)},
            },
            timeout=300,
        ).json()
        if body.get("error"):
            error = body["error"]
            raise RpcError((error.get("data") or {}).get("message") or error.get("message"))
        return body["result"]

    def __call__(self, model, method, *args, **kw):
        return self.call(
            "object", "execute_kw", self.db, self.uid, self.password, model, method, list(args), kw
        )

    def create(self, model, **vals):
        return self(model, "create", vals)

    def write(self, model, record_id, **vals):
        return self(model, "write", [record_id], vals)

    def find(self, model, **where):
        (found,) = self(model, "search", [(f, "=", v) for f, v in where.items()])
        return found

    def read(self, model, domain, fields):
        return self(
            model, "search_read", domain, fields=list(fields), context={"active_test": False}
        )

    def xmlid(self, module, name):
        rows = self.read(
            "ir.model.data", [("module", "=", module), ("name", "=", name)], ["res_id"]
        )
        return rows[0]["res_id"]

    def export(self, backend_id):
        """The configuration file as the browser downloads it."""
        action = self("sync.backend", "action_config_export", [backend_id])
        res = self.http.get(self.base + action["url"], timeout=60)
        res.raise_for_status()
        return res.content.decode("utf-8")

    def review(self, backend_id, text, name):
        wizard = self(
            "sync.config.import",
            "create",
            {
                "backend_id": backend_id,
                "upload": base64.b64encode(text.encode()).decode(),
                "upload_name": name,
            },
        )
        self("sync.config.import", "action_review", [wizard])
        (row,) = self("sync.config.import", "read", [wizard], ["problems_text", "diff_text"])
        return wizard, row["problems_text"] or "", row["diff_text"] or ""


def natural(rpc, model, rows, fields):
    """Field values with many2one values by natural key: product reference, else name."""
    out = []
    for row in rows:
        vals = {}
        for fname in fields:
            value = row[fname]
            if isinstance(value, list):  # many2one [id, display name]
                if model == "sync.backend" and fname == "psa_expense_product_id":
                    (prod,) = rpc.read("product.product", [("id", "=", value[0])], ["default_code"])
                    value = prod["default_code"]
                else:
                    value = value[1]
            vals[fname] = value
        out.append(vals)
    return out


def configuration(rpc, backend_id):
    """A backend's configuration read record by record over RPC, keyed by natural keys."""
    conf = {}
    (backend,) = rpc.read("sync.backend", [("id", "=", backend_id)], BACKEND_FIELDS)
    conf["backend"] = natural(rpc, "sync.backend", [backend], BACKEND_FIELDS)[0]
    for mapping in rpc.read(
        "sync.mapping",
        [("backend_id", "=", backend_id)],
        ("remote_object", "res_model", *MAPPING_FIELDS),
    ):
        key = f"mapping {mapping['remote_object']}/{mapping['res_model']}"
        conf[key] = {f: mapping[f] for f in MAPPING_FIELDS}
        for line in rpc.read(
            "sync.mapping.line",
            [("mapping_id", "=", mapping["id"])],
            ("remote_field", "odoo_field", *LINE_FIELDS),
        ):
            conf[f"{key} line {line['remote_field']}/{line['odoo_field']}"] = {
                f: line[f] for f in LINE_FIELDS
            }
        for match in rpc.read(
            "sync.mapping.match",
            [("mapping_id", "=", mapping["id"])],
            ("remote_field", "odoo_field", "method", *MATCH_FIELDS),
        ):
            conf[f"{key} match {match['remote_field']}/{match['odoo_field']}/{match['method']}"] = {
                f: match[f] for f in MATCH_FIELDS
            }
    for model, key, fields in SCOPED:
        rows = rpc.read(model, [("backend_id", "=", backend_id)], (*key, *fields))
        for row, vals in zip(rows, natural(rpc, model, rows, fields), strict=True):
            conf[f"{model} {'/'.join(str(row[k]) for k in key)}"] = vals
    for kind in rpc.read("sync.job.kind", [], ("code", *KIND_FIELDS)):
        conf[f"job kind {kind['code']}"] = {f: kind[f] for f in KIND_FIELDS}
    return conf


class Suite:
    def __init__(self, db_a):
        self.checks = benchlib.Checks()
        self.dbs = {"A": db_a, "B": f"{db_a}_b"}
        self.servers = []
        self.rpc = {}
        self.ids = {}

    def check(self, ok, label, detail=""):
        return self.checks.check(ok, label, detail)

    # ------------------------------------------------------------------ databases
    def prepare(self):
        """A gets the extra addons, B is copied from it; one server per database."""
        t0 = time.monotonic()
        conn = benchlib.connect(self.dbs["A"])
        sql = "SELECT name FROM ir_module_module WHERE state = 'installed'"
        installed = {name for (name,) in benchlib.query(conn, sql)}
        conn.close()
        missing = [a for a in EXTRA_ADDONS if a not in installed]
        if missing:
            args = ("-d", self.dbs["A"], "-i", ",".join(missing), "--stop-after-init")
            res = subprocess.run(
                benchlib.odoo_cmd(*args, "--no-http", "--max-cron-threads=0", "--log-level=warn"),
                capture_output=True,
                text=True,
                check=False,
            )
            if res.returncode:
                raise RuntimeError(f"installing {missing} failed:\n{res.stdout[-3000:]}")
        subprocess.run(["dropdb", "--if-exists", self.dbs["B"]], check=True, capture_output=True)
        subprocess.run(["createdb", "-T", self.dbs["A"], self.dbs["B"]], check=True)
        print(f"databases ready in {time.monotonic() - t0:.0f}s (installed: {missing})")
        ports = {name: benchlib.free_port() for name in self.dbs}
        for name, db in self.dbs.items():
            args = ("--http-interface=127.0.0.1", f"--http-port={ports[name]}", "--workers=0")
            self.servers.append(
                benchlib.OdooProcess(
                    db, *args, "--max-cron-threads=0", "--log-level=warn", name=f"config-{name}"
                )
            )
        for name, port in ports.items():
            benchlib.wait_until(lambda p=port: _healthy(p), 120, 0.5, f"server of {name}")
            self.rpc[name] = Rpc(port, self.dbs[name], "admin", "admin")
        self.ports = ports

    def products(self, rpc):
        return {
            code: rpc.create("product.product", name=name, default_code=code, can_be_expensed=True)
            for code, name in (("EXP-TRAVEL", "Travel"), ("EXP-MEAL", "Meals"))
        }

    def setup_b(self):
        """Other ids in B: partners, products, three backends with mappings first; then the
        products the file names (by reference), the receiving backend and a Sync manager."""
        rpc = self.rpc["B"]
        for i in range(7):
            rpc.create("res.partner", name=f"B partner {i}")
        for i in range(5):
            rpc.create("product.product", name=f"B product {i}", default_code=f"B-{i}")
        won = rpc.xmlid("crm", "stage_lead4")
        for i in range(3):
            backend = rpc.create("sync.backend", name=f"B other {i}", kind="generic")
            rpc.create(
                "sync.mapping",
                name=f"Other {i}",
                backend_id=backend,
                remote_object=f"other{i}",
                res_model="res.partner",
                line_ids=_lines(("name", "name"), ("mail", "email")),
                match_ids=[(0, 0, {"remote_field": "mail", "odoo_field": "email"})],
            )
            rpc.create("sync.watermark", backend_id=backend, object_name="other")
            rpc.create("sync.sale.stage", backend_id=backend, remote_stage="won", stage_id=won)
        self.ids["B products"] = self.products(rpc)
        self.ids["B"] = rpc.create(
            "sync.backend",
            name="Production",
            kind="hubspot",
            base_url="http://127.0.0.1:9",
            api_token="tok-PRODUCTION",
            hubspot_access_token="pat-PRODUCTION",
        )
        self.ids["manager"] = rpc.create(
            "res.users",
            name="Promoter",
            login=MANAGER[0],
            password=MANAGER[1],
            group_ids=[(4, rpc.xmlid("sync_core", "sync_core_group_manager"))],
        )
        self.rpc["B manager"] = Rpc(self.ports["B"], self.dbs["B"], *MANAGER)

    def setup_a(self):
        """The sandbox's configuration: the connector's default mappings and one of its own
        (lines with transforms and systems of record, a match rule), channels, schedules, a
        job kind's retry pattern, the stage table, a legal entity, the expense product."""
        rpc = self.rpc["A"]
        self.ids["A products"] = self.products(rpc)
        backend = self.ids["A"] = rpc.create(
            "sync.backend",
            **SANDBOX,
            psa_expense_product_id=self.ids["A products"]["EXP-TRAVEL"],
        )
        rpc("sync.backend", "action_hubspot_create_default_mappings", [backend])
        rpc.create(
            "sync.mapping",
            **DEALS,
            backend_id=backend,
            line_ids=_lines(*DEAL_LINES),
            match_ids=[(0, 0, DEAL_MATCH)],
        )
        rpc.create("sync.channel", backend_id=backend, kind_code="export", capacity=3,
                   rate_per_second=2.5)  # fmt: skip
        for obj, interval in (("companies", 10), ("deals", 15)):
            rpc.create("sync.watermark", backend_id=backend, object_name=obj,
                       pull_interval=interval, lookback_seconds=120)  # fmt: skip
        export_kind = rpc.xmlid("sync_core", "job_kind_export")
        rpc("sync.job.kind", "write", [export_kind], {"retry_pattern": "1:5, 2:30, 4:600",
                                                       "max_attempts": 7})  # fmt: skip
        for remote, stage in (
            ("appointmentscheduled", "stage_lead1"),
            ("closedwon", "stage_lead4"),
        ):
            rpc.create("sync.sale.stage", backend_id=backend, remote_stage=remote,
                       stage_id=rpc.xmlid("crm", stage))  # fmt: skip
        rpc.create("sync.sale.company", backend_id=backend, remote_value="EU",
                   company_id=rpc.xmlid("base", "main_company"))  # fmt: skip

    # ------------------------------------------------------------------ phases
    def expected_added(self, conf):
        """The review lines a configuration `conf` (natural keys) adds to an empty backend."""
        lines = set()
        titles = {
            "sync.channel": "Channels",
            "sync.watermark": "Schedules",
            "sync.sale.stage": "Stage table",
            "sync.sale.company": "Legal entities",
        }
        for key in conf:
            parts = key.split(" ")
            if key.startswith("mapping "):
                mapping = f"Mappings {parts[1]}"
                if len(parts) == 2:
                    lines.add(f"+ {mapping}: added")
                else:
                    title = "Lines" if parts[2] == "line" else "Match rules"
                    lines.add(f"+ {mapping} > {title} {parts[3]}: added")
            elif parts[0] in titles and parts[1] != "False":  # not the default channel
                lines.add(f"+ {titles[parts[0]]} {parts[1]}: added")
        return lines

    def first_import(self):
        a, b, manager = self.rpc["A"], self.rpc["B"], self.rpc["B manager"]
        text = a.export(self.ids["A"])
        self.texts = [text]
        self.check(
            text == a.export(self.ids["A"]), "A: the file downloaded twice is the same bytes"
        )
        doc = json.loads(text)
        leaked = [n for n, v in SECRETS.items() if v in text or n in text]
        token = a.read("sync.backend", [("id", "=", self.ids["A"])], ["webhook_token"])[0]
        leaked += (
            ["webhook_token"] if token["webhook_token"] in text or "webhook_token" in text else []
        )
        self.check(not leaked, "A: no secret in the file (values and field names)", str(leaked))
        self.check(
            '"id"' not in text
            and doc["backend"]["settings"]["psa_expense_product_id"]
            == {"default_code": "EXP-TRAVEL"},
            "A: no database id, the product by reference",
        )
        self.conf_a1 = configuration(a, self.ids["A"])
        self.conf_b0 = configuration(b, self.ids["B"])
        _wizard, problems, diff = manager.review(self.ids["B"], text, "sandbox-v1.json")
        lines = set(diff.splitlines())
        want = self.expected_added(self.conf_a1)
        self.check(not problems, "B: the file resolves (no problem listed)", problems)
        self.check(
            {ln for ln in lines if ln.startswith("+")} == want,
            f"B: the review lists exactly the {len(want)} rows the file adds",
            f"missing {sorted(want - lines)[:5]}, extra "
            f"{sorted(ln for ln in lines - want if ln.startswith('+'))[:5]}",
        )
        changed = {
            "~ Backend settings: Default expense product (empty) -> [EXP-TRAVEL] Travel",
            "~ Backend settings: Records per call 200 -> 40",
            "~ Job kinds export: Max Attempts 5 -> 7",
        }
        self.check(
            changed <= lines and not any(ln.startswith("-") for ln in lines),
            "B: the review shows the changed settings and removes nothing",
            f"missing {sorted(changed - lines)}; diff:\n{diff}",
        )
        self.check(self.conf_b0 == configuration(b, self.ids["B"]), "B: the review writes nothing")
        started = _utc() - timedelta(seconds=2)
        _wizard, _p, _d = self.apply(text, "sandbox-v1.json")
        ended = _utc() + timedelta(seconds=2)
        conf_b1 = configuration(b, self.ids["B"])
        self.compare(conf_b1, self.conf_a1, "B after the import equals A by natural keys")
        self.check_ids()
        audits = b.read(
            "sync.audit",
            [("correlation_id", "=", "config: Import of sandbox-v1.json")],
            ["user_id", "date", "operation", "res_model"],
        )
        creates = [x for x in audits if x["operation"] == "create"]
        self.check(
            len(creates) == len(want),
            "B: one audit row per row added",
            f"{len(creates)} create rows for {len(want)} added",
        )
        self.check(
            audits
            and all(x["user_id"] and x["user_id"][0] == self.ids["manager"] for x in audits)
            and all(started <= _stamp(x["date"]) <= ended for x in audits),
            "B: every audit row by the manager, dated during the apply",
            f"{len(audits)} rows, users {sorted({str(x['user_id']) for x in audits})}",
        )

    def apply(self, text, name):
        manager = self.rpc["B manager"]
        wizard, problems, diff = manager.review(self.ids["B"], text, name)
        manager("sync.config.import", "action_apply", [wizard])
        return wizard, problems, diff

    def compare(self, got, want, label):
        diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        self.check(
            not diff, label, "; ".join(f"{k}: {got.get(k)} != {want.get(k)}" for k in diff[:5])
        )

    def check_ids(self):
        """The same natural keys under other ids (nothing was copied by id)."""
        a, b = self.rpc["A"], self.rpc["B"]
        maps_a = {
            (m["remote_object"], m["id"])
            for m in a.read("sync.mapping", [("backend_id", "=", self.ids["A"])], ["remote_object"])
        }
        maps_b = {
            (m["remote_object"], m["id"])
            for m in b.read("sync.mapping", [("backend_id", "=", self.ids["B"])], ["remote_object"])
        }
        (backend,) = b.read(
            "sync.backend", [("id", "=", self.ids["B"])], ["psa_expense_product_id"]
        )
        self.check(
            maps_a
            and not maps_a & maps_b
            and {o for o, _i in maps_a} == {o for o, _i in maps_b}
            and self.ids["A products"] != self.ids["B products"]
            and backend["psa_expense_product_id"][0] in self.ids["B products"].values(),
            "B: the same mappings and product under B's own ids",
            f"A {sorted(maps_a)} B {sorted(maps_b)}",
        )

    def second_import(self):
        a, b = self.rpc["A"], self.rpc["B"]
        backend = self.ids["A"]
        deals = a.find("sync.mapping", backend_id=backend, remote_object="deals")
        amount = a.find("sync.mapping.line", mapping_id=deals, remote_field="amount")
        a.write("sync.mapping.line", amount, owner="odoo", transform="int")
        a.write("sync.mapping", deals, match_ids=[(5, 0, 0)], line_ids=_lines(("description",) * 2))
        a.write("sync.channel", a.find("sync.channel", backend_id=backend, kind_code="export"),
                capacity=5)  # fmt: skip
        won = a.find("sync.sale.stage", backend_id=backend, remote_stage="closedwon")
        a.write("sync.sale.stage", won, stage_id=a.xmlid("crm", "stage_lead3"))
        a.write("sync.backend", backend, psa_expense_product_id=self.ids["A products"]["EXP-MEAL"])
        text = a.export(backend)
        self.texts.append(text)
        self.conf_a2 = configuration(a, backend)
        _w, problems, diff = self.rpc["B manager"].review(self.ids["B"], text, "sandbox-v2.json")
        deal = "Mappings deals/crm.lead"
        amount_line = f"{deal} > Lines amount/expected_revenue"
        want = {
            f"~ {amount_line}: System of record Last modified wins -> Odoo wins",
            f"~ {amount_line}: Transform Decimal number -> Whole number",
            f"+ {deal} > Lines description/description: added",
            f"- {deal} > Match rules dealname/name/exact: removed",
            "~ Channels export: Capacity 3 -> 5",
            "~ Stage table closedwon: CRM stage Won -> Proposition",
            "~ Backend settings: Default expense product [EXP-TRAVEL] Travel -> [EXP-MEAL] Meals",
        }
        got = set(diff.splitlines())
        self.v2_lines = want
        self.check(
            not problems and got == want,
            "B: the second review lists exactly the changes",
            f"missing {sorted(want - got)}, extra {sorted(got - want)}",
        )
        self.apply(text, "sandbox-v2.json")
        self.compare(
            configuration(b, self.ids["B"]),
            self.conf_a2,
            "B after the second import equals A's changed configuration",
        )

    def rollback(self):
        b, manager = self.rpc["B"], self.rpc["B manager"]
        points = b.read("sync.config.snapshot", [("backend_id", "=", self.ids["B"])], ["name"])
        names = [p["name"] for p in reversed(points)]  # oldest first
        self.check(
            names
            == [
                "Before Import of sandbox-v1.json",
                "Import of sandbox-v1.json",
                "Import of sandbox-v2.json",
            ],
            "B: three restore points",
            str(names),
        )
        by_name = {p["name"]: p["id"] for p in points}
        # schedules are never removed by an import (they hold the pull position): the review
        # says they are kept
        schedules = {k: v for k, v in self.conf_a1.items() if k.startswith("sync.watermark ")}
        kept = {
            f"= Schedules {k.split(' ', 1)[1]}: kept (an import never removes it)"
            for k in schedules
        }
        for point, want, label, said in (
            (
                "Import of sandbox-v1.json",
                self.conf_a1,
                "A's first configuration",
                {_inverse(line) for line in self.v2_lines},
            ),
            (
                "Before Import of sandbox-v1.json",
                {**self.conf_b0, **schedules},
                "B's own configuration (plus the schedules, kept)",
                kept,
            ),
        ):
            action = manager("sync.config.snapshot", "action_rollback", [by_name.get(point, 0)])
            (wizard,) = manager("sync.config.import", "read", [action["res_id"]], ["diff_text"])
            review = set(wizard["diff_text"].splitlines())
            exact = point == "Import of sandbox-v1.json"
            self.check(
                review == said
                if exact
                else said <= review and not any(ln.startswith("+") for ln in review),
                f"B: the review of the rollback to '{point}' "
                + (
                    "undoes exactly the second import"
                    if exact
                    else "adds nothing and says the schedules are kept"
                ),
                wizard["diff_text"],
            )
            manager("sync.config.import", "action_apply", [action["res_id"]])
            self.compare(
                configuration(b, self.ids["B"]),
                want,
                f"B rolled back to '{point}' is {label} again " f"({len(review)} lines reviewed)",
            )

    def refused_import(self):
        b = self.rpc["B"]
        doc = json.loads(self.texts[-1])
        doc["backend"]["settings"]["psa_expense_product_id"] = {"default_code": "NO-SUCH-PRODUCT"}
        lines = doc["mappings"]["deals/crm.lead"]["lines"]
        lines["budget/x_no_such_field"] = dict(
            lines["dealname/name"], remote_field="budget", odoo_field="x_no_such_field"
        )
        doc["stage_table"]["closedlost"] = {
            "remote_stage": "closedlost",
            "stage_id": {"xmlid": "crm.no_such_stage"},
        }
        doc["channels"]["export"]["capacity"] = 9
        counts = _counts(self.dbs["B"])
        conf = configuration(b, self.ids["B"])
        wizard, problems, _diff = self.rpc["B manager"].review(
            self.ids["B"], json.dumps(doc), "broken.json"
        )
        named = ("NO-SUCH-PRODUCT", "x_no_such_field", "no_such_stage")
        self.check(
            len(problems.splitlines()) == 3 and all(n in problems for n in named),
            "B: the review lists the product, field and stage B lacks",
            problems,
        )
        try:
            self.rpc["B manager"]("sync.config.import", "action_apply", [wizard])
            refused = ""
        except RpcError as exc:
            refused = str(exc)
        self.check(
            "Nothing was changed" in refused and all(n in refused for n in named),
            "B: applying it is refused with the list",
            refused[:300],
        )
        self.check(
            _counts(self.dbs["B"]) == counts,
            "B: no row added or removed",
            f"{counts} -> {_counts(self.dbs['B'])}",
        )
        self.compare(configuration(b, self.ids["B"]), conf, "B: configuration unchanged")

    def close(self):
        bad = []
        for proc in self.servers:
            proc.stop()
            bad += benchlib.bad_log_lines(benchlib.log_while_running(proc))
        self.check(not bad, "the servers logged no ERROR and no traceback", str(bad[:3]))
        for proc in self.servers:
            if self.checks.failed:
                print(f"server log kept: {proc.log.name}")
            else:
                proc.cleanup()
        subprocess.run(["dropdb", "--if-exists", self.dbs["B"]], check=False)


def _lines(*specs):
    names = ("remote_field", "odoo_field", "transform", "owner", "direction", "sequence")
    return [(0, 0, dict(zip(names, spec, strict=False))) for spec in specs]


def _healthy(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok
    except requests.RequestException:
        return False


def _inverse(line):
    """The review line that undoes `line`."""
    if line.endswith(": added"):
        return "- " + line[2 : -len("added")] + "removed"
    if line.endswith(": removed"):
        return "+ " + line[2 : -len("removed")] + "added"
    head, values = line.rsplit(": ", 1)
    field_old, new = values.split(" -> ")
    for label in (
        "System of record",
        "Transform",
        "Capacity",
        "CRM stage",
        "Default expense product",
    ):
        if field_old.startswith(label + " "):
            return f"{head}: {label} {new} -> {field_old[len(label) + 1 :]}"
    raise ValueError(line)


def _utc():
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def _stamp(value):
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def _counts(db):
    conn = benchlib.connect(db)
    try:
        return {t: benchlib.scalar(conn, f"SELECT count(*) FROM {t}") for t in TABLES}
    finally:
        conn.close()


def main():
    suite = Suite(benchlib.suite_db())
    t0 = time.monotonic()
    try:
        suite.prepare()
        suite.setup_a()
        suite.setup_b()
        suite.first_import()
        suite.second_import()
        suite.rollback()
        suite.refused_import()
    except Exception as exc:  # noqa: BLE001 -- any crash is a failed check, then cleanup
        traceback.print_exc()
        suite.check(False, "the suite ran to its end", f"{type(exc).__name__}: {exc}")
    finally:
        suite.close()
    elapsed = time.monotonic() - t0
    print(f"\n{suite.checks.passed} passed, {suite.checks.failed} failed")
    print(
        f"RELIABILITY: configuration two databases: export, import with other ids, change,"
        f" rollback, refused import in {elapsed:.0f} s: {suite.checks.passed} checks passed,"
        f" {suite.checks.failed} violations",
        flush=True,
    )
    return 1 if suite.checks.failed or not suite.checks.passed else 0


if __name__ == "__main__":
    sys.exit(main())
