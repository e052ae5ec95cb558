"""The sandbox's records: apps, users, organisations and their documents, and OAuth grants.

Plain dataclasses held in one ``State``; ``seed.build_state()`` makes the starting one. The
callers hold ``Sandbox.lock`` while they read or change a state.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# The day Xero stopped giving new apps the broad scopes (developer.xero.com/faq/granular-scopes).
GRANULAR_SCOPES_CUTOFF = date(2026, 3, 2)

ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "DEPRECIATN": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
}

# Which TaxRate flag lets a rate be used with an account of each class.
CLASS_TAX_FLAG = {
    "ASSET": "CanApplyToAssets",
    "EQUITY": "CanApplyToEquity",
    "EXPENSE": "CanApplyToExpenses",
    "LIABILITY": "CanApplyToLiabilities",
    "REVENUE": "CanApplyToRevenue",
}


@dataclass
class App:
    client_id: str
    secret: str | None  # None: a PKCE app, which has no secret
    name: str
    created: date

    @property
    def broad_scopes_allowed(self):
        return self.created < GRANULAR_SCOPES_CUTOFF


@dataclass
class User:
    user_id: str
    email: str
    password: str
    first_name: str
    last_name: str
    mfa: bool
    tenant_ids: list


@dataclass
class Account:
    account_id: str
    code: str
    name: str
    type: str
    tax_type: str
    status: str = "ACTIVE"
    description: str = ""
    system_account: str = ""
    bank_account_number: str = ""
    currency_code: str = ""
    reporting_code: str = ""
    reporting_code_name: str = ""

    @property
    def account_class(self):
        return ACCOUNT_CLASS[self.type]


@dataclass
class TaxRate:
    tax_type: str
    name: str
    rate: Decimal
    sales: bool
    purchases: bool
    flags: frozenset  # names of the CanApplyTo* flags that are true
    report_tax_type: str
    status: str = "ACTIVE"


@dataclass
class Contact:
    contact_id: str
    name: str
    status: str
    updated: datetime
    details: dict = field(default_factory=dict)  # the other Xero fields, as sent
    is_customer: bool = False
    is_supplier: bool = False


@dataclass
class TrackingOption:
    tracking_option_id: str
    name: str
    status: str = "ACTIVE"


@dataclass
class TrackingCategory:
    tracking_category_id: str
    name: str
    options: list  # of TrackingOption
    status: str = "ACTIVE"


@dataclass
class LineItem:
    line_item_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str
    account_id: str
    tax_type: str
    tax_amount: Decimal
    line_amount: Decimal
    discount_rate: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_amount_given: bool = False  # TaxAmount was sent: kept instead of computed
    description_only: bool = False  # sent without Quantity, UnitAmount or LineAmount
    item_code: str = ""
    tracking: list = field(default_factory=list)  # as rendered: ids and names


@dataclass
class Attachment:
    attachment_id: str
    file_name: str
    mime_type: str
    content: bytes
    include_online: bool


@dataclass
class Allocation:
    allocation_id: str
    credit_note_id: str
    invoice_id: str
    amount: Decimal
    date: date


@dataclass
class Document:
    """An invoice (ACCREC, ACCPAY) or a credit note (ACCRECCREDIT, ACCPAYCREDIT)."""

    kind: str  # "invoice" or "credit_note"
    document_id: str
    type: str
    number: str
    reference: str
    contact_id: str
    date: date
    due_date: date | None
    status: str
    line_amount_types: str
    currency_code: str
    currency_rate: Decimal
    lines: list
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    total_discount: Decimal
    created_by: str
    updated: datetime
    amount_paid: Decimal = Decimal("0")
    amount_credited: Decimal = Decimal("0")
    fully_paid_on: date | None = None
    payments: list = field(default_factory=list)
    attachments: list = field(default_factory=list)

    @property
    def amount_due(self):
        return self.total - self.amount_paid - self.amount_credited


@dataclass
class Organisation:
    tenant_id: str
    name: str
    legal_name: str
    short_code: str
    country_code: str
    version: str
    base_currency: str
    timezone: str
    financial_year_end: tuple  # (day, month)
    sales_tax_basis: str
    sales_tax_period: str
    default_sales_tax: str
    default_purchases_tax: str
    registration_number: str
    tax_number: str
    created: datetime
    period_lock_date: date
    end_of_year_lock_date: date
    accounts: dict  # code -> Account
    tax_rates: dict  # TaxType -> TaxRate
    currencies: dict  # code -> description, the base currency first
    rates: dict  # foreign code -> units of it per unit of the base currency
    contacts: dict  # ContactID -> Contact
    tracking_categories: dict  # TrackingCategoryID -> TrackingCategory
    invoices: dict = field(default_factory=dict)  # InvoiceID -> Document
    credit_notes: dict = field(default_factory=dict)  # CreditNoteID -> Document
    allocations: list = field(default_factory=list)
    sequences: dict = field(default_factory=lambda: {"INV-": 0, "CN-": 0})

    def documents(self, kind):
        return self.invoices if kind == "invoice" else self.credit_notes


@dataclass
class Connection:
    connection_id: str
    client_id: str
    user_id: str
    tenant_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass
class Grant:
    """One user's consent to one app: the family every token of that authorisation belongs to."""

    grant_id: str
    client_id: str
    user_id: str
    scopes: tuple
    auth_event_id: str
    auth_time: datetime
    nonce: str = ""


@dataclass
class AuthCode:
    grant: Grant
    redirect_uri: str
    code_challenge: str
    expires_at: datetime
    used: bool = False


@dataclass
class AccessToken:
    grant: Grant
    expires_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    grant: Grant
    issued_at: datetime
    rotated_at: datetime | None = None
    revoked: bool = False


@dataclass
class AuthSession:
    """A sign-in in progress on the authorize page, between its HTML forms."""

    params: dict
    expires_at: datetime
    stage: str = "login"  # login -> mfa -> consent
    user: User | None = None


@dataclass
class State:
    apps: dict
    users: dict  # email (lower case) -> User
    organisations: dict  # tenant id -> Organisation
    connections: dict = field(default_factory=dict)  # connection id -> Connection
    auth_sessions: dict = field(default_factory=dict)
    auth_codes: dict = field(default_factory=dict)
    access_tokens: dict = field(default_factory=dict)
    refresh_tokens: dict = field(default_factory=dict)
    reconnects: dict = field(default_factory=dict)  # (client, user, tenant) -> times connected

    def find_document(self, document_id):
        """(organisation, document) for an InvoiceID or CreditNoteID in any organisation."""
        for org in self.organisations.values():
            document = org.invoices.get(document_id) or org.credit_notes.get(document_id)
            if document:
                return org, document
        return None, None
