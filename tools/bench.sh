#!/usr/bin/env bash
# make bench: the export benchmark (tools/bench_export.py) on a throwaway copy of the template
# database, updated to this clone's code, dropped at the end. N bills (1000), ATTACH=0 for no files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(require_odoo_python) || exit 1
require_setup "$TEMPLATE_DB"

BENCH_DB="${TEST_DB}_bench"
odoo_cmd db -c "$ODOO_CONF" duplicate -f "$TEMPLATE_DB" "$BENCH_DB"
trap 'odoo_cmd db -c "$ODOO_CONF" drop "$BENCH_DB" >/dev/null' EXIT
# The template is made once by make setup: it may predate this code.
odoo_cmd -c "$ODOO_CONF" -d "$BENCH_DB" -u "$ADDON" --stop-after-init --no-http --log-level=warn
cd "$ADDONS_DIR"
"$ODOO_PY" "$REPO/tools/bench_export.py" --config "$ODOO_CONF" --database "$BENCH_DB" \
    -n "${N:-1000}" --attach "${ATTACH:-1}"
