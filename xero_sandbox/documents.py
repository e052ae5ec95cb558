"""Invoices and credit notes: validated, computed and returned as Xero does.

Amounts use Decimal throughout. A line's amount is Quantity x UnitAmount less its DiscountRate
(a percentage) or its DiscountAmount, rounded to 2 decimals: "LineAmount = Quantity * Unit Amount
* ((100 - DiscountRate)/100) or LineAmount = (Quantity * UnitAmount) - DiscountAmount"
(LineItem.LineAmount in Xero's OpenAPI). Its tax is computed per line and rounded to 2 decimals
(Exclusive: amount x rate; Inclusive: amount x rate / (1 + rate); NoTax: none) unless the line
sends TaxAmount, which "can be overriden if the calculated <TaxAmount> is not correct"
(LineItem.TaxAmount); the document's totals are sums of the rounded line figures. UnitAmount keeps
2 decimals, or 4 when the request says ``unitdp=4``.

What Xero changes rather than refuses comes back in the element's ``Warnings`` with a
StatusAttributeString of WARNING: an unknown account code on a draft is taken off its line.

Messages marked [Xero] are Xero's own wording as seen in its API responses; the others are the
sandbox's, written in the same style where Xero's exact wording is not known.
"""

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .store import CLASS_TAX_FLAG, Allocation, Contact, Document, LineItem
from .wire import ZERO_ID, parse_date, to_decimal

CENT = Decimal("0.01")
QUANTITY_DP = Decimal("0.0001")
HUNDRED = Decimal(100)
MAX_DESCRIPTION = 4000
SALES_TYPES = frozenset({"ACCREC", "ACCRECCREDIT"})
CREATABLE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
STATUS_CHANGES = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
# Only system accounts that cannot take a document line; the rest (e.g. retained earnings) can.
_CONTROL_ACCOUNTS = frozenset({"DEBTORS", "CREDITORS", "GST"})


@dataclass(frozen=True)
class Kind:
    name: str
    wrapper: str
    id_field: str
    number_field: str
    types: tuple
    sales_type: str
    number_prefix: str
    label: str
    noun: str  # with its article, for messages
    duplicate_number: str
    bad_status: str
    fields: frozenset  # fields a where filter may name


INVOICE = Kind(
    name="invoice",
    wrapper="Invoices",
    id_field="InvoiceID",
    number_field="InvoiceNumber",
    types=("ACCREC", "ACCPAY"),
    sales_type="ACCREC",
    number_prefix="INV-",
    label="Invoice",
    noun="an invoice",
    duplicate_number="Invoice # must be unique.",  # [Xero]
    bad_status="Invoice not of valid status for modification",  # [Xero]
    fields=frozenset(
        [
            "Type",
            "Contact",
            "Date",
            "DueDate",
            "LineAmountTypes",
            "InvoiceNumber",
            "Reference",
            "CurrencyCode",
            "CurrencyRate",
            "Status",
            "SentToContact",
            "SubTotal",
            "TotalTax",
            "Total",
            "TotalDiscount",
            "InvoiceID",
            "HasAttachments",
            "IsDiscounted",
            "AmountDue",
            "AmountPaid",
            "AmountCredited",
            "FullyPaidOnDate",
            "UpdatedDateUTC",
        ]
    ),
)
CREDIT_NOTE = Kind(
    name="credit_note",
    wrapper="CreditNotes",
    id_field="CreditNoteID",
    number_field="CreditNoteNumber",
    types=("ACCRECCREDIT", "ACCPAYCREDIT"),
    sales_type="ACCRECCREDIT",
    number_prefix="CN-",
    label="Credit Note",
    noun="a credit note",
    duplicate_number="Credit Note # must be unique.",
    bad_status="Document not of valid status for modification",  # [Xero]
    fields=frozenset(
        [
            "Type",
            "Contact",
            "Date",
            "DueDate",
            "Status",
            "LineAmountTypes",
            "SubTotal",
            "TotalTax",
            "Total",
            "UpdatedDateUTC",
            "CurrencyCode",
            "FullyPaidOnDate",
            "CreditNoteID",
            "CreditNoteNumber",
            "Reference",
            "CurrencyRate",
            "RemainingCredit",
            "HasAttachments",
        ]
    ),
)
KINDS = {INVOICE.name: INVOICE, CREDIT_NOTE.name: CREDIT_NOTE}

PAID_DOCUMENT = (
    "This document cannot be edited as it has a payment or credit note allocated to it."  # [Xero]
)
NOT_FOUND = "The document with the supplied id was not found for this endpoint."  # [Xero]
DESCRIPTION_REQUIRED = "The description field is mandatory for each line item."  # [Xero]
CONTACT_NAME_EMPTY = "Contact Name cannot be empty."  # [Xero]
ACCOUNT_REQUIRED = "Account code must be specified"  # [Xero]
# [Xero], quoted in waynerobinson/xeroizer#290; "if invoice.status == AUTHORISED DueDate is a
# required field (for PUT & POST)", not for drafts (Xero's rjaus in xeroizer#395); third-party
# connector docs say the same of SUBMITTED (docs.workato.com, Xero create-invoice actions).
# Credit notes have no due date in Xero: an AUTHORISED ACCRECCREDIT without one is refused only
# for its account (XeroAPI/Xero-NetStandard#364).
DUE_DATE_REQUIRED = "The document DueDate field must be specified."
DUE_DATE_STATUSES = frozenset({"SUBMITTED", "AUTHORISED"})
# [Xero], as quoted in help.yourtradebase.com/article/158-xero-error-messages.
ARCHIVED_CONTACT = (
    "The contact with the specified contact details has been archived. The contact must be "
    "un-archived before creating new invoices or credit notes"
)
# "only supported on ACCREC invoices - ACC PAY invoices and credit notes in Xero do not support
# discounts" (LineItem.DiscountRate and LineItem.DiscountAmount in Xero's OpenAPI).
DISCOUNT_TYPES = frozenset({"ACCREC"})


def money(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def new_id():
    return str(uuid.uuid4())


class DocumentWriter:
    """Creates and updates the invoices or credit notes of one organisation for one request."""

    def __init__(self, org, kind, now, client_id, unit_dp):
        self.org = org
        self.kind = kind
        self.now = now
        self.client_id = client_id
        self.unit_places = Decimal(1).scaleb(-unit_dp)
        self.warnings = {}  # document id -> what Xero changed in it, for the answer

    @property
    def documents(self):
        return self.org.documents(self.kind.name)

    def write(self, element, update_by_number, document_id=None):
        """(document, []) when written, (None, messages) when refused."""
        if not isinstance(element, dict):
            return None, [f"{self.kind.noun.capitalize()} must be a JSON object."]
        document_id = document_id or element.get(self.kind.id_field)
        if document_id and document_id != ZERO_ID:
            existing = self.documents.get(str(document_id).lower())
            if existing is None:
                return None, [NOT_FOUND]
            return self._update(existing, element)
        number = element.get(self.kind.number_field)
        sales_number = element.get("Type", self.kind.sales_type) == self.kind.sales_type
        if update_by_number and number and sales_number:
            existing = self._by_number(str(number))
            if existing is not None:
                return self._update(existing, element)
        return self._build(element, None)

    def _by_number(self, number, exclude=None):
        wanted = number.strip().casefold()
        for document in self.documents.values():
            if (
                document.type == self.kind.sales_type
                and document.number.casefold() == wanted
                and document is not exclude
            ):
                return document
        return None

    def _update(self, existing, element):
        if existing.status == "PAID" or existing.amount_paid or existing.amount_credited:
            return None, [PAID_DOCUMENT]
        if existing.status not in STATUS_CHANGES:
            return None, [self.kind.bad_status]
        merged = as_input(self.kind, existing)
        for key, value in element.items():
            if key != "LineItems":
                merged[key] = value
        if "LineItems" in element and isinstance(element["LineItems"], list):
            previous = {line["LineItemID"]: line for line in merged["LineItems"]}
            lines = []
            for raw in element["LineItems"]:
                base = (
                    previous.get(str(raw.get("LineItemID", "")).lower())
                    if isinstance(raw, dict)
                    else None
                )
                lines.append({**base, **raw} if base else raw)
            merged["LineItems"] = lines
        merged["Type"] = existing.type
        if merged.get("Status") not in STATUS_CHANGES[existing.status]:
            return None, [self.kind.bad_status]
        return self._build(merged, existing)

    def _build(self, data, existing):
        errors, warnings = [], []
        doc_type = data.get("Type")
        if doc_type not in self.kind.types:
            allowed = " or ".join(self.kind.types)
            return None, [f"{self.kind.label} Type must be {allowed}."]
        sales = doc_type in SALES_TYPES
        status = data.get("Status") or "DRAFT"
        if existing is None and status not in CREATABLE_STATUSES:
            errors.append(
                f"{self.kind.noun.capitalize()} can only be created with a status of DRAFT, "
                "SUBMITTED or AUTHORISED."
            )
        contact, new_contact_name = self._contact(data.get("Contact"), errors)
        doc_date = self._date(data.get("Date"), self.now.date(), errors)
        due_date = self._date(data.get("DueDate"), None, errors)
        if self.kind is INVOICE and status in DUE_DATE_STATUSES and due_date is None:
            errors.append(DUE_DATE_REQUIRED)
        if doc_date:
            self._check_lock_dates(doc_date, errors)
        currency, rate = self._currency(data.get("CurrencyCode"), data.get("CurrencyRate"), errors)
        line_amount_types = data.get("LineAmountTypes") or "Exclusive"
        if line_amount_types not in LINE_AMOUNT_TYPES:
            errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax.")
            line_amount_types = "Exclusive"
        number = str(data.get(self.kind.number_field) or "").strip()
        if number and doc_type == self.kind.sales_type and self._by_number(number, existing):
            errors.append(self.kind.duplicate_number)
        raw_lines = data.get("LineItems")
        if not isinstance(raw_lines, list) or not raw_lines:
            errors.append(f"{self.kind.noun.capitalize()} must have at least one line item.")
            raw_lines = []
        lines = [
            self._line(raw, doc_type, sales, line_amount_types, status, errors, warnings)
            for raw in raw_lines
        ]
        if errors:
            return None, errors
        totals = _totals(lines, line_amount_types)
        if totals["total"] < 0:
            return None, [f"The total of {self.kind.noun} cannot be negative."]
        if new_contact_name:
            contact = self._create_contact(new_contact_name)
        if sales:
            contact.is_customer = True
        else:
            contact.is_supplier = True
        if not number and doc_type == self.kind.sales_type:
            number = existing.number if existing else self._next_number()
        values = {
            "type": doc_type,
            "number": number,
            "reference": str(data.get("Reference") or "") if sales else "",
            "contact_id": contact.contact_id,
            "date": doc_date,
            "due_date": due_date,
            "status": status,
            "line_amount_types": line_amount_types,
            "currency_code": currency,
            "currency_rate": rate,
            "lines": lines,
            "updated": self.now,
            **totals,
        }
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            document = existing
        else:
            document = Document(
                kind=self.kind.name,
                document_id=new_id(),
                created_by=self.client_id,
                **values,
            )
            self.documents[document.document_id] = document
        self.warnings[document.document_id] = warnings
        return document, []

    def _contact(self, raw, errors):
        """(existing contact, None) or (None, name of a contact to create)."""
        if not isinstance(raw, dict):
            errors.append("A Contact must be specified.")
            return None, None
        contact_id = raw.get("ContactID")
        if contact_id and contact_id != ZERO_ID:
            contact = self.org.contacts.get(str(contact_id).lower())
            if contact is None:
                errors.append(f"The contact with ContactID {contact_id} could not be found.")
            elif contact.status == "ARCHIVED":
                errors.append(ARCHIVED_CONTACT)
            return contact, None
        name = str(raw.get("Name") or "").strip()
        if not name:
            errors.append(CONTACT_NAME_EMPTY)
            return None, None
        found = find_active_contact(self.org, name)
        return (found, None) if found else (None, name)

    def _create_contact(self, name):
        contact = Contact(contact_id=new_id(), name=name, status="ACTIVE", updated=self.now)
        self.org.contacts[contact.contact_id] = contact
        return contact

    def _date(self, value, default, errors):
        if value in (None, ""):
            return default
        try:
            return parse_date(value)
        except ValueError:
            errors.append(f"The date '{value}' is not valid.")
            return default

    def _check_lock_dates(self, doc_date, errors):
        org = self.org
        if doc_date <= org.end_of_year_lock_date:
            errors.append(
                "The document date cannot be before the end of year lock date, currently set at "
                + org.end_of_year_lock_date.strftime("%d-%b-%Y")
            )
        elif doc_date <= org.period_lock_date:
            errors.append(
                "The document date cannot be before the period lock date, currently set at "
                + org.period_lock_date.strftime("%d-%b-%Y")
            )

    def _currency(self, code, rate, errors):
        org = self.org
        code = code or org.base_currency
        if code not in org.currencies:
            errors.append(f"Organisation is not subscribed to currency {code}")  # [Xero]
            return code, Decimal(1)
        if code == org.base_currency:
            return code, Decimal(1)
        given = to_decimal(rate)
        if rate is not None and (given is None or given <= 0):
            errors.append("CurrencyRate must be greater than zero.")
            return code, Decimal(1)
        return code, given or org.rates[code]

    def _next_number(self):
        prefix = self.kind.number_prefix
        while True:
            self.org.sequences[prefix] += 1
            number = f"{prefix}{self.org.sequences[prefix]:04d}"
            if self._by_number(number) is None:
                return number

    def _line(self, raw, doc_type, sales, line_amount_types, status, errors, warnings):
        if not isinstance(raw, dict):
            errors.append("A line item must be a JSON object.")
            return None
        description = str(raw.get("Description") or "").strip()
        if not description:
            errors.append(DESCRIPTION_REQUIRED)
        elif len(description) > MAX_DESCRIPTION:
            errors.append(f"The Description must be {MAX_DESCRIPTION} characters or less.")
        quantity, unit_amount, line_amount, rate_off, amount_off = self._line_amounts(
            raw, doc_type, errors
        )
        # "A line item with just a description (i.e no unit amount or quantity) can be created
        # by specifying just a <Description>" (LineItem.Description in Xero's OpenAPI), whatever
        # the document's status: such a line (a heading, a note) needs no account.
        description_only = all(
            raw.get(name) is None for name in ("Quantity", "UnitAmount", "LineAmount")
        )
        account = self._account(
            raw.get("AccountCode"), status, errors, warnings, required=not description_only
        )
        tax_type, rate = self._tax(raw.get("TaxType"), account, sales, line_amount_types, errors)
        tracking = self._tracking(raw.get("Tracking"), errors)
        tax_amount = Decimal(0)
        if rate is not None and line_amount_types == "Exclusive":
            tax_amount = money(line_amount * rate.rate / HUNDRED)
        elif rate is not None and line_amount_types == "Inclusive":
            tax_amount = money(line_amount * rate.rate / (HUNDRED + rate.rate))
        given_tax = _number(raw, "TaxAmount", None, errors)
        if given_tax is not None and rate is None and given_tax:
            errors.append("TaxAmount cannot be set on a line without tax.")
            given_tax = None
        line_id = str(raw.get("LineItemID") or "").lower()
        return LineItem(
            line_item_id=line_id if line_id and line_id != ZERO_ID else new_id(),
            description=description,
            quantity=quantity,
            unit_amount=unit_amount,
            account_code=account.code if account else "",
            account_id=account.account_id if account else "",
            tax_type=tax_type,
            tax_amount=tax_amount if given_tax is None else money(given_tax),
            tax_amount_given=given_tax is not None,
            description_only=description_only,
            line_amount=line_amount,
            discount_rate=rate_off,
            discount_amount=amount_off,
            item_code=str(raw.get("ItemCode") or ""),
            tracking=tracking,
        )

    def _line_amounts(self, raw, doc_type, errors):
        """(quantity, unit amount, line amount, DiscountRate, DiscountAmount)."""
        quantity = _number(raw, "Quantity", Decimal(1), errors).quantize(QUANTITY_DP, ROUND_HALF_UP)
        rate_off = _number(raw, "DiscountRate", None, errors)
        amount_off = _number(raw, "DiscountAmount", None, errors)
        for name, given in (("DiscountRate", rate_off), ("DiscountAmount", amount_off)):
            if given is not None and doc_type not in DISCOUNT_TYPES:
                errors.append(f"{name} is only supported on ACCREC invoices.")
        if doc_type not in DISCOUNT_TYPES:
            rate_off = amount_off = None
        if rate_off is not None and amount_off is not None:
            errors.append("A line item takes a DiscountRate or a DiscountAmount, not both.")
            amount_off = None
        if rate_off is not None and not Decimal(0) <= rate_off <= HUNDRED:
            errors.append("DiscountRate must be between 0 and 100.")
            rate_off = None
        if amount_off is not None:
            amount_off = money(amount_off)
        keep = (HUNDRED - (rate_off or 0)) / HUNDRED
        less = amount_off or Decimal(0)
        given_line = _number(raw, "LineAmount", None, errors)
        unit_amount = _number(raw, "UnitAmount", None, errors)
        if unit_amount is None:
            divisor = quantity * keep
            unit_amount = (
                (given_line + less) / divisor if given_line is not None and divisor else Decimal(0)
            )
        unit_amount = unit_amount.quantize(self.unit_places, ROUND_HALF_UP)
        line_amount = money(quantity * unit_amount * keep) - less
        both_given = raw.get("UnitAmount") is not None and given_line is not None
        if both_given and abs(money(given_line) - line_amount) > CENT:
            errors.append(
                f"The line amount {money(given_line)} does not match the quantity multiplied "
                f"by the unit amount less discount ({line_amount})."
            )
        return quantity, unit_amount, line_amount, rate_off, amount_off

    def _tracking(self, raw, errors):
        """The line's tracking as Xero keeps it (ids and names), each option an active one of an
        active category of the organisation: unknown ones are refused, as Xero does
        ("if they weren't [valid], usually I'd get an error from Xero API",
        XeroAPI/xero-node#516). Names match whatever their case; at most two categories."""
        raw = raw or []
        if not isinstance(raw, list) or len(raw) > 2:
            errors.append("A line item can have at most two tracking categories.")
            return []
        tracking = []
        for entry in raw:
            if not isinstance(entry, dict):
                errors.append("A tracking category must be a JSON object.")
                continue
            category, option = self._tracking_option(entry, errors)
            if option is None:
                continue
            if any(t["TrackingCategoryID"] == category.tracking_category_id for t in tracking):
                errors.append(f"The tracking category '{category.name}' is used twice on a line.")
                continue
            tracking.append(
                {
                    "TrackingCategoryID": category.tracking_category_id,
                    "TrackingOptionID": option.tracking_option_id,
                    "Name": category.name,
                    "Option": option.name,
                }
            )
        return tracking

    def _tracking_option(self, entry, errors):
        """(category, option) named by ids or by names, or (category or None, None) refused."""
        categories = self.org.tracking_categories.values()
        wanted_id = str(entry.get("TrackingCategoryID") or "").lower()
        name = str(entry.get("Name") or "").strip()
        category = next(
            (
                c
                for c in categories
                if c.tracking_category_id == wanted_id
                or (not wanted_id and c.name.casefold() == name.casefold())
            ),
            None,
        )
        if category is None or category.status != "ACTIVE":
            errors.append(f"The tracking category '{name or wanted_id}' does not exist.")
            return category, None
        wanted_option = str(entry.get("TrackingOptionID") or "").lower()
        option_name = str(entry.get("Option") or "").strip()
        option = next(
            (
                o
                for o in category.options
                if o.tracking_option_id == wanted_option
                or (not wanted_option and o.name.casefold() == option_name.casefold())
            ),
            None,
        )
        if option is None or option.status != "ACTIVE":
            errors.append(
                f"The tracking option '{option_name or wanted_option}' does not exist in the "
                f"tracking category '{category.name}'."
            )
            return category, None
        return category, option

    def _account(self, code, status, errors, warnings, required=True):
        if code in (None, ""):
            if required and status != "DRAFT":
                errors.append(ACCOUNT_REQUIRED)
            return None
        account = self.org.accounts.get(str(code))
        invalid = f"Account code '{code}' is not a valid code for this document."  # [Xero]
        if account is None and status == "DRAFT":
            # A draft needs no account (ACCOUNT_REQUIRED): Xero saves it without the unknown
            # code and says so in the element's Warnings ("warnings that Xero returns (e.g.
            # incorrect account codes etc.)", calcinai/xero-php#140). Xero's own wording of the
            # warning is not known: the error's is used.
            warnings.append(invalid)
            return None
        if account is None or account.type == "BANK" or account.system_account in _CONTROL_ACCOUNTS:
            errors.append(invalid)
            return None
        if account.status != "ACTIVE":
            errors.append(
                f"Account code '{code}' has been archived, or deleted. Each line item must "
                "reference a valid account."
            )
            return None
        return account

    def _tax(self, tax_type, account, sales, line_amount_types, errors):
        """(TaxType, TaxRate or None when no tax applies)."""
        if not tax_type:
            if line_amount_types == "NoTax":
                return "NONE", None
            tax_type = self._default_tax_type(account, sales)
        rate = self.org.tax_rates.get(tax_type)
        usable = (
            rate is not None
            and rate.status == "ACTIVE"
            and (rate.sales if sales else rate.purchases)
        )
        if not usable:
            errors.append(  # [Xero]
                f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
                "transaction."
            )
            return tax_type, None
        if account is not None and CLASS_TAX_FLAG[account.account_class] not in rate.flags:
            errors.append(  # [Xero]
                f"The TaxType code '{tax_type}' cannot be used with account code '{account.code}'."
            )
        return tax_type, (None if line_amount_types == "NoTax" else rate)

    def _default_tax_type(self, account, sales):
        rates = self.org.tax_rates
        if account is not None:
            rate = rates.get(account.tax_type)
            if rate and rate.status == "ACTIVE" and (rate.sales if sales else rate.purchases):
                return account.tax_type
        for rate in rates.values():
            if rate.status == "ACTIVE" and (rate.sales if sales else rate.purchases):
                return rate.tax_type
        return "NONE"


def _number(raw, name, default, errors):
    value = raw.get(name)
    if value is None:
        return default
    number = to_decimal(value)
    if number is None:
        errors.append(f"{name} must be a number.")
        return default if default is not None else Decimal(0)
    return number


def _totals(lines, line_amount_types):
    line_sum = sum((line.line_amount for line in lines), Decimal(0))
    total_tax = sum((line.tax_amount for line in lines), Decimal(0))
    if line_amount_types == "Inclusive":
        sub_total, total = line_sum - total_tax, line_sum
    else:
        sub_total, total = line_sum, line_sum + total_tax
    discount = sum(
        (
            money(line.quantity * line.unit_amount) - line.line_amount
            for line in lines
            if line.discount_rate or line.discount_amount
        ),
        Decimal(0),
    )
    return {
        "sub_total": sub_total,
        "total_tax": total_tax,
        "total": total,
        "total_discount": discount,
    }


def find_active_contact(org, name):
    wanted = name.strip().casefold()
    for contact in org.contacts.values():
        if contact.status == "ACTIVE" and contact.name.strip().casefold() == wanted:
            return contact
    return None


def as_input(kind, document):
    """A stored document in the shape of a request body, for merging an update into."""
    return {
        "Type": document.type,
        "Contact": {"ContactID": document.contact_id},
        "Date": document.date.isoformat(),
        "DueDate": document.due_date.isoformat() if document.due_date else None,
        "Status": document.status,
        "LineAmountTypes": document.line_amount_types,
        kind.number_field: document.number,
        "Reference": document.reference,
        "CurrencyCode": document.currency_code,
        "CurrencyRate": document.currency_rate,
        "LineItems": [
            {
                "LineItemID": line.line_item_id,
                "Description": line.description,
                # A line sent with a description only stays one when its document changes.
                "Quantity": None if line.description_only else line.quantity,
                "UnitAmount": None if line.description_only else line.unit_amount,
                "AccountCode": line.account_code or None,
                "TaxType": line.tax_type,
                "DiscountRate": line.discount_rate,
                "DiscountAmount": line.discount_amount,
                # An override is kept; a computed tax is computed again from what changed.
                "TaxAmount": line.tax_amount if line.tax_amount_given else None,
                "ItemCode": line.item_code,
                "Tracking": line.tracking,
            }
            for line in document.lines
        ],
    }


def allocate(org, credit_note, element, now):
    """Apply part of an AUTHORISED credit note to an AUTHORISED invoice of the same contact."""
    errors = []
    if credit_note.status != "AUTHORISED":
        errors.append("Only an AUTHORISED credit note can be allocated.")
    raw_invoice = element.get("Invoice") if isinstance(element, dict) else None
    invoice_id = str((raw_invoice or {}).get("InvoiceID") or "").lower()
    invoice = org.invoices.get(invoice_id)
    if invoice is None:
        return None, [*errors, f"The invoice {invoice_id or '(none)'} could not be found."]
    if invoice.status != "AUTHORISED":
        errors.append("Allocations can only be made to AUTHORISED invoices.")
    expected_type = "ACCREC" if credit_note.type == "ACCRECCREDIT" else "ACCPAY"
    if invoice.type != expected_type:
        errors.append(
            f"A {credit_note.type} credit note can only be allocated to an {expected_type} invoice."
        )
    if invoice.contact_id != credit_note.contact_id:
        errors.append("The credit note and the invoice must belong to the same contact.")
    if invoice.currency_code != credit_note.currency_code:
        errors.append("The credit note and the invoice must be in the same currency.")
    amount = to_decimal(element.get("Amount"))
    if amount is None or amount <= 0:
        errors.append("The allocation amount must be greater than zero.")
    elif amount > credit_note.amount_due:
        errors.append("The allocation amount cannot exceed the credit note's remaining credit.")
    elif amount > invoice.amount_due:
        errors.append("The allocation amount cannot exceed the amount due on the invoice.")
    try:
        allocation_date = parse_date(element.get("Date") or now.date().isoformat())
    except ValueError:
        errors.append(f"The date '{element.get('Date')}' is not valid.")
        allocation_date = None
    if allocation_date and allocation_date <= org.period_lock_date:
        errors.append(
            "The allocation date cannot be before the period lock date, currently set at "
            + org.period_lock_date.strftime("%d-%b-%Y")
        )
    if errors:
        return None, errors
    amount = money(amount)
    allocation = Allocation(
        new_id(), credit_note.document_id, invoice.document_id, amount, allocation_date
    )
    org.allocations.append(allocation)
    credit_note.amount_credited += amount
    invoice.amount_credited += amount
    for document in (credit_note, invoice):
        document.updated = now
        if document.amount_due == 0:
            document.status = "PAID"
            document.fully_paid_on = allocation_date
    return allocation, []


def settle(document, status, now):
    """Set a status the way Xero's users would (a payment, a void, a delete) for tests."""
    if status == "PAID":
        remaining = document.amount_due
        if remaining > 0:
            document.payments.append(
                {
                    "PaymentID": new_id(),
                    "Date": now.date(),
                    "Amount": remaining,
                    "CurrencyRate": document.currency_rate,
                }
            )
            document.amount_paid += remaining
        document.fully_paid_on = now.date()
    document.status = status
    document.updated = now
