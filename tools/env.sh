# Shared by the make targets: where Odoo, the build directory and the databases are.
# Sourced, never run. Every path is derived from this file, so the clone's name does not matter.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ADDON=account_xero_export
BUILD="$REPO/.build"
# Outside the clone, shared by every clone and run: the Odoo that make setup installs when none is
# found, and the addon's symlink. Odoo knows an addon by its directory's name and the clone may be
# called anything, so Odoo and pytest reach it through a symlink named after the addon; inside the
# clone, tools that follow links (Odoo's translation export) would loop through it.
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/account_xero_export"
ADDONS_DIR="$CACHE/addons-$(printf %s "$REPO" | sha1sum | cut -c1-12)"
ODOO_CONF="$BUILD/odoo.conf"
TEST_DB=${XERO_TEST_DB:-xero_export_test}
TEMPLATE_DB="${TEST_DB}_template"
COMMITTED_DB="${TEST_DB}_committed"

die() {
    echo "error: $*" >&2
    exit 1
}

ODOO_SOURCE_DEFAULT="https://github.com/odoo/odoo.git#18.0"

is_odoo18() {
    "$1" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (18, 0))' 2>/dev/null
}

# The Python an install of Odoo is made with: $ODOO_VENV_PYTHON; else the system's own python3
# when it is one Odoo 18 runs on and can make a virtual environment and build extensions (on
# Debian, the Python of Odoo's own packages: built with optimisations and linked statically, it
# runs Odoo about a fifth faster than a Python built from source the default way, as pyenv's);
# else the first python3 on PATH.
venv_python() {
    if [ -n "${ODOO_VENV_PYTHON:-}" ]; then
        command -v "$ODOO_VENV_PYTHON"
    elif /usr/bin/python3 -c 'import ensurepip, os, sys, sysconfig, venv
sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)
              and os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h"))))' \
        2>/dev/null; then
        echo /usr/bin/python3
    else
        command -v python3
    fi
}

# The directory an install of $ODOO_SOURCE goes to, keyed by the source (an archive by its
# content, wherever it is copied; a directory by its real path; a git URL by itself) and by the
# interpreter it is made with.
odoo_install_dir() {
    local source=${ODOO_SOURCE:-$ODOO_SOURCE_DEFAULT} key
    if [ -f "$source" ]; then
        key=$(sha1sum <"$source" | cut -c1-12)
    elif [ -d "$source" ]; then
        key=$(cd "$source" && pwd -P)
    else
        key=$source
    fi
    key=$(printf '%s|%s' "$key" "$(readlink -f "$(venv_python)")" | sha1sum | cut -c1-12)
    printf '%s/odoo-%s\n' "$CACHE" "$key"
}

# Odoo 18.0 is looked for in this order: $ODOO_PYTHON; the interpreter behind an `odoo`
# command on PATH; python3 if it imports odoo; the complete install make setup made of
# $ODOO_SOURCE. Prints the interpreter, or fails quietly.
find_odoo_python() {
    local candidate odoo_bin install
    if [ -n "${ODOO_PYTHON:-}" ]; then
        candidate=$ODOO_PYTHON
    elif odoo_bin=$(command -v odoo 2>/dev/null); then
        candidate=$(head -n 1 "$(readlink -f "$odoo_bin")" | sed -n 's/^#! *\([^ ]*\).*/\1/p')
        [ "$(basename "$candidate")" = env ] &&
            candidate=$(head -n 1 "$(readlink -f "$odoo_bin")" | awk '{print $2}')
    else
        candidate=python3
    fi
    if [ -n "$candidate" ] && is_odoo18 "$candidate"; then
        command -v "$candidate"
        return 0
    fi
    if [ -n "${ODOO_PYTHON:-}" ]; then
        echo "error: ODOO_PYTHON=$ODOO_PYTHON cannot import Odoo 18.0." >&2
        return 2
    fi
    install=$(odoo_install_dir)
    if [ -f "$install/complete" ] && is_odoo18 "$install/venv/bin/python"; then
        echo "$install/venv/bin/python"
        return 0
    fi
    return 1
}

# For every make target but setup: the Odoo that make setup chose (recorded in the build
# directory), else the one found now.
require_odoo_python() {
    local chosen
    chosen=$(cat "$BUILD/odoo-python" 2>/dev/null) || true
    if [ -n "$chosen" ] && is_odoo18 "$chosen"; then
        echo "$chosen"
        return 0
    fi
    find_odoo_python ||
        die "Odoo 18.0 was not found: run 'make setup' (it installs Odoo when there is none)."
}

# What make setup leaves for the other targets: the Odoo configuration and, when named, databases.
require_setup() {
    local database
    [ -f "$ODOO_CONF" ] || die "no Odoo configuration in $BUILD: run 'make setup' first."
    for database in "$@"; do
        psql -d postgres -Atqc "select 1 from pg_database where datname = '$database'" | grep -q 1 ||
            die "no database $database: run 'make setup' first."
    done
}

odoo_cmd() {
    "$ODOO_PY" -c 'import odoo, sys; sys.argv[0] = "odoo"; odoo.cli.main()' "$@"
}
