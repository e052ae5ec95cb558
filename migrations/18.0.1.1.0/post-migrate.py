"""18.0.1.1.0: a document's Xero state moves from account.move to its xero.move.export record.

Every document sent or failed before gets one export record for the organisation it went to (its
connection's, when it never reached Xero), then the old columns of account_move are dropped. The
stored xero_state keeps its values: they mean the same. A file 18.0.1.0.0 did not attach and an
allocation it did not make are steps still to do on the export record, which the queue takes
(18.0.1.3.0).
"""

from odoo.tools import SQL

OLD_COLUMNS = (
    "xero_connection_id",
    "xero_id",
    "xero_tenant_id",
    "xero_number",
    "xero_status",
    "xero_url",
    "xero_last_sent",
    "xero_error",
    "xero_error_details",
    "xero_warning",
    "xero_payload_hash",
    "xero_attached",
    "xero_allocated",
)


def migrate(cr, version):
    cr.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'account_move' AND column_name = 'xero_payload_hash'"
    )
    if not cr.fetchone()[0]:
        return
    cr.execute(
        """
        INSERT INTO xero_move_export
            (move_id, connection_id, company_id, tenant_id, state, needs_fix, changed, xero_id,
             xero_number, xero_status, xero_url, last_sent, error, error_details, warning,
             version, attachment_pending, allocation_pending, create_uid, create_date,
             write_uid, write_date)
        SELECT m.id, c.id, c.company_id, COALESCE(m.xero_tenant_id, c.tenant_id),
               CASE WHEN m.xero_state = 'error' THEN 'failed' ELSE 'sent' END,
               false,
               m.xero_state = 'changed',
               m.xero_id, m.xero_number, m.xero_status, m.xero_url, m.xero_last_sent,
               m.xero_error, m.xero_error_details, m.xero_warning, m.xero_payload_hash,
               m.xero_id IS NOT NULL AND NOT COALESCE(m.xero_attached, false)
                   AND c.send_attachments,
               m.move_type IN ('in_refund', 'out_refund') AND m.xero_id IS NOT NULL
                   AND NOT COALESCE(m.xero_allocated, false) AND m.reversed_entry_id IS NOT NULL,
               1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM account_move m
          JOIN xero_connection c
            ON c.id = m.xero_connection_id
            OR (m.xero_connection_id IS NULL AND c.company_id = m.company_id)
         WHERE m.xero_state IN ('sent', 'changed', 'error')
           AND COALESCE(m.xero_tenant_id, c.tenant_id) IS NOT NULL
        ON CONFLICT (move_id, tenant_id) DO NOTHING
        """
    )
    # A failure of a document never sent to an organisation that is gone has nowhere to live.
    cr.execute(
        """
        UPDATE account_move m SET xero_state = 'not_sent'
         WHERE xero_state = 'error'
           AND NOT EXISTS (SELECT 1 FROM xero_move_export e WHERE e.move_id = m.id)
        """
    )
    for column in OLD_COLUMNS:
        cr.execute(SQL("ALTER TABLE account_move DROP COLUMN IF EXISTS %s", SQL.identifier(column)))
