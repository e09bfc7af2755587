#!/usr/bin/env bash
# Webhook benchmark: a scratch database with sync_core, a real Odoo HTTP server on a free
# 127.0.0.1 port, signed webhooks from a few client threads (bench_webhook.py).
#   bash bench/run_webhook.sh    (BENCH_WEBHOOK_ROUNDS=3 BENCH_WEBHOOK_N=1000 BENCH_WEBHOOK_THREADS=4)
source "$(dirname "${BASH_SOURCE[0]}")/../setup/env.sh"
ensure_venv
require_postgres
DB="odoo_sync_bench_webhook_$$"
trap 'dropdb --if-exists "$DB"' EXIT
createdb "$DB"
odoo_bin -d "$DB" -i sync_core --stop-after-init --http-port=0 --max-cron-threads=0 \
    --log-level=warn || die "installing sync_core failed"
"$VENV/bin/python" "$REPO_ROOT/bench/bench_webhook.py" --db "$DB"
