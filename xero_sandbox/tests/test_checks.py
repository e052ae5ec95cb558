"""The checks the tests rely on catch what they are for: request bodies off Xero's (strict)
schemas, writes whose bodies nothing checked, and a sandbox that fails on a request."""

import pytest

from .. import render
from . import openapi
from .builders import RIDGEWAY, invoice, line
from .fixtures import *  # noqa: F403 (pytest fixtures)
from .fixtures import fail_on_crash

INVOICES = "/api.xro/2.0/Invoices"
INVOICE_ID = "7cb59f93-2964-421d-bb5e-a0f7a4572a44"


def _refused(path, body, method="PUT"):
    with pytest.raises(AssertionError) as refused:
        openapi.check_request(method, path, body)
    return str(refused.value)


def test_a_complete_document_passes_the_strict_check():
    assert openapi.check_request("PUT", INVOICES, {"Invoices": [invoice()]})
    update = {"Invoices": [{"InvoiceID": INVOICE_ID, "Status": "AUTHORISED"}]}
    assert openapi.check_request("POST", INVOICES, update), "an update names its document"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"Invoices": [invoice(InvoiceNumbr="INV-1")]}, "'InvoiceNumbr' was unexpected"),
        ({"Invoices": [invoice(line(Descripton="Kegs"))]}, "'Descripton' was unexpected"),
        ({"Invoices": [invoice(Contact={"ContactId": RIDGEWAY})]}, "Invoices/0/Contact"),
        ({"Invoice": [invoice()]}, "'Invoices' is a required property"),
        ({}, "'Invoices' is a required property"),
        ({"Invoices": [{}]}, "is not valid under any of the given schemas"),
        ({"Invoices": [invoice(LineItems=[{"Quantity": 1}])]}, "Invoices/0/LineItems/0"),
        (
            {"Invoices": [invoice(line(Tracking=[{"Name": "Region"}]))]},
            "LineItems/0/Tracking/0",
        ),
    ],
)
def test_a_misspelt_key_or_a_missing_field_fails_the_check(body, where):
    assert where in _refused(INVOICES, body)


def test_contacts_and_allocations_are_checked_strictly_too():
    assert openapi.check_request("PUT", "/api.xro/2.0/Contacts", {"Contacts": [{"Name": "A"}]})
    assert "Contacts/0" in _refused(
        "/api.xro/2.0/Contacts", {"Contacts": [{"EmailAddress": "a@example.com"}]}
    )
    allocations = f"/api.xro/2.0/CreditNotes/{INVOICE_ID}/Allocations"
    allocation = {"Invoice": {"InvoiceID": INVOICE_ID}, "Amount": 10, "Date": "2026-06-10"}
    assert openapi.check_request("PUT", allocations, {"Allocations": [allocation]})
    named = dict(allocation, Invoice={"InvoiceID": INVOICE_ID, "InvoiceNumber": "INV-1"})
    assert "'InvoiceNumber' was unexpected" in _refused(allocations, {"Allocations": [named]})


def test_responses_are_checked_against_the_description_as_published(openapi_spec):
    invoice_schema = openapi_spec["accounting"].document["components"]["schemas"]["Invoice"]
    assert "additionalProperties" not in invoice_schema
    assert "anyOf" not in invoice_schema


def _entry(method, path, body, content_type="application/json"):
    return {"method": method, "path": path, "headers": {"Content-Type": content_type}, "body": body}


def test_a_logged_write_must_have_its_body_checked():
    good = _entry("PUT", INVOICES, {"Invoices": [invoice()]})
    read = _entry("GET", INVOICES, None, "")
    assert openapi.check_logged_requests([read, good]) == 1
    assert openapi.check_logged_requests([read]) == 0, "no write, nothing to check"
    attachment = _entry(
        "PUT", f"{INVOICES}/{INVOICE_ID}/Attachments/bill.pdf", {"bytes": 10}, "application/pdf"
    )
    assert openapi.check_logged_requests([good, attachment]) == 1
    with pytest.raises(AssertionError, match="not one body checked"):
        openapi.check_logged_requests([attachment])
    not_logged = _entry("PUT", INVOICES, None)
    with pytest.raises(AssertionError, match="no schema of Xero's description checked"):
        openapi.check_logged_requests([good, not_logged])
    with pytest.raises(AssertionError, match="'Dat' was unexpected"):
        openapi.check_logged_requests([_entry("PUT", INVOICES, {"Invoices": [invoice(Dat="x")]})])


def test_a_crash_in_the_sandbox_is_a_500_and_fails_the_test(au, sandbox, monkeypatch):
    def broken(org):
        raise RuntimeError("a bug in the sandbox")

    monkeypatch.setattr(render, "render_organisation", broken)
    response = au.get("Organisation", check=False)
    assert response.status_code == 500
    assert response.json()["Type"] == "UnknownErrorException"
    (entry,) = sandbox.sandbox.log.entries()
    assert "RuntimeError: a bug in the sandbox" in entry["crash"]
    with pytest.raises(pytest.fail.Exception, match="The sandbox failed on GET"):
        fail_on_crash(sandbox.sandbox.log.entries())
    sandbox.sandbox.log.clear()  # seen: this test is about it
