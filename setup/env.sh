#!/usr/bin/env bash
# Shared environment for the project's commands (sourced by setup/*.sh).
#
# Odoo 19.0 is *not* part of this repository.  It is taken from ODOO_PATH, a folder that holds
# `odoo-bin` and the `odoo/` package (a checkout of odoo/odoo at branch 19.0, or the official
# source archive).  When ODOO_PATH is unset, the one default place /opt/odoo-19.0 is used.
#
# PostgreSQL comes from the usual PGHOST / PGPORT / PGUSER variables (defaults 127.0.0.1:5432 and
# the current user).  Odoo refuses the `postgres` role: use another one.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
DEFAULT_ODOO_PATH="/opt/odoo-19.0"
export ODOO_PATH="${ODOO_PATH:-$DEFAULT_ODOO_PATH}"
export VENV="${VENV:-$REPO_ROOT/.venv}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-$(id -un)}"
export ADDONS_PATH="$ODOO_PATH/odoo/addons,$ODOO_PATH/addons,$REPO_ROOT/addons"
# All the addons, in dependency order.
export SYNC_ADDONS="sync_core,sync_sale,sync_hubspot,sync_salesforce,sync_dynamics,sync_psa,sync_psa_kantata,sync_jira,sync_reconcile,sync_hr,sync_bamboohr,sync_hr_psa,sync_insight"
# Credentials are encrypted at rest with a key kept outside the database (odoo.conf
# `sync_secret_key`, or SYNC_SECRET_KEY).  Development and demo: a key of this checkout, made
# once in var/sync_secret_key (git-ignored).  Production sets its own and keeps it safe.
if [ -z "${SYNC_SECRET_KEY:-}" ]; then
    if [ ! -s "$REPO_ROOT/var/sync_secret_key" ]; then
        mkdir -p "$REPO_ROOT/var"
        (umask 077 && python3 -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" \
            >"$REPO_ROOT/var/sync_secret_key")
    fi
    SYNC_SECRET_KEY="$(cat "$REPO_ROOT/var/sync_secret_key")"
    export SYNC_SECRET_KEY
fi

die() {
    printf '\nERROR: %s\n\n' "$*" >&2
    exit 2
}

require_odoo() {
    if [ ! -f "$ODOO_PATH/odoo-bin" ] || [ ! -d "$ODOO_PATH/odoo" ]; then
        cat >&2 <<EOF

ERROR: Odoo 19.0 was not found.
  Looked in ODOO_PATH=$ODOO_PATH (default: $DEFAULT_ODOO_PATH) for odoo-bin and odoo/.

  Get Odoo 19.0 community and point ODOO_PATH at it, for example:
      git clone --depth 1 -b 19.0 https://github.com/odoo/odoo.git /opt/odoo-19.0
  or unpack the official source archive (odoo_19.0.latest.tar.gz from the Odoo nightly server)
  into /opt/odoo-19.0, or run   export ODOO_PATH=/path/to/odoo-19.0
  Users with Docker can use docker-compose.yml (official odoo:19.0 image) instead.

EOF
        exit 2
    fi
    if ! grep -q "version_info = (19, 0" "$ODOO_PATH/odoo/release.py" 2>/dev/null; then
        die "ODOO_PATH=$ODOO_PATH is not Odoo 19.0 (see $ODOO_PATH/odoo/release.py)."
    fi
}

require_postgres() {
    if [ "$PGUSER" = "postgres" ]; then
        die "Odoo refuses to run as the 'postgres' role: set PGUSER to another role (e.g. PGUSER=$(id -un))."
    fi
    if ! "$VENV/bin/python" - <<'EOF'
import os, sys
import psycopg2
try:
    psycopg2.connect(dbname="postgres", connect_timeout=5).close()
except Exception as exc:  # noqa: BLE001
    sys.stderr.write("cannot connect: %s\n" % str(exc).strip())
    sys.exit(1)
EOF
    then
        die "PostgreSQL is not reachable at $PGHOST:$PGPORT as role '$PGUSER' (set PGHOST/PGPORT/PGUSER/PGPASSWORD)."
    fi
}

# Create the virtualenv and install Odoo's requirements and ours, runtime and development
# (requirements.txt, requirements-dev.txt); skipped when none of them changed.
ensure_venv() {
    require_odoo
    local stamp="$VENV/.odoo-sync-stamp"
    local want
    want="$(cat "$ODOO_PATH/requirements.txt" "$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements-dev.txt" \
        "$REPO_ROOT/setup/constraints.txt" | sha256sum | cut -c1-16) $ODOO_PATH"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    echo ">> setting up $VENV (Odoo from $ODOO_PATH)"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    # setuptools<81 while building sdists (cbor2 5.4.2 needs pkg_resources).
    if ! PIP_CONSTRAINT="$REPO_ROOT/setup/constraints.txt" "$VENV/bin/pip" install -q \
        --disable-pip-version-check -r "$ODOO_PATH/requirements.txt" -r "$REPO_ROOT/requirements-dev.txt" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); then
        die "installing Python requirements failed (Debian needs: libldap2-dev libsasl2-dev libpq-dev)."
    fi
    # Make `import odoo` work from the venv without a slow editable install.
    local site
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\n' "$ODOO_PATH" > "$site/odoo-path.pth"
    printf '%s\n' "$REPO_ROOT/addons" > "$site/odoo-sync-addons.pth"
    echo "$want" > "$stamp"
}

# odoo_bin [shell] OPTIONS...: odoo-bin with our addons path and database settings.
odoo_bin() {
    local sub=()
    if [ "${1:-}" = "shell" ]; then sub=(shell); shift; fi
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" "${sub[@]}" --addons-path="$ADDONS_PATH" \
        --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" "$@"
}

# Browser tours (Odoo's HttpCase.start_tour) need Chrome or Chromium, found on PATH the way Odoo
# looks for it (google-chrome, chromium, chromium-browser, google-chrome-stable).  Odoo *skips* a
# tour when no browser is found: we install Debian's `chromium` instead (root with apt-get), or
# stop with a clear error.  Tours must never be silently skipped.
ensure_browser() {
    local bin
    for bin in google-chrome chromium chromium-browser google-chrome-stable; do
        if command -v "$bin" >/dev/null 2>&1; then
            return 0
        fi
    done
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo ">> installing chromium for the browser tours (apt-get install -y chromium)"
        if (apt-get install -y -qq chromium >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) &&
            command -v chromium >/dev/null 2>&1; then
            return 0
        fi
        die "installing chromium with apt-get failed: the browser tours cannot run."
    fi
    die "no Chrome/Chromium on PATH (google-chrome, chromium or chromium-browser): the browser tours need one.
  Debian/Ubuntu: sudo apt-get install -y chromium   (then run the tests again)"
}

# wkhtmltopdf renders QWeb PDF reports (sync_reconcile's control report); without it Odoo falls
# back to HTML.  Installed from Debian when missing (as root, or through sudo), else a warning.
ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null 2>&1 && return 0
    local as_root=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "WARNING: wkhtmltopdf is missing (apt-get install wkhtmltopdf): PDF reports render as HTML" >&2
            return 0
        }
        as_root=(sudo -n)
    fi
    echo ">> installing wkhtmltopdf (PDF reports)"
    "${as_root[@]}" apt-get install -y -q wkhtmltopdf >/dev/null ||
        { "${as_root[@]}" apt-get update -q >/dev/null && "${as_root[@]}" apt-get install -y -q wkhtmltopdf >/dev/null; } ||
        echo "WARNING: installing wkhtmltopdf failed: PDF reports render as HTML" >&2
}
