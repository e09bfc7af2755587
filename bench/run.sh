#!/usr/bin/env bash
# Benchmarks, each on its own scratch database with sync_core installed (dropped at the end).
#   bash bench/run.sh            batch pull vs raw create(vals_list) vs one job per record
#                                (bench_pull.py inside `odoo-bin shell`; BENCH_N=4000 records)
#   bash bench/run.sh webhook    webhook acks against a real Odoo HTTP server (bench_webhook.py;
#                                BENCH_WEBHOOK_ROUNDS=3 BENCH_WEBHOOK_N=1000 BENCH_WEBHOOK_THREADS=4)
#   bash bench/run.sh chaos      worker SIGKILLed mid-batch: nothing lost or doubled
#                                (chaos_kill.py; CHAOS_N=20000 CHAOS_KILLS=0.25,0.6 CHAOS_MODE=cron)
#   bash bench/run.sh chaoshook  server SIGKILLed mid-webhook-burst, restarted, unacknowledged
#                                events redelivered: none lost or doubled (chaos_webhook.py;
#                                CHAOS_HOOK_EVENTS=1000 CHAOS_HOOK_KILL_AT=0.4)
#   bash bench/run.sh salesforce Salesforce account pull, REST and Bulk 2.0, vs raw create(vals_list)
#                                (bench_salesforce.py in `odoo-bin shell`; BENCH_N=4000 BENCH_SF_BIG)
#   bash bench/run.sh runner     runner cost per job: 5,000 unbatched no-op jobs, then at 1k, 10k,
#                                50k pending (bench_runner.py in `odoo-bin shell`; RUNNER_N,
#                                RUNNER_SAMPLE, RUNNER_BACKLOGS, RUNNER_PROFILE=1 for cProfile)
#   bash bench/run.sh jira       month-end approval: Tempo worklogs into timesheets vs raw
#                                create(vals_list) (bench_jira.py; BENCH_JIRA_N=50000)
#   bash bench/run.sh psa        month-end burst: Kantata time entries pulled into timesheets vs
#                                raw create(vals_list) (bench_psa.py; BENCH_PSA_N=50000)
#   bash bench/run.sh reconcile  100,000 PSA time entries against timesheet lines, classified in
#                                set-based SQL (bench_reconcile.py; BENCH_RECONCILE_N=100000)
#   bash bench/run.sh insight    delivery figures of sync_insight's summaries on 1,000,000 timesheet
#                                lines: full build, incremental refresh, reads (bench_insight.py;
#                                BENCH_INSIGHT_N=1000000)
#   bash bench/run.sh dynamics   Dynamics 365 account pull (Dataverse fake, real adapter) vs raw
#                                create(vals_list), requests per pull (bench_dynamics.py;
#                                BENCH_DYNAMICS_N=4000 BENCH_DYNAMICS_PAGE=1000)
#   bash bench/run.sh golive     go-live preview of N remote records against N existing partners
#                                (bench_golive.py; BENCH_GOLIVE_N=5000, target 50,000 in < 60 s)
#   bash bench/run.sh hr         full HR load: BambooHR employees and compensation into
#                                hr.employee vs raw create(vals_list) (bench_hr.py;
#                                BENCH_HR_N=10000 BENCH_HR_PROFILE=1)
#   bash bench/run.sh all        all of them, one after the other
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-pull}"
case "$mode" in
    all)
        rc=0
        for one in pull webhook chaos chaoshook salesforce psa jira reconcile runner insight dynamics golive hr; do bash "$HERE/run.sh" "$one" || rc=1; done
        exit $rc
        ;;
    pull | webhook | chaos | chaoshook | salesforce | psa | jira | reconcile | runner | insight | dynamics | golive | hr) ;;
    *)
        echo "usage: bash bench/run.sh [pull|webhook|chaos|chaoshook|salesforce|psa|jira|reconcile|runner|insight|dynamics|golive|hr|all]" >&2
        exit 2
        ;;
esac
source "$HERE/../setup/env.sh"
ensure_venv
require_postgres
DB="odoo_sync_bench_${mode}_$$"
trap 'dropdb --if-exists "$DB"' EXIT
createdb "$DB"
ADDON=sync_core
[ "$mode" = salesforce ] && ADDON=sync_salesforce
[ "$mode" = psa ] && ADDON=sync_psa_kantata
[ "$mode" = reconcile ] && ADDON=sync_psa_kantata,sync_reconcile
[ "$mode" = jira ] && ADDON=sync_jira
[ "$mode" = insight ] && ADDON=sync_insight
[ "$mode" = dynamics ] && ADDON=sync_dynamics
[ "$mode" = hr ] && ADDON=sync_bamboohr
odoo_bin -d "$DB" -i "$ADDON" --stop-after-init --http-port=0 --max-cron-threads=0 \
    --log-level=warn || die "installing $ADDON failed"
case "$mode" in
    pull) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_pull.py" ;;
    webhook) "$VENV/bin/python" "$HERE/bench_webhook.py" --db "$DB" ;;
    chaos) "$VENV/bin/python" "$HERE/chaos_kill.py" --db "$DB" ;;
    chaoshook) "$VENV/bin/python" "$HERE/chaos_webhook.py" --db "$DB" ;;
    salesforce) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_salesforce.py" ;;
    psa) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_psa.py" ;;
    jira) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_jira.py" ;;
    reconcile) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_reconcile.py" ;;
    insight) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_insight.py" ;;
    hr) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_hr.py" ;;
    runner) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_runner.py" ;;
    dynamics) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_dynamics.py" ;;
    golive) odoo_bin shell -d "$DB" --no-http --log-level=warn < "$HERE/bench_golive.py" ;;
esac
