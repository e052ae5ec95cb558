"""18.0.1.2.0: the version that tells whether a document changed since it was sent covers what
the document says only, no longer the link back to Odoo, the partner's name or the status new
documents get; and it now holds what goes to Xero with the document (its rate, its cash rounding).

Versions made the old way would all differ from the new ones, and every document ever sent would
go to Xero again. A document sent and not edited since (sent, not "changed") gets its version made
the new way from what it says now, so it stays unchanged; the others keep theirs and are still
sent again. One that cannot be made the new way (a mapping gone, a total Xero would compute
otherwise) keeps its old version too: its next review says why it cannot go.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.account_xero_export.xero.payloads import PayloadError


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    exports = env["xero.move.export"].search([("state", "=", "sent"), ("changed", "=", False)])
    setups = {}  # {connection: its sending setup, read once}
    for export in exports:
        connection = export.connection_id
        if export.tenant_id != connection.tenant_id:
            continue  # the company is connected to another organisation now
        if connection not in setups:
            setups[connection] = connection._xero_sending_setup()
        problem, data = export.move_id._xero_document_data(setups[connection])
        if problem:
            continue
        try:
            export.version = env["xero.export.batch"]._version(data)
        except PayloadError:
            continue
