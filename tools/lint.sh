#!/usr/bin/env bash
# make lint: ruff, ruff-format and pylint-odoo through pre-commit, with the tools of Odoo's
# environment (pre-commit's own hook repositories cannot be cloned here).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ODOO_PY=$(require_odoo_python) || exit 1
cd "$REPO"
PATH="$(dirname "$ODOO_PY"):$PATH" "$ODOO_PY" -m pre_commit run --all-files
