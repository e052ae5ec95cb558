"""Xero's JSON for invoices, bills, credit notes and contacts, built from plain data.

Pure functions: no Odoo, no HTTP. The Odoo side turns an account.move into a plain ``doc`` (dicts,
``decimal.Decimal`` amounts, ``datetime.date`` dates; see `document_payload`), and this module
turns it into the element Xero expects in ``{"Invoices": [...]}`` or ``{"CreditNotes": [...]}``,
checked against Xero's OpenAPI description (v16.1.0) by the tests. Which Odoo field becomes which
Xero field for each of the four types is the README's table ("What goes where"); why:

- ACCREC and ACCRECCREDIT numbers are unique in the organisation, so Odoo's number is the number.
- A bill's InvoiceNumber is shown as "Reference" in Xero's bill screen and is not unique: it is the
  vendor's own number, the one the bookkeeper matches with the supplier's statement. Without one,
  Odoo's number goes there so that the bill can still be found in Xero by the Odoo number. With
  one, Odoo's number stays reachable through ``Url`` ("Go to ..." in Xero, a link to the Odoo
  document). Xero has no other field for it: ``Reference`` is ACCREC only. A vendor credit note's
  CreditNoteNumber follows the same rule.
- Credit notes have no ``Url`` in the schema, and no due date in Xero's app: both are left out.
- ``CurrencyRate`` is sent when the doc has one (``currency_rate``), rounded to the 6 decimals the
  schema allows ("max length = [18].[6]"; Xero's help, CurrencySettings: "Exchange rate
  calculations in Xero are rounded to 6 numbers including decimal places"). Xero's rate is units
  of the document's currency per unit of the organisation's base currency, as Odoo's (the
  OpenAPI's own examples: an NZD quote of an American organisation at 1.547150, an AUD one of a
  New Zealand organisation at 0.937053). Without it, Xero converts at its XE.com rate of the day.
  A doc with ``base`` (Odoo's amounts in the base currency, line by line) whose amounts that
  rounding changes is refused, with both figures: Xero would book other amounts in the base
  currency than Odoo.
- Discounts: the schema supports ``DiscountRate`` on ACCREC only ("ACC PAY invoices and credit
  notes in Xero do not support discounts"); elsewhere the discount is folded into the unit price:
  the line's ``amount`` (Odoo's) divided by its quantity, rounded to 4 decimals, which gives
  Odoo's amount back whenever a price of 4 decimals can (``unit x (1 - discount / 100)`` when
  the doc gives no amount). A discount outside 0-100 (a surcharge entered as a negative
  discount) is folded on ACCREC too, since DiscountRate cannot carry it.
- Contact: ``{"ContactID": ...}`` when the contact is known, else ``{"Name": ...}`` (Xero finds
  the contact of that name or creates it). Nothing else: with a ContactID, other fields would at
  best be ignored and at worst rewrite the Xero contact from a document; by Name, Xero may match
  an existing contact, whose e-mail or contact number must not be overwritten (and contact numbers
  are unique). Contacts are created or updated with `contact_payload` through /Contacts.

Lines: ``display_only`` lines (Odoo notes and sections) become ``{"Description": ...}`` and empty
ones are dropped. Other lines carry Description, Quantity (4 decimals), UnitAmount (4 decimals;
see `needs_unitdp4`), DiscountRate (ACCREC), AccountCode, and TaxType and Tracking when given.
LineAmount is never sent: Xero computes it. An empty description becomes "-" (Xero requires one);
a description over 4,000 characters (counted in UTF-16 code units, as Xero's .NET strings count,
so an emoji counts 2) is cut to 4,000 ending with "…". Both are reported by
`document_payload_and_warnings`.

Totals: Xero computes each line's amount and tax rounded to the cent and adds them up (Xero's
"Rounding in Xero" guide); `xero_total` does the same, from each line's ``tax_rate`` (the
percentage of its TaxType in Xero). A cash rounding Odoo put in a tax (``tax_rounding``: its
TaxType and amount) goes into the TaxAmount of the line of that TaxType with the largest tax:
Xero keeps a TaxAmount given on a line ("This value can be overriden if the calculated
<TaxAmount> is not correct", OpenAPI LineItem). A doc with a ``total`` (Odoo's) that Xero would
total differently is refused with a PayloadError saying both, and so is one with ``taxes`` (Odoo's
tax per TaxType) that Xero would book differently: equal totals can still split differently
between amounts and tax, or between rates, and the tax return is made of those. For the same
reason a line with an ``amount`` (Odoo's, as Xero's LineAmount: with tax when Inclusive) that
Xero would work out otherwise is refused, naming the line: what Xero books per account, tracking
option and tax rate is made of the lines' amounts. The doc's ``odd_taxes`` (names of its taxes
that are not one percentage of their line: groups, fixed amounts...) are named first among the
causes of a different total: Xero's rates cannot give what they give.

Amounts: quantities, unit amounts and discount rates are rounded half up to 4 decimals and sent
as JSON numbers, through ``float``. A float prints in JSON as the shortest text that reads back
as the same float, which for a value of at most 15 significant digits is exactly its decimal text
(54.9, 48.0375), so nothing is lost; `_json_number` checks it and refuses larger values. Strings
are not an option (the schema says ``number``), and Decimals cannot be handed over: ``requests``'
``json=`` uses ``json.dumps``, which raises TypeError on a Decimal.

Invalid input raises `PayloadError` (a ValueError) carrying the document's ``ref``, with a message
naming the Odoo document and the fix. Messages are English: this package cannot import Odoo's
translation machinery.
"""

import hashlib
import json
import re
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

INVOICE_TYPES = ("ACCPAY", "ACCREC")
CREDIT_NOTE_TYPES = ("ACCPAYCREDIT", "ACCRECCREDIT")
# Where Xero takes DiscountRate; the other types get the discount folded into the unit price.
DISCOUNT_RATE_TYPES = frozenset({"ACCREC"})
SALES_TYPES = frozenset({"ACCREC", "ACCRECCREDIT"})
STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")

MAX_DESCRIPTION = 4000
ELLIPSIS = "…"
EMPTY_DESCRIPTION = "-"
MAX_TRACKING = 2
MAX_NUMBER = 255  # InvoiceNumber's maxLength
MAX_CONTACT_NAME = 255
MAX_CONTACT_NUMBER = 50
MAX_EMAIL = 255

MAX_COUNT = 50
MAX_BYTES = 3_500_000
# Kept free below max_bytes: Xero says "3.5 MB" without saying how it counts.
SAFETY_MARGIN = 0.01

UNIT_PLACES = Decimal("0.0001")
QUANTITY_PLACES = Decimal("0.0001")
RATE_PLACES = Decimal("0.0001")
CURRENCY_RATE_PLACES = Decimal("0.000001")  # CurrencyRate: "(max length = [18].[6])"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# A double holds 15 significant digits exactly; with 4 decimals that is up to 99,999,999,999.
_MAX_JSON_DIGITS = 15
_CURRENCY = re.compile(r"[A-Z]{3}")
# What a payload carries that is not what the document says (see `document_version`).
_NOT_CONTENT = frozenset({"InvoiceID", "CreditNoteID", "Status", "Url", "Contact"})


class PayloadError(ValueError):
    """A document (or contact) that cannot become a Xero payload; `ref` says which one."""

    def __init__(self, ref, message):
        super().__init__(message)
        self.ref = ref
        self.message = message


class PayloadTooLarge(PayloadError):
    """One payload alone is over the request size limit: it can never be sent.

    `index` is its position in the payloads given to `batches`, `size` and `limit` are in bytes.
    `ref` is None: a payload does not know its Odoo document.
    """

    def __init__(self, index, size, limit, label):
        super().__init__(
            None,
            f"The document {label} is {size:,} bytes as JSON, over the {limit:,} bytes a request "
            "to Xero can carry. Split it into smaller documents (fewer or shorter lines) and "
            "send them again.",
        )
        self.index = index
        self.size = size
        self.limit = limit


# Documents


def document_payload(doc, built=None):
    """The Invoice or CreditNote element for `doc` (not wrapped); raises PayloadError.

    `built`: the payload `doc` had before its Xero id, its contact's ``contact_id`` or its
    status were set, the rest of `doc` unchanged: only those are made again, in their places.
    """
    builder = _Builder(doc)
    return builder.payload() if built is None else builder.completed(built)


def xero_total(doc):
    """The total Xero will compute for the payload of `doc` (see Totals above); raises
    PayloadError, also when a taxed line has no ``tax_rate``."""
    builder = _Builder(doc)
    builder.payload()
    return builder.total()


def document_payload_and_warnings(doc):
    """`document_payload(doc)`, and what it had to change in `doc` to fit Xero, as sentences for
    the user (a cut description, an empty one sent as "-", a link left out; [] when nothing),
    from one pass."""
    builder = _Builder(doc)
    return builder.payload(), builder.warnings


def wrapper_for(doc_type):
    """The collection a payload of `doc_type` is sent to: "Invoices" or "CreditNotes"."""
    if doc_type in INVOICE_TYPES:
        return "Invoices"
    if doc_type in CREDIT_NOTE_TYPES:
        return "CreditNotes"
    raise ValueError(f"{doc_type!r} is not a Xero invoice or credit note type.")


def needs_unitdp4(docs_or_payloads):
    """True when a unit amount has more than 2 decimals: send that request with ``unitdp=4``.

    Takes docs (as for `document_payload`, which may raise PayloadError), payloads, a mix, or a
    single one of either. Check each request's documents: ``needs_unitdp4(chunk)``.
    """
    items = [docs_or_payloads] if isinstance(docs_or_payloads, dict) else docs_or_payloads
    for item in items:
        payload = document_payload(item) if "lines" in item else item
        for line in payload.get("LineItems", ()):
            unit = line.get("UnitAmount")
            if unit is not None:
                exact = Decimal(repr(unit))
                if exact != exact.quantize(CENT):
                    return True
    return False


class _Builder:
    def __init__(self, doc):
        self.doc = doc
        self.ref = doc.get("ref")
        self.label = doc.get("name") or doc.get("number") or self.ref or "(unnamed document)"
        self.warnings = []
        self.line_amount_types = None
        # (line number, item, Xero's tax rate, amount) of the lines with amounts: each amount
        # worked out once, for the total and for the line's tax.
        self.priced = []

    def fail(self, problem):
        raise PayloadError(self.ref, f"{self.label}: {problem}")

    def warn(self, message):
        self.warnings.append(f"{self.label}: {message}")

    def payload(self):
        doc = self.doc
        doc_type = doc.get("type")
        if doc_type not in INVOICE_TYPES + CREDIT_NOTE_TYPES:
            self.fail(
                f"the type {doc_type!r} is not one Xero knows; expected one of "
                f"{', '.join(INVOICE_TYPES + CREDIT_NOTE_TYPES)}."
            )
        invoice = doc_type in INVOICE_TYPES
        result = {"Type": doc_type, **self.ids(invoice)}
        result.update(self.numbers(doc_type, invoice))
        result["Date"] = self.date(doc.get("date"), "date", required=True)
        if invoice and doc.get("due_date") is not None:
            result["DueDate"] = self.date(doc["due_date"], "due date")
        result["CurrencyCode"] = self.currency(doc.get("currency"))
        if doc.get("currency_rate") is not None:
            result["CurrencyRate"] = self.currency_rate(doc["currency_rate"])
            if doc.get("base"):
                self.check_base(doc["currency_rate"], result["CurrencyRate"], doc["base"])
        result["Status"] = self.status()
        self.line_amount_types = self.choice(
            doc.get("line_amount_types"), LINE_AMOUNT_TYPES, "tax mode (line amount types)"
        )
        result["LineAmountTypes"] = self.line_amount_types
        if invoice and doc.get("url"):
            url = str(doc["url"]).strip()
            if url.startswith(("https://", "http://")):
                result["Url"] = url
            else:
                self.warn(f"the link back to Odoo ({url}) is not a web address; it was left out.")
        result["LineItems"] = self.lines(doc.get("lines"), doc_type)
        if doc.get("tax_rounding"):
            self.round_tax(doc["tax_rounding"])
        if doc.get("total") is not None:
            self.check_total(doc["total"])
        if doc.get("taxes") is not None:
            self.check_taxes(doc["taxes"])
        return result

    def completed(self, built):
        """`built`, this document's payload before its Xero id, its contact's id or its status
        were set, with them as they are now (see `document_payload`)."""
        result = {"Type": built["Type"], **self.ids(built["Type"] in INVOICE_TYPES)}
        for key, value in built.items():
            if key == "Status":
                result[key] = self.status()
            elif key not in result and key not in ("InvoiceID", "CreditNoteID"):
                result[key] = value
        return result

    # Header

    def ids(self, invoice):
        """The document's Xero id, if it has one, and its contact."""
        result = {}
        if self.doc.get("xero_id"):
            result["InvoiceID" if invoice else "CreditNoteID"] = self.uuid(
                self.doc["xero_id"], "its Xero id"
            )
        result["Contact"] = self.contact(self.doc.get("contact"))
        return result

    def status(self):
        return self.choice(self.doc.get("status"), STATUSES, "status")

    def contact(self, contact):
        if not isinstance(contact, dict):
            self.fail("it has no partner. Set the partner and send it again.")
        if contact.get("contact_id"):
            return {"ContactID": self.uuid(contact["contact_id"], "its partner's Xero contact id")}
        name = _text(contact.get("name"))
        if not name:
            self.fail("its partner has no name. Give the partner a name and send it again.")
        if len(name) > MAX_CONTACT_NAME:
            self.fail(
                f"its partner's name is {len(name)} characters long; Xero takes at most "
                f"{MAX_CONTACT_NAME}. Shorten the partner's name and send it again."
            )
        return {"Name": name}

    def numbers(self, doc_type, invoice):
        number = _text(self.doc.get("number"))
        if doc_type in SALES_TYPES:
            sent = number
            reference = _text(self.doc.get("reference"))
        else:
            sent = _text(self.doc.get("vendor_reference")) or number
            reference = ""
        field = "InvoiceNumber" if invoice else "CreditNoteNumber"
        if len(sent) > MAX_NUMBER:
            self.fail(
                f"its number {sent[:40]}... is {len(sent)} characters long; Xero takes at most "
                f"{MAX_NUMBER}. Shorten it and send it again."
            )
        result = {}
        if sent:
            result[field] = sent
        if reference:
            result["Reference"] = reference
        return result

    def uuid(self, value, what):
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            self.fail(f"{what} {value!r} is not a Xero id. Unlink it and send the document again.")

    def date(self, value, what, required=False):
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        if value is None and not required:
            return None
        self.fail(f"its {what} {value!r} is not a date. Set the {what} and send it again.")

    def currency(self, code):
        if not isinstance(code, str) or not _CURRENCY.fullmatch(code):
            self.fail(
                f"its currency {code!r} is not a 3-letter ISO code such as AUD. "
                "Set the document's currency and send it again."
            )
        return code

    def currency_rate(self, rate):
        rate = self.decimal(rate, "currency rate")
        if rate <= 0:
            self.fail(
                f"its currency rate {rate} is not above zero. Set the rate and send it again."
            )
        rounded = self.number(rate, CURRENCY_RATE_PLACES)
        if not rounded:
            self.fail(f"its currency rate {rate} is 0 to the 6 decimals Xero keeps.")
        return rounded

    def choice(self, value, allowed, what):
        if value not in allowed:
            self.fail(f"its {what} {value!r} is not one of {', '.join(allowed)}.")
        return value

    # Lines

    def lines(self, lines, doc_type):
        if not isinstance(lines, (list, tuple)) or not lines:
            self.fail("it has no lines; Xero needs at least one. Add a line and send it again.")
        result = []
        for number, line in enumerate(lines, 1):
            item = self.line(line, number, doc_type)
            if item is not None:
                result.append(item)
        if not result:
            self.fail("all its lines are empty; Xero needs at least one. Add a line.")
        return result

    def line(self, line, number, doc_type):
        if not isinstance(line, dict):
            self.fail(f"line {number} is {line!r}, not a line.")
        description = self.description(line.get("description"), number)
        if line.get("display_only"):
            return {"Description": description} if description else None
        if not description:
            self.warn(f"line {number} has no description; it was sent as {EMPTY_DESCRIPTION!r}.")
            description = EMPTY_DESCRIPTION
        where = f"line {number} ({_short(description)})"
        quantity = self.decimal(line.get("quantity"), f"{where} quantity")
        unit = self.decimal(line.get("unit_amount"), f"{where} unit price")
        discount = line.get("discount")
        discount = Decimal(0) if discount is None else self.decimal(discount, f"{where} discount")
        amount = line.get("amount")
        amount = None if amount is None else _cent(self.decimal(amount, f"{where} amount"))
        item = {"Description": description, "Quantity": self.number(quantity, QUANTITY_PLACES)}
        if discount and doc_type in DISCOUNT_RATE_TYPES and 0 <= discount <= HUNDRED:
            item["UnitAmount"] = self.number(unit, UNIT_PLACES)
            item["DiscountRate"] = self.number(discount, RATE_PLACES)
        elif discount and amount is not None and quantity:
            # Folded from the line's amount rather than its price: the unit price of 4 decimals
            # nearest to it gives that amount whenever one can.
            item["UnitAmount"] = self.number(amount / quantity, UNIT_PLACES)
        else:
            item["UnitAmount"] = self.number(unit * (HUNDRED - discount) / HUNDRED, UNIT_PLACES)
        account_code = _text(line.get("account_code"))
        if not account_code:
            self.fail(
                f"{where} has no Xero account code. Set the Xero account on the product "
                "category, or the connection's sales or purchase account, and send it again."
            )
        item["AccountCode"] = account_code
        tax_type = _text(line.get("tax_type"))
        if tax_type:
            item["TaxType"] = tax_type
        tracking = self.tracking(line.get("tracking"), where)
        if tracking:
            item["Tracking"] = tracking
        rate = line.get("tax_rate")
        rate = None if rate is None else self.decimal(rate, f"{where} tax rate")
        line_amount = _line_amount(item)
        if amount is not None and line_amount != amount:
            self.fail(
                f"Xero would work out the amount of {where} as {line_amount}, Odoo's is "
                f"{amount}. Xero multiplies the quantity by a unit price of at most 4 decimals "
                "(into which the discount of a bill or credit note goes) and rounds to the cent, "
                "and no such price gives Odoo's amount at this quantity. Change the line, for "
                "instance to a quantity of 1 at the line's amount, then send it again."
            )
        self.priced.append((number, item, rate, line_amount))
        return item

    def description(self, text, number):
        text = _text(text)
        units = _utf16_length(text)
        if units <= MAX_DESCRIPTION:
            return text
        self.warn(
            f"line {number}'s description is {units:,} characters long; Xero takes "
            f"{MAX_DESCRIPTION:,}, so it was cut to {MAX_DESCRIPTION:,} ending with "
            f"{ELLIPSIS!r}."
        )
        return _cut(text, MAX_DESCRIPTION - _utf16_length(ELLIPSIS)) + ELLIPSIS

    def tracking(self, tracking, where):
        if not tracking:
            return []
        if not isinstance(tracking, (list, tuple)) or not all(
            isinstance(category, dict) for category in tracking
        ):
            self.fail(f"{where} has tracking {tracking!r}, not a list of categories.")
        if len(tracking) > MAX_TRACKING:
            self.fail(
                f"{where} has {len(tracking)} tracking categories; Xero takes at most "
                f"{MAX_TRACKING}. Map its analytic distribution to at most two categories."
            )
        result = []
        for category in tracking:
            name = _text(category.get("Name"))
            option = _text(category.get("Option"))
            if not (name and option):
                self.fail(f"{where} has a tracking category without a name or an option.")
            if any(seen["Name"] == name for seen in result):
                self.fail(f"{where} uses the tracking category {name!r} twice.")
            result.append({"Name": name, "Option": option})
        return result

    # Totals

    def line_tax(self, number, item, rate, amount):
        """The tax Xero computes for a line (or the TaxAmount it was given)."""
        if "TaxAmount" in item:
            return _exact(item["TaxAmount"])
        if self.line_amount_types == "NoTax" or "TaxType" not in item:
            return Decimal(0)
        if rate is None:
            self.fail(
                f"line {number}'s Xero tax rate {item['TaxType']} has no known percentage: "
                "reopen Accounts and Taxes in the Xero settings and send it again."
            )
        if self.line_amount_types == "Inclusive":
            return _cent(amount * rate / (HUNDRED + rate))
        return _cent(amount * rate / HUNDRED)

    def round_tax(self, rounding):
        tax_type = _text(rounding.get("tax_type"))
        amount = self.decimal(rounding.get("amount"), "cash rounding")
        lines = [line for line in self.priced if line[1].get("TaxType") == tax_type]
        if not lines:
            self.fail(
                f"its cash rounding is in the tax {tax_type!r}, which none of its lines carries."
            )
        number, item, rate, line_amount = max(lines, key=lambda line: abs(self.line_tax(*line)))
        item["TaxAmount"] = self.number(
            self.line_tax(number, item, rate, line_amount) + amount, CENT
        )

    def total(self):
        amounts = sum((amount for *_line, amount in self.priced), Decimal(0))
        if self.line_amount_types == "Inclusive":
            return amounts
        return amounts + sum((self.line_tax(*line) for line in self.priced), Decimal(0))

    def check_total(self, expected):
        expected = _cent(self.decimal(expected, "total"))
        total = self.total()
        if total == expected:
            return
        odd = self.doc.get("odd_taxes") or ()
        if odd:
            names = ", ".join(repr(name) for name in odd)
            self.fail(
                f"Xero would total it {total}, Odoo totals it {expected}. Xero works out each "
                "line's tax as one percentage of its amount, rounded to the cent, which "
                f"{'the tax' if len(odd) == 1 else 'the taxes'} {names} "
                f"{'is' if len(odd) == 1 else 'are'} not (a group of taxes, a fixed amount, a "
                "percentage of the price with tax...). Give those lines one tax of one "
                "percentage each, then send it again."
            )
        self.fail(
            f"Xero would total it {total}, Odoo totals it {expected}. Xero adds up each "
            "line's amount and tax rounded to the cent; Odoo's total differs when its taxes "
            "are rounded globally, when a cash rounding changes the tax of prices that "
            "include tax, or when prices or discounts have more decimals than Xero keeps. "
            "Round taxes per line in Odoo, use a cash rounding that adds a line, or change "
            "the document, then send it again."
        )

    def check_taxes(self, expected):
        """Odoo's tax per TaxType (`expected`) against what Xero works out line by line."""
        xero = {}
        for line in self.priced:
            tax_type = line[1].get("TaxType")
            if tax_type:
                xero[tax_type] = xero.get(tax_type, Decimal(0)) + self.line_tax(*line)
        for tax_type in sorted(set(xero) | set(expected)):
            theirs = xero.get(tax_type, Decimal(0))
            ours = _cent(self.decimal(expected.get(tax_type, 0), "tax"))
            if theirs != ours:
                self.fail(
                    f"Xero would book {theirs} of tax {tax_type}, Odoo books {ours}. Xero works "
                    "out each line's tax from its rate, rounded to the cent; Odoo's differs when "
                    "its taxes are rounded globally, or when a tax is not a plain percentage of "
                    "its line. Round taxes per line in Odoo, or map the tax to a Xero rate that "
                    "gives the same amounts, then send it again."
                )

    def check_base(self, rate, sent, base):
        """Odoo's amounts in the base currency (`base`: its code and Odoo's lines, each its
        ``amount`` in the document's currency and its ``balance`` in the base currency) against
        the same at the rate Xero keeps (`sent`) rather than Odoo's (`rate`). Whether Xero
        converts each line or the total is in none of its descriptions (the OpenAPI, its help,
        its SDKs): converting Odoo's own lines at both rates tells what the rate's rounding
        changes, whichever it does."""
        rate, sent = self.decimal(rate, "currency rate"), _exact(sent)
        if sent == rate:
            return
        odoo_total = xero_total = Decimal(0)
        moved = None
        for line in base["lines"]:
            amount = self.decimal(line["amount"], "amount")
            balance = _cent(self.decimal(line["balance"], "amount in the base currency"))
            shift = _cent(amount / sent) - _cent(amount / rate)
            odoo_total += balance
            xero_total += balance + shift
            if shift and moved is None:
                moved = (_short(_text(line.get("label")) or "-"), balance + shift, balance)
        if moved is None:
            return
        currency, base_currency = self.doc.get("currency"), base["currency"]
        odoo_rate = format(rate.quantize(Decimal("1e-10"), ROUND_HALF_UP).normalize(), "f")
        self.fail(
            f"Xero keeps 6 decimals of its exchange rate, {sent} {currency} per {base_currency} "
            f"where Odoo's is {odoo_rate}, and at that rate its amounts in {base_currency} are not "
            f"Odoo's: {xero_total} in all against Odoo's {odoo_total} (“{moved[0]}”: "
            f"{moved[1]} against {moved[2]}). Enter the rate as {currency} per {base_currency} "
            "with at most 6 decimals, on the document or as the currency's rate of its date, "
            "then send it again."
        )

    def decimal(self, value, what):
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            self.fail(f"the {what} is {value!r}, not a number. Set it and send it again.")
        if not number.is_finite():
            self.fail(f"the {what} is {value!r}, not a number. Set it and send it again.")
        return number

    def number(self, value, places):
        try:
            return _json_number(value, places)
        except (ValueError, InvalidOperation):
            self.fail(f"the amount {value} is too large for Xero.")


def _json_number(value, places):
    """`value` rounded half up to `places`, as a float that prints as exactly that decimal."""
    rounded = value.quantize(places, rounding=ROUND_HALF_UP)
    # Its digits, from its first to the last decimal `places` keeps (as_tuple() costs more).
    if rounded.adjusted() - places.adjusted() + 1 > _MAX_JSON_DIGITS:
        raise ValueError(f"{value} has more digits than a JSON number keeps exactly.")
    return float(rounded) + 0.0  # + 0.0: no "-0.0"


def _exact(number):
    """The Decimal a JSON number of a payload stands for (see `_json_number`)."""
    return Decimal(repr(number))


def _cent(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_amount(item):
    """A line's amount as Xero computes it: quantity x unit amount less the discount rate, to
    the cent (LineItem.LineAmount in Xero's OpenAPI)."""
    keep = (HUNDRED - _exact(item.get("DiscountRate", 0))) / HUNDRED
    return _cent(_exact(item["Quantity"]) * _exact(item["UnitAmount"]) * keep)


def _text(value):
    return "" if value is None else str(value).strip()


def _short(text, length=40):
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + ELLIPSIS


def _utf16_length(text):
    # "surrogatepass": a lone surrogate counts one unit, as it would in .NET.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut(text, units):
    """The longest start of `text` of at most `units` UTF-16 code units, never half a character,
    without trailing blanks."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index].rstrip()
    return text


# Contacts


def contact_payload(contact):
    """A Contact for PUT /Contacts (or POST /Contacts, with ContactID when `contact_id` is set).

    `contact`: {"name", "email", "contact_number", "contact_id" (optional), "ref" (optional, for
    errors)}. An e-mail Xero would refuse (not ASCII, no "@", too long) is left out rather than
    failing the contact and every document that needs it.
    """
    ref = contact.get("ref")
    name = _text(contact.get("name"))
    if not name:
        raise PayloadError(ref, "A partner has no name. Give it a name and send it again.")
    if len(name) > MAX_CONTACT_NAME:
        raise PayloadError(
            ref,
            f"The partner {name[:40]}...'s name is {len(name)} characters long; Xero takes at most "
            f"{MAX_CONTACT_NAME}. Shorten it and send it again.",
        )
    result = {}
    if contact.get("contact_id"):
        try:
            result["ContactID"] = str(uuid.UUID(str(contact["contact_id"])))
        except ValueError:
            raise PayloadError(
                ref, f"The partner {name}'s Xero contact id is not a Xero id. Unlink it."
            ) from None
    result["Name"] = name
    email = _text(contact.get("email"))
    if email and email.isascii() and "@" in email and len(email) <= MAX_EMAIL:
        result["EmailAddress"] = email
    contact_number = _text(contact.get("contact_number"))
    if len(contact_number) > MAX_CONTACT_NUMBER:
        raise PayloadError(
            ref,
            f"The partner {name}'s contact number is longer than {MAX_CONTACT_NUMBER} characters.",
        )
    if contact_number:
        result["ContactNumber"] = contact_number
    return result


# Requests


def _wire(body):
    # Exactly what requests' json= sends: json.dumps with its defaults (", " and ": " separators,
    # non-ASCII escaped as \uXXXX), UTF-8. That is the largest of the usual encodings.
    return json.dumps(body, allow_nan=False).encode("utf-8")


def request_size(payloads, wrapper="Invoices"):
    """Bytes of the request body ``{wrapper: payloads}`` as the Xero client sends it."""
    return len(_wire({wrapper: list(payloads)}))


def request_limit(max_bytes=MAX_BYTES):
    """The body size `batches` keeps under for `max_bytes`, after the safety margin."""
    return max_bytes - int(max_bytes * SAFETY_MARGIN)


def oversized(payloads, *, max_bytes=MAX_BYTES, wrapper="Invoices"):
    """Positions of the payloads too large to be sent even alone (see `batches`)."""
    limit = request_limit(max_bytes)
    return [
        index for index, payload in enumerate(payloads) if request_size([payload], wrapper) > limit
    ]


def batches(payloads, *, max_count=MAX_COUNT, max_bytes=MAX_BYTES, wrapper="Invoices"):
    """Yield the payloads, in order, as lists that make one request each: at most `max_count`
    documents, and a body (``{wrapper: [...]}`` as the client sends it) of at most
    `request_limit(max_bytes)` bytes.

    A payload too large to go even alone raises `PayloadTooLarge` (with its `index`) before
    anything is yielded; use `oversized` first to set such documents aside.
    """
    if max_count < 1:
        raise ValueError("max_count must be at least 1.")
    payloads = list(payloads)
    limit = request_limit(max_bytes)
    empty = len(_wire({wrapper: []}))
    separator = len(b", ")
    sizes = [len(_wire(payload)) for payload in payloads]
    for index, size in enumerate(sizes):
        if empty + size > limit:
            raise PayloadTooLarge(index, empty + size, limit, _label(payloads[index], index))
    return _chunks(payloads, sizes, max_count, limit, empty, separator)


def _chunks(payloads, sizes, max_count, limit, empty, separator):
    chunk, used = [], empty
    for payload, size in zip(payloads, sizes, strict=True):
        if chunk and (len(chunk) >= max_count or used + separator + size > limit):
            yield chunk
            chunk, used = [], empty
        used += size + (separator if chunk else 0)
        chunk.append(payload)
    if chunk:
        yield chunk


def _label(payload, index):
    for field in ("InvoiceNumber", "CreditNoteNumber", "InvoiceID", "CreditNoteID"):
        if payload.get(field):
            return str(payload[field])
    return f"at position {index + 1}"


def document_version(doc, payload=None):
    """sha256 hex of what `doc` says, to tell whether it changed since it was sent: its payload
    as canonical JSON (sorted keys, compact, UTF-8) without what is not the document's own (its
    Xero id, the status it is sent with, the link back to Odoo, the contact as Xero knows it),
    with its partner's identity (the contact's ``ref``) instead. Raises PayloadError as
    `document_payload` does. `payload`: the one `doc` has already, not built again; it may carry
    another Xero id, status or contact as Xero knows it, which are not part of the version."""
    if payload is None:
        payload = document_payload(doc)
    content = {key: value for key, value in payload.items() if key not in _NOT_CONTENT}
    content["Partner"] = doc["contact"].get("ref")
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
