"""Checks that span the addons and need no database (run by `make test` with plain pytest)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = [
    "sync_core",
    "sync_sale",
    "sync_hubspot",
    "sync_salesforce",
    "sync_dynamics",
    "sync_psa",
    "sync_psa_kantata",
    "sync_jira",
    "sync_reconcile",
    "sync_hr",
    "sync_bamboohr",
    "sync_hr_psa",
    "sync_insight",
]
DEPENDS = {
    "sync_core": {"base", "mail", "web"},
    "sync_sale": {"sync_core", "crm", "sale_project"},
    "sync_hubspot": {"sync_core", "sync_sale", "contacts"},
    "sync_salesforce": {"sync_core", "sync_sale", "contacts"},
    "sync_dynamics": {"sync_core", "sync_sale", "contacts"},
    "sync_psa": {
        "sync_core",
        "project",
        "hr_timesheet",
        "hr_expense",
        "sale_timesheet",
        "sale_expense",
    },
    "sync_psa_kantata": {"sync_core", "sync_psa"},
    "sync_jira": {"sync_psa"},
    "sync_reconcile": {"sync_psa", "sale_timesheet", "account"},
    "sync_hr": {"sync_core", "hr", "hr_hourly_cost", "hr_holidays", "hr_timesheet"},
    "sync_bamboohr": {"sync_core", "sync_hr"},
    "sync_hr_psa": {"sync_hr", "sync_psa"},
    "sync_insight": {"sync_reconcile", "hr_holidays", "project_timesheet_holidays", "crm"},
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


def test_addon_pages_are_generated_from_the_fragments(tmp_path):
    """Each addon's app page (what Odoo's Apps screen shows) and README.md are the generator's
    output of its readme/*.md fragments and manifest, rendered by a Markdown library: a nested
    list and a table of a fragment come out as HTML lists and a table."""
    import shutil
    import subprocess
    import sys

    script = ROOT / "setup" / "gen_addon_readme.py"
    run = [sys.executable, str(script), "--addons-dir", str(ROOT / "addons"), "--check"]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    addon = tmp_path / "addons" / "sync_demo"
    (addon / "readme").mkdir(parents=True)
    shutil.copy(ROOT / "addons" / "sync_core" / "__manifest__.py", addon)
    (addon / "readme" / "USAGE.md").write_text(
        "- outer *item*:\n  - inner `code`\n\n| a | b |\n|---|---|\n| 1 | <2> |\n"
    )
    run = [sys.executable, str(script), "--addons-dir", str(tmp_path / "addons")]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    page = (addon / "static" / "description" / "index.html").read_text()
    assert "<li>outer <em>item</em>:\n<ul>\n<li>inner <code>code</code></li>" in page
    assert "<tr><td>1</td><td>&lt;2&gt;</td></tr>" in page
    assert '<h2 id="usage">Usage</h2>' in page and "<h1>Sync Core</h1>" in page
    readme = (addon / "README.md").read_text()
    assert "## Usage\n\n- outer *item*:\n  - inner `code`" in readme
    run.append("--check")
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
