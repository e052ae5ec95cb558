"""Contacts: batches, unique active names, updates, filters and paging.

Every request body and response is checked against Xero's accounting OpenAPI description
(located by tests/openapi.py; the run's summary line says where it was found).
"""

from .. import seed
from .fixtures import *  # noqa: F403 (pytest fixtures)

DUPLICATE = (
    "The contact name {} is already assigned to another contact. The contact name must be "
    "unique across all active contacts."
)


def test_put_creates_contacts_and_refuses_a_duplicate_active_name(au):
    created = au.create("Contacts", {"Name": "Acme Widgets", "EmailAddress": "ap@acme.example"})
    assert created[0]["ContactStatus"] == "ACTIVE" and created[0]["ContactID"]
    response = au.put("Contacts", {"Contacts": [{"Name": "acme widgets"}]})
    assert response.status_code == 400
    body = response.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    (element,) = body["Elements"]
    assert element["ValidationErrors"] == [{"Message": DUPLICATE.format("acme widgets")}]
    seeded = au.put("Contacts", {"Contacts": [{"Name": "Ridgeway University"}]})
    assert seeded.json()["Elements"][0]["HasValidationErrors"] is True


def test_an_archived_contact_name_can_be_used_again(au):
    archived_name = "Old Mate Supplies"  # seeded as ARCHIVED
    created = au.create("Contacts", {"Name": archived_name})
    assert created[0]["ContactID"] != seed.contact_id(seed.AU_TENANT_ID, archived_name)
    archived_id = seed.contact_id(seed.AU_TENANT_ID, archived_name)
    reactivate = au.post(
        "Contacts/" + archived_id,
        {"Contacts": [{"ContactID": archived_id, "ContactStatus": "ACTIVE"}]},
    )
    assert reactivate.status_code == 400
    assert reactivate.json()["Elements"][0]["ValidationErrors"][0]["Message"] == DUPLICATE.format(
        archived_name
    )


def test_post_updates_a_contact_by_id(au):
    contact_id = seed.contact_id(seed.AU_TENANT_ID, "City Limousines")
    response = au.post(
        "Contacts/" + contact_id,
        {"Contacts": [{"Name": "City Limousines Pty", "EmailAddress": "new@citylimos.example"}]},
    )
    assert response.status_code == 200
    (contact,) = au.get("Contacts/" + contact_id).json()["Contacts"]
    assert contact["Name"] == "City Limousines Pty"
    assert contact["EmailAddress"] == "new@citylimos.example"
    assert au.get("Contacts/7cb59f93-2964-421d-bb5e-a0f7a4572a44").status_code == 404


def test_a_contact_needs_a_name(au):
    response = au.put(
        "Contacts",
        {"Contacts": [{"EmailAddress": "x@example.com"}]},
        params={"summarizeErrors": "false"},
        check=False,  # no Name, ContactID nor ContactNumber: off the (strict) schema on purpose
    )
    (element,) = response.json()["Contacts"]
    assert element["ValidationErrors"] == [{"Message": "Contact Name cannot be empty."}]


def test_get_contacts_filters_by_where_ids_and_pages_by_100(au):
    au.create("Contacts", *({"Name": f"Bulk Customer {n:03d}"} for n in range(150)))
    page_one = au.get("Contacts", params={"page": 1}).json()
    assert len(page_one["Contacts"]) == 100
    assert page_one["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2, "itemCount": 154}
    assert len(au.get("Contacts", params={"page": 2}).json()["Contacts"]) == 54
    by_name = au.get("Contacts", params={"where": 'Name=="PowerDirect"'}).json()["Contacts"]
    assert [c["ContactID"] for c in by_name] == [seed.contact_id(seed.AU_TENANT_ID, "PowerDirect")]
    by_email = au.get(
        "Contacts", params={"where": 'EmailAddress=="accounts@ridgeway.example"'}
    ).json()["Contacts"]
    assert [c["Name"] for c in by_email] == ["Ridgeway University"]
    ids = [seed.contact_id(seed.AU_TENANT_ID, n) for n in ("PowerDirect", "Melrose Parking")]
    by_ids = au.get("Contacts", params={"IDs": ",".join(ids)}).json()["Contacts"]
    assert {c["ContactID"] for c in by_ids} == set(ids)
    archived = seed.contact_id(seed.AU_TENANT_ID, "Old Mate Supplies")
    assert archived not in {c["ContactID"] for c in au.get("Contacts").json()["Contacts"]}
    everything = au.get("Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert archived in {c["ContactID"] for c in everything}


def test_get_contact_by_contact_number(au):
    au.create("Contacts", {"Name": "Numbered Customer", "ContactNumber": "C-100"})
    (found,) = au.get("Contacts/C-100").json()["Contacts"]
    assert found["Name"] == "Numbered Customer"
    assert au.get("Contacts/C-999").status_code == 404


def test_contact_numbers_are_unique_among_all_contacts(au):
    au.create("Contacts", {"Name": "Numbered Customer", "ContactNumber": "C-100"})
    response = au.put(
        "Contacts",
        {"Contacts": [{"Name": "Another Customer", "ContactNumber": "c-100"}]},
        params={"summarizeErrors": "false"},
    )
    assert response.json()["Contacts"][0]["ValidationErrors"] == [
        {"Message": "The contact number c-100 is already assigned to another contact."}
    ]
    archived = seed.contact_id(seed.AU_TENANT_ID, "Old Mate Supplies")
    numbered = au.post(
        "Contacts", {"Contacts": [{"ContactID": archived, "ContactNumber": "OLD-1"}]}
    ).json()["Contacts"][0]
    assert numbered["ContactNumber"] == "OLD-1"
    taken = au.put(
        "Contacts",
        {"Contacts": [{"Name": "New Mate", "ContactNumber": "OLD-1"}]},
        params={"summarizeErrors": "false"},
    )
    assert taken.json()["Contacts"][0]["ValidationErrors"], "archived contacts keep theirs"
    same = au.post("Contacts", {"Contacts": [{"ContactID": archived, "ContactNumber": "OLD-1"}]})
    assert same.status_code == 200, "a contact keeps its own number"


def test_where_compares_text_as_written_unless_lowered(au):
    def names(where):
        response = au.get("Contacts", params={"where": where})
        assert response.status_code == 200, response.text
        return [c["Name"] for c in response.json()["Contacts"]]

    assert names('Name=="powerdirect"') == []
    assert names('Name.ToLower()=="powerdirect"') == ["PowerDirect"]
    assert names('Name.ToUpper().StartsWith("POWER")') == ["PowerDirect"]
    assert names('Name.ToLower().Contains("limousines")') == ["City Limousines"]
    refused = au.get("Contacts", params={"where": "Name.ToLower().Length==3"})
    assert refused.json()["Type"] == "QueryParseException"
