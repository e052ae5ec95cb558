"""Payloads from plain data (xero/payloads.py): no Odoo records, no HTTP.

Every payload a test builds goes through `build` / `check`, which validate the request body
against Xero's accounting OpenAPI description (located by xero_sandbox/tests/openapi.py). Without
the description every test fails.
"""

import copy
import json
import math
from datetime import date
from decimal import Decimal

import pytest
import requests

from ..xero import payloads
from ..xero.payloads import PayloadError, PayloadTooLarge
from ..xero_sandbox.tests import openapi

API = "/api.xro/2.0/"
BONDI_ID = "0f3b6c2e-5a1d-4e8f-9b7a-2c4d6e8f0a1b"
BILL_ID = "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6"
URL = "https://odoo.example.com/odoo/action-account.action_move_in_invoice_type/42"


@pytest.fixture(autouse=True)
def _xero_openapi():
    """Fail (never skip) without Xero's description; count checks under this module's name."""
    try:
        openapi.load("accounting")
    except openapi.SpecMissing as missing:
        pytest.fail(str(missing), pytrace=False)
    openapi.CURRENT["module"] = __name__.rsplit(".", 1)[-1]


def check(items, wrapper=None, method="PUT"):
    """Validate ``{wrapper: items}`` as a request body of `method` /wrapper; return items."""
    wrapper = wrapper or payloads.wrapper_for(items[0]["Type"])
    body = {wrapper: items}
    openapi.check_request(method, API + wrapper, body)
    # What requests' json= does: it must not meet a Decimal, a NaN or anything else odd.
    json.dumps(body, allow_nan=False)
    return items


def build(doc):
    (payload,) = check([payloads.document_payload(doc)])
    return payload


def reported(doc):
    """The warnings of building `doc`, checking that the same pass gives `build`'s payload."""
    payload, warnings = payloads.document_payload_and_warnings(doc)
    assert payload == build(doc)
    return warnings


def make_line(**values):
    line = {
        "description": "Coopers Pale Ale 24x375ml",
        "quantity": Decimal("3"),
        "unit_amount": Decimal("54.90"),
        "discount": Decimal("0"),
        "account_code": "310",
        "tax_type": "INPUT",
        "tracking": [{"Name": "Venue", "Option": "Bondi"}],
        "display_only": False,
    }
    line.update(values)
    return line


def make_doc(*lines, **values):
    doc = {
        "ref": "account.move,42",
        "name": "BILL/2026/11/0001",
        "type": "ACCPAY",
        "xero_id": None,
        "number": "BILL/2026/11/0001",
        "vendor_reference": "SUP-8841",
        "reference": "Table 12",
        "date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "AUD",
        "status": "DRAFT",
        "url": URL,
        "contact": {
            "ref": "res.partner,17",
            "contact_id": BONDI_ID,
            "name": "Bondi Beverages",
            "email": "orders@bondi.example",
            "contact_number": "ODOO-17",
        },
        "line_amount_types": "Exclusive",
        "lines": list(lines) or [make_line()],
    }
    doc.update(values)
    return doc


def invoice(*lines, **values):
    values = {
        "type": "ACCREC",
        "name": "INV/2026/00012",
        "number": "INV/2026/00012",
        "vendor_reference": None,
        **values,
    }
    return make_doc(
        *[make_line(tax_type="OUTPUT", account_code="200", **li) for li in lines], **values
    )


def only_line(payload):
    (line,) = payload["LineItems"]
    return line


# The four types


def test_bill_is_an_accpay_invoice_numbered_with_the_vendor_reference():
    assert build(make_doc()) == {
        "Type": "ACCPAY",
        "Contact": {"ContactID": BONDI_ID},
        "InvoiceNumber": "SUP-8841",
        "Date": "2026-11-02",
        "DueDate": "2026-12-02",
        "CurrencyCode": "AUD",
        "Status": "DRAFT",
        "LineAmountTypes": "Exclusive",
        "Url": URL,
        "LineItems": [
            {
                "Description": "Coopers Pale Ale 24x375ml",
                "Quantity": 3.0,
                "UnitAmount": 54.9,
                "AccountCode": "310",
                "TaxType": "INPUT",
                "Tracking": [{"Name": "Venue", "Option": "Bondi"}],
            }
        ],
    }


def test_bill_without_vendor_reference_carries_the_odoo_number():
    payload = build(make_doc(vendor_reference=None))
    assert payload["InvoiceNumber"] == "BILL/2026/11/0001"
    assert "Reference" not in payload  # ACCREC only
    assert build(make_doc(vendor_reference="  "))["InvoiceNumber"] == "BILL/2026/11/0001"


def test_sales_invoice_is_an_accrec_with_odoo_number_and_reference():
    payload = build(invoice({}, reference="Table 12", vendor_reference="ignored"))
    assert payload["Type"] == "ACCREC"
    assert (payload["InvoiceNumber"], payload["Reference"]) == ("INV/2026/00012", "Table 12")
    assert (payload["Url"], payload["DueDate"]) == (URL, "2026-12-02")
    assert "Reference" not in build(invoice({}, reference=None))


def test_customer_credit_note_is_an_accreccredit_with_number_and_reference():
    doc = make_doc(
        make_line(account_code="200", tax_type="OUTPUT"),
        type="ACCRECCREDIT",
        name="RINV/2026/00003",
        number="RINV/2026/00003",
        vendor_reference=None,
        due_date=date(2026, 12, 2),
    )
    payload = build(doc)
    assert payload["Type"] == "ACCRECCREDIT"
    assert (payload["CreditNoteNumber"], payload["Reference"]) == ("RINV/2026/00003", "Table 12")
    # A credit note has no Url in Xero's schema and no due date in Xero.
    assert not {"Url", "DueDate", "InvoiceNumber"} & payload.keys()


def test_vendor_credit_note_is_an_accpaycredit_numbered_by_the_vendor():
    doc = make_doc(type="ACCPAYCREDIT", name="RBILL/2026/00001", number="RBILL/2026/00001")
    payload = build(doc)
    assert payload["Type"] == "ACCPAYCREDIT"
    assert payload["CreditNoteNumber"] == "SUP-8841"
    assert not {"Url", "DueDate", "Reference"} & payload.keys()
    assert build({**doc, "vendor_reference": None})["CreditNoteNumber"] == "RBILL/2026/00001"


@pytest.mark.parametrize(
    ("doc_type", "id_field"),
    [
        ("ACCPAY", "InvoiceID"),
        ("ACCREC", "InvoiceID"),
        ("ACCPAYCREDIT", "CreditNoteID"),
        ("ACCRECCREDIT", "CreditNoteID"),
    ],
)
def test_a_document_already_in_xero_carries_its_id(doc_type, id_field):
    payload = build(make_doc(type=doc_type, xero_id=BILL_ID.upper()))
    assert payload[id_field] == BILL_ID
    check([payload], method="POST")


def test_an_unknown_contact_is_named_for_xero_to_find_or_create():
    contact = {"contact_id": None, "name": " Bondi Beverages ", "email": "o@b.example"}
    payload = build(make_doc(contact=contact))
    # Only the name: a matched Xero contact keeps its own e-mail and contact number.
    assert payload["Contact"] == {"Name": "Bondi Beverages"}


@pytest.mark.parametrize("mode", ["Exclusive", "Inclusive", "NoTax"])
def test_line_amount_types(mode):
    tax_type = "NONE" if mode == "NoTax" else "INPUT"
    payload = build(make_doc(make_line(tax_type=tax_type), line_amount_types=mode))
    assert payload["LineAmountTypes"] == mode
    assert only_line(payload)["TaxType"] == tax_type


def test_no_tax_type_is_sent_when_none_is_given():
    payload = build(make_doc(make_line(tax_type=None, tracking=[]), line_amount_types="NoTax"))
    assert only_line(payload) == {
        "Description": "Coopers Pale Ale 24x375ml",
        "Quantity": 3.0,
        "UnitAmount": 54.9,
        "AccountCode": "310",
    }


@pytest.mark.parametrize("currency", ["AUD", "NZD", "USD", "EUR", "GBP", "JPY"])
@pytest.mark.parametrize("doc_type", ["ACCPAY", "ACCREC", "ACCPAYCREDIT", "ACCRECCREDIT"])
def test_currencies(currency, doc_type):
    assert build(make_doc(type=doc_type, currency=currency))["CurrencyCode"] == currency


@pytest.mark.parametrize("status", ["DRAFT", "SUBMITTED", "AUTHORISED"])
def test_statuses(status):
    assert build(make_doc(status=status))["Status"] == status


@pytest.mark.parametrize("doc_type", ["ACCPAY", "ACCREC", "ACCPAYCREDIT", "ACCRECCREDIT"])
def test_the_currency_rate_goes_with_six_decimals_when_given(doc_type):
    usd = build(make_doc(type=doc_type, currency="USD", currency_rate=Decimal("0.6666666667")))
    assert (usd["CurrencyCode"], usd["CurrencyRate"]) == ("USD", 0.666667)
    assert build(make_doc(type=doc_type, currency="USD", currency_rate=0.625))["CurrencyRate"] == (
        0.625
    )
    assert "CurrencyRate" not in build(make_doc(type=doc_type, currency_rate=None))


# Totals


def rated(unit, rate="15", **values):
    return make_line(
        unit_amount=Decimal(unit), quantity=Decimal(1), tax_rate=Decimal(rate), **values
    )


def test_xeros_total_rounds_the_tax_of_each_line():
    # Xero's own example ("Rounding in Xero"): 76.30 + 11.44, where one tax on the sum is 11.45.
    doc = make_doc(rated("25.06"), rated("25.61"), rated("25.63"))
    assert payloads.xero_total(doc) == Decimal("87.74")
    assert build({**doc, "total": Decimal("87.74")})["LineItems"] == build(doc)["LineItems"]
    inclusive = make_doc(rated("11", "10"), rated("10", "10"), line_amount_types="Inclusive")
    assert payloads.xero_total(inclusive) == Decimal("21.00")
    no_tax = make_doc(rated("54.90", "0", tax_type=None), line_amount_types="NoTax")
    assert payloads.xero_total(no_tax) == Decimal("54.90")
    # 3 x 54.90 less 12.5%: 144.11, and its tax 14.41.
    discounted = invoice(
        {"unit_amount": Decimal("54.90"), "discount": Decimal("12.5"), "tax_rate": 10}
    )
    assert payloads.xero_total(discounted) == Decimal("158.52")


def test_a_total_xero_would_compute_otherwise_is_refused_with_both():
    doc = make_doc(rated("25.06"), rated("25.61"), rated("25.63"), total=Decimal("87.75"))
    with pytest.raises(PayloadError, match=r"Xero would total it 87\.74, Odoo totals it 87\.75"):
        payloads.document_payload(doc)
    with pytest.raises(PayloadError, match="line 1's Xero tax rate INPUT has no known percent"):
        payloads.document_payload(make_doc(make_line(), total=Decimal("181.17")))


def test_a_different_total_names_the_taxes_that_are_not_one_percentage():
    # A group of 5% + 5%: Odoo rounds each, 0.02 + 0.02; Xero's 10% gives 0.03.
    doc = make_doc(rated("0.30", "10"), total=Decimal("0.34"))
    with pytest.raises(PayloadError, match="taxes are rounded globally") as plain:
        payloads.document_payload(doc)
    assert "group of taxes" not in plain.value.message
    with pytest.raises(PayloadError) as named:
        payloads.document_payload({**doc, "odd_taxes": ("GST 5% + 5%",)})
    assert "Xero would total it 0.33, Odoo totals it 0.34" in named.value.message
    assert "the tax 'GST 5% + 5%' is not (a group of taxes" in named.value.message
    assert "rounded globally" not in named.value.message


def test_a_cash_rounding_in_a_tax_goes_into_the_biggest_line_of_that_tax():
    doc = make_doc(
        rated("5.00", "10"),
        rated("19.94", "10"),
        rated("30.00", "0", tax_type="EXEMPTEXPENSES"),
        tax_rounding={"tax_type": "INPUT", "amount": Decimal("0.02")},
        total=Decimal("57.45"),
    )
    lines = build(doc)["LineItems"]
    assert [line.get("TaxAmount") for line in lines] == [None, 2.01, None]  # 1.99 + 0.02
    assert payloads.xero_total(doc) == Decimal("57.45")
    with pytest.raises(PayloadError, match="its cash rounding is in the tax 'OUTPUT', which none"):
        payloads.document_payload({**doc, "tax_rounding": {"tax_type": "OUTPUT", "amount": 1}})


# Amounts and discounts


def test_discount_is_a_discount_rate_on_a_sales_invoice():
    payload = build(invoice({"unit_amount": Decimal("54.90"), "discount": Decimal("12.5")}))
    line = only_line(payload)
    assert (line["Quantity"], line["UnitAmount"], line["DiscountRate"]) == (3.0, 54.9, 12.5)
    assert not payloads.needs_unitdp4([payload])


@pytest.mark.parametrize("doc_type", ["ACCPAY", "ACCPAYCREDIT", "ACCRECCREDIT"])
@pytest.mark.parametrize(
    ("unit", "discount", "folded"),
    [
        ("54.90", "12.5", 48.0375),  # 54.90 x 0.875
        ("19.99", "15", 16.9915),  # 19.99 x 0.85
        ("10.00", "33.333", 6.6667),  # 6.6667 (4 decimals, half up)
        ("100", "10", 90.0),
        ("-20.00", "50", -10.0),  # a discounted deposit stays negative
        ("54.90", "100", 0.0),
    ],
)
def test_discount_is_folded_into_the_unit_price_elsewhere(doc_type, unit, discount, folded):
    line = make_line(unit_amount=Decimal(unit), discount=Decimal(discount))
    payload = build(make_doc(line, type=doc_type))
    assert only_line(payload)["UnitAmount"] == folded
    assert "DiscountRate" not in only_line(payload)


def test_a_zero_discount_sends_no_discount_rate():
    assert "DiscountRate" not in only_line(build(invoice({"discount": Decimal("0")})))
    assert "DiscountRate" not in only_line(build(invoice({"discount": None})))


def test_a_negative_discount_is_folded_even_on_a_sales_invoice():
    line = only_line(build(invoice({"unit_amount": Decimal("10"), "discount": Decimal("-5")})))
    assert (line["UnitAmount"], "DiscountRate" in line) == (10.5, False)


def test_amounts_are_rounded_half_up_to_four_decimals():
    line = make_line(quantity=Decimal("1.23455"), unit_amount=Decimal("1.23456"))
    item = only_line(build(make_doc(line)))
    assert (item["Quantity"], item["UnitAmount"]) == (1.2346, 1.2346)


def test_unitdp4_is_needed_only_for_more_than_two_decimals():
    two = make_doc(make_line(unit_amount=Decimal("54.90")), make_line(unit_amount=Decimal("0.5")))
    four = make_doc(make_line(unit_amount=Decimal("1.2345")))
    folded = make_doc(make_line(unit_amount=Decimal("54.90"), discount=Decimal("12.5")))
    rate = invoice({"unit_amount": Decimal("54.90"), "discount": Decimal("12.5")})
    built = {name: build(doc) for name, doc in [("two", two), ("four", four), ("folded", folded)]}
    assert not payloads.needs_unitdp4([two])
    assert not payloads.needs_unitdp4([built["two"]])
    assert not payloads.needs_unitdp4([rate])  # the discount goes to DiscountRate
    assert payloads.needs_unitdp4([two, four])
    assert payloads.needs_unitdp4([built["two"], built["four"]])
    assert payloads.needs_unitdp4(folded)  # a single doc works too
    assert payloads.needs_unitdp4(built["folded"])
    assert not payloads.needs_unitdp4([])


def test_amounts_are_json_numbers_with_their_exact_decimal_text():
    line = make_line(quantity=Decimal("0.1") * 3, unit_amount=Decimal("1234567.8912"))
    payload = build(make_doc(line))
    body = requests.Request("PUT", "https://x.test/", json={"Invoices": [payload]}).prepare().body
    assert b'"Quantity": 0.3, "UnitAmount": 1234567.8912' in body
    # A plain Decimal is what requests cannot send.
    with pytest.raises(TypeError):
        requests.Request("PUT", "https://x.test/", json={"a": Decimal("1")}).prepare()


def test_floats_and_ints_are_accepted_as_numbers():
    item = only_line(build(make_doc(make_line(quantity=2, unit_amount=0.1 + 0.2))))
    assert (item["Quantity"], item["UnitAmount"]) == (2.0, 0.3)


def test_negative_and_zero_lines_pass_through():
    doc = make_doc(
        make_line(description="Keg", quantity=Decimal("2"), unit_amount=Decimal("250")),
        make_line(description="Returned empties", quantity=Decimal("-4"), unit_amount=Decimal(30)),
        make_line(description="Deposit", quantity=Decimal("1"), unit_amount=Decimal("-50.00")),
        make_line(description="Free sample", quantity=Decimal("1"), unit_amount=Decimal("0")),
        make_line(description="Not delivered", quantity=Decimal("0"), unit_amount=Decimal("9")),
        make_line(description="Minus zero", quantity=Decimal("-0"), unit_amount=Decimal("-0.00")),
    )
    amounts = [(li["Quantity"], li["UnitAmount"]) for li in build(doc)["LineItems"]]
    assert amounts == [(2.0, 250.0), (-4.0, 30.0), (1.0, -50.0), (1.0, 0.0), (0.0, 9.0), (0, 0)]
    text = json.dumps(build(doc), separators=(",", ":"))
    assert '"Quantity":0.0,"UnitAmount":0.0' in text
    assert "-0.0" not in text


# Lines


def test_display_only_lines_carry_only_their_description():
    doc = make_doc(
        make_line(description="Beer", display_only=True, account_code=None, quantity=None),
        make_line(),
        make_line(description="Delivered Tuesday\nback door", display_only=True),
        make_line(description="   ", display_only=True),  # an empty section: dropped
    )
    lines = build(doc)["LineItems"]
    assert lines[0] == {"Description": "Beer"}
    assert lines[1]["AccountCode"] == "310"
    assert lines[2] == {"Description": "Delivered Tuesday\nback door"}
    assert len(lines) == 3
    assert reported(doc) == []


def test_a_line_without_description_is_sent_as_a_dash_and_reported():
    doc = make_doc(make_line(description=None), make_line(description=" \n "))
    assert [li["Description"] for li in build(doc)["LineItems"]] == ["-", "-"]
    assert reported(doc) == [
        "BILL/2026/11/0001: line 1 has no description; it was sent as '-'.",
        "BILL/2026/11/0001: line 2 has no description; it was sent as '-'.",
    ]


def test_tracking_is_sent_when_given_up_to_two_categories():
    two = [{"Name": "Venue", "Option": "Bondi"}, {"Name": "Region", "Option": "NSW"}]
    assert only_line(build(make_doc(make_line(tracking=two))))["Tracking"] == two
    assert "Tracking" not in only_line(build(make_doc(make_line(tracking=[]))))
    assert "Tracking" not in only_line(build(make_doc(make_line(tracking=None))))


def test_descriptions_over_4000_characters_are_cut_and_reported():
    exact = "x" * 4000
    long = "Pale ale " * 600  # 5,400 characters
    doc = make_doc(make_line(description=exact), make_line(description=long))
    kept, cut = (li["Description"] for li in build(doc)["LineItems"])
    assert kept == exact
    assert cut == long[:3999] + "…"
    assert len(cut) == 4000
    assert reported(doc) == [
        "BILL/2026/11/0001: line 2's description is 5,399 characters long; Xero takes 4,000, "
        "so it was cut to 4,000 ending with '…'."
    ]


def test_a_cut_counts_utf16_units_and_never_splits_an_emoji():
    emoji = "🍺" * 2500  # 2,500 characters, 5,000 UTF-16 units
    (line,) = build(make_doc(make_line(description=emoji)))["LineItems"]
    description = line["Description"]
    assert description == "🍺" * 1999 + "…"
    assert len(description.encode("utf-16-le")) // 2 == 3999
    accents = "é" * 4000  # one UTF-16 unit each: untouched
    assert only_line(build(make_doc(make_line(description=accents))))["Description"] == accents


def test_non_ascii_and_emoji_pass_through_untouched():
    name = "Brasserie Ŝtraße «Café» 東京 🍻"
    description = "Bière blonde 🍺 — 日本酒 (純米) ½ fût\tété"
    doc = make_doc(
        make_line(description=description, tracking=[{"Name": "Lieu", "Option": "Zürich 🏔"}]),
        contact={"contact_id": None, "name": name},
        reference="Réf. ñ",
        type="ACCREC",
    )
    payload = build(doc)
    assert payload["Contact"] == {"Name": name}
    assert payload["Reference"] == "Réf. ñ"
    assert only_line(payload)["Description"] == description
    assert only_line(payload)["Tracking"] == [{"Name": "Lieu", "Option": "Zürich 🏔"}]
    body = requests.Request("PUT", "https://x.test/", json={"Invoices": [payload]}).prepare().body
    assert json.loads(body)["Invoices"][0] == payload
    assert reported(doc) == []


def test_a_link_that_is_not_a_web_address_is_left_out_and_reported():
    doc = make_doc(url="odoo/action-42")
    assert "Url" not in build(doc)
    assert reported(doc) == [
        "BILL/2026/11/0001: the link back to Odoo (odoo/action-42) is not a web address; "
        "it was left out."
    ]


def test_building_does_not_change_the_input():
    doc = make_doc(make_line(description="x" * 5000), make_line(description=None))
    before = copy.deepcopy(doc)
    build(doc)
    reported(doc)
    assert doc == before


# Contacts


def test_contact_payload():
    contact = {"name": " Bondi Beverages ", "email": "orders@bondi.example", "contact_number": 17}
    created = payloads.contact_payload(contact)
    assert created == {
        "Name": "Bondi Beverages",
        "EmailAddress": "orders@bondi.example",
        "ContactNumber": "17",
    }
    assert payloads.contact_payload({"name": "Café Zoë 🍷", "email": None}) == {
        "Name": "Café Zoë 🍷"
    }
    # Xero refuses e-mails with umlauts: the contact is created without it.
    assert payloads.contact_payload({"name": "Jürgen", "email": "jürgen@bräu.de"}) == {
        "Name": "Jürgen"
    }
    update = payloads.contact_payload({**contact, "contact_id": BONDI_ID.upper()})
    assert update["ContactID"] == BONDI_ID
    check([created], "Contacts")
    check([update], "Contacts", method="POST")


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"name": "  ", "ref": "res.partner,7"}, "A partner has no name."),
        ({"name": "x" * 256, "ref": "res.partner,7"}, "at most 255"),
        ({"name": "Bondi", "contact_number": "9" * 51, "ref": "res.partner,7"}, "longer than 50"),
        ({"name": "Bondi", "contact_id": "nope", "ref": "res.partner,7"}, "not a Xero id"),
    ],
)
def test_contact_payload_errors(contact, message):
    with pytest.raises(PayloadError, match=message) as caught:
        payloads.contact_payload(contact)
    assert caught.value.ref == "res.partner,7"


# Errors


def _without(key):
    def change(doc):
        del doc[key]

    return change


def _line_value(key, value):
    def change(doc):
        doc["lines"][0][key] = value

    return change


def _value(key, value):
    def change(doc):
        doc[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_line_value("account_code", None), "line 1 (Coopers Pale Ale 24x375ml) has no Xero acc"),
        (_line_value("account_code", " "), "has no Xero account code"),
        (_value("type", "ACCRECPAY"), "the type 'ACCRECPAY' is not one Xero knows"),
        (_without("type"), "the type None is not one Xero knows"),
        (
            _line_value("tracking", [{"Name": n, "Option": "x"} for n in ("A", "B", "C")]),
            "has 3 tracking categories; Xero takes at most 2",
        ),
        (_line_value("tracking", [{"Name": "A"}]), "tracking category without a name or an opt"),
        (
            _line_value("tracking", [{"Name": "A", "Option": "1"}, {"Name": "A", "Option": "2"}]),
            "uses the tracking category 'A' twice",
        ),
        (_line_value("tracking", "Venue"), "not a list of categories"),
        (_line_value("quantity", None), "quantity is None, not a number"),
        (_line_value("quantity", "3"), "quantity is '3', not a number"),
        (_line_value("quantity", True), "quantity is True, not a number"),
        (_line_value("unit_amount", None), "unit price is None, not a number"),
        (_line_value("unit_amount", Decimal("NaN")), "unit price is Decimal('NaN'), not a number"),
        (_line_value("unit_amount", float("inf")), "unit price is inf, not a number"),
        (_line_value("unit_amount", Decimal("1e12")), "is too large for Xero"),
        (_line_value("discount", "10%"), "discount is '10%', not a number"),
        (_value("lines", []), "it has no lines"),
        (_without("lines"), "it has no lines"),
        (_value("lines", [{"description": "", "display_only": True}]), "all its lines are empty"),
        (_value("lines", ["Beer"]), "line 1 is 'Beer', not a line"),
        (_value("contact", None), "it has no partner"),
        (_value("contact", {"contact_id": None, "name": " "}), "its partner has no name"),
        (_value("contact", {"name": "x" * 256}), "its partner's name is 256 characters long"),
        (_value("contact", {"contact_id": "42"}), "partner's Xero contact id '42' is not a Xe"),
        (_value("xero_id", "INV-0001"), "its Xero id 'INV-0001' is not a Xero id"),
        (_value("currency", "aud"), "its currency 'aud' is not a 3-letter ISO code"),
        (_value("currency", None), "its currency None is not"),
        (_value("currency_rate", Decimal("0")), "its currency rate 0 is not above zero"),
        (_value("currency_rate", Decimal("1e-7")), "is 0 to the 6 decimals Xero keeps"),
        (_value("currency_rate", "0.6"), "the currency rate is '0.6', not a number"),
        (_value("status", "PAID"), "its status 'PAID' is not one of DRAFT, SUBMITTED, AUTHORI"),
        (_value("line_amount_types", "Included"), "tax mode (line amount types) 'Included'"),
        (_value("line_amount_types", None), "tax mode (line amount types) None"),
        (_value("date", None), "its date None is not a date"),
        (_value("date", "2026-11-02"), "its date '2026-11-02' is not a date"),
        (_value("due_date", "soon"), "its due date 'soon' is not a date"),
        (_value("vendor_reference", "S" * 256), "is 256 characters long; Xero takes at most 255"),
    ],
)
def test_bad_input_raises_a_payload_error_naming_the_document(change, message):
    doc = make_doc()
    change(doc)
    with pytest.raises(PayloadError) as caught:
        payloads.document_payload(doc)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.ref == "account.move,42"
    assert str(error).startswith("BILL/2026/11/0001: ")
    assert message in str(error)


def test_the_openapi_check_is_live():
    payload = build(make_doc())
    payload["LineItems"][0]["Quantity"] = "3"
    with pytest.raises(AssertionError, match="Quantity"):
        check([payload])
    with pytest.raises(AssertionError, match="Type"):
        check([{**build(make_doc()), "Type": "BILL"}], "Invoices")


# Batches


def small(index, doc_type="ACCREC"):
    doc = invoice({"description": f"Line of invoice {index}"}, type=doc_type)
    return build({**doc, "number": f"INV-{index:04d}", "name": f"INV-{index:04d}"})


def body_sizes(chunks, wrapper="Invoices"):
    """(as sent by requests, as compact UTF-8) for each chunk."""
    sizes = []
    for chunk in chunks:
        wire = requests.Request("PUT", "https://x.test/", json={wrapper: chunk}).prepare().body
        compact = json.dumps({wrapper: chunk}, separators=(",", ":"), ensure_ascii=False)
        sizes.append((len(wire), len(compact.encode("utf-8"))))
    return sizes


def test_at_most_50_documents_per_batch():
    documents = [small(i) for i in range(120)]
    chunks = list(payloads.batches(documents))
    assert [len(chunk) for chunk in chunks] == [50, 50, 20]
    assert [doc for chunk in chunks for doc in chunk] == documents
    for chunk in chunks:
        check(chunk)
    assert [len(c) for c in payloads.batches(documents, max_count=7)][:2] == [7, 7]
    assert list(payloads.batches([])) == []


def test_a_1000_line_document_goes_with_its_neighbours_under_the_size_limit():
    lines = [
        make_line(description=f"Bière {n} 🍺 " + "pale ale " * 20, unit_amount=Decimal(n) / 7)
        for n in range(1000)
    ]
    big = build(make_doc(*lines, name="BILL/BIG", vendor_reference="BIG-1"))
    assert len(big["LineItems"]) == 1000
    assert payloads.needs_unitdp4([big])
    documents = [build(make_doc(vendor_reference=f"S-{i}")) for i in range(30)]
    documents[12:12] = [big]
    # Room for the big one and about three of the others.
    room = payloads.request_size([big]) + 3 * payloads.request_size(documents[:1])
    max_bytes = math.ceil(room / (1 - payloads.SAFETY_MARGIN))
    limit = payloads.request_limit(max_bytes)
    assert limit < max_bytes  # the safety margin
    chunks = list(payloads.batches(documents, max_bytes=max_bytes))
    assert len(chunks) >= 3
    assert [doc for chunk in chunks for doc in chunk] == documents
    for chunk, (wire, compact) in zip(chunks, body_sizes(chunks), strict=True):
        assert wire == payloads.request_size(chunk)
        assert compact <= wire <= limit < max_bytes
        check(chunk)
    (with_big,) = [chunk for chunk in chunks if big in chunk]
    assert len(with_big) < 10  # it took most of its request
    # Without the limit they all go together.
    assert [len(c) for c in payloads.batches(documents, max_count=50)] == [31]


def test_sizes_are_measured_as_sent_escapes_included():
    emoji = build(make_doc(make_line(description="🍺" * 1000)))
    # requests escapes non-ASCII: 12 bytes per emoji on the wire, 4 in compact UTF-8.
    ((wire, compact),) = body_sizes([[emoji]])
    assert wire - compact > 7000
    assert payloads.request_size([emoji]) == wire
    max_bytes = 2 * compact
    assert payloads.oversized([emoji], max_bytes=max_bytes) == [0]
    with pytest.raises(PayloadTooLarge):
        payloads.batches([emoji], max_bytes=max_bytes)


def test_a_document_too_large_alone_is_refused_before_anything_is_sent():
    documents = [small(i) for i in range(5)]
    huge = build(invoice(*[{"description": "x" * 3000}] * 20, number="INV/2026/00099"))
    documents.insert(3, huge)
    max_bytes = 20_000
    assert payloads.oversized(documents, max_bytes=max_bytes) == [3]
    with pytest.raises(PayloadTooLarge) as caught:
        payloads.batches(documents, max_bytes=max_bytes)  # raises at once, not when iterated
    error = caught.value
    assert isinstance(error, PayloadError) and isinstance(error, ValueError)
    assert (error.index, error.limit, error.ref) == (3, payloads.request_limit(max_bytes), None)
    assert error.size > error.limit
    assert str(error).startswith("The document INV/2026/00099 is ")
    assert "Split it into smaller documents" in str(error)
    rest = [doc for i, doc in enumerate(documents) if i != 3]
    assert [doc for chunk in payloads.batches(rest, max_bytes=max_bytes) for doc in chunk] == rest


def test_credit_notes_are_batched_in_their_own_wrapper():
    notes = [small(i, "ACCRECCREDIT") for i in range(60)]
    chunks = list(payloads.batches(notes, max_bytes=30_000, wrapper="CreditNotes"))
    assert sum(map(len, chunks)) == 60
    for chunk, (wire, _compact) in zip(chunks, body_sizes(chunks, "CreditNotes"), strict=True):
        assert wire <= payloads.request_limit(30_000)
        check(chunk, "CreditNotes")


# Versions


def test_the_version_is_stable_and_follows_what_the_document_says():
    digest = payloads.document_version(make_doc())
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert payloads.document_version(make_doc()) == digest
    # The same document sent for an update (with its Xero id) is not "changed".
    assert payloads.document_version(make_doc(xero_id=BILL_ID)) == digest
    assert payloads.document_version(make_doc(make_line(unit_amount=Decimal("54.9")))) == digest
    changed = make_doc(make_line(unit_amount=Decimal("54.91")))
    assert payloads.document_version(changed) != digest
    assert payloads.document_version(make_doc(make_line(description="Café"))) != digest
    assert payloads.document_version(make_doc(currency_rate=Decimal("0.625"))) != digest


def test_the_version_leaves_out_where_odoo_is_the_status_and_the_contacts_name():
    digest = payloads.document_version(make_doc())
    assert payloads.document_version(make_doc(status="AUTHORISED")) == digest
    assert payloads.document_version(make_doc(url="https://elsewhere.example/odoo/42")) == digest
    renamed = {**make_doc()["contact"], "name": "Bondi Beverages Pty Ltd", "contact_id": None}
    assert payloads.document_version(make_doc(contact=renamed)) == digest
    other = {**make_doc()["contact"], "ref": "res.partner,18"}
    assert payloads.document_version(make_doc(contact=other)) != digest


def test_the_version_of_a_payload_built_already_is_the_documents():
    # As the run has it: the payload of the data it completed with the contact's and the
    # document's Xero ids and the status it is sent with; the version of the data it reviewed.
    reviewed = make_doc(contact={**make_doc()["contact"], "contact_id": None})
    sent = make_doc(xero_id=BILL_ID, status="AUTHORISED")
    payload = payloads.document_payload(sent)
    assert payloads.document_version(reviewed, payload) == payloads.document_version(reviewed)
    assert payloads.document_version(sent, payload) == payloads.document_version(reviewed)


@pytest.mark.parametrize("kind", ["ACCPAY", "ACCREC", "ACCPAYCREDIT", "ACCRECCREDIT"])
def test_a_payload_built_already_takes_the_ids_and_status_set_since(kind):
    reviewed = make_doc(type=kind, contact={**make_doc()["contact"], "contact_id": None})
    built = payloads.document_payload(reviewed)
    for sent in (
        reviewed,
        make_doc(type=kind),
        make_doc(type=kind, xero_id=BILL_ID.upper(), status="AUTHORISED"),
    ):
        completed = payloads.document_payload(sent, built)
        # The same, key for key and in the same order, as when built afresh.
        assert json.dumps(check([completed])[0]) == json.dumps(payloads.document_payload(sent))
    assert built == payloads.document_payload(reviewed), "what was built is left as it was"


def test_a_payload_built_already_refuses_what_a_new_one_would():
    built = payloads.document_payload(make_doc())
    for sent, problem in (
        (make_doc(xero_id="not-an-id"), "its Xero id 'not-an-id' is not a Xero id"),
        (make_doc(status="PAID"), "its status 'PAID' is not one of DRAFT, SUBMITTED"),
    ):
        with pytest.raises(PayloadError, match=problem):
            payloads.document_payload(sent)
        with pytest.raises(PayloadError, match=problem):
            payloads.document_payload(sent, built)
