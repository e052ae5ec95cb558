# Shared by the make targets: where Odoo, the build directory and the databases are.
# Sourced, never run. Every path is derived from this file, so the clone's name does not matter.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ADDON=account_xero_export
BUILD="$REPO/.build"
# Odoo knows an addon by its directory's name, and the clone may be called anything: Odoo and
# pytest reach it through a symlink named after the addon. The symlink lives outside the clone,
# or tools that follow links (Odoo's translation export) would loop through it.
ADDONS_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/account_xero_export/$(printf %s "$REPO" | sha1sum | cut -c1-12)"
ODOO_CONF="$BUILD/odoo.conf"
TEST_DB=${XERO_TEST_DB:-xero_export_test}
TEMPLATE_DB="${TEST_DB}_template"

die() {
    echo "error: $*" >&2
    exit 1
}

# Odoo 18.0 is looked for in this order: $ODOO_PYTHON; the interpreter behind an `odoo`
# command on PATH; python3 if it imports odoo.
find_odoo_python() {
    local candidate odoo_bin
    if [ -n "${ODOO_PYTHON:-}" ]; then
        candidate=$ODOO_PYTHON
    elif odoo_bin=$(command -v odoo 2>/dev/null); then
        candidate=$(head -n 1 "$(readlink -f "$odoo_bin")" | sed -n 's/^#! *\([^ ]*\).*/\1/p')
        [ "$(basename "$candidate")" = env ] &&
            candidate=$(head -n 1 "$(readlink -f "$odoo_bin")" | awk '{print $2}')
    else
        candidate=python3
    fi
    if [ -n "$candidate" ] &&
        "$candidate" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (18, 0))' \
            2>/dev/null; then
        command -v "$candidate"
        return 0
    fi
    cat >&2 <<MSG
error: Odoo 18.0 is required and was not found.
The project looks for it in this order:
  1. \$ODOO_PYTHON: a Python interpreter that can 'import odoo' (18.0);
  2. the interpreter behind an 'odoo' command on PATH (its #! line);
  3. 'python3', if it can 'import odoo' (18.0).
Install Odoo 18.0 (e.g. from its source tree with 'pip install -e <odoo>') and set one of these.
MSG
    return 1
}

odoo_cmd() {
    "$ODOO_PY" -c 'import odoo, sys; sys.argv[0] = "odoo"; odoo.cli.main()' "$@"
}
