#!/usr/bin/env bash
# Regenerate the translation templates addons/<addon>/i18n/<addon>.pot of every addon.
#
#   bash setup/gen_pot.sh            # scratch database, dropped at the end
#   POT_DB=mydb bash setup/gen_pot.sh  # an existing database where the addons are installed
#
# The addons are installed in a scratch database (copied from the test template when one
# exists, which is faster), then Odoo's `odoo-bin i18n export -d DB <addons>` writes each
# addon's .pot into its i18n/ folder.  Commit the changed .pot files.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_venv
require_postgres
ADDONS="${SYNC_ADDONS//,/ }"
DB="${POT_DB:-}"
SCRATCH=""
if [ -z "$DB" ]; then
    DB="odoo_sync_pot_$$"
    SCRATCH="$DB"
    TMPL="$(psql -X -tA -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'odoo_sync_tmpl_%' AND datname NOT LIKE '%_building' ORDER BY datname LIMIT 1")"
    if [ -n "$TMPL" ]; then
        createdb -T "$TMPL" "$DB" || die "createdb -T $TMPL $DB failed"
    fi
    trap 'dropdb --if-exists "$SCRATCH" >/dev/null 2>&1' EXIT
    echo ">> installing $SYNC_ADDONS in $DB"
    odoo_bin -d "$DB" -i "$SYNC_ADDONS" --stop-after-init --http-port=0 --max-cron-threads=0 \
        --log-level=warn || die "installing the addons in $DB failed"
fi
# `i18n export` reads its connection and addons path from a configuration file only.
CONF="$(mktemp)"
trap 'rm -f "$CONF"; [ -n "$SCRATCH" ] && dropdb --if-exists "$SCRATCH" >/dev/null 2>&1' EXIT
cat > "$CONF" <<CFG
[options]
addons_path = $ADDONS_PATH
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
CFG
for addon in $ADDONS; do mkdir -p "$REPO_ROOT/addons/$addon/i18n"; done
# shellcheck disable=SC2086
"$VENV/bin/python" "$ODOO_PATH/odoo-bin" i18n export -c "$CONF" -d "$DB" $ADDONS \
    || die "odoo-bin i18n export failed"
for addon in $ADDONS; do
    pot="$REPO_ROOT/addons/$addon/i18n/$addon.pot"
    if [ ! -s "$pot" ]; then  # an addon without a translatable term yet: no empty template
        rm -f "$pot"
        rmdir "$REPO_ROOT/addons/$addon/i18n" 2>/dev/null || true
        echo "   $addon: no translatable term yet"
    else
        echo "   addons/$addon/i18n/$addon.pot: $(grep -c '^msgid ' "$pot") terms"
    fi
done
