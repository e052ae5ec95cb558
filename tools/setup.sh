#!/usr/bin/env bash
# make setup: Odoo 18.0 (found, or installed from $ODOO_SOURCE), Python requirements into Odoo's
# environment, PostgreSQL, Chromium, the test database.
# Safe to run again: every step checks before it acts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# runuser and PostgreSQL's cluster tools may live in the system directories a minimal PATH lacks.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
        die "Debian packages $* are needed: install them (sudo apt-get install $*)."
    echo "Debian: installing $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# System headers the sdists among Odoo's requirements build against.
ensure_build_headers() {
    local missing=() pkg
    for pkg in libldap2-dev libsasl2-dev libpq-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] || ! command -v dpkg >/dev/null || apt_install "${missing[@]}"
}

# Unpacks, clones or points at $ODOO_SOURCE, makes a virtual environment beside it, installs Odoo's
# requirements with the known workarounds, then Odoo. The marker file `complete` is written last:
# an install without it was interrupted and is redone, never used.
install_odoo() {
    local source=${ODOO_SOURCE:-$ODOO_SOURCE_DEFAULT} root src pip python
    root=$(odoo_install_dir)
    mkdir -p "$CACHE"
    exec 9>"$root.lock"
    flock 9
    if [ -f "$root/complete" ]; then
        return
    fi
    [ ! -e "$root" ] || echo "Odoo 18.0: an unfinished install in $root, starting it again"
    rm -rf "$root"
    mkdir -p "$root"
    echo "Odoo 18.0: not found, installing it from $source into $root (several minutes, once)"
    if [ -d "$source" ]; then
        src=$(cd "$source" && pwd -P)
    elif [ -f "$source" ]; then
        src="$root/src"
        echo "  unpacking $source"
        mkdir -p "$src"
        tar -xf "$source" -C "$src" --strip-components=1
    else
        src="$root/src"
        [ "${source##*#}" != "$source" ] || source="$source#18.0"
        echo "  cloning ${source%%#*} (branch ${source##*#})"
        git clone --quiet --depth 1 --branch "${source##*#}" "${source%%#*}" "$src"
    fi
    [ -f "$src/requirements.txt" ] && [ -f "$src/setup.py" ] ||
        die "$source does not hold an Odoo source tree (no requirements.txt and setup.py at its top)."
    python=$(venv_python)
    echo "  virtual environment with $("$python" --version) ($python)"
    "$python" -m venv "$root/venv"
    pip=("$root/venv/bin/python" -m pip --disable-pip-version-check --quiet)
    ensure_build_headers
    # cbor2 5.4.2's sdist builds only against old setuptools and setuptools_scm, without isolation.
    echo "  build tools, then cbor2 without build isolation"
    "${pip[@]}" install 'setuptools<81' 'setuptools_scm<8' wheel
    if grep -q '^cbor2==5.4.2' "$src/requirements.txt"; then
        "${pip[@]}" install --no-build-isolation cbor2==5.4.2
    fi
    echo "  Odoo's requirements.txt"
    "${pip[@]}" install -r "$src/requirements.txt"
    echo "  Odoo itself"
    "${pip[@]}" install --no-deps --no-build-isolation -e "$src"
    is_odoo18 "$root/venv/bin/python" || die "the install in $root does not import Odoo 18.0."
    touch "$root/complete"
}

rc=0
ODOO_PY=$(find_odoo_python) || rc=$?
if [ $rc -eq 2 ]; then
    exit 1
elif [ $rc -ne 0 ]; then
    install_odoo
    ODOO_PY=$(find_odoo_python) || die "Odoo 18.0 was installed but is not found."
fi
echo "Odoo 18.0: $ODOO_PY"
mkdir -p "$BUILD"
echo "$ODOO_PY" >"$BUILD/odoo-python"

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
            sudo -n -u postgres psql -qc "CREATE ROLE \"$role\" LOGIN CREATEDB" 2>/dev/null ||
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
    apt_install chromium
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
http_port = ${XERO_HTTP_PORT:-8069}
log_level = warn
xero_encryption_key = $(cat "$BUILD/encryption.key")
# The tests and the demo talk to the local sandbox, not Xero: allow its address.
xero_sandbox = True
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

install_requirements
ensure_postgres
ensure_chromium
write_config
build_template
odoo_cmd db -c "$ODOO_CONF" duplicate -f "$TEMPLATE_DB" "$TEST_DB"
echo "Test database: $TEST_DB (from $TEMPLATE_DB)"
