#!/usr/bin/env bash
# make setup: Python requirements into Odoo's environment, PostgreSQL, Chromium, the test database.
# Safe to run again: every step checks before it acts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(find_odoo_python) || exit 1
echo "Odoo 18.0: $ODOO_PY"

install_requirements() {
    # Pin everything already installed (Odoo's own pins included) so nothing of Odoo is upgraded.
    local pins="$BUILD/installed-pins.txt"
    "$ODOO_PY" -m pip freeze --exclude-editable | grep -v '^-e ' >"$pins"
    echo 'setuptools<81' >>"$pins"
    PIP_CONSTRAINT="$pins" "$ODOO_PY" -m pip install --quiet --disable-pip-version-check \
        -r "$REPO/requirements.txt" -r "$REPO/requirements-test.txt"
}

pg_ready() {
    psql -d postgres -Atqc 'select 1' >/dev/null 2>&1
}

ensure_postgres() {
    command -v psql >/dev/null || die "PostgreSQL client (psql) is missing: install postgresql-client."
    if pg_ready; then
        echo "PostgreSQL: reachable"
        return
    fi
    if [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}${PGPASSWORD:-}" ]; then
        die "PostgreSQL is not reachable with the PG* settings given (PGHOST=${PGHOST:-}, PGPORT=${PGPORT:-}, PGUSER=${PGUSER:-})."
    fi
    command -v pg_lsclusters >/dev/null ||
        die "PostgreSQL is not reachable and no local cluster is installed: install postgresql, or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
    local version cluster status
    read -r version cluster status < <(pg_lsclusters --no-header | awk '{print $1, $2, $4}' | head -n 1)
    [ -n "${version:-}" ] || die "PostgreSQL is installed but has no cluster: create one with pg_createcluster."
    if [ "$status" != online ]; then
        echo "PostgreSQL: starting cluster $version/$cluster"
        pg_ctlcluster "$version" "$cluster" start ||
            die "could not start PostgreSQL $version/$cluster (try: sudo pg_ctlcluster $version $cluster start)."
    fi
    local role
    role=$(id -un)
    [ "$role" != postgres ] || die "Odoo refuses to run as the postgres role: run this as another user."
    if ! pg_ready; then
        echo "PostgreSQL: creating role $role"
        runuser -u postgres -- psql -qc "CREATE ROLE \"$role\" LOGIN CREATEDB" 2>/dev/null ||
            sudo -n -u postgres psql -qc "CREATE ROLE \"$role\" LOGIN CREATEDB" ||
            die "could not create the PostgreSQL role $role: create it with CREATEDB."
    fi
    pg_ready || die "PostgreSQL is running but $role cannot connect to database 'postgres'."
    echo "PostgreSQL: reachable"
}

ensure_chromium() {
    if command -v chromium >/dev/null || command -v google-chrome >/dev/null ||
        command -v chromium-browser >/dev/null; then
        echo "Chromium: $(command -v chromium google-chrome chromium-browser | head -n 1)"
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Chromium: installing Debian's chromium"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        die "browser tests need Chromium: install it (Debian: sudo apt-get install chromium)."
    fi
}

write_config() {
    local odoo_root addons_path
    mkdir -p "$ADDONS_DIR" "$BUILD/data"
    ln -sfn "$REPO" "$ADDONS_DIR/$ADDON"
    odoo_root=$("$ODOO_PY" -c 'import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))')
    addons_path=$(for d in "$odoo_root/odoo/addons" "$odoo_root/addons"; do
        [ -d "$d" ] && printf '%s,' "$d"
    done)
    # The key that encrypts Xero tokens stays outside the database (here, the configuration).
    [ -s "$BUILD/encryption.key" ] || "$ODOO_PY" -c \
        'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' \
        >"$BUILD/encryption.key"
    cat >"$ODOO_CONF" <<CONF
[options]
addons_path = ${addons_path}${ADDONS_DIR}
data_dir = $BUILD/data
db_name = $TEST_DB
dbfilter = ^${TEST_DB}\$
list_db = False
http_interface = 127.0.0.1
log_level = warn
xero_encryption_key = $(cat "$BUILD/encryption.key")
CONF
}

build_template() {
    # The template's filestore lives in this clone's data_dir: a template left by another clone
    # has none here, so it is rebuilt.
    if psql -d postgres -Atqc "select 1 from pg_database where datname = '$TEMPLATE_DB'" | grep -q 1 &&
        [ -d "$BUILD/data/filestore/$TEMPLATE_DB" ]; then
        echo "Template database: $TEMPLATE_DB (exists)"
        return
    fi
    echo "Template database: creating $TEMPLATE_DB with account and $ADDON"
    PGOPTIONS="--client-min-messages=warning" dropdb --if-exists "$TEMPLATE_DB"
    odoo_cmd -c "$ODOO_CONF" -d "$TEMPLATE_DB" -i "$ADDON" --without-demo=all \
        --stop-after-init --no-http
}

mkdir -p "$BUILD"
install_requirements
ensure_postgres
ensure_chromium
write_config
build_template
odoo_cmd db -c "$ODOO_CONF" duplicate -f "$TEMPLATE_DB" "$TEST_DB"
echo "Test database: $TEST_DB (from $TEMPLATE_DB)"
