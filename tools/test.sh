#!/usr/bin/env bash
# make test: lint, update the addon in the test database, then the whole suite through pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(require_odoo_python) || exit 1
require_setup "$TEST_DB"

"$(dirname "${BASH_SOURCE[0]}")/lint.sh"

echo "Updating $ADDON in $TEST_DB"
odoo_cmd -c "$ODOO_CONF" -d "$TEST_DB" -u "$ADDON" --stop-after-init --no-http
# A copy for the tests that commit for real (concurrency, crashes): they own it and drop it.
odoo_cmd db -c "$ODOO_CONF" duplicate -f "$TEST_DB" "$COMMITTED_DB"

# Tests are collected through the addon's symlink so pytest-odoo imports them as
# odoo.addons.account_xero_export.*; skips are failures (tools/pytest_no_skip.py).
# Test paths go through the symlink too (relative ones are taken from the repository root).
[ $# -gt 0 ] || set -- tests xero_sandbox/tests
args=()
for arg in "$@"; do
    case $arg in
        -* | /*) args+=("$arg") ;;
        *) args+=("$ADDON/$arg") ;;
    esac
done
cd "$ADDONS_DIR"
XERO_TEMPLATE_DB="$TEMPLATE_DB" XERO_COMMITTED_DB="$COMMITTED_DB" PYTHONPATH="$REPO/tools${PYTHONPATH:+:$PYTHONPATH}" "$ODOO_PY" -m pytest \
    -p pytest_no_skip -p no:cacheprovider -c "$ADDON/pyproject.toml" --rootdir "$ADDON" \
    --odoo-config "$ODOO_CONF" --odoo-database "$TEST_DB" --odoo-http \
    "${args[@]}"
