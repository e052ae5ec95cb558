#!/usr/bin/env bash
# make pot: regenerate i18n/account_xero_export.pot from the test database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(require_odoo_python) || exit 1
require_setup "$TEST_DB"
odoo_cmd -c "$ODOO_CONF" -d "$TEST_DB" -u "$ADDON" --stop-after-init --no-http
odoo_cmd -c "$ODOO_CONF" -d "$TEST_DB" --modules="$ADDON" --stop-after-init \
    --i18n-export="$REPO/i18n/$ADDON.pot"
echo "i18n/$ADDON.pot written"
