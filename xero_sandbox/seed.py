"""The data the sandbox starts from, and returns to on reset.

Ids are fixed (literal or derived with uuid5) so the demo and the tests can name them. Lock dates
are set relative to the sandbox clock at reset time: the period lock date is the end of the month
three months back, the end-of-year lock date the last financial year end on or before it.
"""

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from .store import (
    Account,
    App,
    Contact,
    Organisation,
    State,
    TaxRate,
    TrackingCategory,
    TrackingOption,
    User,
)

_NAMESPACE = uuid.UUID("6f3c1d2e-5a4b-4c3d-9e8f-7a6b5c4d3e2f")

DEMO_CLIENT_ID = "sandbox-client"
DEMO_CLIENT_SECRET = "sandbox-secret"
LEGACY_CLIENT_ID = "sandbox-legacy-client"  # created before 2 March 2026: broad scopes allowed
LEGACY_CLIENT_SECRET = "sandbox-legacy-secret"
PKCE_CLIENT_ID = "sandbox-pkce-client"  # "Auth Code with PKCE" app: no secret

DEMO_USER_ID = "c0ffee00-0000-4000-8000-000000000001"
DEMO_USER_EMAIL = "demo@sandbox.xero.local"
DEMO_USER_PASSWORD = "sandbox"
DEMO_MFA_CODE = "123456"

AU_TENANT_ID = "a0000000-0000-4000-8000-0000000000a1"
NZ_TENANT_ID = "a0000000-0000-4000-8000-0000000000a2"
UK_TENANT_ID = "a0000000-0000-4000-8000-0000000000a3"

ALL_CLASSES = frozenset(
    {
        "CanApplyToAssets",
        "CanApplyToEquity",
        "CanApplyToExpenses",
        "CanApplyToLiabilities",
        "CanApplyToRevenue",
    }
)
_SALES_SIDE = frozenset(
    {"CanApplyToRevenue", "CanApplyToAssets", "CanApplyToLiabilities", "CanApplyToEquity"}
)
_PURCHASE_SIDE = frozenset(
    {"CanApplyToExpenses", "CanApplyToAssets", "CanApplyToLiabilities", "CanApplyToEquity"}
)
_ASSETS_ONLY = frozenset({"CanApplyToAssets"})


def derived_id(*parts):
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


def contact_id(tenant_id, name):
    """The fixed ContactID of a seeded contact."""
    return derived_id(tenant_id, "contact", name)


def account_id(tenant_id, code):
    return derived_id(tenant_id, "account", code)


def tracking_category_id(tenant_id, name):
    return derived_id(tenant_id, "tracking", name)


def tracking_option_id(tenant_id, category, option):
    return derived_id(tenant_id, "tracking", category, option)


def build_apps():
    apps = [
        App(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "Sandbox Demo App", date(2026, 3, 10)),
        App(LEGACY_CLIENT_ID, LEGACY_CLIENT_SECRET, "Sandbox Legacy App", date(2024, 5, 1)),
        App(PKCE_CLIENT_ID, None, "Sandbox PKCE App", date(2026, 3, 10)),
    ]
    return {app.client_id: app for app in apps}


def build_users():
    user = User(
        user_id=DEMO_USER_ID,
        email=DEMO_USER_EMAIL,
        password=DEMO_USER_PASSWORD,
        first_name="Demo",
        last_name="User",
        mfa=True,
        tenant_ids=[AU_TENANT_ID, NZ_TENANT_ID, UK_TENANT_ID],
    )
    return {user.email: user}


def _rate(tax_type, name, percent, side, report, flags=None, status="ACTIVE"):
    flags = flags or {"sales": _SALES_SIDE, "purchases": _PURCHASE_SIDE, "both": ALL_CLASSES}[side]
    return TaxRate(
        tax_type=tax_type,
        name=name,
        rate=Decimal(percent),
        sales=side in ("sales", "both"),
        purchases=side in ("purchases", "both"),
        flags=flags,
        report_tax_type=report,
        status=status,
    )


AU_TAX_RATES = [
    _rate("OUTPUT", "GST on Income", "10", "sales", "OUTPUT"),
    _rate("INPUT", "GST on Expenses", "10", "purchases", "INPUT"),
    _rate("EXEMPTOUTPUT", "GST Free Income", "0", "sales", "EXEMPTOUTPUT"),
    _rate("EXEMPTEXPENSES", "GST Free Expenses", "0", "purchases", "EXEMPTEXPENSES"),
    _rate("EXEMPTEXPORT", "GST Free Exports", "0", "sales", "EXEMPTEXPORT"),
    _rate("BASEXCLUDED", "BAS Excluded", "0", "both", "BASEXCLUDED"),
    _rate("GSTONIMPORTS", "GST on Imports", "0", "purchases", "GSTONIMPORTS"),
    _rate("INPUTTAXED", "Input Taxed", "0", "both", "INPUTTAXED"),
    _rate("CAPEXINPUT", "GST on Capital", "10", "purchases", "CAPEXINPUT", _ASSETS_ONLY),
    _rate("EXEMPTCAPITAL", "GST Free Capital", "0", "purchases", "EXEMPTCAPITAL", _ASSETS_ONLY),
    _rate("TAX001", "GST on Income (superseded)", "10", "sales", "OUTPUT", status="DELETED"),
]

NZ_TAX_RATES = [
    _rate("OUTPUT2", "15% GST on Income", "15", "sales", "OUTPUT"),
    _rate("INPUT2", "15% GST on Expenses", "15", "purchases", "INPUT"),
    _rate("ZERORATED", "Zero Rated", "0", "both", "ZERORATEDOUTPUT"),
    _rate("NONE", "No GST", "0", "both", "NONE"),
    _rate("GSTONIMPORTS", "GST on Imports", "0", "purchases", "GSTONIMPORTS"),
]

UK_TAX_RATES = [
    _rate("OUTPUT2", "20% (VAT on Income)", "20", "sales", "OUTPUT"),
    _rate("INPUT2", "20% (VAT on Expenses)", "20", "purchases", "INPUT"),
    _rate("RROUTPUT", "5% (VAT on Income)", "5", "sales", "OUTPUT"),
    _rate("RRINPUT", "5% (VAT on Expenses)", "5", "purchases", "INPUT"),
    _rate("ZERORATEDOUTPUT", "Zero Rated Income", "0", "sales", "ZERORATEDOUTPUT"),
    _rate("ZERORATEDINPUT", "Zero Rated Expenses", "0", "purchases", "ZERORATEDINPUT"),
    _rate("EXEMPTOUTPUT", "Exempt Income", "0", "sales", "EXEMPTOUTPUT"),
    _rate("EXEMPTINPUT", "Exempt Expenses", "0", "purchases", "EXEMPTINPUT"),
    _rate("ECZROUTPUT", "Zero Rated EC Goods Income", "0", "sales", "ECOUTPUT"),
    _rate("CAPEXINPUT2", "20% (VAT on Capital Purchases)", "20", "purchases", "CAPEXINPUT"),
    _rate("NONE", "No VAT", "0", "both", "NONE"),
]

# (code, name, type, tax type, extra fields)
AU_ACCOUNTS = [
    (
        "090",
        "Business Bank Account",
        "BANK",
        "BASEXCLUDED",
        {"bank_account_number": "062000123456"},
    ),
    ("091", "Business Savings Account", "BANK", "BASEXCLUDED", {"bank_account_number": "06200654"}),
    ("200", "Sales", "REVENUE", "OUTPUT", {"reporting_code": "REV.TRA.GOO"}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT", {}),
    ("270", "Interest Income", "REVENUE", "INPUTTAXED", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT", {}),
    ("400", "Advertising", "EXPENSE", "INPUT", {}),
    ("404", "Bank Fees", "EXPENSE", "EXEMPTEXPENSES", {}),
    ("412", "Consulting & Accounting", "EXPENSE", "INPUT", {}),
    ("420", "Entertainment", "EXPENSE", "BASEXCLUDED", {}),
    ("429", "General Expenses", "EXPENSE", "INPUT", {}),
    ("445", "Light, Power, Heating", "EXPENSE", "INPUT", {}),
    ("461", "Printing & Stationery", "EXPENSE", "INPUT", {"status": "ARCHIVED"}),
    ("469", "Rent", "EXPENSE", "INPUT", {}),
    ("489", "Telephone & Internet", "EXPENSE", "INPUT", {}),
    ("493", "Travel - National", "EXPENSE", "INPUT", {}),
    ("610", "Accounts Receivable", "CURRENT", "BASEXCLUDED", {"system_account": "DEBTORS"}),
    ("710", "Office Equipment", "FIXED", "INPUT", {}),
    ("800", "Accounts Payable", "CURRLIAB", "BASEXCLUDED", {"system_account": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "BASEXCLUDED", {"system_account": "GST"}),
    ("860", "Rounding", "CURRLIAB", "BASEXCLUDED", {"system_account": "ROUNDING"}),
    ("960", "Retained Earnings", "EQUITY", "BASEXCLUDED", {"system_account": "RETAINEDEARNINGS"}),
    ("970", "Owner A Funds Introduced", "EQUITY", "BASEXCLUDED", {}),
]

NZ_ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE", {"bank_account_number": "0201000123456000"}),
    ("200", "Sales", "REVENUE", "OUTPUT2", {}),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", {}),
    ("270", "Interest Income", "REVENUE", "NONE", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2", {}),
    ("400", "Advertising", "OVERHEADS", "INPUT2", {}),
    ("404", "Bank Service Charges", "OVERHEADS", "NONE", {}),
    ("412", "Consulting & Accounting", "OVERHEADS", "INPUT2", {}),
    ("425", "Freight & Courier", "OVERHEADS", "INPUT2", {"status": "ARCHIVED"}),
    ("429", "General Expenses", "OVERHEADS", "INPUT2", {}),
    ("433", "Insurance", "OVERHEADS", "INPUT2", {}),
    ("469", "Rent", "OVERHEADS", "INPUT2", {}),
    ("610", "Accounts Receivable", "CURRENT", "NONE", {"system_account": "DEBTORS"}),
    ("720", "Computer Equipment", "FIXED", "INPUT2", {}),
    ("800", "Accounts Payable", "CURRLIAB", "NONE", {"system_account": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "NONE", {"system_account": "GST"}),
    ("960", "Retained Earnings", "EQUITY", "NONE", {"system_account": "RETAINEDEARNINGS"}),
]

UK_ACCOUNTS = [
    ("1200", "Business Current Account", "BANK", "NONE", {"bank_account_number": "40123412345678"}),
    ("1210", "Business Savings Account", "BANK", "NONE", {"bank_account_number": "40123487654321"}),
    ("0030", "Office Equipment", "FIXED", "INPUT2", {}),
    ("1100", "Trade Debtors", "CURRENT", "NONE", {"system_account": "DEBTORS"}),
    ("2100", "Trade Creditors", "CURRLIAB", "NONE", {"system_account": "CREDITORS"}),
    ("2200", "VAT", "CURRLIAB", "NONE", {"system_account": "GST"}),
    ("3200", "Retained Earnings", "EQUITY", "NONE", {"system_account": "RETAINEDEARNINGS"}),
    ("4000", "Sales", "SALES", "OUTPUT2", {}),
    ("4900", "Other Income", "OTHERINCOME", "NONE", {}),
    ("5000", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2", {}),
    ("6100", "Advertising & Marketing", "OVERHEADS", "INPUT2", {}),
    ("7100", "Rent", "OVERHEADS", "EXEMPTINPUT", {}),
    ("7300", "Vehicle Running Costs", "OVERHEADS", "INPUT2", {"status": "ARCHIVED"}),
    ("7502", "Telephone & Internet", "OVERHEADS", "INPUT2", {}),
    ("7600", "Legal & Professional Fees", "OVERHEADS", "INPUT2", {}),
    ("7900", "Bank Charges", "OVERHEADS", "EXEMPTINPUT", {}),
]

# (name, email, customer, supplier, status)
AU_CONTACTS = [
    ("Ridgeway University", "accounts@ridgeway.example", True, False, "ACTIVE"),
    ("City Limousines", "bookings@citylimos.example", True, False, "ACTIVE"),
    ("PowerDirect", "billing@powerdirect.example", False, True, "ACTIVE"),
    ("Melrose Parking", "", False, True, "ACTIVE"),
    ("Old Mate Supplies", "", False, True, "ARCHIVED"),
]
NZ_CONTACTS = [
    ("Marine Systems", "ap@marinesystems.example", True, False, "ACTIVE"),
    ("Hamilton Smith Ltd", "", True, False, "ACTIVE"),
    ("Port & Co", "accounts@portco.example", False, True, "ACTIVE"),
]
UK_CONTACTS = [
    ("Bank West", "payables@bankwest.example", True, False, "ACTIVE"),
    ("Berry Brew", "", True, False, "ACTIVE"),
    ("Boom FM", "invoices@boomfm.example", False, True, "ACTIVE"),
]

# (category, status, [(option, status)])
AU_TRACKING = [
    (
        "Region",
        "ACTIVE",
        [("North", "ACTIVE"), ("South", "ACTIVE"), ("Central", "ARCHIVED")],
    ),
    ("Venue", "ACTIVE", [("Bondi", "ACTIVE"), ("Manly", "ACTIVE"), ("Surry Hills", "ACTIVE")]),
    ("Events 2025", "ARCHIVED", [("Summer Fair", "ACTIVE")]),
]
NZ_TRACKING = [("Region", "ACTIVE", [("Auckland", "ACTIVE"), ("Wellington", "ACTIVE")])]
UK_TRACKING = [("Department", "ACTIVE", [("Bar", "ACTIVE"), ("Kitchen", "ACTIVE")])]

CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "GBP": "British Pound",
    "USD": "United States Dollar",
    "EUR": "Euro",
}

ORGANISATIONS = [
    {
        "tenant_id": AU_TENANT_ID,
        "name": "Sandbox Trading Pty Ltd",
        "short_code": "!AuSb1",
        "country_code": "AU",
        "version": "AU",
        "base_currency": "AUD",
        "timezone": "AUSEASTERNSTANDARDTIME",
        "financial_year_end": (30, 6),
        "sales_tax_basis": "ACCRUALS",
        "sales_tax_period": "QUARTERLY1",
        "default_sales_tax": "Tax Exclusive",
        "default_purchases_tax": "Tax Inclusive",
        "registration_number": "53 004 085 616",
        "tax_number": "53 004 085 616",
        "rates": {"USD": "0.6550", "NZD": "1.0850"},
        "tax_rates": AU_TAX_RATES,
        "accounts": AU_ACCOUNTS,
        "contacts": AU_CONTACTS,
        "tracking": AU_TRACKING,
    },
    {
        "tenant_id": NZ_TENANT_ID,
        "name": "Sandbox Traders Limited",
        "short_code": "!NzSb1",
        "country_code": "NZ",
        "version": "NZ",
        "base_currency": "NZD",
        "timezone": "NEWZEALANDSTANDARDTIME",
        "financial_year_end": (31, 3),
        "sales_tax_basis": "INVOICE",
        "sales_tax_period": "TWOMONTHS",
        "default_sales_tax": "Tax Exclusive",
        "default_purchases_tax": "Tax Inclusive",
        "registration_number": "1234567",
        "tax_number": "123-456-789",
        "rates": {"AUD": "0.9210"},
        "tax_rates": NZ_TAX_RATES,
        "accounts": NZ_ACCOUNTS,
        "contacts": NZ_CONTACTS,
        "tracking": NZ_TRACKING,
    },
    {
        "tenant_id": UK_TENANT_ID,
        "name": "Sandbox Trading Ltd",
        "short_code": "!UkSb1",
        "country_code": "GB",
        "version": "UK",
        "base_currency": "GBP",
        "timezone": "GMTSTANDARDTIME",
        "financial_year_end": (31, 3),
        "sales_tax_basis": "ACCRUAL",
        "sales_tax_period": "QUARTERLY1",
        "default_sales_tax": "Tax Exclusive",
        "default_purchases_tax": "Tax Exclusive",
        "registration_number": "09876543",
        "tax_number": "GB123456789",
        "rates": {"EUR": "1.1700", "USD": "1.2700"},
        "tax_rates": UK_TAX_RATES,
        "accounts": UK_ACCOUNTS,
        "contacts": UK_CONTACTS,
        "tracking": UK_TRACKING,
    },
]


def lock_dates(today, financial_year_end):
    """(period lock date, end-of-year lock date) for an organisation seeded on ``today``."""
    month_start = today.replace(day=1)
    for _ in range(2):
        month_start = (month_start - timedelta(days=1)).replace(day=1)
    period_lock = month_start - timedelta(days=1)
    day, month = financial_year_end
    year_end = date(period_lock.year, month, day)
    if year_end > period_lock:
        year_end = date(period_lock.year - 1, month, day)
    return period_lock, year_end


def _organisation(spec, now):
    tenant = spec["tenant_id"]
    period_lock, year_end_lock = lock_dates(now.date(), spec["financial_year_end"])
    accounts = {}
    for code, name, account_type, tax_type, extra in spec["accounts"]:
        accounts[code] = Account(
            account_id=account_id(tenant, code),
            code=code,
            name=name,
            type=account_type,
            tax_type=tax_type,
            currency_code=spec["base_currency"] if account_type == "BANK" else "",
            **extra,
        )
    contacts = {}
    for name, email, customer, supplier, status in spec["contacts"]:
        contact = Contact(
            contact_id=contact_id(tenant, name),
            name=name,
            status=status,
            updated=now,
            details={"EmailAddress": email} if email else {},
            is_customer=customer,
            is_supplier=supplier,
        )
        contacts[contact.contact_id] = contact
    tracking = {}
    for name, status, options in spec["tracking"]:
        category = TrackingCategory(
            tracking_category_id=tracking_category_id(tenant, name),
            name=name,
            status=status,
            options=[
                TrackingOption(tracking_option_id(tenant, name, option), option, option_status)
                for option, option_status in options
            ],
        )
        tracking[category.tracking_category_id] = category
    currencies = {spec["base_currency"]: CURRENCY_NAMES[spec["base_currency"]]}
    currencies.update({code: CURRENCY_NAMES[code] for code in spec["rates"]})
    return Organisation(
        tenant_id=tenant,
        name=spec["name"],
        legal_name=spec["name"],
        short_code=spec["short_code"],
        country_code=spec["country_code"],
        version=spec["version"],
        base_currency=spec["base_currency"],
        timezone=spec["timezone"],
        financial_year_end=spec["financial_year_end"],
        sales_tax_basis=spec["sales_tax_basis"],
        sales_tax_period=spec["sales_tax_period"],
        default_sales_tax=spec["default_sales_tax"],
        default_purchases_tax=spec["default_purchases_tax"],
        registration_number=spec["registration_number"],
        tax_number=spec["tax_number"],
        created=datetime(2024, 7, 1, tzinfo=timezone.utc),
        period_lock_date=period_lock,
        end_of_year_lock_date=year_end_lock,
        accounts=accounts,
        tax_rates={rate.tax_type: rate for rate in spec["tax_rates"]},
        currencies=currencies,
        rates={code: Decimal(rate) for code, rate in spec["rates"].items()},
        contacts=contacts,
        tracking_categories=tracking,
    )


def build_state(now):
    return State(
        apps=build_apps(),
        users=build_users(),
        organisations={spec["tenant_id"]: _organisation(spec, now) for spec in ORGANISATIONS},
    )
