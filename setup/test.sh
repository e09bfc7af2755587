#!/usr/bin/env bash
# `make test`: lint, tests without a database, then a fresh Odoo database with all the addons
# installed and every one of their tests run.  Ends with the line `N passed, N failed`.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_venv
require_postgres
ensure_browser
ensure_wkhtmltopdf
exec "$VENV/bin/python" "$REPO_ROOT/setup/run_tests.py"
