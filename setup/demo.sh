#!/usr/bin/env bash
# `make demo`: database odoo_sync_demo (created on first run with all the addons and demo data),
# each connector's sandbox fake started beside Odoo, Odoo on http://127.0.0.1:8069 (admin/admin).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_venv
require_postgres
ensure_wkhtmltopdf
DB="${DEMO_DB:-odoo_sync_demo}"
HTTP_PORT="${DEMO_HTTP_PORT:-8069}"
mkdir -p "$REPO_ROOT/var"

STAMP="$REPO_ROOT/var/demo-$DB.stamp"
CODE="$(cd "$REPO_ROOT" && find addons -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \) \
    -newer "$STAMP" 2>/dev/null | head -1 || true)"
if ! psql -X -tA -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
    echo ">> creating database $DB with $SYNC_ADDONS and demo data (first run, a few minutes)"
    odoo_bin -d "$DB" -i "$SYNC_ADDONS" --with-demo --stop-after-init --http-port=0 \
        --max-cron-threads=0 --log-level=warn || die "installing the addons in $DB failed"
    touch "$STAMP"
elif [ ! -f "$STAMP" ] || [ -n "$CODE" ]; then
    echo ">> the addons changed since $DB was built: upgrading them"
    odoo_bin -d "$DB" -u "$SYNC_ADDONS" --stop-after-init --http-port=0 \
        --max-cron-threads=0 --log-level=warn || die "upgrading the addons in $DB failed"
    touch "$STAMP"
fi

# Sandbox fakes of the remote systems (real HTTP servers on 127.0.0.1), one per connector.
declare -A FAKE_PORTS=([sync_hubspot]=8990 [sync_salesforce]=8991 [sync_psa_kantata]=8992 [sync_jira]=8993 [sync_dynamics]=8995 [sync_bamboohr]=8996)
FAKE_URLS="{"
pids=()
for addon in "${!FAKE_PORTS[@]}"; do
    port="${FAKE_PORTS[$addon]}"
    if [ -f "$REPO_ROOT/addons/$addon/fake/__main__.py" ]; then
        "$VENV/bin/python" "$REPO_ROOT/addons/$addon/fake" --port "$port" --seed demo \
            > "$REPO_ROOT/var/fake-$addon.log" 2>&1 &
        pids+=($!)
        FAKE_URLS="$FAKE_URLS\"$addon\": \"http://127.0.0.1:$port\","
    fi
done
FAKE_URLS="${FAKE_URLS%,}}"
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
sleep 1

# Let each connector wire its sandbox backend to its fake (idempotent), then run the demo's
# jobs until what it shows is there (CRM deals -> orders and projects -> PSA workspaces ->
# approved time as timesheets -> a reconciliation run; at most 90 s).  The shell prints the
# HubSpot backend's webhook path, for the demo webhooks below.
echo ">> setting up the sandbox backends and running the demo's first syncs (up to 90 s)"
SETUP_OUT="$(odoo_bin shell -d "$DB" --http-port=0 --log-level=warn --no-http <<PY
ended = env["sync.backend"]._demo_run($FAKE_URLS)
env.cr.commit()
print("DEMO_JOBS=%s" % ended)
hubspot = env["sync.backend"].sudo().search([("kind", "=", "hubspot"), ("sandbox", "=", True)], limit=1)
if hubspot:
    print("HUBSPOT_WEBHOOK_PATH=/sync/hubspot/%s" % hubspot.webhook_token)
PY
)" || die "demo set-up failed"
printf '%s\n' "$SETUP_OUT" | sed -n 's/^DEMO_JOBS=/>> demo jobs ended per step: /p'
HUBSPOT_WEBHOOK_PATH="$(printf '%s\n' "$SETUP_OUT" | sed -n 's/^HUBSPOT_WEBHOOK_PATH=//p' | tail -1)"

# A few signed HubSpot webhooks once Odoo answers, so Sync > Events (the inbox) is not empty.
if [ -n "$HUBSPOT_WEBHOOK_PATH" ] && [ -n "${FAKE_PORTS[sync_hubspot]:-}" ]; then
    WEBHOOK_URL="http://127.0.0.1:$HTTP_PORT$HUBSPOT_WEBHOOK_PATH"
    (
        for _i in $(seq 1 60); do
            if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
                "http://127.0.0.1:$HTTP_PORT/web/health" 2>/dev/null; then
                "$VENV/bin/python" "$REPO_ROOT/addons/sync_hubspot/fake/demo_webhooks.py" \
                    --url "$WEBHOOK_URL" --fake "http://127.0.0.1:${FAKE_PORTS[sync_hubspot]}" \
                    > "$REPO_ROOT/var/demo-webhooks.log" 2>&1
                exit 0
            fi
            sleep 2
        done
    ) &
    pids+=($!)
    echo ">> HubSpot webhook URL: $WEBHOOK_URL (demo webhooks: var/demo-webhooks.log)"
fi

echo ">> Odoo on http://127.0.0.1:$HTTP_PORT  (login admin / admin; menu Sync); Ctrl+C stops Odoo and the fakes"
odoo_bin -d "$DB" --db-filter="^$DB\$" --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    --max-cron-threads=2
