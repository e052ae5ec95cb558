import logging
from collections import namedtuple
from decimal import Decimal
from itertools import chain

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round, split_every

from ..xero.payloads import PayloadError, document_payload_and_warnings

_logger = logging.getLogger(__name__)

# Odoo move type -> Xero type, and which send action each belongs to.
XERO_TYPES = {
    "in_invoice": "ACCPAY",
    "out_invoice": "ACCREC",
    "in_refund": "ACCPAYCREDIT",
    "out_refund": "ACCRECCREDIT",
}
ACTION_MOVE_TYPES = {
    "invoice": ("in_invoice", "out_invoice"),
    "credit_note": ("in_refund", "out_refund"),
    "retry": tuple(XERO_TYPES),
}
EXPORT_TO_MOVE_STATE = {
    "to_send": "not_sent",
    "sending": "sending",
    "sent": "sent",
    "failed": "error",
    "uncertain": "uncertain",
}
# Documents reviewed together: their records read at once, then forgotten.
REVIEW_CHUNK = 500
# What the review reads of documents, fetched for a chunk at once (their lines: see XeroLine).
# Fetched with columns, the exports of the documents are checked against the record rules by the
# database; on their own (when first read), by Python, record by record. What is not listed is
# read all the same, through Odoo's prefetching.
REVIEW_MOVE_FIELDS = [
    "move_type",
    "state",
    "company_id",
    "commercial_partner_id",
    "currency_id",
    "name",
    "ref",
    "payment_reference",
    "invoice_date",
    "invoice_date_due",
    "invoice_currency_rate",
    "reversed_entry_id",
    "amount_total",
    "xero_export_ids",
]
# A document's line as its data for Xero reads it (see AccountMove._xero_lines): the values of
# the line's fields of these names, as the ORM gives them, read by one query for a chunk of
# documents. Read through the ORM, fetching and then reading them cost a third of a review.
XeroLine = namedtuple(
    "XeroLine",
    [
        "id",
        "sequence",
        "display_type",
        "name",
        "product_id",
        "quantity",
        "price_unit",
        "discount",
        "analytic_distribution",
        "tax_line_id",
        "group_tax_id",
        "amount_currency",
        "balance",
        "price_subtotal",
        "price_total",
        "tax_ids",
    ],
)
# The lines of a document's invoice_line_ids (see its domain in account.move).
INVOICE_LINE_TYPES = ("product", "line_section", "line_note")
# Xero statuses of documents that can no longer be changed through the API.
SETTLED_STATUSES = ("PAID", "VOIDED", "DELETED")
# A change to one of these after a send makes the document "changed since sent".
SENT_FIELDS = {
    "state",
    "invoice_currency_rate",
    "invoice_cash_rounding_id",
    "partner_id",
    "invoice_date",
    "invoice_date_due",
    "ref",
    "payment_reference",
    "currency_id",
    "invoice_line_ids",
    "line_ids",
}


class MappingProblem(str):
    """Why a document cannot go, when the Xero setup (Accounts and Taxes) is what fixes it: the
    review offers Fix Mappings for these only."""


class Unchanged(str):
    """Why a document in Xero does not go: Xero has it as it is. A review that finds so says it
    is sent, where an edit undone since (reset to draft, posted again as it was) said changed."""


# Who reads a document's Xero fields: invoicing users and read-only accountants.
XERO_READERS = "account.group_account_invoice,account.group_account_readonly"


class AccountMove(models.Model):
    _inherit = "account.move"

    xero_export_ids = fields.One2many("xero.move.export", "move_id", "Xero Exports", readonly=True)
    xero_state = fields.Selection(
        [
            ("not_sent", "Not in Xero"),
            ("queued", "Waiting to go to Xero"),
            ("sending", "Sending to Xero"),
            ("sent", "Sent"),
            ("error", "Xero error"),
            ("uncertain", "Xero may have it"),
            ("changed", "Changed since sent"),
        ],
        "Xero",
        compute="_compute_xero_state",
        store=True,
        index=True,
        copy=False,
    )
    # What Xero holds of a document and said of it is the accountants' (related fields are read
    # as the superuser): a portal customer or vendor following it reads none of it.
    xero_export_id = fields.Many2one(
        "xero.move.export",
        compute="_compute_xero_export_id",
        search="_search_xero_export_id",
        string="Xero Export",
        groups=XERO_READERS,
    )
    xero_connection_id = fields.Many2one(
        related="xero_export_id.connection_id", groups=XERO_READERS
    )
    xero_id = fields.Char(related="xero_export_id.xero_id", groups=XERO_READERS)
    xero_tenant_id = fields.Char(related="xero_export_id.tenant_id", groups=XERO_READERS)
    xero_number = fields.Char(related="xero_export_id.xero_number", groups=XERO_READERS)
    xero_status = fields.Char(related="xero_export_id.xero_status", groups=XERO_READERS)
    xero_url = fields.Char(related="xero_export_id.xero_url", groups=XERO_READERS)
    xero_last_sent = fields.Datetime(related="xero_export_id.last_sent", groups=XERO_READERS)
    xero_error = fields.Text(related="xero_export_id.error", groups=XERO_READERS)
    xero_error_details = fields.Text(related="xero_export_id.error_details", groups=XERO_READERS)
    xero_warning = fields.Text(related="xero_export_id.warning", groups=XERO_READERS)

    @api.depends("xero_export_ids")
    def _compute_xero_export_id(self):
        for move in self:
            # The latest: one per organisation, and a company has one organisation at a time.
            move.xero_export_id = move.xero_export_ids[:1]

    def _search_xero_export_id(self, operator, value):
        return [("xero_export_ids", operator, value)]

    @api.depends("xero_export_ids.state", "xero_export_ids.changed", "xero_export_ids.queued")
    def _compute_xero_state(self):
        for move in self:
            export = move.xero_export_ids[:1]
            if export.state == "sent":
                move.xero_state = "changed" if export.changed else "sent"
            elif export.queued and export.state in ("to_send", "failed"):
                move.xero_state = "queued"
            else:
                move.xero_state = EXPORT_TO_MOVE_STATE.get(export.state, "not_sent")

    def write(self, vals):
        # Every xero_* field reflects what Xero holds: pointing xero_id elsewhere would make the
        # next send overwrite another document.
        if any(name.startswith("xero_") for name in vals) and not self.env.su:
            raise AccessError(
                _(
                    "The Xero fields of a document are written by the Xero export only: send it "
                    "to Xero instead."
                )
            )
        result = super().write(vals)
        if SENT_FIELDS.intersection(vals):
            # What Xero has (or may have, its answer lost) is no longer what Odoo says: the
            # next send updates it, and one found in Xero meanwhile shows as changed.
            self.sudo().xero_export_ids.filtered(
                lambda export: (export.state == "sent" or export._in_doubt()) and not export.changed
            ).changed = True
        return result

    # ------------------------------------------------------------------ actions

    def action_send_to_xero_invoice(self):
        return self.env["xero.send.wizard"]._action_start(self, "invoice")

    def action_send_to_xero_credit_note(self):
        return self.env["xero.send.wizard"]._action_start(self, "credit_note")

    def action_send_to_xero(self):
        """The form's Send to Xero: the action that fits the document's type."""
        self.ensure_one()
        action = "credit_note" if self.move_type in ACTION_MOVE_TYPES["credit_note"] else "invoice"
        return self.env["xero.send.wizard"]._action_start(self, action)

    def action_view_in_xero(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.xero_url, "target": "new"}

    def action_retry_xero_failed(self):
        """Send again the selected documents whose last send failed or whose answer was lost,
        whatever their type."""
        failed = self.filtered(lambda move: move.xero_state in ("error", "uncertain"))
        if not failed:
            raise UserError(
                _(
                    "None of the selected documents failed to go to Xero: Retry Failed Xero "
                    "Sends sends again only those whose send failed or whose answer was lost."
                )
            )
        return self.env["xero.send.wizard"]._action_start(failed, "retry")

    def _xero_attachment(self):
        """(file name, content, mimetype) of the file to attach in Xero, if any: the vendor's
        scanned bill, or the invoice PDF (the one already made, else rendered now)."""
        self.ensure_one()
        attachment = self.message_main_attachment_id
        if attachment:
            return attachment.name, attachment.raw, attachment.mimetype
        if self.is_purchase_document():
            return None
        report = self.env["ir.actions.report"]
        try:
            content, kind = report._render_qweb_pdf("account.account_invoices", self.ids)
        except UserError as exc:
            _logger.info("No PDF for %s: %s", self.name, exc)
            return None
        if kind != "pdf":
            return None
        return f"{self.name.replace('/', '_')}.pdf", content, "application/pdf"

    # ------------------------------------------------------------------ review

    def _xero_review(self, connection, action, with_data=True):
        """What sending `self` with `action` would do, document by document, before any call
        to Xero: `{move: (verdict, reason, data, built)}` with verdict create, update, follow
        (in Xero, unchanged, with its file or allocation still to do), skip or blocked, `data`
        the plain data for the payload of those that go and `built` what was made of it:
        (payload, version, warnings), for the run that sends them (see _Run.build_payloads).
        Both None without `with_data`: kept for a whole selection, they would grow memory with
        it, and a verdict needs no version of a document Xero does not have."""
        if not self:
            return {}
        Export = self.env["xero.move.export"]
        setup = connection._xero_sending_setup()
        review = {}
        for index, chunk in enumerate(split_every(REVIEW_CHUNK, self.ids, self.browse)):
            # What the documents' data is made of, read for a chunk at once (see
            # REVIEW_MOVE_FIELDS), then forgotten when the next chunk comes, so that memory
            # does not grow with the selection. The last chunk is kept: a send reads its
            # documents and connection again (a batch of the queue is one chunk).
            if index:
                self.env.invalidate_all()
            chunk.fetch(REVIEW_MOVE_FIELDS)
            lines = chunk._xero_lines()
            # Taken from the chunk's exports, which its review reads all the same: a search of
            # those being sent would be a query of its own.
            sending = chunk.xero_export_ids.filtered(lambda export: export.state == "sending")
            busy = Export.browse(Export._is_busy(sending.ids))
            for move in chunk:
                review[move] = move._xero_review_one(setup, action, busy, with_data, lines)
        return review

    def _xero_lines(self):
        """{move id: [XeroLine]}: the lines of these documents, in the order of line_ids, read
        in one query. Their values are those the ORM gives (rounded to the fields' digits, None
        as False or 0), their relational ones records prefetched together. The documents' own
        access is what allows reading them, as for line_ids."""
        Line = self.env["account.move.line"]
        Line.check_access("read")
        Line.flush_model(["move_id", *XeroLine._fields[1:]])
        self.env.cr.execute(
            """
            SELECT l.move_id, l.id, l.sequence, l.display_type, l.name, l.product_id,
                   l.quantity, l.price_unit, l.discount, l.analytic_distribution, l.tax_line_id,
                   l.group_tax_id, l.amount_currency, l.balance, l.price_subtotal,
                   l.price_total,
                   ARRAY(SELECT r.account_tax_id
                           FROM account_move_line_account_tax_rel r
                          WHERE r.account_move_line_id = l.id
                          ORDER BY r.account_tax_id)
              FROM account_move_line l
             WHERE l.move_id = ANY(%s)
             ORDER BY l.id
            """,
            [self.ids],
        )
        rows = self.env.cr.fetchall()
        digits = {
            name: Line._fields[name].get_digits(self.env)
            for name in ("quantity", "price_unit", "discount")
        }
        products, taxes = set(), set()
        for row in rows:
            products.add(row[5])
            taxes.update((row[10], row[11], *row[-1]))
        products.discard(None)
        taxes.discard(None)
        records = {}

        def record(model, ids, prefetch):
            # One record (or recordset) per value, read with all the others when first read.
            key = (model, ids)
            if key not in records:
                records[key] = self.env[model].browse(ids).with_prefetch(prefetch)
            return records[key]

        def number(value, name):
            # As fields.Float puts it in the cache, rounded to its digits: a value stored with
            # no more digits is its own rounding, which float_round would take ten times as
            # long to say.
            value = float(value or 0.0)
            if digits[name] and round(value, digits[name][1]) != value:
                value = float_round(value, precision_digits=digits[name][1])
            return value

        products, taxes = tuple(products), tuple(taxes)
        lines = {move_id: [] for move_id in self.ids}
        for (
            move_id,
            line_id,
            sequence,
            kind,
            name,
            product,
            quantity,
            price_unit,
            discount,
            distribution,
            tax_line,
            group_tax,
            amount,
            balance,
            subtotal,
            total,
            tax_ids,
        ) in rows:
            lines[move_id].append(
                XeroLine(
                    line_id,
                    sequence or 0,
                    kind or False,
                    False if name is None else name,
                    record("product.product", product and (product,), products),
                    number(quantity, "quantity"),
                    number(price_unit, "price_unit"),
                    number(discount, "discount"),
                    distribution,
                    record("account.tax", tax_line and (tax_line,), taxes),
                    record("account.tax", group_tax and (group_tax,), taxes),
                    float(amount or 0.0),
                    float(balance or 0.0),
                    float(subtotal or 0.0),
                    float(total or 0.0),
                    record("account.tax", tuple(tax_ids), taxes),
                )
            )
        return lines

    def _xero_review_one(self, setup, action, busy, with_data, lines):
        self.ensure_one()
        connection = setup.connection
        if self.move_type not in XERO_TYPES:
            return "skip", _("Not an invoice, bill or credit note."), None, None
        if self.move_type not in ACTION_MOVE_TYPES[action]:
            other = (
                _("Send to Xero as Credit Note")
                if action == "invoice"
                else _("Send to Xero as Invoice")
            )
            return "skip", _("Does not fit this action: use %(other)s.", other=other), None, None
        if self.state == "draft":
            return "skip", _("Draft: post it first."), None, None
        if self.state == "cancel":
            held = self.xero_export_ids.filtered("xero_id")[:1]
            if held:
                return (
                    "skip",
                    _(
                        "Cancelled in Odoo, but still in Xero as %(number)s (%(status)s): void "
                        "or delete it in Xero.",
                        number=held.xero_number or held.xero_id,
                        status=(held.xero_status or "").lower(),
                    ),
                    None,
                    None,
                )
            return "skip", _("Cancelled."), None, None
        if self.company_id != connection.company_id:
            return (
                "skip",
                _(
                    "Belongs to %(company)s: switch to that company to send it.",
                    company=self.company_id.name,
                ),
                None,
                None,
            )
        exports = self.xero_export_ids
        export = next(
            (export for export in exports if export.tenant_id == connection.tenant_id),
            exports.browse(),
        )
        others = [other for other in exports if other != export]
        if not export.xero_id and any(other.xero_id for other in others):
            return (
                "blocked",
                _(
                    "Already sent to another Xero organisation, before this company was "
                    "connected to %(org)s: it is not sent twice.",
                    org=connection.organisation_name,
                ),
                None,
                None,
            )
        if not export.xero_id and any(other._in_doubt() for other in others):
            return (
                "blocked",
                _(
                    "Sent to another Xero organisation before this company was connected to "
                    "%(org)s, and Xero's answer was lost: that organisation may have it, so it "
                    "is not sent here too. Connect the company to that organisation again to "
                    "find out.",
                    org=connection.organisation_name,
                ),
                None,
                None,
            )
        if export in busy:
            return "skip", export._busy_message(), None, None
        if export.xero_status in SETTLED_STATUSES:
            return (
                "blocked",
                _(
                    "%(status)s in Xero: it can no longer be changed there.",
                    status=export.xero_status.capitalize(),
                ),
                None,
                None,
            )
        problem, data = self._xero_document_data(setup, link=with_data, lines=lines[self.id])
        if problem:
            return "blocked", problem, None, None
        try:
            payload, warnings = document_payload_and_warnings(data)
        except PayloadError as exc:
            return "blocked", exc.message, None, None
        # Made from that payload, for a document Xero has (whether it changed) and for the run
        # that sends it.
        version = (
            self.env["xero.export.batch"]._version(data, payload)
            if export.xero_id or with_data
            else None
        )
        goes = (data, (payload, version, warnings)) if with_data else (None, None)
        uncertain = bool(export) and export._in_doubt()
        if export.xero_id:
            if export.version == version and not uncertain:
                steps = export._steps_left(connection)
                if steps:
                    # Claimed all the same: what follows its send goes.
                    return "follow", steps, *goes
                return "skip", Unchanged(_("Already in Xero, unchanged.")), None, None
            return "update", _("Changed since sent: updated in Xero."), *goes
        if uncertain:
            return (
                "create",
                _(
                    "Xero's answer to its last send was lost: Xero is asked first whether it "
                    "has it, and it is linked rather than created twice."
                ),
                *goes,
            )
        return "create", "", *goes

    def _xero_document_data(self, setup, link=True, lines=None):
        """(problem, data): the plain data of this document for xero.payloads, or a sentence
        saying what to fix first. `setup`: its connection's sending setup, made once for all
        the documents of a review; `lines`: its lines (see _xero_lines), read with those of the
        other documents of a review. Without `link`, no link back to Odoo: neither a verdict
        nor a version depends on it, and the record's base URL costs more to read than any
        field."""
        if lines is None:
            lines = self._xero_lines()[self.id]
        connection = setup.connection
        partner = self.commercial_partner_id
        if not (partner.name or "").strip():
            return _("The partner has no name: give it one."), None
        currency = self.currency_id.name
        if currency not in setup.currencies:
            # A clerk is told who can fix the setup, an accounting manager how.
            if connection._reader_can_set_up():
                problem = _(
                    "Currency %(currency)s is not enabled in %(org)s: add it in Xero (Settings > "
                    "Currencies), then open Accounts and Taxes (Fix Mappings), which reads "
                    "Xero's currencies again.",
                    currency=currency,
                    org=connection.organisation_name,
                )
            else:
                problem = _(
                    "Currency %(currency)s is not enabled in %(org)s: an accounting manager can "
                    "add it in Xero.",
                    currency=currency,
                    org=connection.organisation_name,
                )
            return MappingProblem(problem), None
        # The invoice lines (invoice_line_ids: products, sections, notes), the cash rounding
        # lines and the tax lines, taken from all the lines in one pass. They come in the order
        # of line_ids (account.move.line's), which the sort by sequence keeps for equal
        # sequences, as invoice_line_ids has them.
        invoice_lines, roundings, tax_lines = [], [], []
        for line in lines:
            kind = line.display_type
            if kind in INVOICE_LINE_TYPES:
                invoice_lines.append((line, kind, line.tax_ids if kind == "product" else None))
            elif kind == "rounding":
                roundings.append(line)
            elif kind == "tax":
                tax_lines.append(line)
        invoice_lines.sort(key=lambda item: item[0].sequence)
        tax_ids = [taxes._ids for _line, kind, taxes in invoice_lines if kind == "product"]
        if not tax_ids:
            return _("It has no lines."), None
        side = "purchase" if self.is_purchase_document() else "sale"
        document_tax_ids = frozenset(chain.from_iterable(tax_ids))
        amount_types = setup.amount_types(document_tax_ids, side)
        if not amount_types:
            return _(
                "It mixes taxes included in and excluded from the price: Xero takes one "
                "or the other per document."
            ), None

        def line_rate(line, line_taxes):
            """(problem, the Xero tax rate of `line`, empty on a document that goes NoTax)."""
            if len(line_taxes) > 1:
                return _(
                    "Line “%(line)s” has several taxes: Xero takes one tax per line.",
                    line=line.name,
                ), None
            if line_taxes:
                return setup.tax_rate(line_taxes)
            untaxed = setup.untaxed_rate(side)
            if not untaxed and amount_types != "NoTax":
                problem = _("Line “%(line)s” has no tax", line=line.name or "")
                fix = _("choose the Xero rate for untaxed lines")
                return connection._xero_setup_problem(problem, fix), None
            return None, untaxed

        def booked_rate(line, line_taxes, account):
            """(problem, the Xero tax rate of `line`) when it is booked to `account`."""
            problem = setup.unusable(account)
            if problem:
                return problem, None
            return line_rate(line, line_taxes)

        def product_booking(line, line_taxes):
            """(problem, what a product line says of its Xero account and tax rate). Worked out
            once per review for the lines of one product with the same taxes on documents of
            one side and one kind of taxes, which is all it depends on: a review's lines are
            mostly of a few products. Problems name their line: not kept."""
            product = line.product_id
            key = (side, amount_types, product._ids, line_taxes._ids)
            booking = setup.bookings.get(key)
            if booking:
                return None, booking
            account = setup.account_for(product.categ_id, side)
            if not account:
                which = _("Purchase") if side == "purchase" else _("Sales")
                problem = _("No %(which)s Account Reference is set", which=which)
                return connection._xero_setup_problem(problem, _("choose it")), None
            problem, rate = booked_rate(line, line_taxes, account)
            if problem:
                return problem, None
            setup.bookings[key] = booking = setup.booking(account, rate)
            return None, booking

        def xero_line(line, booking, **values):
            return {
                "description": line.name or line.product_id.display_name or "",
                "quantity": _decimal(line.quantity),
                "unit_amount": _decimal(line.price_unit),
                "discount": _decimal(line.discount),
                **booking,
                "tracking": [],
                "display_only": False,
                **values,
            }

        data_lines = []
        for line, kind, line_taxes in invoice_lines:
            if kind != "product":
                data_lines.append({"description": line.name or "", "display_only": True})
                continue
            problem, booking = product_booking(line, line_taxes)
            if problem:
                return problem, None
            problem, tracking = setup.tracking_for(line)
            if problem:
                return problem, None
            # Odoo's amount of the line, as Xero's LineAmount is with these line amount types:
            # what Xero books per account, tracking option and tax rate must be Odoo's too.
            amount = line.price_total if amount_types == "Inclusive" else line.price_subtotal
            data_lines.append(xero_line(line, booking, tracking=tracking, amount=_decimal(amount)))
        # The rest of what Odoo adds to the total: its cash rounding, as a line of its own
        # ("Add a rounding line") or in the biggest tax ("Modify tax amount"). Amounts in the
        # document's currency, signed as the document's lines.
        tax_rounding = None
        # Odoo's tax per Xero tax type, for the payload to check against Xero's (a cash
        # rounding in a tax counts in it, as it goes in it in Xero; a group's taxes count in
        # the group's, which is what the lines carry and what is mapped).
        taxes = {}
        for tax_line in [*tax_lines, *(r for r in roundings if r.tax_line_id)]:
            problem, rate = setup.tax_rate(tax_line.group_tax_id or tax_line.tax_line_id)
            if problem:
                return problem, None
            amount = _decimal(self.direction_sign * tax_line.amount_currency)
            taxes[rate.tax_type] = taxes.get(rate.tax_type, Decimal(0)) + amount
        for rounding in roundings:
            amount = _decimal(self.direction_sign * rounding.amount_currency)
            if rounding.tax_line_id:
                problem, rate = setup.tax_rate(rounding.tax_line_id)
                if problem:
                    return problem, None
                tax_rounding = {"tax_type": rate.tax_type, "amount": amount}
                continue
            account = connection.rounding_account_id
            if not account:
                problem = _("Its cash rounding (%(amount)s) needs a Xero account", amount=amount)
                fix = _("choose the Rounding Account")
                return connection._xero_setup_problem(problem, fix), None
            problem, rate = booked_rate(rounding, rounding.tax_ids, account)
            if problem:
                return problem, None
            booking = setup.booking(account, rate)
            data_lines.append(xero_line(rounding, booking, quantity=Decimal(1), unit_amount=amount))
        currency_rate = self._xero_currency_rate(connection)
        base = None
        if currency_rate is not None:
            # Odoo's amounts in the base currency, line by line, for the payload to check that
            # the rate as Xero keeps it gives the same.
            sign = self.direction_sign
            base = {
                "currency": connection.base_currency,
                "lines": [
                    {
                        "label": line.name or line.product_id.display_name or "",
                        "amount": _decimal(sign * line.amount_currency),
                        "balance": _decimal(sign * line.balance),
                    }
                    for line in lines
                    if line.display_type != "payment_term" and line.amount_currency
                ],
            }
        data = {
            "ref": f"{self._name},{self.id}",
            "name": self.name,
            "type": XERO_TYPES[self.move_type],
            "number": self.name,
            "vendor_reference": self._xero_vendor_reference(),
            "reference": self.ref or self.payment_reference or None,
            "date": self.invoice_date,
            "due_date": self.invoice_date_due,
            "currency": currency,
            "currency_rate": currency_rate,
            "base": base,
            "status": connection.invoice_status,
            "url": f"{self.get_base_url()}/odoo/{self._name}/{self.id}" if link else None,
            "contact": {
                "ref": f"{partner._name},{partner.id}",
                "contact_id": setup.contact_id(partner),
                "name": partner.name.strip(),
                "email": partner.email or None,
                "contact_number": partner.ref or None,
            },
            "line_amount_types": amount_types,
            "lines": data_lines,
            "tax_rounding": tax_rounding,
            "total": _decimal(self.amount_total),
            "taxes": taxes,
            "odd_taxes": setup.odd_taxes(document_tax_ids),
        }
        return None, data

    def _xero_currency_rate(self, connection):
        """The rate Odoo used for this document, for Xero: when its currency is not the
        organisation's base currency, and the company's books are kept in that base currency
        (otherwise Odoo has no amounts in it for Xero's to equal, and Xero's own rate goes).

        Odoo's rate is units of the document's currency per unit of the company's, as Xero's
        CurrencyRate is (see xero/payloads.py). Xero takes it on credit notes as on invoices:
        CreditNote.CurrencyRate in Xero's OpenAPI, and Xero's answer in
        XeroAPI/xero-php-oauth2#143 ("You can set the property CurrencyRate ... If you omit the
        CurrencyRate property Xero will use XE.com")."""
        base = connection.base_currency
        if self.currency_id.name == base or self.company_currency_id.name != base:
            return None
        return _decimal(self.invoice_currency_rate)

    def _xero_vendor_reference(self):
        """The vendor's number of a bill or vendor credit note (its reference), if any. A credit
        note made with Odoo's Credit Note button has "Reversal of: <bill>" there, in the
        partner's language: a reference naming the reversed bill is Odoo's, not the vendor's."""
        reference = (self.ref or "").strip()
        reversed_name = self.reversed_entry_id.name
        if not reference or (reversed_name and reversed_name in reference):
            return None
        return reference


def _decimal(value):
    return Decimal(repr(value))
