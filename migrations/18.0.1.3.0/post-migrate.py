"""18.0.1.3.0: files and allocations still to do are queued.

A document sent with its file or its allocation still to do (18.0.1.0.0's, see 18.0.1.1.0, and
18.0.1.2.0's from before the background queue, which came with no new version) keeps it pending,
but the queue takes only what is queued: nothing would ever attach or allocate them. They are
queued for that alone, due now, as the user who last sent them when that user is still active
(the job sends no queue in the name of a user gone), else as the superuser.

An upgrade from any earlier version ends here, so this is the one place that queues them.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute(
        """
        UPDATE xero_move_export e
           SET queued = true,
               queued_steps_only = true,
               next_try_at = now() AT TIME ZONE 'UTC',
               attempts = 0,
               waiting_reason = 'Its file or allocation, still to do at the update, goes to Xero.',
               queued_by_id = COALESCE(
                   (SELECT u.id FROM res_users u
                     WHERE u.id IN (e.claimed_by_id, e.write_uid) AND u.active
                     ORDER BY u.id = e.claimed_by_id DESC
                     LIMIT 1),
                   %s)
         WHERE e.state = 'sent'
           AND (e.attachment_pending OR e.allocation_pending)
           AND e.queued IS NOT TRUE
        """,
        [SUPERUSER_ID],
    )
    if cr.rowcount:
        api.Environment(cr, SUPERUSER_ID, {})["xero.move.export"]._queue_job()._trigger()
