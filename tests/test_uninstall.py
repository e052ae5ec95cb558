"""The addon uninstalls cleanly: checked on a copy of the template database (account and this
addon only, as `make setup` built it), brought up to date first; the test database is untouched."""

import os
import subprocess
import sys

import odoo

ODOO = [sys.executable, "-c", "import odoo, sys; sys.argv[0] = 'odoo'; odoo.cli.main()"]
CHECK_UNINSTALLED = """
module = env["ir.module.module"].search([("name", "=", "account_xero_export")])
module.button_immediate_uninstall()
env.cr.execute("SELECT model FROM ir_model WHERE model LIKE 'xero.%'")
assert not env.cr.fetchall(), "models left behind"
env.cr.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'xero\\\\_%'")
assert not env.cr.fetchall(), "tables left behind"
env.cr.execute("SELECT name FROM ir_model_data WHERE module = 'account_xero_export'")
assert not env.cr.fetchall(), "records left behind"
print("uninstalled cleanly")
"""


def _odoo(command, *args, stdin=None):
    """Run an Odoo command (`server`, `db`, `shell`) with the tests' configuration."""
    return subprocess.run(
        [*ODOO, command, "-c", odoo.tools.config.rcfile, *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_uninstalls_cleanly():
    template = os.environ["XERO_TEMPLATE_DB"]
    scratch = f"{odoo.tools.config['db_name']}_uninstall"
    copy = _odoo("db", "duplicate", "-f", template, scratch)
    assert copy.returncode == 0, copy.stderr
    try:
        update = _odoo(
            "server", "-d", scratch, "-u", "account_xero_export", "--stop-after-init", "--no-http"
        )
        assert update.returncode == 0, update.stderr
        shell = _odoo(
            "shell", "-d", scratch, "--no-http", "--log-level=warn", stdin=CHECK_UNINSTALLED
        )
        assert "uninstalled cleanly" in shell.stdout, shell.stdout + shell.stderr
    finally:
        _odoo("db", "drop", scratch)
