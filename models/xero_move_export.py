"""One document in one Xero organisation: the state of its export, and the only place it changes.

States: to send, sending (claimed by one worker, which holds a lock on it), sent, failed (a fix
needed, or not: `needs_fix`) and uncertain (Xero may have it: an answer was lost). A document is
claimed, in a committed transaction, before Xero is called; a claim is an advisory lock held by the
claiming transaction, so a worker that dies releases it and whoever takes the lock next knows the
document was left sending by a dead worker. An uncertain document is looked up in Xero before it is
ever created again.
"""

import hashlib
import logging
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, format_datetime, split_every

from ..xero import XeroError

_logger = logging.getLogger(__name__)

STATES = [
    ("to_send", "To Send"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("uncertain", "Xero May Have It"),
]
# The advisory lock space of export claims (pg_try_advisory_xact_lock(space, export id)).
LOCK_SPACE = int.from_bytes(hashlib.sha256(b"xero.move.export").digest()[:4], "big") >> 1
RECORD_TRIES = 5
NUMBER_FIELDS = {"Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber"}
ID_FIELDS = {"Invoices": "InvoiceID", "CreditNotes": "CreditNoteID"}
# Numbers asked for in one look-up of uncertain documents (the where filter is in the URL).
NUMBERS_PER_LOOKUP = 25
# The status of updated documents that keeps the one each has in Xero (see _Run.check_updates).
KEEP_STATUS = "keep"
# Statuses of documents that are gone from Xero's books: none of them is the document of a lost
# answer still (one deleted or voided there is sent again).
GONE_STATUSES = ("DELETED", "VOIDED")
# Documents sent per run of the background job (one Xero request's worth).
BACKGROUND_BATCH = 50
# What the documents' Xero state reads of their export records.
MOVE_STATE_FIELDS = ["state", "move_id", "changed", "queued"]
# What a claim is made of (see _claim), and what the documents' Xero state reads.
CLAIM_FIELDS = [
    *MOVE_STATE_FIELDS,
    "xero_id",
    "version",
    "attempt",
    "error",
    "attempts",
    "xero_status",
    "attachment_pending",
    "allocation_pending",
]
# Export records queued at once (the rest of the selection is not held meanwhile).
QUEUE_CHUNK = 500
# Free calls in Xero's minute that a run sending documents waits for: a look-up of their
# contacts, the creation of those missing, the documents, and a file.
ROOM_TO_SEND = 4
# Documents of a connection that is not connected are looked at again this much later.
RECONNECT_WAIT = timedelta(hours=1)
# How long Xero may still be storing a request Odoo stopped waiting for (a timeout, a worker
# gone). Until then, a look-up that does not find a document proves nothing: sending it again in
# another request (another selection than the first, whose Idempotency-Key differs) would make it
# twice once Xero finishes the first.
SETTLE_AFTER = timedelta(minutes=10)
# A document sent with its file still to attach, or its allocation to make, stays in the queue for
# them, due this long after: the send does them at once and takes it out of the queue, but a worker
# that dies before (its process killed, out of time) leaves them to the queue, rather than the
# document "sent" for ever without them.
STEP_SAFETY_WAIT = timedelta(minutes=15)
# An export record out of the queue.
UNQUEUED = {
    "queued": False,
    "next_try_at": False,
    "waiting_reason": False,
    "attempts": 0,
    "queued_steps_only": False,
}


def new_steps(connection, move):
    """The steps of `move` new in Xero, still to do after its send: its file (when `connection`
    sends files), and its allocation (a credit note)."""
    return {
        "attachment_pending": bool(connection.send_attachments),
        "allocation_pending": bool(move.reversed_entry_id),
    }


def steps_left(connection, attachment_pending, allocation_pending, status):
    """(file, allocation): whether a send of a document in Xero still attaches its file (when
    `connection` sends files) and makes its allocation (when the credit note is approved in
    Xero: Xero allocates approved credit notes only)."""
    return (
        bool(attachment_pending and connection.send_attachments),
        bool(allocation_pending and status == "AUTHORISED"),
    )


class XeroMoveExport(models.Model):
    _name = "xero.move.export"
    _description = "Document in Xero"
    _order = "id desc"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", required=True, ondelete="cascade", index=True)
    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    tenant_id = fields.Char("Xero Organisation ID", required=True)
    state = fields.Selection(STATES, required=True, default="to_send", index=True)
    needs_fix = fields.Boolean(help="Failed for a reason that sending it again will not cure.")
    changed = fields.Boolean(help="Edited in Odoo since it was last sent.")
    xero_id = fields.Char("Xero ID", index=True)
    xero_number = fields.Char("Xero Number")
    xero_status = fields.Char("Status in Xero")
    xero_url = fields.Char("Xero Link")
    last_sent = fields.Datetime("Last Sent to Xero")
    error = fields.Text()
    error_details = fields.Text("Xero's Messages", help="What Xero answered, word for word.")
    warning = fields.Text()
    version = fields.Char(help="A digest of what was last sent: an unchanged document is not sent.")
    claimed_by_id = fields.Many2one("res.users", "Sending By")
    claimed_at = fields.Datetime("Sending Since")
    attempt = fields.Json(
        help="What the request in flight carries (number, contact, date, type, key), to find the "
        "document in Xero if the answer is lost."
    )
    queued = fields.Boolean(index=True, help="Waiting in the background queue.")
    queued_by_id = fields.Many2one("res.users", "Queued By")
    # What the user who queued it chose for documents already in Xero (the send dialog's Status
    # of Updated Documents): the job sends it with that choice, as the dialog would have.
    update_status = fields.Char(default=KEEP_STATUS)
    next_try_at = fields.Datetime("Next Try")
    waiting_reason = fields.Char("Why It Waits")
    attempts = fields.Integer(help="Tries that failed for a reason that may pass by itself.")
    attachment_pending = fields.Boolean(help="The file still has to be attached in Xero.")
    allocation_pending = fields.Boolean(help="The credit note still has to be allocated in Xero.")
    queued_steps_only = fields.Boolean(
        "Queued for Its File or Allocation",
        help="Queued only for what follows its send (its file, its allocation): it goes without "
        "being reviewed again.",
    )

    _sql_constraints = [
        (
            "move_tenant_uniq",
            "unique(move_id, tenant_id)",
            "A document has one export record per Xero organisation.",
        ),
    ]

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def _own_env(self):
        """An environment (superuser: the engine has checked access) on a cursor of its own,
        committed when the block ends."""
        with self.env.registry.cursor() as cr:
            yield self.env(cr=cr, su=True)

    def _committed(self, work):
        """Run `work(env)` in a transaction of its own and commit it; a concurrency failure (a
        user editing one of the documents at that moment) retries the transaction, never what
        was asked of Xero before it."""
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                with self._own_env() as env:
                    result = work(env)
                    # In the tests this cursor shares the test's transaction and its commit
                    # does not flush it: flushed here, as a real commit would.
                    env.flush_all()
                    return result
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == RECORD_TRIES:
                    raise
                _logger.info("Xero export: recording again after a concurrent update")
        return None

    # ------------------------------------------------------------------ claims

    @api.model
    def _claim(self, connection, moves, then=None, follow_up=None):
        """Claim `moves` for sending to `connection`'s organisation; of `follow_up` (some of
        `moves`, in Xero already), only what follows their send is done: they stay sent, and
        changed if they are, while their file or allocation goes.

        Returns ({move id: claim}, {move id: why it is busy}, what `then(env)` returned: the
        caller's own record of the send, made in the claim's transaction). A claim is a dict:
        export (id), previous (state before the claim: "uncertain" also for a claim left by a
        dead worker, and for an attempt no answer settled), xero_id, version, attempt, error,
        tries, status, attachment_pending, allocation_pending.
        Committed before it returns; the advisory locks are held by this transaction until it
        ends.
        """
        tenant = connection.tenant_id
        following = set((follow_up or moves.browse()).ids)
        ids = self._export_ids(connection, moves)
        # Each export locked if it is free, and when its document was last written as the
        # caller's review read it (its transaction's snapshot), for the claim to tell the
        # documents edited since.
        # (The export records are given, not read: those just made are not in this snapshot.)
        self.env.cr.execute(
            """
            SELECT x.export_id, pg_try_advisory_xact_lock(%s, x.export_id), m.id, m.write_date
              FROM unnest(%s::int[], %s::int[]) AS x (move_id, export_id)
              JOIN account_move m ON m.id = x.move_id
            """,
            [LOCK_SPACE, list(ids), list(ids.values())],
        )
        rows = self.env.cr.fetchall()
        locked = {export_id for export_id, free, _m, _w in rows if free}
        reviewed = {move_id: written for _e, _f, move_id, written in rows}
        busy_ids = {
            move_id: export_id for move_id, export_id in ids.items() if export_id not in locked
        }

        def claim(env):
            exports = env[self._name].browse(sorted(locked))
            exports.fetch(CLAIM_FIELDS)
            claims = {}
            for export in exports:
                # "sending" with its lock free: the worker that claimed it is gone, mid-send.
                previous = "uncertain" if export._in_doubt() else export.state
                claims[export.move_id.id] = {
                    "export": export.id,
                    "previous": previous,
                    "xero_id": export.xero_id or None,
                    "version": export.version or None,
                    "attempt": export.attempt if previous == "uncertain" else None,
                    "error": export.error,
                    "tries": export.attempts,
                    "status": export.xero_status,
                    "attachment_pending": export.attachment_pending,
                    "allocation_pending": export.allocation_pending,
                }
            claimed = {"claimed_by_id": self.env.uid, "claimed_at": fields.Datetime.now()}
            sending = exports.filtered(lambda export: export.move_id.id not in following)
            # Edited and committed by someone else after the review read it: what goes is the
            # version the review read, and the document says it changed since.
            env.cr.execute(
                "SELECT id, write_date FROM account_move WHERE id = ANY(%s)", [list(reviewed)]
            )
            now = dict(env.cr.fetchall())
            edited = sending.filtered(lambda e: now[e.move_id.id] != reviewed[e.move_id.id])
            (sending - edited).write({"state": "sending", "changed": False, **claimed})
            edited.write({"state": "sending", "changed": True, **claimed})
            (exports - sending).write(claimed)
            busy = {
                move_id: env[self._name].browse(export_id)._busy_message()
                for move_id, export_id in busy_ids.items()
            }
            return claims, busy, then(env) if then else None

        _logger.debug("Xero export: claiming %s documents for %s", len(locked), tenant)
        return self._committed(claim)

    def _in_doubt(self):
        """Whether Xero may have this document without Odoo knowing: its answer was lost, it
        was left sending, or a request of it went and no answer settled it (whatever failed or
        waited since). Such a document is looked up in Xero before it is created again."""
        self.ensure_one()
        return self.state in ("uncertain", "sending") or (
            self.state != "sent" and bool(self.attempt)
        )

    def _steps_left(self, connection):
        """What a send of this document, in Xero already, still does after it (a sentence for
        its review, see steps_left), or None."""
        self.ensure_one()
        file, allocation = steps_left(
            connection, self.attachment_pending, self.allocation_pending, self.xero_status
        )
        if file and allocation:
            return _("Already in Xero, unchanged: its file and its allocation, still to do, go.")
        if file:
            return _("Already in Xero, unchanged: its file, not attached yet, goes.")
        if allocation:
            return _("Already in Xero, unchanged: its allocation, not made yet, goes.")
        return None

    @api.model
    def _export_ids(self, connection, moves):
        """{move id: export id} of `moves` in `connection`'s organisation, the missing export
        records created first in a committed transaction (none when all exist: queued ones do)."""
        known = self._known_ids(connection, moves)
        if len(known) < len(set(moves.ids)):
            known = self._committed(lambda env: env[self._name]._ensure(connection, moves))
        return known

    def _known_ids(self, connection, moves):
        self.env.cr.execute(
            "SELECT move_id, id FROM xero_move_export WHERE tenant_id = %s AND move_id = ANY(%s)",
            [connection.tenant_id, moves.ids],
        )
        return dict(self.env.cr.fetchall())

    def _ensure(self, connection, moves):
        """Create the missing export records of `moves` (concurrently safe: a record made
        meanwhile by another worker is kept); returns them all, see _export_ids."""
        self.env.cr.execute(
            """
            INSERT INTO xero_move_export
                (move_id, connection_id, company_id, tenant_id, state, create_uid, create_date,
                 write_uid, write_date)
            SELECT move_id, %(connection)s, %(company)s, %(tenant)s, 'to_send', %(uid)s,
                   now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM unnest(%(moves)s::int[]) AS move_id
            ON CONFLICT (move_id, tenant_id) DO NOTHING
            """,
            {
                "connection": connection.id,
                "company": connection.company_id.id,
                "tenant": connection.tenant_id,
                "uid": self.env.uid,
                "moves": moves.ids,
            },
        )
        return self._known_ids(connection, moves)

    def _busy_message(self):
        self.ensure_one()
        if self.state == "sending" and self.claimed_by_id:
            return _(
                "Being sent to Xero by %(user)s since %(time)s: it is not sent twice.",
                user=self.claimed_by_id.name,
                time=format_datetime(self.env, self.claimed_at, dt_format="short"),
            )
        return _("Being sent to Xero by someone else right now: it is not sent twice.")

    @api.model
    def _is_busy(self, export_ids):
        """The ids among `export_ids` that a live worker is sending now (its lock is held): the
        free ones are locked and unlocked at once, two statements whatever their number."""
        if not export_ids:
            return set()
        self.env.cr.execute(
            "SELECT id, pg_try_advisory_lock(%s, id) FROM unnest(%s::int[]) AS id",
            [LOCK_SPACE, list(export_ids)],
        )
        taken = dict(self.env.cr.fetchall())
        free = [export_id for export_id, locked in taken.items() if locked]
        if free:
            self.env.cr.execute(
                "SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::int[]) AS id",
                [LOCK_SPACE, free],
            )
        return {export_id for export_id, locked in taken.items() if not locked}

    # ------------------------------------------------------------------ the one transition

    def _transition(self, state, values=None, per_record=None, notes=None):
        """Move these export records to `state` with `values` (for all) and `per_record`
        ({export id: values}); `notes` ({export id: text}) go to each document's chatter in one
        batch, as a log (no e-mail: a user without an address can send). The only place that
        writes an export record's state."""
        common = dict(values or {})
        if state != "sending":
            common.update(claimed_by_id=False, claimed_at=False)
        if state == "sent":
            common.update(error=False, error_details=False, needs_fix=False)
        # What a transition and the documents' Xero state read of these records, and nothing
        # else of their thirty columns: a transaction of its own reads them afresh.
        self._read_move_states()
        # Written where it changes only: each write of it recomputes (and rewrites) the Xero
        # state of the documents. What all have in common is written once for all.
        changing = self.filtered(lambda export: export.state != state)
        changing.write({"state": state, **common})
        if common:
            (self - changing).write(common)
        self._write_each(per_record or {})
        bodies = {
            export.move_id.id: notes[export.id] for export in self if (notes or {}).get(export.id)
        }
        if bodies:
            self.env["account.move"].browse(list(bodies))._message_log_batch(bodies=bodies)

    def _write_each(self, per_record):
        """Write each export record's own values ({export id: values}: plain fields, mostly a
        document's own, its Xero id or its attempt), as write() would, but for all the records
        given the same fields at once: each field's values go to the cache, and to the database
        with the next flush, and what depends on them (the documents' Xero state) is told once.
        A write() per record costs the ORM as much for one record as for a request's fifty."""
        by_fields = {}
        for export_id, values in per_record.items():
            if values:
                by_fields.setdefault(tuple(sorted(values)), []).append(export_id)
        for fnames, export_ids in by_fields.items():
            exports = self.browse(export_ids)
            fields_ = [self._fields[fname] for fname in fnames]
            # Plain stored fields only: no compute or inverse to run, no one2many of another
            # model listing these records to keep up to date (see Many2one.write).
            assert all(
                field.store
                and field.type not in ("one2many", "many2many")
                and not (field.compute or field.inverse or self.pool.field_inverses[field])
                for field in fields_
            ), fnames
            exports.write({})  # the access check, and who wrote them and when
            exports.modified(
                [field.name for field in fields_ if self.pool.is_modifying_relations(field)],
                before=True,
            )
            for field in fields_:
                exports.env.cache.update(
                    exports,
                    field,
                    [
                        field.convert_to_cache(per_record[id_][field.name], exports)
                        for id_ in export_ids
                    ],
                    dirty=True,
                )
            exports.modified(fnames)

    # ------------------------------------------------------------------ steps after the send

    def _step_warning(self, step, message=None):
        """The warning a step that follows the send (a file, an allocation) leaves: `message`
        in place of the lines starting with `step` it left before, or none. A document's
        warnings say what is wrong now."""
        step = " ".join(step.split())
        for export in self:
            lines = [
                line for line in (export.warning or "").splitlines() if not line.startswith(step)
            ]
            if message:
                lines.append(" ".join(message.split()))
            warning = "\n".join(lines) or False
            if warning != (export.warning or False):
                export.warning = warning

    @api.model
    def _steps_to_follow(self, user_id, file=True):
        """Queue values of a document whose file is still to attach (`file`), or else its
        allocation to make, see STEP_SAFETY_WAIT."""
        return {
            "queued": True,
            "queued_steps_only": True,
            "queued_by_id": user_id,
            "next_try_at": fields.Datetime.now() + STEP_SAFETY_WAIT,
            "waiting_reason": _("Its file goes to Xero after it.")
            if file
            else _("Its allocation goes to Xero after it."),
            "update_status": KEEP_STATUS,
        }

    def _step_done(self, values, step):
        """That step is done for these: `values`, and no warning of it is left."""
        self._read_move_states(["warning"])
        self.write(values)
        self.filtered(lambda export: export.warning)._step_warning(step)

    def _read_move_states(self, fnames=()):
        """Read these exports (what their documents' Xero state reads of them, and `fnames`)
        and their documents' Xero state, in one query, before a write that may leave that state
        as it is (a step of a document sent: its queue, its file): the ORM writes a stored
        computed value it does not hold, and the document's write date with it, even when it is
        unchanged."""
        fields_ = [self._fields[name] for name in (*MOVE_STATE_FIELDS, *fnames)]
        self.flush_model([field.name for field in fields_])
        self.env["account.move"].flush_model(["xero_state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, m.id, m.xero_state, %s
                  FROM xero_move_export e JOIN account_move m ON m.id = e.move_id
                 WHERE e.id = ANY(%s)
                """,
                SQL(", ").join(SQL.identifier("e", field.name) for field in fields_),
                self.ids,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return
        # Into the cache, as a fetch of each model would put them.
        cache = self.env.cache
        exports = self.browse([row[0] for row in rows])
        moves = self.env["account.move"].browse([row[1] for row in rows])
        cache.update(moves, moves._fields["xero_state"], [row[2] for row in rows])
        for index, field in enumerate(fields_, 3):
            values = [field.convert_to_cache(row[index], exports) for row in rows]
            cache.update(exports, field, values)

    # ------------------------------------------------------------------ the background queue

    @api.model
    def _enqueue(self, connection, moves, update_status=KEEP_STATUS):
        """Queue `moves` for the background job, as this user, to be sent with `update_status`
        (see xero.export.batch._send); returns how many were queued (those someone is sending
        right now are left to them)."""
        connection.check_access("read")
        # The record rules read the documents' company: read alone first, as checking a whole
        # selection would otherwise read every field of its documents, and grow memory with it.
        moves.fetch(["company_id"])
        self.env["xero.export.batch"]._check_may_send(moves)
        # Only the connection's company's documents go to its organisation (its send skips
        # the others): none is queued there, whatever connection a dialog was given.
        moves = moves.filtered(lambda move: move.company_id == connection.company_id)
        ids = self._export_ids(connection, moves)
        busy = self._is_busy(list(ids.values()))
        queued = [export_id for export_id in ids.values() if export_id not in busy]

        values = {
            "queued": True,
            "queued_by_id": self.env.uid,
            "next_try_at": fields.Datetime.now(),
            "waiting_reason": _("Waiting for its turn."),
            "attempts": 0,
            "queued_steps_only": False,
            "update_status": update_status,
        }

        def work(env):
            # A chunk at a time, then forgotten: memory does not grow with the selection.
            for chunk in split_every(QUEUE_CHUNK, queued):
                env[self._name].browse(chunk).write(values)
                env.invalidate_all()

        self._committed(work)
        self._queue_job()._trigger()
        return len(queued)

    def _queue_job(self):
        """The cron that runs the queue."""
        return self.env.ref("account_xero_export.ir_cron_xero_send")

    @api.model
    def _cron_send_queued(self, batch_size=BACKGROUND_BATCH):
        """Send one batch of what is queued and due, then trigger itself again while work
        remains. Safe with several workers: each takes only exports no one else holds."""
        now = fields.Datetime.now()
        # Up to a batch of documents to send (those "sending" whose lock is free were left by a
        # worker that died: taken too, and looked up in Xero before anything else, see _claim),
        # and up to a batch of documents sent with a step left (a file, an allocation), each the
        # due ones in order (materialized first, so that no lock is tried on a row the order puts
        # after the batch) locked one by one until the batch is full. Both go in one send: the
        # files left over by one batch go with the next, rather than in runs of their own.
        self.env.cr.execute(
            """
            WITH sending AS MATERIALIZED (
                SELECT id FROM xero_move_export
                 WHERE queued AND next_try_at <= %(now)s AND state != 'sent'
                 ORDER BY next_try_at, id
            ), steps AS MATERIALIZED (
                SELECT id FROM xero_move_export
                 WHERE queued AND next_try_at <= %(now)s AND state = 'sent'
                 ORDER BY next_try_at, id
            )
            (SELECT id FROM steps WHERE pg_try_advisory_xact_lock(%(space)s, id) LIMIT %(size)s)
            UNION ALL
            (SELECT id FROM sending WHERE pg_try_advisory_xact_lock(%(space)s, id) LIMIT %(size)s)
            """,
            {"now": now, "space": LOCK_SPACE, "size": batch_size},
        )
        exports = self.browse([row[0] for row in self.env.cr.fetchall()])
        groups = exports.grouped(lambda e: (e.connection_id, e.queued_by_id, e.update_status))
        Limits = self.env["xero.rate.limit"]
        done = 0
        for (connection, user, update_status), batch in groups.items():
            tenant = connection.tenant_id
            # Queued for the organisation the company was connected to before: sent by this
            # connection, they would go to another organisation's books (or their file be
            # claimed there). They leave the queue, saying so.
            moved = batch.filtered(lambda e, t=tenant: e.tenant_id != t)
            if moved:
                moved._leave_queue(
                    _(
                        "Not sent: it was queued for the Xero organisation this company was "
                        "connected to before %(org)s. Send it again to send it to %(org)s.",
                        org=connection.organisation_name,
                    )
                )
                done += len(moved)
                batch -= moved
                if not batch:
                    continue
            # The files waiting go first, when they can all go (a run for a few of them would
            # review them all); documents to send go with them when their requests (contacts,
            # documents) and a file can go too.
            steps = batch.filtered(lambda e: e.state == "sent")
            if len(steps) == len(batch):
                until, why = Limits._waiting(tenant, len(steps))
            else:
                until, why = Limits._waiting(tenant, len(steps) + ROOM_TO_SEND)
                if until and steps:
                    batch = steps
                    until, why = Limits._waiting(tenant, len(steps))
            if connection.state != "connected" or until:
                self._wait_for(connection, until, why)
                continue
            done += len(batch)
            # Sent as the user who queued them, their records too: what they may do is checked
            # as in a send of their own, not waved through by the job's rights: here, for all
            # of them, before anything is done (the send leaves that check to the job). Whoever
            # queued them gone (archived, or deleted), no one sends them in their name.
            if not user or not (user.active or user._is_superuser()):
                batch._leave_queue(
                    _(
                        "Not sent: the user who queued it is no longer active. Someone who may "
                        "send it to Xero can send it again."
                    )
                )
                continue
            sender = self.env["xero.export.batch"].with_user(user)
            connection, moves = connection.with_env(sender.env), batch.move_id.with_env(sender.env)
            try:
                sender._check_may_send(moves)
                connection.check_access("read")
                sender._send(
                    connection,
                    moves,
                    "retry",
                    background=True,
                    update_status=update_status or KEEP_STATUS,
                    follow_up=moves & steps.filtered("queued_steps_only").move_id,
                )
            except AccessError:
                # They may no longer (their rights or companies changed since): these leave the
                # queue, saying why, and the rest of the queue goes on.
                batch._refused(sender.env.user)
                continue
            # The minute's calls spent: the rest of the queue learns it now, not in a run of its
            # own. Read afresh: this transaction's snapshot predates the send.
            self._committed(lambda env, c=connection: self._postpone_if_spent(env, c))
            break
        self._after_queue_run(done)

    def _refused(self, user):
        """These were queued by `user`, who may no longer send them: out of the queue."""
        _logger.info(
            "Xero export: %s may no longer send %s queued documents", user.login, len(self)
        )
        self._leave_queue(
            _(
                "Not sent: %(user)s, who queued it, may no longer send it to Xero. Someone who "
                "may can send it again.",
                user=user.name,
            )
        )

    def _leave_queue(self, message):
        """These leave the queue without being sent, each saying why (`message`) in its error
        and its chatter, in a transaction of their own. A document Xero may have stays one (it
        is looked up there before it is sent again), and one sent stays sent."""

        def work(env):
            exports = env[self._name].browse(self.ids)
            exports.fetch(["state"])
            now = {"to_send": "failed", "sending": "uncertain"}
            for state, group in exports.grouped(lambda e: now.get(e.state, e.state)).items():
                values = dict(UNQUEUED)
                if state != "sent":
                    values.update(error=message, error_details=False, needs_fix=False)
                group._transition(state, values, notes=dict.fromkeys(group.ids, message))

        self._committed(work)

    def _wait_for(self, connection, until, why):
        """Everything of `connection` queued and due before `until` (None: it is not connected)
        waits until then, in one statement: taken 50 at a time, a long queue would take one run
        per batch only to learn it, and through the ORM each run would read and write it all
        (nothing computed depends on these two fields)."""
        self._committed(lambda env: env.cr.execute(self._postponed(connection, until, why)))

    def _postpone_if_spent(self, env, connection):
        """In `env`'s transaction: when `connection`'s calls are spent for now, what it has
        queued waits, see _wait_for."""
        until, why = env["xero.rate.limit"]._waiting(connection.tenant_id)
        if until:
            env.cr.execute(self._postponed(connection, until, why))

    def _postponed(self, connection, until, why):
        reason = why or _("The Xero connection needs its manager: it is not connected.")
        later = until or fields.Datetime.now() + RECONNECT_WAIT
        return SQL(
            "UPDATE xero_move_export SET next_try_at = %s, waiting_reason = %s, "
            "write_uid = %s, write_date = now() AT TIME ZONE 'UTC' "
            "WHERE queued AND connection_id = %s AND next_try_at < %s",
            later,
            reason,
            self.env.uid,
            connection.id,
            later,
        )

    @api.model
    def _resume(self, connections):
        """`connections` are connected again: what they have queued goes now, in its turn,
        rather than at the time a run put it off to while they were not connected (see
        _postponed; a limit still in force puts its documents off again in the next run). In
        the caller's transaction, committed with the connection's new state."""
        self.flush_model(["queued", "connection_id", "next_try_at", "waiting_reason"])
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                "UPDATE xero_move_export SET next_try_at = %s, waiting_reason = %s, "
                "write_uid = %s, write_date = now() AT TIME ZONE 'UTC' "
                "WHERE queued AND connection_id IN %s AND next_try_at > %s",
                now,
                _("Waiting for its turn."),
                self.env.uid,
                tuple(connections.ids),
                now,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["next_try_at", "waiting_reason", "write_uid", "write_date"])
            self._queue_job()._trigger()

    def _after_queue_run(self, done):
        """Progress for the cron, the next run, and a word to whoever's queue is now empty."""

        def state(env):
            # One statement, as it runs after every batch.
            env.cr.execute(
                """
                SELECT count(*) FILTER (WHERE queued AND next_try_at <= %s),
                       min(next_try_at) FILTER (WHERE queued),
                       array_agg(DISTINCT queued_by_id) FILTER (WHERE queued),
                       array_agg(DISTINCT queued_by_id) FILTER (WHERE queued IS NOT TRUE)
                  FROM xero_move_export
                 WHERE queued OR queued_by_id IS NOT NULL
                """,
                [fields.Datetime.now()],
            )
            due, next_at, waiting, done = env.cr.fetchone()
            finished = set(filter(None, done or ())) - set(waiting or ())
            return due, next_at, sorted(finished)

        due, next_at, finished = self._committed(state)
        # The progress is the runner's (in the context): no need to read the cron for it.
        self.env["ir.cron"]._notify_progress(done=done, remaining=due)
        # Odoo's cron runner runs a job again by itself while it reports work done and work left
        # (the progress above); otherwise (run by hand, or nothing done) it must be triggered.
        if due and not (done and self.env.context.get("ir_cron_progress_id")):
            self._queue_job()._trigger()
        elif next_at and not due:
            self._queue_job()._trigger(at=next_at)
        if finished:
            self._tell_finished(finished)

    def _tell_finished(self, user_ids):
        """Tell these users their queue is done, and how it went; then forget who queued it."""

        def forget(env):
            # One statement: through the ORM, a queue of thousands would be read into memory
            # to forget who queued it (nothing computed reads it).
            env.cr.execute(
                """
                UPDATE xero_move_export x SET queued_by_id = NULL
                  FROM xero_move_export o
                 WHERE o.id = x.id AND o.queued IS NOT TRUE AND o.queued_by_id = ANY(%s)
             RETURNING o.queued_by_id, o.state IN ('failed', 'uncertain')
                """,
                [user_ids],
            )
            return env.cr.fetchall()

        counts = {user_id: [0, 0] for user_id in user_ids}  # {user id: [documents, failed]}
        for user_id, failed in self._committed(forget):
            counts[user_id][0] += 1
            counts[user_id][1] += failed
        for user in self.env["res.users"].browse(user_ids):
            total, failed = counts[user.id]
            if failed:
                kind, message = (
                    "warning",
                    _(
                        "Your Xero queue is done: %(failed)s of its %(total)s documents could not "
                        "go to Xero, each saying why on its document (filter Xero Error).",
                        failed=failed,
                        total=total,
                    ),
                )
            else:
                kind, message = (
                    "success",
                    _("Your Xero queue is done: its %(total)s documents are in Xero.", total=total),
                )
            user._bus_send(
                "simple_notification",
                {"type": kind, "title": _("Xero"), "message": message, "sticky": bool(failed)},
            )

    # ------------------------------------------------------------------ uncertain outcomes

    @api.model
    def _attempt(self, kind, payload, version, key, total):
        """What identifies a document in flight, should its answer be lost. `total`: the
        total Xero computes for `payload` (its review refused it otherwise): a vendor may give
        two bills of one day the same reference, and Xero takes both."""
        return {
            "kind": kind,
            "type": payload["Type"],
            "number": payload.get(NUMBER_FIELDS[kind]),
            "contact_id": payload["Contact"].get("ContactID"),
            "date": payload.get("Date"),
            "total": str(total),
            "currency": payload.get("CurrencyCode"),
            "version": version,
            "key": key,
            "at": fields.Datetime.to_string(fields.Datetime.now()),
        }

    @api.model
    def _unsettled_until(self, attempt):
        """Until when a look-up that does not find the document of `attempt` proves nothing
        (see SETTLE_AFTER), or None once it does."""
        if not attempt.get("at"):
            return None  # recorded before attempts had a time: long ago
        until = fields.Datetime.from_string(attempt["at"]) + SETTLE_AFTER
        return until if until > fields.Datetime.now() else None

    @api.model
    def _find_in_xero(self, connection, attempts):
        """{export id: Xero document, None or [Xero documents]} for `attempts` ({export id:
        attempt}): the document with the same type, number, contact, date and total, not deleted
        or voided since, and linked to no other document of Odoo (an invoice, one this app
        created: Xero tells that of invoices only); None when there is none; the list of them
        when several could be it (nothing is guessed). Raises XeroError when Xero cannot be
        asked."""
        client = connection._client()
        found = {}
        by_kind = {}
        for export_id, attempt in attempts.items():
            if attempt and attempt.get("number"):
                by_kind.setdefault(attempt["kind"], []).append((export_id, attempt))
            else:
                found[export_id] = None  # never got as far as a request
        known = self._known_xero_ids(connection)
        for kind, items in by_kind.items():
            field = NUMBER_FIELDS[kind]
            numbers = sorted({attempt["number"] for _e, attempt in items})
            candidates = []
            for start in range(0, len(numbers), NUMBERS_PER_LOOKUP):
                chunk = numbers[start : start + NUMBERS_PER_LOOKUP]
                where = " OR ".join(f"{field}=={_quote(number)}" for number in chunk)
                candidates += client.iter_documents(
                    connection.tenant_id,
                    kind,
                    where=where,
                    created_by_my_app=kind == "Invoices",
                )
            matching = {
                export_id: [
                    doc
                    for doc in candidates
                    if _matches(doc, attempt, field)
                    and known.get(doc[ID_FIELDS[kind]], export_id) == export_id
                ]
                for export_id, attempt in items
            }
            # A document that two of these could be is neither's: linked to both, one of them
            # would never be in Xero.
            wanted = Counter(doc[ID_FIELDS[kind]] for docs in matching.values() for doc in docs)
            for export_id, matches in matching.items():
                if not matches:
                    found[export_id] = None
                elif len(matches) == 1 and wanted[matches[0][ID_FIELDS[kind]]] == 1:
                    found[export_id] = matches[0]
                else:
                    _logger.warning(
                        "Xero export %s: %s documents in Xero match it", export_id, len(matches)
                    )
                    found[export_id] = matches
        return found

    @api.model
    def _ambiguous_message(self, connection, attempt, documents):
        """What the user reads of a lost answer that `documents` of Xero could be, or that
        another document whose answer was lost could be too: which ones, so that the user can
        tell them apart."""
        kind = attempt["kind"]
        return _(
            "Xero's answer to its send was lost, and Odoo cannot tell which document of Xero is "
            "this one. With its number, contact, date and total: %(documents)s; another "
            "document of Odoo whose answer was lost may be one of them. Void or delete in Xero "
            "any that is not this document, or send this document again on its own.",
            # Xero's own number, status and link: no words to translate.
            documents="; ".join(
                f"{document.get(NUMBER_FIELDS[kind]) or document[ID_FIELDS[kind]]} "
                f"({document.get('Status')}) "
                f"{connection._deep_link(attempt['type'], document[ID_FIELDS[kind]])}"
                for document in documents
            ),
        )

    def _known_xero_ids(self, connection):
        self.env.cr.execute(
            "SELECT xero_id, id FROM xero_move_export WHERE tenant_id = %s AND xero_id IS NOT NULL",
            [connection.tenant_id],
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _cron_resolve_uncertain(self):
        """Documents a dead worker left sending, and documents whose answer was lost: ask Xero
        whether it has them. Found: linked, sent. Not there: failed, to be sent again."""
        self.env.cr.execute(
            "SELECT id FROM xero_move_export WHERE state IN ('sending', 'uncertain')"
        )
        candidates = [row[0] for row in self.env.cr.fetchall()]
        if not candidates:
            return
        self.env.cr.execute(
            "SELECT id FROM unnest(%s::int[]) AS id WHERE pg_try_advisory_xact_lock(%s, id)",
            [candidates, LOCK_SPACE],
        )
        locked = self.browse([row[0] for row in self.env.cr.fetchall()])
        # Only the organisation a connection is connected to can be asked. A document in doubt
        # in the one its company was connected to before stays in doubt: not found in another
        # organisation, it would be taken for not sent, and created twice once the company is
        # connected back. The review sends it nowhere else meanwhile.
        elsewhere = locked.filtered(lambda e: e.tenant_id != e.connection_id.tenant_id)
        elsewhere.filtered(lambda e: e.state == "sending")._transition(
            "uncertain",
            {
                "error": _(
                    "The send to Xero was interrupted, and this company has been connected to "
                    "another Xero organisation since: the one it was sent to may have it."
                )
            },
        )
        locked -= elsewhere
        # An update in doubt cannot be looked up (Xero has the document either way, in one
        # version or the other): it is sent again, by the queue, as whoever was sending it.
        updates = locked.filtered(lambda e: e.xero_id)
        left = updates.filtered(lambda e: e.state == "sending")
        if left:
            message = _(
                "Xero did not answer an update of it: it is sent again, as it is now, since "
                "whether Xero took that update cannot be asked."
            )
            for user, group in left.grouped("claimed_by_id").items():
                group._transition(
                    "uncertain",
                    {
                        "queued": True,
                        "queued_by_id": user.id,
                        "next_try_at": fields.Datetime.now(),
                        "waiting_reason": message,
                        "error": message,
                        "update_status": KEEP_STATUS,
                    },
                )
        locked -= updates
        for connection in locked.connection_id.filtered(lambda c: c.state == "connected"):
            exports = locked.filtered(lambda e, c=connection: e.connection_id == c)
            try:
                found = self._find_in_xero(connection, {e.id: e.attempt for e in exports})
            except XeroError as exc:
                _logger.info("Xero export: uncertain documents not resolved yet: %s", exc)
                continue
            exports._resolve(connection, found)

    def _resolve(self, connection, found):
        """Settle these uncertain exports from what `_find_in_xero` found."""
        linked = self.filtered(lambda e: isinstance(found.get(e.id), dict))
        for export in linked:
            export._link(connection, found[export.id])
        # Not found: failed, unless Xero may still be storing it (then asked again by a later
        # run).
        missing = self.filtered(
            lambda e: e.id in found and found[e.id] is None and not self._unsettled_until(e.attempt)
        )
        if missing:
            message = _(
                "Not in Xero: the send was interrupted before Xero stored it. Send it again "
                "(Retry Failed Xero Sends)."
            )
            missing._transition(
                "failed",
                {"error": message, "error_details": False, "needs_fix": False, "attempt": False},
                notes=dict.fromkeys(missing.ids, message),
            )
        for export in self.filtered(lambda e: isinstance(found.get(e.id), list)):
            message = self._ambiguous_message(connection, export.attempt, found[export.id])
            export._transition(
                "failed",
                {"error": message, "error_details": False, "needs_fix": True},
                notes={export.id: message},
            )

    def _link(self, connection, document, state="sent"):
        """This uncertain export is `document` in Xero: record it, with the version that request
        carried, as sent (or still sending, when a newer version follows)."""
        self.ensure_one()
        kind = self.attempt["kind"]
        xero_id = document[ID_FIELDS[kind]]
        pending = new_steps(connection, self.move_id)
        file, allocation = steps_left(
            connection,
            pending["attachment_pending"],
            pending["allocation_pending"],
            document.get("Status"),
        )
        self._transition(
            state,
            {
                "xero_id": xero_id,
                "xero_number": document.get(NUMBER_FIELDS[kind]) or False,
                "xero_status": document.get("Status"),
                "xero_url": connection._deep_link(self.attempt["type"], xero_id),
                "last_sent": fields.Datetime.now(),
                "version": self.attempt["version"],
                "attempt": False,
                "error": False,
                **pending,
                **(
                    self._steps_to_follow(self.claimed_by_id.id or self.env.uid, file)
                    if file or allocation
                    else {}
                ),
            },
            notes={
                self.id: _(
                    "Found in Xero (%(org)s) as %(number)s, %(status)s: its answer had been lost. "
                    "Linked, not created again.",
                    org=connection.organisation_name,
                    number=document.get(NUMBER_FIELDS[kind]) or xero_id,
                    status=document.get("Status"),
                )
            },
        )


def _quote(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _matches(document, attempt, number_field):
    if document.get("Type") != attempt["type"] or document.get("Status") in GONE_STATUSES:
        return False
    # Attempts recorded before they carried a total match on the rest, as they did then.
    if attempt.get("total") is not None and (
        _amount(document.get("Total")) != Decimal(attempt["total"])
        or document.get("CurrencyCode") != attempt.get("currency")
    ):
        return False
    if (document.get(number_field) or "").strip().lower() != attempt["number"].strip().lower():
        return False
    contact = (document.get("Contact") or {}).get("ContactID")
    if attempt.get("contact_id") and contact and contact.lower() != attempt["contact_id"].lower():
        return False
    return not attempt.get("date") or _xero_date(document) == attempt["date"]


def _amount(value):
    """Xero's amount (a JSON number) as a Decimal, None when there is none."""
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _xero_date(document):
    """A Xero document's date as YYYY-MM-DD (from DateString, else the /Date(ms)/ form)."""
    if document.get("DateString"):
        return document["DateString"][:10]
    raw = document.get("Date") or ""
    if raw.startswith("/Date("):
        millis = int(raw[6:].split(")")[0].split("+")[0])
        return datetime.utcfromtimestamp(millis / 1000).date().isoformat()
    return raw[:10]
