"""pytest-odoo defaults for this repository (a developer running one Odoo test under pytest).

    pytest --odoo-database=DB addons/sync_core/tests/test_jobs.py -k dead

DB is a database where the addons are installed (e.g. one left by `KEEP_TEST_DB=1 make test`).
When --odoo-database (or --odoo-config / ODOO_RC) is given and nothing else says otherwise, the
addons path is Odoo's (ODOO_PATH, default /opt/odoo-19.0) plus addons/, PostgreSQL is reached as
setup/env.sh does (PGHOST, PGPORT, PGUSER; default 127.0.0.1:5432), and the Odoo HTTP server is
started so that HttpCase tests run too (pytest-odoo skips them without --odoo-http).
"""

import os

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_cmdline_main(config):
    # runs before pytest-odoo's own hook, which hands these options to Odoo's config parser
    option = config.option
    if getattr(option, "odoo_database", None) or getattr(option, "odoo_config", None):
        if not option.odoo_addons_path and not option.odoo_config:
            odoo_path = os.environ.get("ODOO_PATH", "/opt/odoo-19.0")
            option.odoo_addons_path = ",".join(
                (
                    os.path.join(odoo_path, "odoo", "addons"),
                    os.path.join(odoo_path, "addons"),
                    os.path.join(ROOT, "addons"),
                )
            )
        os.environ.setdefault("PGHOST", "127.0.0.1")
        os.environ.setdefault("PGPORT", "5432")
        option.odoo_http = True
    return (yield)
