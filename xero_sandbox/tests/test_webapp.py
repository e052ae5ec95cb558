"""The web app's document pages, where "View in Xero" links lead."""

import requests

from .. import seed
from .builders import NOT_FALSE, bill, line
from .fixtures import *  # noqa: F403 (pytest fixtures)


def _created(au, resource, document):
    response = au.put(resource, {resource: [document]}, params=NOT_FALSE)
    assert response.status_code == 200, response.text
    return response.json()[resource][0]


def test_an_invoice_opens_at_its_deep_link(sandbox, au):
    created = _created(au, "Invoices", bill(InvoiceNumber="SUP-77"))
    page = requests.get(
        f"{sandbox.url}/app/!AuSb1/invoicing/view/{created['InvoiceID']}", timeout=10
    )
    assert page.status_code == 200
    assert "ACCPAY SUP-77 to PowerDirect, AUTHORISED" in page.text
    assert f"Total AUD {created['Total']}" in page.text


def test_a_credit_note_opens_through_organisation_login(sandbox, au):
    credit_note = {
        "Type": "ACCPAYCREDIT",
        "Contact": {"ContactID": seed.contact_id(seed.AU_TENANT_ID, "PowerDirect")},
        "Date": "2026-06-10",
        "Status": "AUTHORISED",
        "LineItems": [line(AccountCode="400", TaxType="INPUT")],
    }
    created = _created(au, "CreditNotes", credit_note)
    page = requests.get(
        f"{sandbox.url}/organisationlogin/default.aspx",
        params={
            "shortcode": "!AuSb1",
            "redirecturl": "/AccountsPayable/ViewCreditNote.aspx?creditNoteID="
            + created["CreditNoteID"],
        },
        timeout=10,
    )
    assert page.status_code == 200
    assert "ACCPAYCREDIT" in page.text


def test_another_organisation_short_code_finds_nothing(sandbox, au):
    created = _created(au, "Invoices", bill())
    page = requests.get(
        f"{sandbox.url}/app/!NzSb1/invoicing/view/{created['InvoiceID']}", timeout=10
    )
    assert page.status_code == 404
