import functools
import hashlib
import logging
import random
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote_plus

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_datetime, groupby

from ..xero import (
    XeroAuthenticationError,
    XeroError,
    XeroRateLimitError,
    XeroTransientError,
    XeroValidationError,
)
from ..xero.errors import validation_messages, warning_messages
from ..xero.payloads import (
    PayloadError,
    batches,
    contact_payload,
    document_payload,
    document_version,
    needs_unitdp4,
    oversized,
    wrapper_for,
)
from .account_move import SETTLED_STATUSES, XERO_TYPES
from .xero_move_export import (
    ID_FIELDS,
    KEEP_STATUS,
    NUMBER_FIELDS,
    RECONNECT_WAIT,
    UNQUEUED,
    new_steps,
    steps_left,
)
from .xero_rate_limit import limit_name

_logger = logging.getLogger(__name__)

# Partners looked up in one request: as many as the where filter holds in Xero's URL.
CONTACT_QUERY_SIZE = 50
CONTACT_QUERY_CHARS = 4000
# A document that could not be sent for a reason that passes (a limit, Xero unreachable) is
# tried again this many times, BACKOFF_BASE seconds later, doubling up to BACKOFF_CAP.
MAX_TRIES = 8
BACKOFF_BASE = 30
BACKOFF_CAP = 3600
# Errors that pass by themselves, or once a manager connects again (a refused authorisation):
# what they stop waits in the queue rather than fails.
PASSING = (XeroRateLimitError, XeroTransientError, XeroAuthenticationError)
# Of those, the errors that hold every call to the organisation until a time Xero gave (a limit)
# or until a manager connects again: a run asks Xero nothing more after one (a refused refresh
# token would be sent to Xero again for each file), and waiting for one is no failed try.
HOLDING = (XeroRateLimitError, XeroAuthenticationError)
# The statuses before approval. Xero does not take an approved document back to them: from
# AUTHORISED, Xero's only status change is to VOIDED (its support's list in
# waynerobinson/xeroizer#48; otherwise "Invoice not of valid status for modification",
# XeroAPI/Xero-NetStandard#79). An approved document keeps AUTHORISED when it is updated
# (XeroAPI/Xero-Net#339). And Xero allocates no credit to a document in one of them.
NOT_APPROVED = ("DRAFT", "SUBMITTED")
# Xero's words for a contact name taken by another contact.
NAME_TAKEN = re.compile(r"already assigned to another contact", re.IGNORECASE)


class XeroExportBatch(models.Model):
    """One send to Xero: what was asked, and what became of each document. Keeps no secret.

    The state of each document in Xero is its `xero.move.export` record; this is the log."""

    _name = "xero.export.batch"
    _description = "Xero Export"
    _order = "id desc"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    # Precomputed: written with the row, not by an UPDATE after it (a batch is made by every
    # send).
    company_id = fields.Many2one(related="connection_id.company_id", store=True, precompute=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, required=True)
    action = fields.Selection(
        [
            ("invoice", "Send to Xero as Invoice"),
            ("credit_note", "Send to Xero as Credit Note"),
            ("retry", "Retry Failed Xero Sends"),
        ],
        required=True,
    )
    line_ids = fields.One2many("xero.export.line", "batch_id")
    sent_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")

    @api.depends("line_ids.result")
    def _compute_counts(self):
        for batch in self:
            results = batch.line_ids.mapped("result")
            batch.sent_count = sum(r in ("created", "updated") for r in results)
            batch.failed_count = results.count("failed")

    # ------------------------------------------------------------------ the send

    @api.model
    def _send(
        self,
        connection,
        moves,
        action,
        background=False,
        update_status=KEEP_STATUS,
        follow_up=None,
    ):
        """Send `moves` with `action`; return one result per document: `{"move_id", "result",
        "message", "url"}`, result being created, updated, skipped, failed or queued (it waits
        for Xero's limits, or for a failure that may pass, and goes by itself later).
        `background`: run by the queue's job, which these documents leave when done (and which
        gets no results back). `follow_up`: those of `moves` in Xero already, queued only for
        what follows their send (a file that waited for Xero's next minute, an allocation): they
        are not reviewed again.

        New documents get the connection's status in Xero; documents already there keep the
        status they have, or get `update_status` when it is one (see _Run.check_updates).

        Every document that goes is claimed first, in a committed transaction (see
        xero.move.export), so that two users never send it twice; whatever Xero answers is
        recorded at once, for a whole request in one transaction of its own, so that no later
        failure can make Odoo forget a document Xero has.
        """
        self._check_may_send()
        if connection.state != "connected":
            raise UserError(
                _(
                    "%(company)s is not connected to Xero: start a Xero session first.",
                    company=connection.company_id.name,
                )
            )
        follow_up = moves & follow_up if follow_up else moves.browse()
        review = (moves - follow_up)._xero_review(connection, action)
        going = {move: data for move, (_v, _r, data, _b) in review.items() if data}
        built = {move.id: made for move, (_v, _r, data, made) in review.items() if data}
        blocked = {
            move: reason
            for move, (verdict, reason, _d, _b) in review.items()
            if verdict == "blocked"
        }
        if not background:
            # The queue's job checked them all, as their user, before this send.
            self._check_may_send(moves.browse([move.id for move in going]) | follow_up)
        self.env.flush_all()
        Export = self.env["xero.move.export"]
        skipped = {
            move.id: ("skipped", reason, None)
            for move, (verdict, reason, data, _b) in review.items()
            if verdict == "skip" and not data
        }
        # Another company's documents of a mixed selection are not logged in this company's
        # batch, which the users of this company alone read: only the sender is told.
        elsewhere = {
            move.id: skipped.pop(move.id)
            for move in moves
            if move.id in skipped and move.company_id != connection.company_id
        }

        def record(env):
            """This send's batch, logging what it skips; in the background, what is skipped
            leaves the queue."""
            if background and (skipped or elsewhere):
                env["xero.move.export"].search(
                    [
                        ("move_id", "in", [*skipped, *elsewhere]),
                        ("tenant_id", "=", connection.tenant_id),
                    ]
                ).write({"queued": False, "waiting_reason": False})
            batch = env[self._name].create({"connection_id": connection.id, "action": action})
            env[self._name]._log(batch.id, batch.company_id.id, skipped)
            return batch.id

        claims, busy, batch_id = Export._claim(
            connection,
            moves.browse([m.id for m in (*going, *blocked, *follow_up)]),
            record,
            follow_up=follow_up,
        )
        run = _Run(self, connection, batch_id, claims, background, update_status, built)
        try:
            run.log({move_id: ("skipped", message, None) for move_id, message in busy.items()})
            run.fail(
                {move.id: reason for move, reason in blocked.items() if move.id in claims},
                needs_fix=True,
            )
            run.send(
                {move: data for move, data in going.items() if move.id in claims},
                [move for move in follow_up if move.id in claims],
                [
                    move
                    for move, (verdict, _r, data, _b) in review.items()
                    if verdict == "skip" and not data and move.xero_state == "sent"
                ],
            )
        finally:
            run.release_leftovers()
        if background:
            return None  # the queue's job reads no results: they are in the batch's lines
        results = Export._committed(
            lambda env: [
                {
                    "move_id": line.move_id.id,
                    "result": line.result,
                    "message": line.message or "",
                    "url": line.move_id.xero_url or "",
                }
                for line in env[self._name].browse(batch_id).line_ids
            ]
        )
        return results + [
            {"move_id": move_id, "result": result, "message": message, "url": ""}
            for move_id, (result, message, _xero_id) in elsewhere.items()
        ]

    @api.model
    def _check_may_send(self, moves=None):
        """Raise AccessError unless this user may send documents to Xero, `moves` among them:
        the right to the send dialog (an invoicing user has it; a read-only accountant, or a
        buyer who writes bills, not), and, as sending changes what Odoo holds of them, the
        right to write them. The send's own records (its log, the export records) are the
        engine's, which no user writes."""
        self.env["xero.send.wizard"].check_access("create")
        self.env["account.move"].check_access("write")
        if moves:
            moves.check_access("write")

    @api.model
    def _log(self, batch_id, company_id, results):
        """Add `results` ({move id: (result, message, Xero id or None)}) to the batch
        `batch_id`, whose company the caller gives: a transaction of its own need not read the
        batch for it."""
        insert_lines(
            self.env["xero.export.line"],
            [
                {
                    "batch_id": batch_id,
                    "company_id": company_id,
                    "move_id": move_id,
                    "result": result,
                    "message": message or "",
                    "xero_id": xero_id or False,
                }
                for move_id, (result, message, xero_id) in results.items()
            ],
        )

    @api.model
    def _version(self, data, payload=None):
        """What identifies a version of a document: what it says, not where Odoo is, the status
        it is sent with or the contact Xero knows (see xero.payloads.document_version, and for
        `payload`, one built already)."""
        return document_version(data, payload)

    @api.model
    def _plain(self, error):
        """Xero's error in plain words, saying what to do."""
        if isinstance(error, XeroRateLimitError):
            return _(
                "Not sent yet: %(limit)s was reached.", limit=limit_name(self.env, error.problem)
            )
        if isinstance(error, XeroTransientError):
            return _("Not sent: Xero could not be reached (%(error)s).", error=error)
        if isinstance(error, XeroAuthenticationError):
            return _(
                "The Xero connection needs its manager: Xero refused it (%(error)s). Sent by "
                "itself once an accounting manager starts a Xero session again.",
                error=error,
            )
        if isinstance(error, XeroValidationError):
            messages = [m for element in error.elements for m in element["messages"]]
            return _plain_validation(messages or [str(error)])
        return _("Not sent: Xero answered with an error (%(error)s).", error=error)

    @api.model
    def _plain_uncertain(self, error):
        return _(
            "Xero did not answer (%(error)s): it may have received it. Before it is sent again, "
            "Odoo asks Xero whether it has it, so it cannot be created twice; that happens by "
            "itself shortly.",
            error=error,
        )

    @api.model
    def _idempotency_key(self, connection, move, version, operation, in_doubt=None):
        """The Idempotency-Key of one document's request. A create whose earlier request got no
        answer (`in_doubt`, its attempt) goes again with that request's key, if in the same
        version: tried again within Xero's window, it is answered with Xero's first answer,
        never made twice. Any other request has a key of its own: a document Xero refused and
        that was fixed since (in Xero, as a lock date moved back), or an update made again
        after a change and a change back, must be made, not answered with the first answer."""
        if (
            operation == "create"
            and in_doubt
            and in_doubt.get("version") == version
            and in_doubt.get("key")
        ):
            return in_doubt["key"]
        basis = f"{connection.tenant_id}|{move.id}|{version}|{operation}|{uuid.uuid4()}"
        return f"odoo-{hashlib.sha256(basis.encode()).hexdigest()}"

    @api.model
    def _request_key(self, keys):
        """The Idempotency-Key of a request: made of its documents' keys only, so that the same
        documents in the same versions replay Xero's first answer."""
        return f"odoo-{hashlib.sha256('|'.join(sorted(keys)).encode()).hexdigest()}"


class _Run:
    """One send of claimed documents: every step records what it learnt at once, through the
    export records' one transition."""

    def __init__(self, batch_model, connection, batch_id, claims, background, update_status, built):
        self.model = batch_model
        # _() finds the language through `self.env` of its caller: without it, every message of
        # a run outside a request (the cron) logs a warning with its stack and stays English.
        self.env = batch_model.env
        self.Export = batch_model.env["xero.move.export"]
        self.connection = connection
        self.batch_id = batch_id
        self.claims = claims  # {move id: claim}, see xero.move.export._claim
        self.background = background
        self.update_status = update_status  # KEEP_STATUS or a Xero status
        # After an error that will not pass during this run: the error; what remains waits
        # (a limit, Xero unreachable, a refused authorisation), see PASSING and HOLDING.
        self.stop = None
        # {move id: (payload, version, warnings)} of the documents that go, made by their
        # review: what the steps add to their data (the contact's id, the id and status in
        # Xero) is not part of the version, and build_payloads adds it to the payload.
        self.built = built
        # Documents whose request Xero answered without storing anything (refused, limited,
        # never reached): their attempt is settled, and they are not looked up in Xero.
        self.unsent = set()
        self.follow_values = {}  # see steps_to_follow
        # Export records a step put back in the queue to try again later (see _step_failure).
        self.retrying = set()

    def version(self, move):
        """`move`'s version, as its review made it."""
        return self.built[move.id][1]

    @functools.cached_property
    def client(self):
        """The run's one Xero client: the connection's secrets are read once."""
        return self.connection._client()

    # -- recording

    def transition(self, state, values_by_move, results, notes=None, common=None):
        """One committed transaction: the export records of `values_by_move` ({move id:
        values}) go to `state`, `results` ({move id: (result, message, xero id)}) are logged."""
        by_export = {self.claims[m]["export"]: v for m, v in values_by_move.items()}
        notes_by_export = {self.claims[m]["export"]: n for m, n in (notes or {}).items()}

        def work(env):
            exports = env["xero.move.export"].browse(list(by_export))
            exports._transition(state, common, by_export, notes_by_export)
            self.log_in(env, results)

        if by_export:
            self.Export._committed(work)
        for move_id in values_by_move:
            self.claims[move_id]["done"] = state != "sending"

    def log(self, results):
        """`results` ({move id: (result, message, Xero id or None)}) logged in a transaction of
        their own."""
        if results:
            self.Export._committed(lambda env: self.log_in(env, results))

    def log_in(self, env, results):
        """`results` logged in `env`'s transaction."""
        env[self.model._name]._log(self.batch_id, self.connection.company_id.id, results)

    def fail(self, messages, needs_fix=False, details=None, statuses=None):
        """These documents ({move id: message}) failed; the state says whether a fix is needed."""
        self.transition(
            "failed",
            {
                move_id: {
                    "error": message,
                    "error_details": (details or {}).get(move_id) or False,
                    "needs_fix": needs_fix,
                    **UNQUEUED,
                    **({"attempt": False} if move_id in self.unsent else {}),
                    **(
                        {"xero_status": statuses[move_id]}
                        if statuses and move_id in statuses
                        else {}
                    ),
                }
                for move_id, message in messages.items()
            },
            {move_id: ("failed", message, None) for move_id, message in messages.items()},
            notes=messages,
        )

    def uncertain(self, move_ids, message):
        """Xero may have these: the queue's job asks Xero before anything is sent again. After
        MAX_TRIES, they leave the queue, still uncertain: Xero may have one, and it is looked up
        there before it is ever created again."""
        given_up = self._given_up(move_ids)
        values, results, notes = {}, {}, {}
        for move_id in move_ids:
            if move_id in given_up:
                text = _(
                    "Not sent again by itself after %(tries)s tries: send it again (Retry Failed "
                    "Xero Sends) once Xero answers. %(error)s",
                    tries=MAX_TRIES,
                    error=message,
                )
                values[move_id] = {"error": text, "error_details": False, **UNQUEUED}
                results[move_id] = ("failed", text, None)
            else:
                text = message
                retry = self._retry(move_id)
                when = format_datetime(self.model.env, retry["next_try_at"], dt_format="short")
                values[move_id] = {
                    "error": message,
                    "error_details": False,
                    **retry,
                    "waiting_reason": _(
                        "Its answer was lost: from %(time)s, Xero is asked whether it has it, "
                        "and it is sent if Xero has not.",
                        time=when,
                    ),
                }
                results[move_id] = ("queued", message, None)
            notes[move_id] = text
        self.transition("uncertain", values, results, notes=notes)

    def _given_up(self, move_ids, error=None):
        """Those of `move_ids` whose try that just ended was their last (MAX_TRIES): a wait for
        a limit or for the manager is no try (see _retry)."""
        if isinstance(error, HOLDING):
            return []
        return [m for m in move_ids if self.claims[m].get("tries", 0) + 1 >= MAX_TRIES]

    def wait(self, move_ids, error):
        """These were not sent for a reason that passes (see PASSING): they wait in the queue,
        for the time Xero gave, a growing delay, or a manager to connect again, and go by
        themselves. An uncertain one stays uncertain: it is still looked up first. After
        MAX_TRIES, they fail."""
        given_up = self._given_up(move_ids, error)
        if given_up:
            self.fail(
                dict.fromkeys(
                    given_up,
                    _(
                        "Not sent after %(tries)s tries: %(error)s Send it again (Retry Failed "
                        "Xero Sends).",
                        tries=MAX_TRIES,
                        error=self.model._plain(error),
                    ),
                )
            )
        waiting = [m for m in move_ids if m not in given_up]
        for state in ("uncertain", "to_send"):
            group = [
                m
                for m in waiting
                if (self.claims[m]["previous"] == "uncertain" and m not in self.unsent)
                == (state == "uncertain")
            ]
            if not group:
                continue
            values = {m: self._retry(m, error) for m in group}
            for value in values.values():
                # A refused authorisation has no time: it waits for a manager.
                value["waiting_reason"] = (
                    self.model._plain(error)
                    if isinstance(error, XeroAuthenticationError)
                    else _(
                        "%(why)s Sent by itself from %(time)s.",
                        why=self.model._plain(error),
                        time=format_datetime(
                            self.model.env, value["next_try_at"], dt_format="short"
                        ),
                    )
                )
            self.transition(
                state,
                values,
                {m: ("queued", values[m]["waiting_reason"], None) for m in group},
            )

    def not_settled(self, untils):
        """Xero does not have these documents ({move id: until}), whose answer was lost, yet:
        it may still be storing that request. They wait, still uncertain, and are looked up
        again from then."""
        values, results = {}, {}
        for move_id, until in untils.items():
            message = _(
                "Xero's answer to its last send was lost, and Xero may still be storing it: it "
                "is looked up in Xero again from %(time)s, and created only if Xero does not "
                "have it.",
                time=format_datetime(self.model.env, until, dt_format="short"),
            )
            values[move_id] = {
                "queued": True,
                "next_try_at": until,
                "waiting_reason": message,
                "queued_by_id": self.model.env.uid,
                "queued_steps_only": False,
                "update_status": self.update_status,
            }
            results[move_id] = ("queued", message, None)
        self.transition("uncertain", values, results)

    def _retry(self, move_id, error=None):
        """Queue values for one more try: when Xero (or the limiter) said, else a growing delay
        with jitter. Waiting for a limit is no failed try: in a long queue at Xero's limits a
        document waits for its turn many times, and must not fail for it. Nor is waiting for a
        manager (a refused authorisation): the queue waits as for a connection not connected,
        and goes on once it is connected again (see xero.connection.write)."""
        claim = self.claims[move_id]
        if not isinstance(error, HOLDING):
            claim["tries"] = claim.get("tries", 0) + 1
        tries = claim.get("tries", 0)
        retry_after = getattr(error, "retry_after", None)
        if isinstance(error, XeroAuthenticationError):
            delay = RECONNECT_WAIT.total_seconds()
        elif retry_after:
            delay = retry_after
        else:
            delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(tries - 1, 0)) * random.uniform(
                1, 1.25
            )
        return {
            "queued": True,
            "next_try_at": fields.Datetime.now() + timedelta(seconds=delay),
            "attempts": tries,
            "queued_by_id": self.model.env.uid,
            "queued_steps_only": False,
            "update_status": self.update_status,
            **({"attempt": False} if move_id in self.unsent else {}),
        }

    def release_leftovers(self):
        """Whatever an unexpected error left claimed: uncertain where a request may have gone,
        else failed, so that nothing stays "sending"."""
        left = [m for m, claim in self.claims.items() if not claim.get("done")]
        if not left:
            return
        attempted = [m for m in left if self.claims[m].get("attempted")]
        if attempted:
            self.uncertain(attempted, self.model._plain_uncertain(_("the send was interrupted")))
        others = [m for m in left if m not in attempted]
        if others:
            self.fail(
                dict.fromkeys(
                    others,
                    _("Not sent: the send was interrupted before reaching Xero. Send it again."),
                )
            )

    # -- the steps

    def send(self, going, follow_up=(), unchanged=()):
        """Send `going` ({move: data}); of `follow_up` (moves in Xero already, as they were
        sent), only what follows the send: their file, their allocation. `unchanged`: moves in
        Xero skipped as unchanged, sent again all the same for the credit notes whose
        allocation waits for them (approved in Xero since, see allocate)."""
        claimed = [*going, *follow_up]
        if not claimed:
            self.queue_allocations(unchanged)
            return
        self.sent_already(follow_up, _("Already in Xero: only its file or allocation was left."))
        going = self.resolve_uncertain(going)
        going = self.skip_unchanged(going)
        going = self.resolve_contacts(going)
        going = self.check_updates(going)
        payloads = self.build_payloads(going)
        self.post(payloads)
        done = [move for move in claimed if self.claims[move.id].get("sent")]
        self.attach(done)
        self.allocate(done)
        self.queue_allocations([*done, *unchanged])

    def resolve_uncertain(self, going):
        """Documents whose earlier answer was lost are looked up in Xero: found, they are
        linked (and only updated if they changed since); not found, created."""
        uncertain = {}
        for move in going:
            claim = self.claims[move.id]
            if claim["previous"] != "uncertain":
                continue
            if claim["xero_id"]:
                # An update in doubt: Xero has the document in one version or the other, and
                # no look-up tells which. It is sent again, as it is now.
                claim["version"] = None
                continue
            uncertain[move] = claim
        if not uncertain:
            return going
        try:
            found = self.Export._find_in_xero(
                self.connection, {claim["export"]: claim["attempt"] for claim in uncertain.values()}
            )
        except XeroError as exc:
            self.failed_to_ask([move.id for move in uncertain], exc)
            return {move: data for move, data in going.items() if move not in uncertain}
        remaining = dict(going)
        unsettled = {}  # {move id: until when a look-up proves nothing}
        for move, claim in uncertain.items():
            export_id = claim["export"]
            document = found[export_id]
            if isinstance(document, list):
                self.fail(
                    {
                        move.id: self.Export._ambiguous_message(
                            self.connection, claim["attempt"], document
                        )
                    },
                    needs_fix=True,
                )
                del remaining[move]
                continue
            if not document:
                until = self.Export._unsettled_until(claim["attempt"])
                if until:
                    unsettled[move.id] = until
                    del remaining[move]
                continue
            version = self.version(move)
            unchanged = claim["attempt"]["version"] == version
            self.Export._committed(
                lambda env, e=export_id, d=document, u=unchanged: (
                    env["xero.move.export"]
                    .browse(e)
                    ._link(self.connection, d, "sent" if u else "sending")
                )
            )
            claim["xero_id"] = document[ID_FIELDS[claim["attempt"]["kind"]]]
            claim["version"] = claim["attempt"]["version"]
            claim["status"] = document.get("Status")
            # As _link records them.
            claim.update(new_steps(self.connection, move))
            if unchanged:
                claim.update(done=True, sent=True)
                self.log(
                    {move.id: ("created", _("Found in Xero: its answer had been lost."), None)}
                )
                del remaining[move]
        if unsettled:
            self.not_settled(unsettled)
        return remaining

    def skip_unchanged(self, going):
        """Under the claim, the document may turn out to be sent already (by another user
        between the review and the claim): then nothing goes."""
        unchanged = [
            move
            for move in going
            if self.claims[move.id]["xero_id"]
            and self.claims[move.id]["version"] == self.version(move)
        ]
        follow = [move for move in unchanged if any(self.steps_left(move))]
        self.sent_already(follow, _("Already in Xero: only its file or allocation was left."))
        self.sent_already(
            [move for move in unchanged if move not in follow], _("Already in Xero, unchanged.")
        )
        for move, data in going.items():
            data["xero_id"] = self.claims[move.id]["xero_id"]
        return {move: data for move, data in going.items() if move not in unchanged}

    def sent_already(self, moves, message):
        """These are in Xero: they leave the queue, sent, and skipped in this batch's log; what
        follows their send (a file, an allocation) is still done."""
        if not moves:
            return
        values = {}
        for move in moves:
            self.claims[move.id]["sent"] = True
            # A file to attach still, or an allocation to make, in this run: it stays in the
            # queue, should the worker die before they go.
            file, allocation = self.steps_left(move)
            values[move.id] = self.steps_to_follow(file) if file or allocation else dict(UNQUEUED)
        self.transition("sent", values, {move.id: ("skipped", message, None) for move in moves})

    def unqueued(self):
        """Out of the queue. A send from the dialog queues a document for its file and allocation
        only (see steps_to_follow): done, it forgets its sender, who queued nothing to be told
        of."""
        return UNQUEUED if self.background else {**UNQUEUED, "queued_by_id": False}

    def steps_to_follow(self, file=True):
        """The queue values of a document whose file is still to attach, or its allocation to
        make (see xero.move.export._steps_to_follow), made once for the run."""
        if file not in self.follow_values:
            self.follow_values[file] = self.Export._steps_to_follow(self.model.env.uid, file)
        return dict(self.follow_values[file])

    def steps_left(self, move):
        """(file, allocation): whether this run still attaches `move`'s file and makes its
        allocation after its send (see xero.move.export's steps_left): it stays in the queue
        until they are done."""
        claim = self.claims[move.id]
        return steps_left(
            self.connection,
            claim.get("attachment_pending"),
            claim.get("allocation_pending"),
            claim.get("status"),
        )

    def steps_ended(self, move):
        """The queue values of `move` once this run's steps for it are over: out of the queue,
        unless a step put it back there to try again."""
        if self.claims[move.id]["export"] in self.retrying:
            return {}
        return self.unqueued()

    def resolve_contacts(self, going):
        """Give each document's contact its Xero ContactID: kept from an earlier send, else
        found by contact number, then name, else created, all in batches. A partner Xero cannot
        take fails its own documents only."""
        partners = {}
        for move, data in going.items():
            if not data["contact"]["contact_id"]:
                partners.setdefault(move.commercial_partner_id, []).append(data)
        if not partners:
            return going
        payloads, refused = {}, {}
        for partner, datas in partners.items():
            try:
                payloads[partner] = contact_payload(datas[0]["contact"])
            except PayloadError as exc:
                refused[partner] = exc.message
        client = self.client
        tenant = self.connection.tenant_id
        found = {}
        todo = list(payloads)
        try:
            for chunk, where in _contact_queries(todo, partners):
                contacts = client.get_contacts(tenant, where=where)
                for partner in chunk:
                    match = _best_contact(partners[partner][0]["contact"], contacts)
                    if match:
                        found[partner] = match["ContactID"]
            missing = [partner for partner in todo if partner not in found]
            if missing:
                created = client.put_contacts(
                    tenant, [payloads[partner] for partner in missing], summarize_errors=False
                )
                for partner, element in zip(missing, created, strict=True):
                    if not _has_errors(element):
                        found[partner] = element["ContactID"]
                        continue
                    messages = validation_messages(element)
                    if any(NAME_TAKEN.search(m) for m in messages):
                        # An active contact has the name, written differently: it is this one.
                        same = _contact_named(
                            client, tenant, partners[partner][0]["contact"]["name"]
                        )
                        if same:
                            found[partner] = same["ContactID"]
                            continue
                    refused[partner] = _plain_validation(messages)
        except XeroError as exc:
            # Contacts are not documents: nothing of the documents went, whatever happened.
            self.failed_to_ask([move.id for move in going], exc)
            return {}
        self.Export._committed(
            lambda env: env["xero.partner.link"]._link_all(
                self.connection, {partner.id: contact_id for partner, contact_id in found.items()}
            )
        )
        failures = {}
        for partner, datas in partners.items():
            for data in datas:
                data["contact"]["contact_id"] = found.get(partner)
        for move in going:
            partner = move.commercial_partner_id
            if partner in refused:
                failures[move.id] = _(
                    "Its partner %(partner)s cannot be a Xero contact: %(why)s",
                    partner=partner.name,
                    why=refused[partner],
                )
        if failures:
            self.fail(failures, needs_fix=True)
        return {move: data for move, data in going.items() if move.id not in failures}

    def build_payloads(self, going):
        """{move: (payload, version, warnings)} for the documents whose payload, as their review
        built it, takes what the steps added to their data; the others failed."""
        payloads, failures = {}, {}
        for move, data in going.items():
            payload, version, warnings = self.built[move.id]
            try:
                payloads[move] = document_payload(data, payload), version, warnings
            except PayloadError as exc:
                failures[move.id] = exc.message
        if failures:
            self.fail(failures, needs_fix=True)
        return payloads

    def check_updates(self, going):
        """What Xero has now of the documents to update, asked 50 ids at a time, every page
        read: those paid, voided or deleted there, or approved with a payment or a credit
        allocated, are not overwritten (Xero refuses: "This document cannot be edited as it has
        a payment or credit note allocated to it"); the others keep the status they have in
        Xero, or take the one the user chose, where Xero allows the change."""
        updates = [move for move in going if self.claims[move.id]["xero_id"]]
        if not updates:
            return going
        client = self.client
        refused, statuses = {}, {}
        for kind in ("Invoices", "CreditNotes"):
            moves = [m for m in updates if _kind(m) == kind]
            if not moves:
                continue
            try:
                current = {
                    document[ID_FIELDS[kind]]: document
                    for document in client.iter_documents(
                        self.connection.tenant_id,
                        kind,
                        [self.claims[m.id]["xero_id"] for m in moves],
                    )
                }
            except XeroError as exc:
                self.failed_to_ask([m.id for m in moves], exc)
                going = {m: data for m, data in going.items() if m not in moves}
                continue
            for move in moves:
                document = current.get(self.claims[move.id]["xero_id"], {"Status": "DELETED"})
                reason = self.refusal(move, document)
                if reason:
                    statuses[move.id] = document["Status"]
                    refused[move.id] = reason
                else:
                    going[move]["status"] = self.status_for(document)
        if refused:
            self.fail(refused, needs_fix=True, statuses=statuses)
        return {move: data for move, data in going.items() if move.id not in refused}

    def status_for(self, document):
        """The status an update of `document` (as Xero has it) is sent with."""
        return document["Status"] if self.update_status == KEEP_STATUS else self.update_status

    def refusal(self, move, document):
        """Why Xero would not take the update of `move`, `document` being what Xero has of it;
        None when it would."""
        status = document["Status"]
        if status in SETTLED_STATUSES:
            return _(
                "%(status)s in Xero since it was sent: nothing was overwritten. Change it in Xero, "
                "or create a new document in Odoo.",
                status=status.capitalize(),
            )
        if status != "AUTHORISED":
            return None
        applied = _applied(document)
        if applied:
            return _(
                "%(document)s is approved in Xero with %(amount)s paid or credited on it, and Xero "
                "does not change such a document: nothing was overwritten. Remove the payment or "
                "the credit note's allocation in Xero and send it again, or void it in Xero and "
                "create a new document in Odoo.",
                document=move.name,
                amount=applied,
            )
        wanted = self.status_for(document)
        if wanted in NOT_APPROVED:
            labels = dict(
                self.connection._fields["invoice_status"]._description_selection(
                    self.connection.env
                )
            )
            return _(
                "%(document)s is approved in Xero, and Xero does not take an approved document "
                "back to %(status)s: nothing was overwritten. Send it again keeping its status "
                "in Xero.",
                document=move.name,
                status=labels[wanted],
            )
        return None

    def post(self, payloads):
        """Send the payloads, per endpoint, in requests of at most 50 documents and 3.5 MB.
        New documents are PUT (create only): a POST would update whatever document of Xero
        carries the same sales invoice number. Known ones are POSTed with their id."""
        by_request = {}
        for move, (payload, version, warnings) in payloads.items():
            method = "POST" if self.claims[move.id]["xero_id"] else "PUT"
            by_request.setdefault((method, _kind(move)), []).append(
                (move, payload, version, warnings)
            )
        client = self.client
        for (method, kind), items in by_request.items():
            too_large = set(oversized([item[1] for item in items], wrapper=kind))
            if too_large:
                self.fail(
                    {
                        items[i][0].id: _(
                            "Too large for one Xero request (3.5 MB): split it in Odoo."
                        )
                        for i in too_large
                    },
                    needs_fix=True,
                )
                items = [item for i, item in enumerate(items) if i not in too_large]
            index = {id(item[1]): item for item in items}
            send = getattr(client, f"{method.lower()}_{_snake(kind)}")
            operation = "update" if method == "POST" else "create"
            for chunk in batches([item[1] for item in items], wrapper=kind):
                chunk_items = [index[id(payload)] for payload in chunk]
                if self.stop:
                    self.stopped([item[0].id for item in chunk_items])
                    continue
                self.request(send, kind, operation, chunk, chunk_items)

    def request(self, send, kind, operation, chunk, items):
        """One request to Xero, its documents' attempt recorded (committed) before it goes."""
        keys = {
            move.id: self.model._idempotency_key(
                self.connection, move, version, operation, self.claims[move.id].get("attempt")
            )
            for move, _p, version, _w in items
        }
        attempts = {
            move.id: {
                "attempt": self.Export._attempt(
                    kind, payload, version, keys[move.id], move.amount_total
                )
            }
            for move, payload, version, _w in items
        }
        self.transition("sending", attempts, {})
        for move, *_rest in items:
            self.claims[move.id]["attempted"] = True
        move_ids = [item[0].id for item in items]
        try:
            answer = send(
                self.connection.tenant_id,
                chunk,
                unitdp=4 if needs_unitdp4(chunk) else None,
                idempotency_key=self.model._request_key(keys.values()),
            )
        except XeroTransientError as exc:
            self.stop = exc
            if exc.maybe_received:
                self.uncertain(move_ids, self.model._plain_uncertain(exc))
            else:
                self.unsent.update(move_ids)
                self.stopped(move_ids)
        except (XeroRateLimitError, XeroAuthenticationError) as exc:
            self.stop = exc
            self.unsent.update(move_ids)
            self.stopped(move_ids)
        except XeroValidationError as exc:
            self.unsent.update(move_ids)
            self.fail(dict.fromkeys(move_ids, self.model._plain(exc)), needs_fix=True)
        except XeroError as exc:
            if exc.status is None or exc.status < 300:
                # An answer cut short, or one that could not be read: the request went, and
                # Xero may have stored it.
                self.uncertain(move_ids, self.model._plain_uncertain(exc))
            else:
                # Refused as a whole (not found, conflict...): nothing was stored.
                self.unsent.update(move_ids)
                self.fail(dict.fromkeys(move_ids, self.model._plain(exc)))
        else:
            self.record_answer(kind, items, answer)

    def stopped(self, move_ids):
        """Documents not sent because of `self.stop`: they wait (a refused authorisation, for a
        manager to connect again)."""
        self.wait(move_ids, self.stop)

    def failed_to_ask(self, move_ids, error):
        """Xero could not be asked something these documents need: they wait when that may
        pass, else fail."""
        if isinstance(error, PASSING):
            self.stop = error
            self.wait(move_ids, error)
        else:
            self.fail(dict.fromkeys(move_ids, self.model._plain(error)))

    def record_answer(self, kind, items, answer):
        """What Xero said of each document of one request, recorded together."""
        sent, failed, details = {}, {}, {}
        results, notes = {}, {}
        # Translated once, not per document.
        what = {True: _("Created"), False: _("Updated")}
        note = _("%(what)s in Xero (%(org)s) as %(number)s, %(status)s.")
        for (move, _payload, version, warnings), element in zip(items, answer, strict=True):
            if _has_errors(element):
                # Refused by Xero: nothing of it was stored, its attempt is settled.
                self.unsent.add(move.id)
                messages = validation_messages(element)
                failed[move.id] = _plain_validation(messages)
                details[move.id] = "\n".join(messages)
                continue
            claim = self.claims[move.id]
            xero_id = element[ID_FIELDS[kind]]
            created = not claim["xero_id"]
            steps = new_steps(self.connection, move) if created else {}
            claim.update(steps, xero_id=xero_id, status=element.get("Status"), sent=True)
            number = element.get(NUMBER_FIELDS[kind]) or False
            warning = "\n".join(filter(None, [*warnings, _xero_warnings(element)]))
            sent[move.id] = {
                "xero_id": xero_id,
                "xero_number": number,
                "xero_status": element.get("Status"),
                "xero_url": self.connection._deep_link(XERO_TYPES[move.move_type], xero_id),
                "warning": warning or False,
                "version": version,
            }
            sent[move.id].update(steps)
            # Its file and allocation follow in this run; should the worker die before they
            # go, the queue does them.
            file, allocation = self.steps_left(move)
            if file or allocation:
                sent[move.id].update(self.steps_to_follow(file))
            results[move.id] = ("created" if created else "updated", warning, xero_id)
            notes[move.id] = note % {
                "what": what[created],
                "org": self.connection.organisation_name,
                "number": number or xero_id,
                "status": element.get("Status"),
            }
        if sent:
            # Written once for all: each value written costs the ORM as much for one record as
            # for the whole request's.
            common = {"last_sent": fields.Datetime.now(), "attempt": False, **UNQUEUED}
            self.transition("sent", sent, results, notes=notes, common=common)
        if failed:
            self.fail(failed, needs_fix=True, details=details)

    # -- what follows the document

    def attach(self, moves):
        """Attach the invoice PDF (customer side) or the vendor's scanned bill (supplier side)
        once. A failure is a warning: the document is in Xero, the file still pending.

        One request per file (Xero takes one per request), reserved at Xero's limits all at
        once; what became of the files is recorded together when the calls end: a file attached
        again after a crash replaces itself (Xero keys a document's files by their name)."""
        if not self.connection.send_attachments or not moves:
            return
        pending = self._pending(moves, "attachment_pending")
        if not pending:
            return
        client = self.client
        step = _("Sent; the file is not attached yet: %(error)s", error="")
        attached, failures = [], []  # moves, failures (see _step_failure)
        # Their files read for them all; on its own, the first file would read every column of
        # the documents (a hundred), for this one.
        self.env["account.move"].concat(*pending).fetch(["message_main_attachment_id"])
        try:
            self.check_held()
            with client.reserve(len(pending)):
                for index, move in enumerate(pending):
                    attachment = move._xero_attachment()
                    if attachment:
                        name, content, mimetype = attachment
                        try:
                            client.put_attachment(
                                self.connection.tenant_id,
                                _kind(move),
                                self.claims[move.id]["xero_id"],
                                name,
                                content,
                                mimetype,
                            )
                        except XeroError as exc:
                            message = _("Sent; the file is not attached yet: %(error)s", error=exc)
                            failures.append(
                                self._step_failure(
                                    pending[index:], message, exc, then=self.steps_left(move)[1]
                                )
                            )
                            if isinstance(exc, HOLDING):
                                break
                            continue
                    attached.append(move)
        except HOLDING as exc:
            # Not even one call could be made: every file waits.
            message = _("Sent; the file is not attached yet: %(error)s", error=exc)
            failures.append(self._step_failure(pending, message, exc))
        finally:

            def work(env):
                # Out of the queue, but those whose allocation follows (see allocate).
                Export = env["xero.move.export"]
                for allocating, moves in groupby(attached, key=lambda m: self.steps_left(m)[1]):
                    values = {"attachment_pending": False}
                    if not allocating:
                        values.update(self.unqueued())
                    done = Export.browse([self.claims[move.id]["export"] for move in moves])
                    done._step_done(values, step)
                self._record_step_failures(env, step, failures)

            if attached or failures:
                self.Export._committed(work)

    def allocate(self, moves):
        """Allocate an approved credit note to the approved document it reverses, once."""
        client = self.client
        credit_notes = [move for move in moves if move.reversed_entry_id]
        pending = self._pending(credit_notes, "allocation_pending")
        for index, credit_note in enumerate(pending):
            invoice = credit_note.reversed_entry_id
            step = _(
                "Sent; not allocated to %(invoice)s yet: %(error)s", invoice=invoice.name, error=""
            )
            # Sent by this run, the document it reverses has its Xero id in its claim: this
            # run's records were read before that was recorded, in a transaction of its own.
            invoice_id = (self.claims.get(invoice.id) or {}).get("xero_id") or (
                invoice.xero_export_ids.filtered(
                    lambda e: e.tenant_id == self.connection.tenant_id
                )[:1].xero_id
            )
            if self.claims[credit_note.id].get("status") != "AUTHORISED":
                continue  # not yet: a send that approves it in Xero tries again
            if not invoice_id:
                # Not yet: once the document it reverses is sent, it is queued for its
                # allocation (see queue_allocations); meanwhile it says why it waits.
                self._allocation_waits(
                    credit_note,
                    step,
                    invoice,
                    _(
                        "%(invoice)s is not in Xero yet; it is allocated once %(invoice)s is sent.",
                        invoice=invoice.name,
                    ),
                )
                continue
            credit_note_id = self.claims[credit_note.id]["xero_id"]
            try:
                self.check_held()
                current = client.get_invoices(self.connection.tenant_id, [invoice_id])[0]
                if current["Status"] in NOT_APPROVED:
                    # Xero allocates to approved documents only. Not queued: a draft may stay
                    # one for weeks, and asking Xero every few minutes would spend its limits;
                    # the next send of either document tries again (see queue_allocations).
                    self._allocation_waits(
                        credit_note,
                        step,
                        invoice,
                        _(
                            "%(invoice)s is not approved in Xero yet (%(status)s). Once it is, "
                            "the next send to Xero that includes %(invoice)s or this credit "
                            "note allocates it.",
                            invoice=invoice.name,
                            status=current["Status"].capitalize(),
                        ),
                    )
                    continue
                if current["Status"] != "AUTHORISED" or not current.get("AmountDue"):
                    # Paid, voided or deleted, or nothing left due: nothing to allocate.
                    self._done_allocating(credit_note, step)
                    continue
                amount = min(
                    Decimal(str(current["AmountDue"])), Decimal(str(credit_note.amount_total))
                )
                try:
                    client.put_allocation(
                        self.connection.tenant_id,
                        credit_note_id,
                        invoice_id,
                        float(amount),
                        credit_note.invoice_date,
                        idempotency_key=f"odoo-allocation-{credit_note_id}",
                    )
                except XeroValidationError:
                    # Xero may have it from a try whose answer was lost: past Xero's
                    # idempotency window, the same allocation is refused for want of credit.
                    # Only then is the credit note read: the allocations that go cost no call.
                    amount = _allocated_to(
                        client.get_credit_note(self.connection.tenant_id, credit_note_id),
                        invoice_id,
                    )
                    if not amount:
                        raise
            except XeroError as exc:
                message = _(
                    "Sent; not allocated to %(invoice)s yet: %(error)s",
                    invoice=invoice.name,
                    error=exc,
                )
                if self._step_failed(pending[index:], step, message, exc):
                    break
                continue
            self._done_allocating(
                credit_note,
                step,
                _(
                    "Allocated %(amount)s to %(invoice)s in Xero.",
                    amount=amount,
                    invoice=invoice.name,
                ),
            )

    def queue_allocations(self, moves):
        """Credit notes sent before the document they reverse was in Xero, or approved there,
        could not be allocated then (see allocate): once it is sent (again), those approved
        there are queued for their allocation alone. Those of this run were allocated (or
        queued) by it already."""
        tenant = self.connection.tenant_id
        sent_ids = [move.id for move in moves]
        if not sent_ids:
            return
        reason = _("Its allocation goes now that the document it reverses was sent to Xero.")
        # Looked for in the run's own transaction (what earlier runs sent is in its snapshot):
        # most sends find none, and open no transaction for it.
        waiting = self.Export.search(
            [
                ("move_id.reversed_entry_id", "in", sent_ids),
                ("move_id", "not in", list(self.claims)),
                ("move_id.state", "=", "posted"),
                ("tenant_id", "=", tenant),
                ("state", "=", "sent"),
                ("xero_status", "=", "AUTHORISED"),
                ("allocation_pending", "=", True),
                ("queued", "=", False),
            ]
        )
        if not waiting:
            return
        self.Export._committed(
            lambda env: (
                env["xero.move.export"]
                .browse(waiting.ids)
                .write(
                    {
                        "queued": True,
                        "queued_by_id": self.model.env.uid,
                        "next_try_at": fields.Datetime.now(),
                        "waiting_reason": reason,
                        "attempts": 0,
                        "queued_steps_only": True,
                        "update_status": KEEP_STATUS,
                    }
                )
            )
        )
        self.Export._queue_job()._trigger()

    def _pending(self, moves, flag):
        if not moves:
            return []
        export_ids = [self.claims[move.id]["export"] for move in moves]
        pending = self.Export._committed(
            lambda env: set(
                env["xero.move.export"]
                .search_fetch([("id", "in", export_ids), (flag, "=", True)], ["move_id"])
                .move_id.ids
            )
        )
        return [move for move in moves if move.id in pending]

    def _allocation_waits(self, credit_note, step, invoice, reason):
        """The credit note's allocation is left pending, out of the queue: its warning says why,
        and when it goes."""
        message = _(
            "Sent; not allocated to %(invoice)s yet: %(error)s", invoice=invoice.name, error=reason
        )

        def work(env):
            export = env["xero.move.export"].browse(self.claims[credit_note.id]["export"])
            export._read_move_states(["warning"])
            export.write(self.steps_ended(credit_note))
            export._step_warning(step, message)

        self.Export._committed(work)

    def _done_allocating(self, credit_note, step, note=None):
        def work(env):
            export = env["xero.move.export"].browse(self.claims[credit_note.id]["export"])
            export._step_done({"allocation_pending": False, **self.steps_ended(credit_note)}, step)
            if note:
                export.move_id._message_log_batch(bodies={export.move_id.id: note})

        self.Export._committed(work)

    def check_held(self):
        """Raise the error that holds this run's calls (see HOLDING), if one came: what is
        left waits for it rather than asks Xero again."""
        if isinstance(self.stop, HOLDING):
            raise self.stop

    def _step_failed(self, moves, step, message, error):
        """What follows the first of `moves` in Xero failed: recorded at once (see
        _step_failure). True when nothing more should be asked of Xero in this run."""
        failure = self._step_failure(moves, message, error)
        self.Export._committed(lambda env: self._record_step_failures(env, step, [failure]))
        return isinstance(error, HOLDING)

    def _step_failure(self, moves, message, error, then=False):
        """(export, message, {export: queue values}): a warning for the first of `moves`; when
        the error may pass, it (and, after an error that holds the run's calls, the rest of
        `moves`) waits in the queue for that step only. `then`: another step of the first one
        follows in this run. Made once, outside the transaction that records it (see
        _retry)."""
        held = isinstance(error, HOLDING)
        if held:
            self.stop = error
        later = (moves if held else moves[:1]) if isinstance(error, PASSING) else []
        # A refused authorisation's reason says who can end the wait.
        reason = self.model._plain(error) if isinstance(error, XeroAuthenticationError) else message
        export_id = self.claims[moves[0].id]["export"]
        # Refused for good: out of the queue once its steps are over (it waits there for them,
        # see xero.move.export._steps_to_follow), its warning says what to do.
        values = {} if later or then else {export_id: self.steps_ended(moves[0])}
        self.retrying.update(self.claims[move.id]["export"] for move in later)
        values.update(
            {
                self.claims[move.id]["export"]: dict(
                    self._retry(move.id, error), waiting_reason=reason, queued_steps_only=True
                )
                for move in later
            }
        )
        return export_id, message, values

    def _record_step_failures(self, env, step, failures):
        """In `env`'s transaction: each failure's warning, in place of the one `step` (the start
        of its warnings) left before, and its documents' places in the queue."""
        Export = env["xero.move.export"]
        Export.browse([id_ for _e, _m, values in failures for id_ in values])._read_move_states()
        for export_id, message, values in failures:
            Export.browse(export_id)._step_warning(step, message)
            Export._write_each(values)


class XeroExportLine(models.Model):
    _name = "xero.export.line"
    _description = "Xero Export: One Document"
    _order = "id"

    batch_id = fields.Many2one("xero.export.batch", required=True, ondelete="cascade")
    # Its batch's, given when it is made: a precomputed related field makes a new record per line
    # to compute it, which cost as much as the rest of the line (a line per document sent).
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", required=True, ondelete="cascade")
    result = fields.Selection(
        [
            ("created", "Created"),
            ("updated", "Updated"),
            ("skipped", "Skipped"),
            ("failed", "Failed"),
            ("queued", "Waiting"),
        ],
        required=True,
    )
    xero_id = fields.Char("Xero ID")
    message = fields.Text()


def insert_lines(model, rows):
    """Create lines of `model` (a send's lines: plain columns, with no default, computed field,
    constraint or override of create to run) from `rows`, dicts with the same keys, in one
    statement. The ORM's create costs a tenth of a millisecond per record in defaults and cache
    work, and a send makes a line per document, and a review another."""
    if not rows:
        return
    fnames = list(rows[0])
    fields_ = [model._fields[fname] for fname in fnames]
    now, uid = model.env.cr.now(), model.env.uid
    values = [
        (
            uid,
            now,
            uid,
            now,
            *(field.convert_to_column_insert(row[field.name], model) for field in fields_),
        )
        for row in rows
    ]
    columns = ["create_uid", "create_date", "write_uid", "write_date", *fnames]
    model.env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) VALUES " + ", ".join(["%s"] * len(values)),
            SQL.identifier(model._table),
            SQL(", ").join(map(SQL.identifier, columns)),
            *values,
        )
    )
    # What the environment holds of their parents' lines is short of them now.
    for field in fields_:
        for inverse in model.pool.field_inverses[field]:
            model.env[inverse.model_name].invalidate_model([inverse.name])


def _kind(move):
    return wrapper_for(XERO_TYPES[move.move_type])


def _snake(endpoint):
    return "invoices" if endpoint == "Invoices" else "credit_notes"


def _quote(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _contact_queries(todo, partners):
    """(partners, where filter) for as few contact look-ups as Xero's URL allows: up to
    CONTACT_QUERY_SIZE partners, and CONTACT_QUERY_CHARS of filter as the URL carries it
    (percent-encoded: a character of a Japanese name takes 9), each."""
    chunk, clauses = [], []
    for partner in todo:
        contact = partners[partner][0]["contact"]
        own = [f"Name=={_quote(contact['name'])}"]
        if contact["contact_number"]:
            own.append(f"ContactNumber=={_quote(contact['contact_number'])}")
        if chunk and (
            len(chunk) == CONTACT_QUERY_SIZE
            or len(quote_plus(" OR ".join(clauses + own))) > CONTACT_QUERY_CHARS
        ):
            yield chunk, f'ContactStatus=="ACTIVE" AND ({" OR ".join(clauses)})'
            chunk, clauses = [], []
        chunk.append(partner)
        clauses += own
    if chunk:
        yield chunk, f'ContactStatus=="ACTIVE" AND ({" OR ".join(clauses)})'


def _allocated_to(credit_note, invoice_id):
    """How much of `credit_note` (as Xero gives one) is allocated to that invoice."""
    return sum(
        Decimal(str(allocation.get("Amount") or 0))
        for allocation in credit_note.get("Allocations") or ()
        if (allocation.get("Invoice") or {}).get("InvoiceID") == invoice_id
    )


def _has_errors(element):
    # Invoices say HasErrors, contacts HasValidationErrors; both say StatusAttributeString.
    return bool(
        element.get("HasErrors")
        or element.get("HasValidationErrors")
        or element.get("StatusAttributeString") == "ERROR"
    )


def _contact_named(client, tenant, name, max_pages=10):
    """The active contact whose name is `name` whatever its case: Xero's names are unique
    regardless of case, its filters are not."""
    wanted = name.strip().lower()
    for page in range(1, max_pages + 1):
        contacts = client.get_contacts(tenant, where='ContactStatus=="ACTIVE"', page=page)
        for contact in contacts:
            if (contact.get("Name") or "").strip().lower() == wanted:
                return contact
        if len(contacts) < 100:
            return None
    return None


def _best_contact(contact, candidates):
    """The candidate matching by contact number, else by name; never by e-mail alone (two
    businesses can share a bookkeeper's address)."""
    for key, field in (("contact_number", "ContactNumber"), ("name", "Name")):
        wanted = (contact.get(key) or "").strip().lower()
        if not wanted:
            continue
        for candidate in candidates:
            if (candidate.get(field) or "").strip().lower() == wanted:
                return candidate
    return None


def _plain_validation(messages):
    return _("Xero refused it: %(messages)s", messages=" ".join(messages))


def _xero_warnings(element):
    """What Xero changed in a document it took (its `Warnings`), in Xero's words."""
    messages = warning_messages(element)
    if not messages:
        return None
    return _("Xero changed it: %(messages)s", messages=" ".join(messages))


def _applied(document):
    """What is paid or credited on a Xero invoice, or used of a Xero credit note."""
    if "RemainingCredit" in document:
        return Decimal(str(document["Total"])) - Decimal(str(document["RemainingCredit"]))
    return Decimal(str(document.get("AmountPaid") or 0)) + Decimal(
        str(document.get("AmountCredited") or 0)
    )
