"""Checks that span the addons and need no database (run by `make test` with plain pytest)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["sync_core", "sync_sale", "sync_hubspot", "sync_salesforce", "sync_psa", "sync_reconcile"]
DEPENDS = {
    "sync_core": {"base", "mail", "web"},
    "sync_sale": {"sync_core", "crm", "sale_project"},
    "sync_hubspot": {"sync_core", "sync_sale", "contacts"},
    "sync_salesforce": {"sync_core", "sync_sale", "contacts"},
    "sync_psa": {
        "sync_core",
        "project",
        "hr_timesheet",
        "hr_expense",
        "sale_timesheet",
        "sale_expense",
    },
    "sync_reconcile": {"sync_psa", "sale_timesheet", "account"},
}


def manifest(addon):
    return ast.literal_eval((ROOT / "addons" / addon / "__manifest__.py").read_text())


def test_manifests():
    requirements = (ROOT / "requirements.txt").read_text().lower()
    for addon in ADDONS:
        data = manifest(addon)
        assert re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", data["version"]), addon
        assert data["license"] == "LGPL-3"
        assert set(data["depends"]) == DEPENDS[addon], addon
        for key in ("author", "website", "maintainers", "development_status", "category"):
            assert data.get(key), (addon, key)
        for package in data.get("external_dependencies", {}).get("python", []):
            assert package.lower() in requirements, (addon, package)
        for path in data.get("data", []):
            assert (ROOT / "addons" / addon / path).is_file(), (addon, path)
        assert (ROOT / "addons" / addon / "pyproject.toml").is_file(), addon


def test_every_addon_has_tests():
    for addon in ADDONS:
        tests = list((ROOT / "addons" / addon / "tests").glob("test_*.py"))
        assert tests, addon
        init = (ROOT / "addons" / addon / "tests" / "__init__.py").read_text()
        for test in tests:
            assert f"import {test.stem}" in init, (addon, test.name)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "exec make test" in (ROOT / ".ci" / "run").read_text()


def test_no_odoo_code_vendored():
    assert not (ROOT / "odoo-bin").exists()
    assert not (ROOT / "odoo").exists()
