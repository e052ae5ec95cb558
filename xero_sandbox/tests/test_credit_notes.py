"""Credit notes, their allocation to invoices, and attachments on both.

Every request body and JSON response is checked against Xero's accounting OpenAPI description
(located by tests/openapi.py; the run's summary line says where it was found).
"""

from .. import seed
from .builders import RIDGEWAY, invoice, line
from .fixtures import *  # noqa: F403 (pytest fixtures)

CITY_LIMOUSINES = seed.contact_id(seed.AU_TENANT_ID, "City Limousines")


def credit_note(*lines, **fields):
    return {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": RIDGEWAY},
        "Date": "2026-06-12",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [line(UnitAmount=40)],
        **fields,
    }


def allocate(api, credit_note_id, invoice_id, amount, summarize="false"):
    body = {
        "Allocations": [
            {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": "2026-06-14"}
        ]
    }
    return api.put(
        f"CreditNotes/{credit_note_id}/Allocations", body, params={"summarizeErrors": summarize}
    )


def test_sales_credit_notes_are_numbered_and_computed(au):
    first, second = au.create("CreditNotes", credit_note(), credit_note(CreditNoteNumber="RET-1"))
    assert (first["CreditNoteNumber"], second["CreditNoteNumber"]) == ("CN-0001", "RET-1")
    assert (first["SubTotal"], first["TotalTax"], first["Total"]) == (40.0, 4.0, 44.0)
    assert first["RemainingCredit"] == 44.0
    response = au.put(
        "CreditNotes",
        {"CreditNotes": [credit_note(CreditNoteNumber="RET-1")]},
        params={"summarizeErrors": "false"},
    )
    assert response.json()["CreditNotes"][0]["ValidationErrors"] == [
        {"Message": "Credit Note # must be unique."}
    ]
    wrong_type = au.put(  # ACCREC is outside the CreditNote Type enum: no schema check
        "CreditNotes",
        {"CreditNotes": [credit_note(Type="ACCREC")]},
        params={"summarizeErrors": "false"},
        check=False,
    )
    assert wrong_type.json()["CreditNotes"][0]["ValidationErrors"] == [
        {"Message": "Credit Note Type must be ACCRECCREDIT or ACCPAYCREDIT."}
    ]


def test_the_list_of_credit_notes_is_filtered_by_where_only(au):
    """As Xero's OpenAPI describes getCreditNotes: where, order and page. IDs, Statuses and
    createdByMyApp are invoices' parameters, which the list of credit notes ignores."""
    first, second = au.create("CreditNotes", credit_note(), credit_note(Status="DRAFT"))
    every = {first["CreditNoteID"], second["CreditNoteID"]}

    def listed(**params):
        found = au.get("CreditNotes", params=params).json()["CreditNotes"]
        return {c["CreditNoteID"] for c in found}

    assert listed(IDs=first["CreditNoteID"]) == every
    assert listed(Statuses="DRAFT") == every
    assert listed(createdByMyApp="true") == every
    assert listed(where=f'CreditNoteID==Guid("{first["CreditNoteID"]}")') == {first["CreditNoteID"]}


def test_credit_notes_take_a_currency_rate_and_tax_amounts_as_invoices_do(au):
    (usd,) = au.create(
        "CreditNotes",
        credit_note(line(UnitAmount=19.96, TaxAmount=1.98), CurrencyCode="USD", CurrencyRate=0.625),
    )
    assert (usd["CurrencyCode"], usd["CurrencyRate"]) == ("USD", 0.625)
    assert (usd["TotalTax"], usd["Total"]) == (1.98, 21.94)
    (day_rate,) = au.create("CreditNotes", credit_note(CurrencyCode="USD"))
    assert day_rate["CurrencyRate"] == 0.655


def test_allocation_reduces_what_is_due_and_settles_both_documents(au):
    (sale,) = au.create("Invoices", invoice())  # 110.00
    (credit,) = au.create("CreditNotes", credit_note())  # 44.00
    response = allocate(au, credit["CreditNoteID"], sale["InvoiceID"], 44)
    assert response.status_code == 200
    (allocation,) = response.json()["Allocations"]
    assert allocation["Amount"] == 44.0 and allocation["Invoice"]["InvoiceID"] == sale["InvoiceID"]
    after = au.get("Invoices/" + sale["InvoiceID"]).json()["Invoices"][0]
    assert (after["AmountCredited"], after["AmountDue"], after["Status"]) == (
        44.0,
        66.0,
        "AUTHORISED",
    )
    assert after["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
    used = au.get("CreditNotes/" + credit["CreditNoteID"]).json()["CreditNotes"][0]
    assert (used["RemainingCredit"], used["Status"]) == (0, "PAID")
    (big,) = au.create("CreditNotes", credit_note(line(UnitAmount=60)))  # 66.00
    allocate(au, big["CreditNoteID"], sale["InvoiceID"], 66)
    settled = au.get("Invoices/" + sale["InvoiceID"]).json()["Invoices"][0]
    assert (settled["AmountDue"], settled["Status"]) == (0, "PAID")


def test_allocation_needs_authorised_documents_of_one_contact_and_currency_within_credit(au):
    (sale,) = au.create("Invoices", invoice())
    (draft_sale,) = au.create("Invoices", invoice(Status="DRAFT"))
    (other_contact,) = au.create("Invoices", invoice(Contact={"ContactID": CITY_LIMOUSINES}))
    (usd_sale,) = au.create("Invoices", invoice(CurrencyCode="USD"))
    (credit,) = au.create("CreditNotes", credit_note())
    (draft_credit,) = au.create("CreditNotes", credit_note(Status="DRAFT"))

    def refusal(credit_id, invoice_id, amount):
        (element,) = allocate(au, credit_id, invoice_id, amount).json()["Allocations"]
        return [error["Message"] for error in element["ValidationErrors"]]

    assert refusal(credit["CreditNoteID"], draft_sale["InvoiceID"], 10) == [
        "Allocations can only be made to AUTHORISED invoices."
    ]
    assert refusal(draft_credit["CreditNoteID"], sale["InvoiceID"], 10) == [
        "Only an AUTHORISED credit note can be allocated."
    ]
    assert refusal(credit["CreditNoteID"], other_contact["InvoiceID"], 10) == [
        "The credit note and the invoice must belong to the same contact."
    ]
    assert refusal(credit["CreditNoteID"], usd_sale["InvoiceID"], 10) == [
        "The credit note and the invoice must be in the same currency."
    ]
    assert refusal(credit["CreditNoteID"], sale["InvoiceID"], 44.01) == [
        "The allocation amount cannot exceed the credit note's remaining credit."
    ]
    summarized = allocate(au, credit["CreditNoteID"], sale["InvoiceID"], 0, summarize="true")
    assert summarized.status_code == 400
    assert summarized.json()["Type"] == "ValidationException"


def test_attachments_are_stored_listed_and_returned(au):
    (sale,) = au.create("Invoices", invoice())
    pdf = b"%PDF-1.4 sandbox invoice"
    put = au.call(
        "PUT",
        f"Invoices/{sale['InvoiceID']}/Attachments/INV-0001.pdf",
        data=pdf,
        headers={"Content-Type": "application/pdf"},
        params={"IncludeOnline": "true"},
    )
    assert put.status_code == 200
    (attachment,) = put.json()["Attachments"]
    assert (attachment["FileName"], attachment["MimeType"]) == ("INV-0001.pdf", "application/pdf")
    assert (attachment["ContentLength"], attachment["IncludeOnline"]) == (len(pdf), True)
    replaced = au.call(
        "POST",
        f"Invoices/{sale['InvoiceID']}/Attachments/INV-0001.pdf",
        data=pdf + b" v2",
        headers={"Content-Type": "application/pdf"},
    ).json()["Attachments"][0]
    assert replaced["AttachmentID"] == attachment["AttachmentID"]
    listed = au.get(f"Invoices/{sale['InvoiceID']}/Attachments").json()["Attachments"]
    assert [a["FileName"] for a in listed] == ["INV-0001.pdf"]
    content = au.get(f"Invoices/{sale['InvoiceID']}/Attachments/INV-0001.pdf")
    assert content.content == pdf + b" v2"
    assert au.get("Invoices/" + sale["InvoiceID"]).json()["Invoices"][0]["HasAttachments"] is True
    (credit,) = au.create("CreditNotes", credit_note())
    on_credit = au.call(
        "PUT",
        f"CreditNotes/{credit['CreditNoteID']}/Attachments/return.png",
        data=b"\x89PNG",
        headers={"Content-Type": "image/png"},
    )
    assert on_credit.status_code == 200
    empty = au.call("PUT", f"Invoices/{sale['InvoiceID']}/Attachments/empty.txt", data=b"")
    assert empty.status_code == 400


def test_credit_notes_need_no_due_date_and_take_no_discount(au):
    (approved,) = au.create("CreditNotes", credit_note())
    assert (approved["Status"], "DueDate" in approved) == ("AUTHORISED", False)
    response = au.put(
        "CreditNotes",
        {"CreditNotes": [credit_note(line(UnitAmount=40, DiscountRate=10))]},
        params={"summarizeErrors": "false"},
    )
    assert response.json()["CreditNotes"][0]["ValidationErrors"] == [
        {"Message": "DiscountRate is only supported on ACCREC invoices."}
    ]
