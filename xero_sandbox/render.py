"""Documents, contacts and allocations in the JSON shape Xero returns them."""

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from .documents import KINDS, SALES_TYPES
from .seed import ALL_CLASSES as ALL_TAX_FLAGS
from .wire import ZERO_ID, date_string, ms_date


def render_contact_summary(contact):
    summary = {
        "ContactID": contact.contact_id,
        "ContactStatus": contact.status,
        "Name": contact.name,
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }
    if contact.details.get("EmailAddress"):
        summary["EmailAddress"] = contact.details["EmailAddress"]
    return summary


def render_line(line, unit_dp):
    rendered = {
        "LineItemID": line.line_item_id,
        "Description": line.description,
        "Quantity": line.quantity,
        "UnitAmount": line.unit_amount.quantize(Decimal(1).scaleb(-unit_dp), ROUND_HALF_UP),
        "TaxType": line.tax_type,
        "TaxAmount": line.tax_amount,
        "LineAmount": line.line_amount,
        "Tracking": line.tracking,
    }
    if line.account_code:
        rendered["AccountCode"] = line.account_code
        rendered["AccountID"] = line.account_id
    if line.item_code:
        rendered["ItemCode"] = line.item_code
    if line.discount_rate is not None:
        rendered["DiscountRate"] = line.discount_rate
    if line.discount_amount is not None:
        rendered["DiscountAmount"] = line.discount_amount
    return rendered


def with_warnings(rendered, warnings):
    """An element of a write's answer with what Xero changed in it: its Warnings and, as Xero
    says then, a StatusAttributeString of WARNING (OK, WARNING or ERROR: Xero's
    entityValidationStatus, XeroAPI/XeroAPI-Schemas BaseTypes.xsd)."""
    if warnings:
        rendered["Warnings"] = [{"Message": message} for message in warnings]
        rendered["StatusAttributeString"] = "WARNING"
    return rendered


def render_document(org, document, unit_dp=2, with_lines=True):
    kind = KINDS[document.kind]
    rendered = {
        "Type": document.type,
        kind.id_field: document.document_id,
        kind.number_field: document.number,
        "Contact": render_contact_summary(org.contacts[document.contact_id]),
        "DateString": date_string(document.date),
        "Date": ms_date(document.date),
        "Status": document.status,
        "LineAmountTypes": document.line_amount_types,
        "SubTotal": document.sub_total,
        "TotalTax": document.total_tax,
        "Total": document.total,
        "UpdatedDateUTC": ms_date(document.updated),
        "CurrencyCode": document.currency_code,
        "CurrencyRate": document.currency_rate,
        "Payments": [_render_payment(payment) for payment in document.payments],
        "HasAttachments": bool(document.attachments),
        "HasErrors": False,
    }
    if document.type in SALES_TYPES:
        rendered["Reference"] = document.reference
    if document.due_date:
        rendered["DueDateString"] = date_string(document.due_date)
        rendered["DueDate"] = ms_date(document.due_date)
    if with_lines:
        rendered["LineItems"] = [render_line(line, unit_dp) for line in document.lines]
    if document.fully_paid_on:
        rendered["FullyPaidOnDate"] = ms_date(document.fully_paid_on)
    if document.kind == "invoice":
        rendered.update(
            {
                "AmountDue": document.amount_due,
                "AmountPaid": document.amount_paid,
                "AmountCredited": document.amount_credited,
                "IsDiscounted": bool(document.total_discount),
                "SentToContact": False,
                "Prepayments": [],
                "Overpayments": [],
                "CreditNotes": [
                    _render_applied_credit(org, allocation)
                    for allocation in org.allocations
                    if allocation.invoice_id == document.document_id
                ],
            }
        )
        if document.total_discount:
            rendered["TotalDiscount"] = document.total_discount
    else:
        rendered["RemainingCredit"] = document.amount_due
        rendered["Allocations"] = [
            _render_allocation(org, allocation)
            for allocation in org.allocations
            if allocation.credit_note_id == document.document_id
        ]
    return rendered


def filter_fields(org, document):
    """A document as a where filter sees it: Xero's field names with typed values."""
    fields = render_document(org, document, with_lines=False)
    fields.update(
        {
            "Date": document.date,
            "DueDate": document.due_date,
            "UpdatedDateUTC": document.updated,
            "FullyPaidOnDate": document.fully_paid_on,
        }
    )
    return fields


def _render_payment(payment):
    return {
        "PaymentID": payment["PaymentID"],
        "Date": ms_date(payment["Date"]),
        "Amount": payment["Amount"],
        "CurrencyRate": payment["CurrencyRate"],
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def _render_applied_credit(org, allocation):
    credit_note = org.credit_notes[allocation.credit_note_id]
    return {
        "CreditNoteID": credit_note.document_id,
        "CreditNoteNumber": credit_note.number,
        "Total": credit_note.total,
        "AppliedAmount": allocation.amount,
        "DateString": date_string(allocation.date),
        "Date": ms_date(allocation.date),
    }


def _render_allocation(org, allocation):
    invoice = org.invoices[allocation.invoice_id]
    return {
        "AllocationID": allocation.allocation_id,
        "Amount": allocation.amount,
        "Date": ms_date(allocation.date),
        "Invoice": {"InvoiceID": invoice.document_id, "InvoiceNumber": invoice.number},
    }


def render_allocation_result(org, allocation):
    rendered = _render_allocation(org, allocation)
    credit_note = org.credit_notes[allocation.credit_note_id]
    rendered["CreditNote"] = {
        "CreditNoteID": credit_note.document_id,
        "CreditNoteNumber": credit_note.number,
    }
    rendered["StatusAttributeString"] = "OK"
    return rendered


def _with_errors(element, messages, **flags):
    echo = dict(element) if isinstance(element, dict) else {}
    echo.update(flags)
    echo["StatusAttributeString"] = "ERROR"
    echo["ValidationErrors"] = [{"Message": message} for message in messages]
    return echo


def contact_error_element(element, messages):
    return _with_errors(element, messages, HasValidationErrors=True)


def allocation_error_element(element, messages):
    return _with_errors(element, messages)


def error_element(kind, element, messages):
    """A refused document as Xero returns it: what was sent, flagged with its errors."""
    echo = _with_errors(element, messages, HasErrors=True)
    echo.setdefault(kind.id_field, ZERO_ID)
    return echo


# -- reference data ------------------------------------------------------------------------------

_REPORTING = {
    "ASSET": ("ASS", "Assets"),
    "EQUITY": ("EQU", "Equity"),
    "EXPENSE": ("EXP", "Expense"),
    "LIABILITY": ("LIA", "Liability"),
    "REVENUE": ("REV", "Revenue"),
}
CONTACT_DETAILS = (
    "ContactNumber",
    "AccountNumber",
    "FirstName",
    "LastName",
    "CompanyNumber",
    "EmailAddress",
    "BankAccountDetails",
    "TaxNumber",
    "AccountsReceivableTaxType",
    "AccountsPayableTaxType",
    "DefaultCurrency",
    "SalesDefaultAccountCode",
    "PurchasesDefaultAccountCode",
    "Addresses",
    "Phones",
    "ContactPersons",
    "PaymentTerms",
)


def render_organisation(org):
    day, month = org.financial_year_end
    return {
        "OrganisationID": org.tenant_id,
        "APIKey": "",
        "Name": org.name,
        "LegalName": org.legal_name,
        "PaysTax": True,
        "Version": org.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "RegistrationNumber": org.registration_number,
        "TaxNumber": org.tax_number,
        "FinancialYearEndDay": day,
        "FinancialYearEndMonth": month,
        "SalesTaxBasis": org.sales_tax_basis,
        "SalesTaxPeriod": org.sales_tax_period,
        "DefaultSalesTax": org.default_sales_tax,
        "DefaultPurchasesTax": org.default_purchases_tax,
        "PeriodLockDate": ms_date(org.period_lock_date),
        "EndOfYearLockDate": ms_date(org.end_of_year_lock_date),
        "CreatedDateUTC": ms_date(org.created),
        "Timezone": org.timezone,
        "OrganisationEntityType": "COMPANY",
        "ShortCode": org.short_code,
        "Class": "PREMIUM",
        "Edition": "BUSINESS",
        "LineOfBusiness": "Wholesale trade",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }


def render_account(org, account):
    code, name = _REPORTING[account.account_class]
    rendered = {
        "AccountID": account.account_id,
        "Code": account.code,
        "Name": account.name,
        "Status": account.status,
        "Type": account.type,
        "TaxType": account.tax_type,
        "Description": account.description,
        "Class": account.account_class,
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": account.account_class == "EXPENSE",
        "ReportingCode": account.reporting_code or code,
        "ReportingCodeName": name,
        "HasAttachments": False,
        "AddToWatchlist": False,
        "UpdatedDateUTC": ms_date(org.created),
    }
    if account.system_account:
        rendered["SystemAccount"] = account.system_account
    if account.type == "BANK":
        rendered.update(
            {
                "BankAccountNumber": account.bank_account_number,
                "BankAccountType": "BANK",
                "CurrencyCode": account.currency_code,
            }
        )
    return rendered


def render_tax_rate(org, rate):
    rendered = {
        "Name": rate.name,
        "TaxType": rate.tax_type,
        "ReportTaxType": rate.report_tax_type,
        "DisplayTaxRate": rate.rate,
        "EffectiveRate": rate.rate,
        "Status": rate.status,
        "TaxComponents": [
            {
                "Name": "VAT" if org.version == "UK" else "GST",
                "Rate": rate.rate,
                "IsCompound": False,
                "IsNonRecoverable": False,
            }
        ],
    }
    for flag in sorted(ALL_TAX_FLAGS):
        rendered[flag] = flag in rate.flags
    return rendered


def render_contact(contact):
    rendered = {
        "ContactID": contact.contact_id,
        "ContactStatus": contact.status,
        "Name": contact.name,
        "Addresses": [],
        "Phones": [],
        "ContactPersons": [],
    }
    details = contact.details
    rendered.update({key: details[key] for key in CONTACT_DETAILS if key in details})
    rendered.update(
        {
            "UpdatedDateUTC": ms_date(contact.updated),
            "ContactGroups": [],
            "IsSupplier": contact.is_supplier,
            "IsCustomer": contact.is_customer,
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
    )
    return rendered


def render_tracking_category(category, include_archived=False):
    """A tracking category with its options; archived options only when asked for."""
    return {
        "TrackingCategoryID": category.tracking_category_id,
        "Name": category.name,
        "Status": category.status,
        "Options": [
            {
                "TrackingOptionID": option.tracking_option_id,
                "Name": option.name,
                "Status": option.status,
            }
            for option in category.options
            if include_archived or option.status == "ACTIVE"
        ],
    }


def render_attachment(base_url, collection, document_id, attachment):
    return {
        "AttachmentID": attachment.attachment_id,
        "FileName": attachment.file_name,
        "Url": f"{base_url}/api.xro/2.0/{collection}/{document_id}/Attachments/"
        + quote(attachment.file_name),
        "MimeType": attachment.mime_type,
        "ContentLength": len(attachment.content),
        "IncludeOnline": attachment.include_online,
    }
