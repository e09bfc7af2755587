#!/usr/bin/env bash
# Build one wheel per addon (odoo_addon_<addon>-<version>-py3-none-any.whl) into dist/, with the
# whool build backend each addons/<addon>/pyproject.toml names.
#
#   bash setup/build_wheels.sh [addon ...]        (default: all the addons)
#
# whool reads git: the addon must be committed (it fails in a repository without commits), and
# an addon changed since its last version bump gets a post-release version (19.0.x.y.z.99.devN).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
DIST="$REPO_ROOT/dist"
ADDONS=("$@")
if [ ${#ADDONS[@]} -eq 0 ]; then
    ADDONS=(sync_core sync_sale sync_hubspot sync_salesforce sync_dynamics sync_psa sync_psa_kantata sync_jira sync_reconcile sync_hr sync_bamboohr sync_hr_psa sync_insight)
fi
if ! "$VENV/bin/python" -c "import whool" 2>/dev/null; then
    echo "ERROR: whool is not installed in $VENV (it is in requirements-dev.txt: run make test once, or $VENV/bin/pip install whool)" >&2
    exit 2
fi
if ! git -C "$REPO_ROOT" rev-parse --verify -q HEAD >/dev/null; then
    echo "ERROR: whool needs git history: commit the addons first." >&2
    exit 2
fi
mkdir -p "$DIST"
for addon in "${ADDONS[@]}"; do
    echo ">> $addon"
    # --no-build-isolation: use the venv's whool (no download); --no-deps: our wheel only.
    "$VENV/bin/pip" wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
        --wheel-dir "$DIST" "$REPO_ROOT/addons/$addon"
done
ls -1 "$DIST"/odoo_addon_*.whl
