#!/usr/bin/env bash
# Benchmarks: a scratch database with sync_core, then bench_pull.py inside `odoo-bin shell`.
#   bash bench/run.sh            (BENCH_N=4000 records by default)
source "$(dirname "${BASH_SOURCE[0]}")/../setup/env.sh"
ensure_venv
require_postgres
DB="odoo_sync_bench_$$"
trap 'dropdb --if-exists "$DB"' EXIT
createdb "$DB"
odoo_bin -d "$DB" -i sync_core --stop-after-init --http-port=0 --max-cron-threads=0 \
    --log-level=warn || die "installing sync_core failed"
odoo_bin shell -d "$DB" --no-http --log-level=warn < "$REPO_ROOT/bench/bench_pull.py"
