"""Invoices: validation, amounts, numbers, statuses, batches, updates and queries.

Every request body and response is checked against Xero's accounting OpenAPI description
(located by tests/openapi.py; the run's summary line says where it was found), except where a test
sends something off-spec on purpose (``check=False``).
"""

from .. import seed
from .builders import NOT_FALSE, POWERDIRECT, RIDGEWAY, bill, errors_of, invoice, line
from .fixtures import *  # noqa: F403 (pytest fixtures)


def test_exclusive_amounts_are_computed_per_line(au):
    (created,) = au.create(
        "Invoices",
        invoice(line(Quantity=2, UnitAmount=10), line(Quantity=3, UnitAmount=3.33)),
    )
    first, second = created["LineItems"]
    assert (first["LineAmount"], first["TaxAmount"]) == (20.0, 2.0)
    assert (second["LineAmount"], second["TaxAmount"]) == (9.99, 1.0)  # 0.999 rounds to 1.00
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (29.99, 3.0, 32.99)
    assert (created["AmountDue"], created["AmountPaid"], created["AmountCredited"]) == (32.99, 0, 0)


def test_inclusive_amounts_take_tax_out_of_the_line(au):
    (created,) = au.create(
        "Invoices",
        invoice(line(UnitAmount=11), line(UnitAmount=10), LineAmountTypes="Inclusive"),
    )
    assert [li["TaxAmount"] for li in created["LineItems"]] == [1.0, 0.91]
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (19.09, 1.91, 21.0)


def test_no_tax_amounts_have_no_tax(au):
    (created,) = au.create(
        "Invoices", invoice(line(TaxType=None, UnitAmount=55.5), LineAmountTypes="NoTax")
    )
    assert created["LineItems"][0]["TaxType"] == "NONE"
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (55.5, 0, 55.5)


def test_unit_amounts_keep_two_decimals_or_four_with_unitdp(au):
    (two,) = au.create("Invoices", invoice(line(Quantity=3, UnitAmount=1.23456)))
    assert (two["LineItems"][0]["UnitAmount"], two["LineItems"][0]["LineAmount"]) == (1.23, 3.69)
    (four,) = au.create("Invoices", invoice(line(Quantity=3, UnitAmount=1.23456)), unitdp=4)
    assert (four["LineItems"][0]["UnitAmount"], four["LineItems"][0]["LineAmount"]) == (1.2346, 3.7)
    plain = au.get("Invoices/" + four["InvoiceID"]).json()["Invoices"][0]
    assert plain["LineItems"][0]["UnitAmount"] == 1.23
    precise = au.get("Invoices/" + four["InvoiceID"], params={"unitdp": 4}).json()["Invoices"][0]
    assert precise["LineItems"][0]["UnitAmount"] == 1.2346


def test_discount_rate_applies_to_sales_invoices_only(au):
    (created,) = au.create("Invoices", invoice(line(Quantity=2, UnitAmount=50, DiscountRate=10)))
    assert (created["LineItems"][0]["LineAmount"], created["Total"]) == (90.0, 99.0)
    assert created["IsDiscounted"] is True
    messages = errors_of(au, bill(line(AccountCode="400", TaxType="INPUT", DiscountRate=10)))
    assert messages == ["DiscountRate is only supported on ACCREC invoices."]


def test_sales_invoice_numbers_are_generated_and_unique(au):
    first, second = au.create("Invoices", invoice(), invoice())
    assert (first["InvoiceNumber"], second["InvoiceNumber"]) == ("INV-0001", "INV-0002")
    assert errors_of(au, invoice(InvoiceNumber="INV-0001")) == ["Invoice # must be unique."]
    (own,) = au.create("Invoices", invoice(InvoiceNumber="WEB-1001"))
    assert own["InvoiceNumber"] == "WEB-1001"


def test_bill_numbers_need_not_be_unique(au):
    first, second = au.create(
        "Invoices", bill(InvoiceNumber="SUP-77"), bill(InvoiceNumber="SUP-77")
    )
    assert first["InvoiceNumber"] == second["InvoiceNumber"] == "SUP-77"
    assert first["InvoiceID"] != second["InvoiceID"]
    (unnumbered,) = au.create("Invoices", bill())
    assert unnumbered["InvoiceNumber"] == ""


def test_contact_by_name_is_found_or_created(au):
    (found,) = au.create("Invoices", invoice(Contact={"Name": "Ridgeway University"}))
    assert found["Contact"]["ContactID"] == RIDGEWAY
    (created,) = au.create("Invoices", invoice(Contact={"Name": "Brand New Pty Ltd"}))
    new_id = created["Contact"]["ContactID"]
    assert new_id not in (RIDGEWAY, POWERDIRECT)
    listed = au.get("Contacts", params={"where": 'Name=="Brand New Pty Ltd"'}).json()["Contacts"]
    assert [c["ContactID"] for c in listed] == [new_id]
    assert listed[0]["IsCustomer"] is True


def test_contact_by_id_must_exist(au):
    missing = "7cb59f93-2964-421d-bb5e-a0f7a4572a44"
    assert errors_of(au, invoice(Contact={"ContactID": missing})) == [
        f"The contact with ContactID {missing} could not be found."
    ]


def test_every_line_needs_a_description(au):
    assert errors_of(au, invoice(line(), line(Description=""))) == [
        "The description field is mandatory for each line item."
    ]
    assert errors_of(au, invoice(line(Description="x" * 4001))) == [
        "The Description must be 4000 characters or less."
    ]


def test_account_code_must_exist_be_active_and_fit_a_document_line(au):
    assert errors_of(au, invoice(line(AccountCode="999"))) == [
        "Account code '999' is not a valid code for this document."
    ]
    assert errors_of(au, invoice(line(AccountCode="090", TaxType="BASEXCLUDED"))) == [
        "Account code '090' is not a valid code for this document."
    ]
    assert errors_of(au, invoice(line(AccountCode="610", TaxType="BASEXCLUDED"))) == [
        "Account code '610' is not a valid code for this document."
    ]
    assert errors_of(au, invoice(line(AccountCode="461"))) == [
        "Account code '461' has been archived, or deleted. Each line item must reference a "
        "valid account."
    ]
    assert errors_of(au, invoice(line(AccountCode=None))) == ["Account code must be specified"]
    assert errors_of(au, invoice(line(AccountCode=None), Status="DRAFT")) == []


def test_a_line_with_a_description_only_needs_no_account(au):
    # "A line item with just a description (i.e no unit amount or quantity) can be created by
    # specifying just a <Description>" (LineItem.Description in Xero's OpenAPI).
    heading = {"Description": "Drinks"}
    (draft,) = au.create("Invoices", invoice(heading, line(), Status="DRAFT"))
    assert draft["LineItems"][0]["LineAmount"] == 0
    approve = {"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED"}
    (approved,) = au.post("Invoices", {"Invoices": [approve]}).json()["Invoices"]
    assert (approved["Status"], approved["Total"]) == ("AUTHORISED", 110.0)
    assert errors_of(au, invoice(heading, line())) == []
    priced = line(AccountCode=None, UnitAmount=None, Quantity=None, LineAmount=5)
    assert errors_of(au, invoice(priced)) == ["Account code must be specified"]


def test_an_unknown_account_code_on_a_draft_is_taken_off_with_a_warning(au):
    body = {"Invoices": [invoice(line(AccountCode="999"), line(), Status="DRAFT")]}
    response = au.put("Invoices", body, params=NOT_FALSE)
    assert response.status_code == 200
    (draft,) = response.json()["Invoices"]
    assert draft["StatusAttributeString"] == "WARNING"
    assert draft["Warnings"] == [
        {"Message": "Account code '999' is not a valid code for this document."}
    ]
    assert "AccountCode" not in draft["LineItems"][0]
    assert draft["LineItems"][1]["AccountCode"] == "200"
    (clean,) = au.create("Invoices", invoice(Status="DRAFT"))
    assert (clean["StatusAttributeString"], "Warnings" in clean) == ("OK", False)
    # Approving it without an account is refused, as any approved line without one.
    approve = {"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED"}
    response = au.post("Invoices", {"Invoices": [approve]}, params=NOT_FALSE)
    assert response.json()["Invoices"][0]["ValidationErrors"] == [
        {"Message": "Account code must be specified"}
    ]


def test_an_approved_invoice_needs_a_due_date_a_draft_does_not(au):
    def undated(status):
        document = invoice(Status=status)
        del document["DueDate"]
        return document

    for status in ("AUTHORISED", "SUBMITTED"):
        assert errors_of(au, undated(status)) == ["The document DueDate field must be specified."]
    (draft,) = au.create("Invoices", undated("DRAFT"))
    assert "DueDate" not in draft
    approve = {"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED"}
    response = au.post("Invoices", {"Invoices": [approve]}, params=NOT_FALSE)
    assert response.json()["Invoices"][0]["ValidationErrors"] == [
        {"Message": "The document DueDate field must be specified."}
    ]


def test_invoices_for_an_archived_contact_are_refused(au):
    archived = seed.contact_id(seed.AU_TENANT_ID, "Old Mate Supplies")
    assert errors_of(au, dict(bill(Status="DRAFT"), Contact={"ContactID": archived})) == [
        "The contact with the specified contact details has been archived. The contact must be "
        "un-archived before creating new invoices or credit notes"
    ]


def test_discount_amount_is_taken_off_the_line_on_sales_invoices_only(au):
    (created,) = au.create("Invoices", invoice(line(Quantity=3, UnitAmount=20, DiscountAmount=5.5)))
    first = created["LineItems"][0]
    assert (first["LineAmount"], first["DiscountAmount"], first["TaxAmount"]) == (54.5, 5.5, 5.45)
    assert (created["TotalDiscount"], created["Total"]) == (5.5, 59.95)
    (by_line_amount,) = au.create(
        "Invoices", invoice(line(Quantity=2, UnitAmount=None, LineAmount=90, DiscountAmount=10))
    )
    assert by_line_amount["LineItems"][0]["UnitAmount"] == 50.0
    assert errors_of(au, bill(line(AccountCode="400", TaxType="INPUT", DiscountAmount=5))) == [
        "DiscountAmount is only supported on ACCREC invoices."
    ]
    assert errors_of(au, invoice(line(DiscountRate=10, DiscountAmount=5))) == [
        "A line item takes a DiscountRate or a DiscountAmount, not both."
    ]


def test_a_tax_amount_sent_replaces_the_computed_one(au):
    (created,) = au.create(
        "Invoices", invoice(line(UnitAmount=10.04, TaxAmount=1.01), line(UnitAmount=10.04))
    )
    assert [li["TaxAmount"] for li in created["LineItems"]] == [1.01, 1.0]
    assert (created["TotalTax"], created["Total"]) == (2.01, 22.09)
    # Kept when the document is updated without it, as Xero keeps what it stored.
    (updated,) = au.post(
        "Invoices",
        {"Invoices": [{"InvoiceID": created["InvoiceID"], "Reference": "PO-1"}]},
        params=NOT_FALSE,
    ).json()["Invoices"]
    assert updated["TotalTax"] == 2.01
    (inclusive,) = au.create(
        "Invoices", invoice(line(UnitAmount=110, TaxAmount=9.99), LineAmountTypes="Inclusive")
    )
    assert (inclusive["SubTotal"], inclusive["TotalTax"], inclusive["Total"]) == (100.01, 9.99, 110)
    assert errors_of(au, invoice(line(TaxAmount=3), LineAmountTypes="NoTax")) == [
        "TaxAmount cannot be set on a line without tax."
    ]


def test_tracking_names_an_active_option_of_an_active_category(au):
    region = {"Name": "region", "Option": "NORTH"}
    venue = {"Name": "Venue", "Option": "Bondi"}
    (created,) = au.create("Invoices", invoice(line(Tracking=[region, venue])))
    tracking = created["LineItems"][0]["Tracking"]
    assert [(t["Name"], t["Option"]) for t in tracking] == [("Region", "North"), ("Venue", "Bondi")]
    assert tracking[0]["TrackingOptionID"] == seed.tracking_option_id(
        seed.AU_TENANT_ID, "Region", "North"
    )
    by_ids = {k: tracking[1][k] for k in ("TrackingCategoryID", "TrackingOptionID")}
    (again,) = au.create("Invoices", invoice(line(Tracking=[by_ids])))
    assert again["LineItems"][0]["Tracking"] == [tracking[1]]

    def refused(*entries):
        return errors_of(au, invoice(line(Tracking=list(entries)), Status="DRAFT"))

    assert refused({"Name": "Regions", "Option": "North"}) == [
        "The tracking category 'Regions' does not exist."
    ]
    assert refused({"Name": "Events 2025", "Option": "Summer Fair"}) == [
        "The tracking category 'Events 2025' does not exist."
    ], "an archived category cannot be used"
    assert refused({"Name": "Region", "Option": "Nort"}) == [
        "The tracking option 'Nort' does not exist in the tracking category 'Region'."
    ]
    assert refused({"Name": "Region", "Option": "Central"}) == [
        "The tracking option 'Central' does not exist in the tracking category 'Region'."
    ], "an archived option cannot be used"
    assert refused(region, {"Name": "Region", "Option": "South"}) == [
        "The tracking category 'Region' is used twice on a line."
    ]


def test_tax_type_must_exist_and_fit_the_document_and_the_account(au):
    def cannot_be_used(tax_type):
        return (
            f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
            "transaction."
        )

    assert errors_of(au, invoice(line(TaxType="INPUT"))) == [cannot_be_used("INPUT")]
    assert errors_of(au, invoice(line(TaxType="OUTPUT2"))) == [cannot_be_used("OUTPUT2")]
    assert errors_of(au, invoice(line(TaxType="TAX001"))) == [cannot_be_used("TAX001")]
    assert errors_of(au, invoice(line(AccountCode="400", TaxType="OUTPUT"))) == [
        "The TaxType code 'OUTPUT' cannot be used with account code '400'."
    ]
    (defaulted,) = au.create("Invoices", bill(line(AccountCode="469", TaxType=None)))
    assert defaulted["LineItems"][0]["TaxType"] == "INPUT"


def test_currency_must_be_the_base_or_an_enabled_one(au):
    (usd,) = au.create("Invoices", invoice(CurrencyCode="USD", CurrencyRate=0.7))
    assert (usd["CurrencyCode"], usd["CurrencyRate"]) == ("USD", 0.7)
    (nzd,) = au.create("Invoices", invoice(CurrencyCode="NZD"))
    assert nzd["CurrencyRate"] == 1.085
    assert errors_of(au, invoice(CurrencyCode="EUR")) == [
        "Organisation is not subscribed to currency EUR"
    ]


def test_dates_in_locked_periods_are_refused(au):
    assert errors_of(au, invoice(Date="2026-03-31")) == [
        "The document date cannot be before the period lock date, currently set at 31-Mar-2026"
    ]
    assert errors_of(au, invoice(Date="2025-06-30")) == [
        "The document date cannot be before the end of year lock date, currently set at 30-Jun-2025"
    ]
    assert errors_of(au, invoice(Date="2026-04-01")) == []


def test_type_must_fit_the_endpoint(au):
    assert errors_of(au, invoice(Type="ACCRECCREDIT")) == ["Invoice Type must be ACCREC or ACCPAY."]
    # "BOGUS" is outside Xero's Type enum: sent without the client's schema check on purpose
    assert errors_of(au, invoice(Type="BOGUS"), check=False) == [
        "Invoice Type must be ACCREC or ACCPAY."
    ]


def test_only_draft_submitted_or_authorised_can_be_created(au):
    for status in ("PAID", "VOIDED", "DELETED"):
        assert errors_of(au, invoice(Status=status)) == [
            "An invoice can only be created with a status of DRAFT, SUBMITTED or AUTHORISED."
        ]
    (submitted,) = au.create("Invoices", invoice(Status="SUBMITTED"))
    assert submitted["Status"] == "SUBMITTED"


def test_paid_voided_and_deleted_documents_cannot_be_modified(au, client):
    paid, voided, deleted = au.create("Invoices", invoice(), invoice(), invoice(Status="DRAFT"))
    client.control("POST", "documents/" + paid["InvoiceID"], {"status": "PAID"})
    client.control("POST", "documents/" + voided["InvoiceID"], {"status": "VOIDED"})
    client.control("POST", "documents/" + deleted["InvoiceID"], {"status": "DELETED"})
    now_paid = au.get("Invoices/" + paid["InvoiceID"]).json()["Invoices"][0]
    assert (now_paid["Status"], now_paid["AmountDue"], now_paid["AmountPaid"]) == ("PAID", 0, 110.0)
    assert now_paid["Payments"][0]["Amount"] == 110.0

    def update(document):
        response = au.post(
            "Invoices/" + document["InvoiceID"],
            {"Invoices": [{"InvoiceID": document["InvoiceID"], "Reference": "changed"}]},
            params=NOT_FALSE,
        )
        return response.json()["Invoices"][0]["ValidationErrors"][0]["Message"]

    assert update(paid) == (
        "This document cannot be edited as it has a payment or credit note allocated to it."
    )
    assert update(voided) == "Invoice not of valid status for modification"
    assert update(deleted) == "Invoice not of valid status for modification"


def test_status_changes_follow_xero(au):
    draft, authorised = au.create("Invoices", invoice(Status="DRAFT"), invoice())

    def set_status(document, status):
        response = au.post(
            "Invoices/" + document["InvoiceID"],
            {"Invoices": [{"InvoiceID": document["InvoiceID"], "Status": status}]},
            params=NOT_FALSE,
        )
        (element,) = response.json()["Invoices"]
        stored = au.get("Invoices/" + document["InvoiceID"]).json()["Invoices"][0]
        return stored["Status"], [e["Message"] for e in element.get("ValidationErrors", [])]

    assert set_status(authorised, "DRAFT") == (
        "AUTHORISED",
        ["Invoice not of valid status for modification"],
    )
    assert set_status(authorised, "VOIDED") == ("VOIDED", [])
    assert set_status(draft, "AUTHORISED") == ("AUTHORISED", [])
    (second_draft,) = au.create("Invoices", invoice(Status="DRAFT"))
    assert set_status(second_draft, "DELETED") == ("DELETED", [])


def test_summarized_errors_are_one_400_and_valid_documents_are_still_created(au):
    response = au.put(
        "Invoices",
        {"Invoices": [invoice(Reference="good"), invoice(line(AccountCode="999"))]},
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10,
        "ValidationException",
        "A validation exception occurred",
    )
    (failed,) = body["Elements"]
    assert failed["ValidationErrors"] == [
        {"Message": "Account code '999' is not a valid code for this document."}
    ]
    listed = au.get("Invoices").json()["Invoices"]
    assert [i["Reference"] for i in listed] == ["good"]


def test_unsummarized_errors_answer_every_element(au):
    response = au.put(
        "Invoices",
        {"Invoices": [invoice(), invoice(line(Description=""))]},
        params=NOT_FALSE,
    )
    assert response.status_code == 200
    ok, failed = response.json()["Invoices"]
    assert (ok["HasErrors"], ok["StatusAttributeString"]) == (False, "OK")
    assert (failed["HasErrors"], failed["StatusAttributeString"]) == (True, "ERROR")
    assert failed["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert failed["ValidationErrors"] == [
        {"Message": "The description field is mandatory for each line item."}
    ]


def test_post_updates_by_id_or_by_sales_invoice_number(au):
    (created,) = au.create("Invoices", invoice(InvoiceNumber="WEB-2001", Status="DRAFT"))
    by_number = au.post(
        "Invoices",
        {"Invoices": [invoice(line(UnitAmount=200), InvoiceNumber="WEB-2001", Status="DRAFT")]},
        params=NOT_FALSE,
    ).json()["Invoices"][0]
    assert by_number["InvoiceID"] == created["InvoiceID"]
    assert by_number["Total"] == 220.0
    by_id = au.post(
        "Invoices/" + created["InvoiceID"],
        {"Invoices": [{"InvoiceID": created["InvoiceID"], "Reference": "PO-9"}]},
        params=NOT_FALSE,
    ).json()["Invoices"][0]
    assert (by_id["Reference"], by_id["Total"]) == ("PO-9", 220.0)
    assert len(au.get("Invoices").json()["Invoices"]) == 1
    assert (
        au.post(
            "Invoices/7cb59f93-2964-421d-bb5e-a0f7a4572a44", {"Invoices": [{}]}, check=False
        ).status_code
        == 404
    )


def test_line_amount_is_checked_or_used(au):
    assert errors_of(au, invoice(line(Quantity=2, UnitAmount=10, LineAmount=25))) == [
        "The line amount 25.00 does not match the quantity multiplied by the unit amount less "
        "discount (20.00)."
    ]
    (from_total,) = au.create("Invoices", invoice(line(UnitAmount=None, LineAmount=80)))
    assert (from_total["LineItems"][0]["UnitAmount"], from_total["SubTotal"]) == (80.0, 80.0)


def test_negative_lines_are_kept_but_negative_totals_refused(au):
    (mixed,) = au.create(
        "Invoices", invoice(line(), line(Description="Deposit returned", UnitAmount=-30))
    )
    assert mixed["Total"] == 77.0
    assert errors_of(au, invoice(line(UnitAmount=-30))) == [
        "The total of an invoice cannot be negative."
    ]


def test_list_filters_and_pages_with_line_items(au):
    first, second, third = au.create("Invoices", invoice(), invoice(Status="DRAFT"), bill())
    by_ids = au.get("Invoices", params={"IDs": f"{first['InvoiceID']},{third['InvoiceID']}"})
    assert {i["InvoiceID"] for i in by_ids.json()["Invoices"]} == {
        first["InvoiceID"],
        third["InvoiceID"],
    }
    drafts = au.get("Invoices", params={"Statuses": "DRAFT"}).json()["Invoices"]
    assert [i["InvoiceID"] for i in drafts] == [second["InvoiceID"]]
    bills = au.get(
        "Invoices", params={"where": f'Type=="ACCPAY" AND Contact.ContactID==Guid("{POWERDIRECT}")'}
    ).json()["Invoices"]
    assert [i["InvoiceID"] for i in bills] == [third["InvoiceID"]]
    dated = au.get("Invoices", params={"where": "Date>=DateTime(2026,06,10)"}).json()
    assert len(dated["Invoices"]) == 3
    summary = au.get("Invoices").json()["Invoices"]
    assert all("LineItems" not in i for i in summary)
    paged = au.get("Invoices", params={"page": 1, "order": "InvoiceNumber DESC"}).json()
    assert paged["pagination"]["itemCount"] == 3
    assert all(i["LineItems"] for i in paged["Invoices"])
    assert [i["InvoiceNumber"] for i in paged["Invoices"]][:2] == ["INV-0002", "INV-0001"]
    by_number = au.get("Invoices/INV-0002").json()["Invoices"][0]
    assert by_number["InvoiceID"] == second["InvoiceID"]


def test_a_write_without_documents_is_refused(au):
    response = au.put("Invoices", {"Invoices": []})
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "NoDataProcessedException"
    assert body["Message"].startswith("No data has been processed for this endpoint.")


def test_modified_since_and_created_by_my_app_narrow_the_list(au, client, sandbox):
    (old,) = au.create("Invoices", invoice())
    sandbox.clock.advance(20 * 60)
    (new,) = au.create("Invoices", invoice())
    since = au.get("Invoices", headers={"If-Modified-Since": "2026-06-15T09:10:00Z"})
    assert [i["InvoiceID"] for i in since.json()["Invoices"]] == [new["InvoiceID"]]
    client.control("POST", "documents/" + old["InvoiceID"], {"status": "PAID"})
    paid_since = au.get("Invoices", headers={"If-Modified-Since": "2026-06-15T09:10:00Z"})
    assert {i["InvoiceID"] for i in paid_since.json()["Invoices"]} == {
        old["InvoiceID"],
        new["InvoiceID"],
    }
    legacy = client.api(sandbox.token(client_id=seed.LEGACY_CLIENT_ID))
    legacy.create("Invoices", invoice())
    mine = au.get("Invoices", params={"createdByMyApp": "true"}).json()["Invoices"]
    assert {i["InvoiceID"] for i in mine} == {old["InvoiceID"], new["InvoiceID"]}


def test_each_organisation_uses_its_own_tax_types(client, sandbox):
    uk = client.api(sandbox.token(tenant_id=seed.UK_TENANT_ID))
    contact = {"Name": "Bank West"}
    (sale,) = uk.create(
        "Invoices",
        invoice(line(AccountCode="4000", TaxType="OUTPUT2"), Contact=contact),
    )
    assert (sale["TotalTax"], sale["Total"], sale["CurrencyCode"]) == (20.0, 120.0, "GBP")
    (reduced,) = uk.create(
        "Invoices",
        invoice(line(AccountCode="4000", TaxType="RROUTPUT"), Contact=contact),
    )
    assert reduced["TotalTax"] == 5.0
    assert errors_of(uk, invoice(line(AccountCode="4000"), Contact=contact)) == [
        "The TaxType code OUTPUT does not exist or cannot be used for this type of transaction."
    ]
