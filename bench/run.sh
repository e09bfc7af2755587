#!/usr/bin/env bash
# Benchmarks, each on its own scratch database with sync_core (dropped at the end).
#   bash bench/run.sh            batch pull vs raw create(vals_list) vs one job per record
#                                (bench_pull.py inside `odoo-bin shell`; BENCH_N=4000 records)
#   bash bench/run.sh webhook    webhook acks against a real Odoo HTTP server (run_webhook.sh)
#   bash bench/run.sh chaos      worker SIGKILLed mid-batch: nothing lost or doubled (run_chaos.sh)
#   bash bench/run.sh all        the three, one after the other
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-pull}" in
    webhook) exec bash "$HERE/run_webhook.sh" ;;
    chaos) exec bash "$HERE/run_chaos.sh" ;;
    all)
        rc=0
        bash "$HERE/run.sh" pull || rc=1
        bash "$HERE/run_webhook.sh" || rc=1
        bash "$HERE/run_chaos.sh" || rc=1
        exit $rc
        ;;
    pull) ;;
    *)
        echo "usage: bash bench/run.sh [pull|webhook|chaos|all]" >&2
        exit 2
        ;;
esac
source "$HERE/../setup/env.sh"
ensure_venv
require_postgres
DB="odoo_sync_bench_$$"
trap 'dropdb --if-exists "$DB"' EXIT
createdb "$DB"
odoo_bin -d "$DB" -i sync_core --stop-after-init --http-port=0 --max-cron-threads=0 \
    --log-level=warn || die "installing sync_core failed"
odoo_bin shell -d "$DB" --no-http --log-level=warn < "$REPO_ROOT/bench/bench_pull.py"
