"""`odoo --addons-path=... xero_rotate_keys -c odoo.conf -d db1,db2`: after a new key was put first
in xero_encryption_key, re-encrypt every Xero secret of these databases with it, so that the old
keys can be removed. For partners with many databases; in one database, system administrators use
the connection form's action instead."""

import logging
import sys
from pathlib import Path

import odoo
from odoo.cli import Command

_logger = logging.getLogger(__name__)


class XeroRotateKeys(Command):
    """Re-encrypt every Xero secret with the first key of xero_encryption_key"""

    name = "xero_rotate_keys"

    def run(self, args):
        parser = odoo.tools.config.parser
        parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        odoo.tools.config.parse_config(args, setup_logging=True)
        databases = [name for name in (odoo.tools.config["db_name"] or "").split(",") if name]
        if not databases:
            sys.exit("Name the databases with -d (several separated by commas).")
        failed = False
        for dbname in databases:
            # One database that cannot be rotated (the addon not installed there, the database
            # missing) is named, and the others are still rotated.
            try:
                line, unreadable = self._rotate(dbname)
            except Exception as exc:
                _logger.exception("Xero secrets of %s not rotated", dbname)
                line, unreadable = f"{dbname}: NOT rotated: {type(exc).__name__}: {exc}", True
            failed = failed or bool(unreadable)
            sys.stdout.write(line + "\n")
        sys.exit(1 if failed else 0)

    def _rotate(self, dbname):
        """(The line saying what became of `dbname`'s secrets, whether some stay unrotated.)"""
        registry = odoo.modules.registry.Registry(dbname)
        if "xero.connection" not in registry:
            return f"{dbname}: NOT rotated: the Xero addon is not installed there", True
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rotated, unreadable = env["xero.connection"]._rotate_secrets()
        line = f"{dbname}: {rotated} Xero secrets re-encrypted with the first key"
        if unreadable:
            line += f"; NOT readable with any key: {', '.join(unreadable.mapped('name'))}"
        return line, bool(unreadable)
