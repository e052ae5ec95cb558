import hashlib
import logging
import re
from contextlib import contextmanager
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.tools import float_compare

from ..xero import (
    XeroAuthenticationError,
    XeroError,
    XeroRateLimitError,
    XeroTransientError,
    XeroValidationError,
)
from ..xero.errors import validation_messages
from ..xero.payloads import (
    PayloadError,
    batches,
    contact_payload,
    document_payload,
    document_warnings,
    needs_unitdp4,
    oversized,
    payload_hash,
)
from .account_move import SETTLED_STATUSES, XERO_TYPES

_logger = logging.getLogger(__name__)

ID_FIELDS = {"Invoices": "InvoiceID", "CreditNotes": "CreditNoteID"}
NUMBER_FIELDS = {"Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber"}
CONTACT_QUERY_SIZE = 10
# Xero's words for a contact name taken by another contact.
NAME_TAKEN = re.compile(r"already assigned to another contact", re.IGNORECASE)


class XeroExportBatch(models.Model):
    """One send to Xero: what was asked, and what became of each document. Keeps no secret."""

    _name = "xero.export.batch"
    _description = "Xero Export"
    _order = "id desc"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
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
    def _send(self, connection, moves, action):
        """Send `moves` with `action` ("invoice" or "credit_note"); return one result per
        document: `{"move_id", "result", "message", "url"}`, result being created, updated,
        skipped or failed.

        Whatever Xero has accepted is recorded at once, in a transaction of its own per request,
        so that no later failure can make Odoo forget a document Xero has: it would be sent
        twice. Each request carries an Idempotency-Key made of the documents' versions, so that
        a request retried after a lost answer creates nothing new either.
        """
        self.check_access("create")
        results = {}
        review = moves._xero_review(connection, action)
        going = {move: data for move, (verdict, _r, data) in review.items() if data}
        moves.browse([move.id for move in going]).check_access("write")
        for move, (verdict, reason, _data) in review.items():
            if verdict == "skip":
                results[move] = ("skipped", reason)
            elif verdict == "blocked":
                results[move] = ("failed", reason)
        self.env.flush_all()
        with self._own_env() as env:
            batch = env[self._name].create({"connection_id": connection.id, "action": action})
            batch._record({move.id: result for move, result in results.items()})
            batch_id = batch.id
        if going:
            try:
                self._resolve_contacts(connection, going)
            except XeroError as exc:
                self._fail_all(batch_id, going, self._plain(exc))
                going = {}
            payloads, notes = self._build_payloads(batch_id, going)
            self._refuse_settled(connection, batch_id, payloads)
            self._post(connection, batch_id, payloads, notes)
            with self._own_env() as env:
                sent = (
                    env["account.move"]
                    .browse([move.id for move in payloads])
                    .filtered(lambda move: move.xero_state == "sent")
                )
                sent_ids = {move.id: (move.xero_id, move.xero_status) for move in sent}
            self._attach(connection, moves.filtered(lambda m: m.id in sent_ids), sent_ids)
            self._allocate(connection, moves.filtered(lambda m: m.id in sent_ids), sent_ids)
        with self._own_env() as env:
            return [
                {
                    "move_id": line.move_id.id,
                    "result": line.result,
                    "message": line.message or "",
                    "url": line.move_id.xero_url or "",
                }
                for line in env[self._name].browse(batch_id).line_ids
            ]

    @contextmanager
    def _own_env(self):
        """An environment on a cursor of its own, committed when the block ends."""
        with self.env.registry.cursor() as cr:
            yield self.env(cr=cr)

    @api.model
    def _version(self, data):
        """What identifies a version of a document: its payload, without what Xero gave back
        (its id, the contact's id)."""
        basis = dict(data, xero_id=None, contact=dict(data["contact"], contact_id=None))
        return payload_hash(document_payload(basis))

    def _resolve_contacts(self, connection, going):
        """Give each document's contact its Xero ContactID: kept from an earlier send, else
        found by contact number, then name, then email, else created, all in batches."""
        partners = {}
        for move, data in going.items():
            if not data["contact"]["contact_id"]:
                partners.setdefault(move.commercial_partner_id, []).append(data)
        if not partners:
            return
        client = connection._client()
        tenant = connection.tenant_id
        found = {}
        todo = list(partners)
        for start in range(0, len(todo), CONTACT_QUERY_SIZE):
            chunk = todo[start : start + CONTACT_QUERY_SIZE]
            clauses = []
            for partner in chunk:
                contact = partners[partner][0]["contact"]
                clauses.append(f"Name=={_quote(contact['name'])}")
                if contact["contact_number"]:
                    clauses.append(f"ContactNumber=={_quote(contact['contact_number'])}")
                if contact["email"]:
                    clauses.append(f"EmailAddress=={_quote(contact['email'])}")
            where = f'ContactStatus=="ACTIVE" AND ({" OR ".join(clauses)})'
            contacts = client.get_contacts(tenant, where=where)
            for partner in chunk:
                match = _best_contact(partners[partner][0]["contact"], contacts)
                if match:
                    found[partner] = match["ContactID"]
        missing = [partner for partner in todo if partner not in found]
        if missing:
            created = client.put_contacts(
                tenant,
                [contact_payload(partners[partner][0]["contact"]) for partner in missing],
                summarize_errors=False,
            )
            for partner, element in zip(missing, created, strict=True):
                if not _has_errors(element):
                    found[partner] = element["ContactID"]
                elif any(NAME_TAKEN.search(m) for m in validation_messages(element)):
                    # An active contact has the name, written differently: it is this one.
                    same = _contact_named(client, tenant, partners[partner][0]["contact"]["name"])
                    if same:
                        found[partner] = same["ContactID"]
        with self._own_env() as env:
            for partner, contact_id in found.items():
                env["xero.partner.link"].create(
                    {
                        "connection_id": connection.id,
                        "partner_id": partner.id,
                        "contact_id": contact_id,
                    }
                )
        for partner, datas in partners.items():
            for data in datas:
                data["contact"]["contact_id"] = found.get(partner)

    def _build_payloads(self, batch_id, going):
        """({move: (payload, version)}, {move id: [what had to change to fit Xero]}) for the
        documents whose payload can be built; the others failed."""
        payloads, notes, failures = {}, {}, {}
        for move, data in going.items():
            try:
                payload = document_payload(data)
            except PayloadError as exc:
                failures[move.id] = ("failed", str(exc))
                continue
            payloads[move] = (payload, self._version(data))
            notes[move.id] = document_warnings(data)
        if failures:
            self._record_in(batch_id, failures)
        return payloads, notes

    def _refuse_settled(self, connection, batch_id, payloads):
        """Documents paid, voided or deleted in Xero since they were sent are not overwritten."""
        updates = {move: p for move, p in payloads.items() if move.xero_id}
        if not updates:
            return
        client = connection._client()
        refused, statuses = {}, {}
        for endpoint in ("Invoices", "CreditNotes"):
            moves = [m for m in updates if _endpoint(m) == endpoint]
            if not moves:
                continue
            getter = client.get_invoices if endpoint == "Invoices" else client.get_credit_notes
            try:
                current = {
                    d[ID_FIELDS[endpoint]]: d["Status"]
                    for d in getter(connection.tenant_id, [m.xero_id for m in moves])
                }
            except XeroError as exc:
                for move in moves:
                    refused[move] = self._plain(exc)
                continue
            for move in moves:
                status = current.get(move.xero_id, "DELETED")
                if status in SETTLED_STATUSES:
                    statuses[move.id] = status
                    refused[move] = _(
                        "%(status)s in Xero since it was sent: nothing was overwritten. Change "
                        "it in Xero, or create a new document in Odoo.",
                        status=status.capitalize(),
                    )
        for move in refused:
            del payloads[move]
        if refused:
            self._record_in(
                batch_id,
                {move.id: ("failed", message) for move, message in refused.items()},
                statuses=statuses,
            )

    def _post(self, connection, batch_id, payloads, notes):
        """Send the payloads, per endpoint, in requests of at most 50 documents and 3.5 MB.
        After a failure that will not pass by itself (unreachable, rate limit, authorisation),
        the remaining requests are not attempted: their documents fail with the same reason."""
        # New documents are PUT (create only): a POST would update whatever document of Xero
        # carries the same sales invoice number. Known ones are POSTed with their id.
        by_request = {}
        for move, (payload, version) in payloads.items():
            method = "POST" if move.xero_id else "PUT"
            by_request.setdefault((method, _endpoint(move)), []).append((move, payload, version))
        client = connection._client()
        stop = None
        for (method, endpoint), items in by_request.items():
            too_large = set(oversized([payload for _m, payload, _v in items], wrapper=endpoint))
            if too_large:
                self._record_in(
                    batch_id,
                    {
                        items[i][0].id: (
                            "failed",
                            _("Too large for one Xero request (3.5 MB): split it in Odoo."),
                        )
                        for i in too_large
                    },
                )
                items = [item for i, item in enumerate(items) if i not in too_large]
            index = {id(payload): (move, version) for move, payload, version in items}
            send = getattr(client, f"{method.lower()}_{_snake(endpoint)}")
            for chunk in batches([payload for _m, payload, _v in items], wrapper=endpoint):
                chunk_moves = [index[id(payload)] for payload in chunk]
                if not stop:
                    try:
                        answer = send(
                            connection.tenant_id,
                            chunk,
                            unitdp=4 if needs_unitdp4(chunk) else None,
                            idempotency_key=self._idempotency_key(connection, chunk_moves),
                        )
                    except (XeroTransientError, XeroRateLimitError, XeroAuthenticationError) as exc:
                        stop = self._plain(exc)
                    except XeroError as exc:
                        message = self._plain(exc)
                        self._record_in(
                            batch_id, {m.id: ("failed", message) for m, _v in chunk_moves}
                        )
                        continue
                    else:
                        self._record_answer(
                            connection, batch_id, endpoint, chunk_moves, answer, notes
                        )
                        continue
                self._record_in(batch_id, {m.id: ("failed", stop) for m, _v in chunk_moves})

    @api.model
    def _idempotency_key(self, connection, chunk_moves):
        versions = "|".join(f"{move.id}:{version}" for move, version in chunk_moves)
        digest = hashlib.sha256(f"{connection.tenant_id}|{versions}".encode()).hexdigest()
        return f"odoo-{digest}"

    def _record_answer(self, connection, batch_id, endpoint, chunk_moves, answer, notes):
        """Write what Xero said of each document of one request, in its own transaction;
        `notes` are what its payload had to change to fit Xero, kept as warnings."""
        with self._own_env() as env:
            batch = env[self._name].browse(batch_id)
            for (move, version), element in zip(chunk_moves, answer, strict=True):
                move = move.with_env(env)
                if _has_errors(element):
                    messages = validation_messages(element)
                    batch._record_failure(move, _plain_validation(messages), messages)
                    continue
                xero_id = element[ID_FIELDS[endpoint]]
                created = not move.xero_id
                warning = "\n".join(
                    filter(None, [*notes.get(move.id, []), _total_difference(move, element)])
                )
                move.with_context(xero_result=True).write(
                    {
                        "xero_state": "sent",
                        "xero_connection_id": connection.id,
                        "xero_id": xero_id,
                        "xero_tenant_id": connection.tenant_id,
                        "xero_number": element.get(NUMBER_FIELDS[endpoint]) or False,
                        "xero_status": element.get("Status"),
                        "xero_url": connection._deep_link(XERO_TYPES[move.move_type], xero_id),
                        "xero_last_sent": fields.Datetime.now(),
                        "xero_error": False,
                        "xero_error_details": False,
                        "xero_warning": warning or False,
                        "xero_payload_hash": version,
                    }
                )
                move.message_post(
                    body=_(
                        "%(what)s in Xero (%(org)s) as %(number)s, %(status)s.",
                        what=_("Created") if created else _("Updated"),
                        org=connection.organisation_name,
                        number=element.get(NUMBER_FIELDS[endpoint]) or xero_id,
                        status=element.get("Status"),
                    )
                )
                env["xero.export.line"].create(
                    {
                        "batch_id": batch_id,
                        "move_id": move.id,
                        "result": "created" if created else "updated",
                        "xero_id": xero_id,
                        "message": warning or "",
                    }
                )

    def _attach(self, connection, moves, sent):
        """Attach the invoice PDF (customer side) or the vendor's scanned bill (supplier side)
        to documents that did not have it yet. A failure is a warning: the document is in Xero."""
        if not connection.send_attachments:
            return
        client = connection._client()
        for move in moves.filtered(lambda m: not m.xero_attached):
            attachment = move._xero_attachment()
            if not attachment:
                continue
            name, content, mimetype = attachment
            try:
                client.put_attachment(
                    connection.tenant_id, _endpoint(move), sent[move.id][0], name, content, mimetype
                )
            except XeroError as exc:
                self._warn(move, _("Sent, but the file was not attached: %(error)s", error=exc))
                continue
            with self._own_env() as env:
                move.with_env(env).with_context(xero_result=True).xero_attached = True

    def _allocate(self, connection, moves, sent):
        """Allocate an approved credit note to the approved document it reverses, once."""
        client = connection._client()
        for credit_note in moves.filtered(
            lambda m: (
                m.move_type in ("in_refund", "out_refund")
                and not m.xero_allocated
                and m.reversed_entry_id.xero_id
            )
        ):
            credit_note_id, status = sent[credit_note.id]
            invoice = credit_note.reversed_entry_id
            if status != "AUTHORISED":
                continue
            try:
                current = client.get_invoices(connection.tenant_id, [invoice.xero_id])[0]
                if current["Status"] != "AUTHORISED" or not current.get("AmountDue"):
                    continue
                amount = min(
                    Decimal(str(current["AmountDue"])), Decimal(str(credit_note.amount_total))
                )
                client.put_allocation(
                    connection.tenant_id,
                    credit_note_id,
                    invoice.xero_id,
                    float(amount),
                    credit_note.invoice_date,
                    idempotency_key=f"odoo-allocation-{credit_note_id}",
                )
            except XeroError as exc:
                self._warn(
                    credit_note,
                    _(
                        "Sent, but not allocated to %(invoice)s: %(error)s",
                        invoice=invoice.name,
                        error=exc,
                    ),
                )
                continue
            with self._own_env() as env:
                credit_note.with_env(env).with_context(xero_result=True).xero_allocated = True
                credit_note.with_env(env).message_post(
                    body=_(
                        "Allocated %(amount)s to %(invoice)s in Xero.",
                        amount=amount,
                        invoice=invoice.name,
                    )
                )

    def _warn(self, move, message):
        with self._own_env() as env:
            move = move.with_env(env)
            move.with_context(xero_result=True).xero_warning = "\n".join(
                filter(None, [move.xero_warning, message])
            )

    # ------------------------------------------------------------------ recording

    def _record_in(self, batch_id, results, statuses=None):
        with self._own_env() as env:
            env[self._name].browse(batch_id)._record(results, statuses=statuses)

    def _record(self, results, statuses=None):
        """`results`: {move id: (result, message)}; failures are also written on the move."""
        self.ensure_one()
        for move_id, (result, message) in results.items():
            move = self.env["account.move"].browse(move_id)
            if result == "failed":
                self._record_failure(move, message, [], status=(statuses or {}).get(move_id))
            else:
                self.env["xero.export.line"].create(
                    {"batch_id": self.id, "move_id": move_id, "result": result, "message": message}
                )

    def _record_failure(self, move, message, raw_messages, status=None):
        values = {
            "xero_state": "error",
            "xero_error": message,
            "xero_error_details": "\n".join(raw_messages) or False,
        }
        if status:
            values["xero_status"] = status
        move.with_context(xero_result=True).write(values)
        self.env["xero.export.line"].create(
            {"batch_id": self.id, "move_id": move.id, "result": "failed", "message": message}
        )

    def _fail_all(self, batch_id, going, message):
        self._record_in(batch_id, {move.id: ("failed", message) for move in going})

    @api.model
    def _plain(self, error):
        """Xero's error in plain words, saying what to do."""
        if isinstance(error, XeroRateLimitError):
            return _(
                "Xero's %(limit)s limit was reached: nothing was lost, send again in "
                "%(seconds)s seconds (Retry failed).",
                limit=error.problem or _("call"),
                seconds=error.retry_after or 60,
            )
        if isinstance(error, XeroTransientError):
            return _(
                "Xero could not be reached or failed (%(error)s): nothing was sent. Try again "
                "later (Retry failed).",
                error=error,
            )
        if isinstance(error, XeroAuthenticationError):
            return _(
                "Xero refused the connection (%(error)s): start a Xero session again.", error=error
            )
        if isinstance(error, XeroValidationError):
            messages = [m for element in error.elements for m in element["messages"]]
            return _plain_validation(messages or [str(error)])
        return _("Xero answered with an error: %(error)s", error=error)


class XeroExportLine(models.Model):
    _name = "xero.export.line"
    _description = "Xero Export: One Document"
    _order = "id"

    batch_id = fields.Many2one("xero.export.batch", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", required=True, ondelete="cascade")
    result = fields.Selection(
        [
            ("created", "Created"),
            ("updated", "Updated"),
            ("skipped", "Skipped"),
            ("failed", "Failed"),
        ],
        required=True,
    )
    xero_id = fields.Char("Xero ID")
    message = fields.Text()


def _endpoint(move):
    return "Invoices" if move.move_type in ("in_invoice", "out_invoice") else "CreditNotes"


def _snake(endpoint):
    return "invoices" if endpoint == "Invoices" else "credit_notes"


def _quote(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    """The candidate matching by contact number, else by name, else by email."""
    for key, field in (
        ("contact_number", "ContactNumber"),
        ("name", "Name"),
        ("email", "EmailAddress"),
    ):
        wanted = (contact.get(key) or "").strip().lower()
        if not wanted:
            continue
        for candidate in candidates:
            if (candidate.get(field) or "").strip().lower() == wanted:
                return candidate
    return None


def _plain_validation(messages):
    return _("Xero refused it: %(messages)s", messages=" ".join(messages))


def _total_difference(move, element):
    """A sentence when Xero's total differs from Odoo's (rounding per line vs per document)."""
    total = element.get("Total")
    if total is None:
        return None
    if float_compare(
        float(Decimal(str(total))), move.amount_total, precision_rounding=move.currency_id.rounding
    ):
        return _(
            "Xero's total is %(xero)s, Odoo's %(odoo)s: check the taxes' rounding.",
            xero=total,
            odoo=move.amount_total,
        )
    return None
