"""Request bodies for the document tests: Australian sales invoices, bills and their lines."""

from .. import seed

RIDGEWAY = seed.contact_id(seed.AU_TENANT_ID, "Ridgeway University")
POWERDIRECT = seed.contact_id(seed.AU_TENANT_ID, "PowerDirect")
NOT_FALSE = {"summarizeErrors": "false"}


def line(**fields):
    """A sales line; a field given as None is left out."""
    values = {
        "Description": "Consulting",
        "Quantity": 1,
        "UnitAmount": 100,
        "AccountCode": "200",
        "TaxType": "OUTPUT",
        **fields,
    }
    return {name: value for name, value in values.items() if value is not None}


def invoice(*lines, **fields):
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": RIDGEWAY},
        "Date": "2026-06-10",
        "DueDate": "2026-07-10",
        "Status": "AUTHORISED",
        "LineItems": list(lines) or [line()],
        **fields,
    }


def bill(*lines, **fields):
    lines = lines or [line(AccountCode="400", TaxType="INPUT")]
    return invoice(*lines, Type="ACCPAY", Contact={"ContactID": POWERDIRECT}, **fields)


def errors_of(api, document, params=NOT_FALSE, **kw):
    """The validation messages for one document sent with summarizeErrors=false."""
    response = api.put("Invoices", {"Invoices": [document]}, params=params, **kw)
    assert response.status_code == 200, response.text
    (element,) = response.json()["Invoices"]
    return [error["Message"] for error in element.get("ValidationErrors", [])]
