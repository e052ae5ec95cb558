#!/usr/bin/env bash
# make demo: the Xero sandbox and Odoo on 127.0.0.1, with a demo database (re-created each time)
# whose company is connected to the sandbox's Australian organisation. Ctrl-C stops both.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(require_odoo_python) || exit 1
require_setup
DEMO_DB=${XERO_DEMO_DB:-xero_demo}
SANDBOX_PORT=${XERO_SANDBOX_PORT:-8091}
ODOO_PORT=${DEMO_ODOO_PORT:-8069}
SANDBOX_URL="http://127.0.0.1:$SANDBOX_PORT"
SANDBOX_LOG="$BUILD/demo-sandbox.log"

listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits up to a minute for a port; fails early when `pid` (what should open it) has died.
wait_for_port() {
    local port=$1 pid=$2
    for _ in $(seq 600); do
        listening "$port" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

for port in "$SANDBOX_PORT" "$ODOO_PORT"; do
    if listening "$port"; then
        die "127.0.0.1:$port is in use: stop what listens there, or set XERO_SANDBOX_PORT / DEMO_ODOO_PORT."
    fi
done

pids=()
stop_all() {
    [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

echo "Xero sandbox: starting on $SANDBOX_URL (log: $SANDBOX_LOG)"
(cd "$REPO" && exec "$ODOO_PY" -m xero_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT") \
    >"$SANDBOX_LOG" 2>&1 &
pids+=($!)
wait_for_port "$SANDBOX_PORT" "${pids[0]}" || die "the sandbox did not start: see $SANDBOX_LOG"

echo "Database: re-creating $DEMO_DB with account and $ADDON (no Odoo demo data)"
PGOPTIONS="--client-min-messages=warning" dropdb --if-exists "$DEMO_DB"
rm -rf "$BUILD/data/filestore/$DEMO_DB"
odoo_cmd -c "$ODOO_CONF" -d "$DEMO_DB" -i "$ADDON" --without-demo=all --stop-after-init --no-http
echo "Database: vendors, products, bills, invoices, credit notes; connecting to the sandbox"
XERO_SANDBOX_URL="$SANDBOX_URL" odoo_cmd shell -c "$ODOO_CONF" -d "$DEMO_DB" --no-http \
    <"$REPO/tools/demo_data.py"

# The banner comes once Odoo answers; Odoo itself runs in the foreground, so Ctrl-C reaches it.
(
    if wait_for_port "$ODOO_PORT" $$; then
        cat <<MSG

  Odoo:          http://127.0.0.1:$ODOO_PORT   login admin, password admin
  Xero sandbox:  $SANDBOX_URL   (Harbour Bar & Kitchen is connected to Sandbox Trading Pty Ltd)

  Invoicing > Vendors > Bills: select bills, Export to Other Platform > Send Selected to Xero as Invoice.
  Ctrl-C stops Odoo and the sandbox.

MSG
    fi
) &
pids+=($!)
odoo_cmd -c "$ODOO_CONF" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" \
    --http-interface=127.0.0.1 --http-port="$ODOO_PORT"
