#!/usr/bin/env bash
# Chaos benchmark: a batch pull whose worker is killed with SIGKILL mid-batch (twice), then
# finished by a fresh worker; checks that nothing is lost and nothing doubled (chaos_kill.py).
#   bash bench/run_chaos.sh      (CHAOS_N=20000 records, CHAOS_KILLS=0.25,0.6, CHAOS_MODE=cron)
source "$(dirname "${BASH_SOURCE[0]}")/../setup/env.sh"
ensure_venv
require_postgres
DB="odoo_sync_bench_chaos_$$"
trap 'dropdb --if-exists "$DB"' EXIT
createdb "$DB"
odoo_bin -d "$DB" -i sync_core --stop-after-init --http-port=0 --max-cron-threads=0 \
    --log-level=warn || die "installing sync_core failed"
"$VENV/bin/python" "$REPO_ROOT/bench/chaos_kill.py" --db "$DB"
