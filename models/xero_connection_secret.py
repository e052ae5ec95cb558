from odoo import fields, models


class XeroConnectionSecret(models.Model):
    """A connection's tokens and client secret, encrypted.

    A model of its own so that no user group can read it, through RPC or otherwise: its only
    access rule grants nothing, and the connection reads it with sudo. Encrypted with a key kept
    outside the database, so a dump of the database holds nothing usable either.
    """

    _name = "xero.connection.secret"
    _description = "Xero Connection Secret"
    _log_access = False

    connection_id = fields.Many2one(
        "xero.connection", required=True, ondelete="cascade", index=True
    )
    token = fields.Text(copy=False, prefetch=False)
    client_secret = fields.Text(copy=False, prefetch=False)

    _sql_constraints = [
        ("connection_uniq", "unique(connection_id)", "A connection has one secret record."),
    ]
