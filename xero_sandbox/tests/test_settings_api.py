"""Organisation, Accounts, TaxRates and Currencies of the three seeded organisations.

Every response is checked against Xero's accounting OpenAPI description (located by
tests/openapi.py; the run's summary line says where it was found).
"""

from datetime import date

import pytest

from .. import seed
from ..wire import parse_date
from .fixtures import *  # noqa: F403 (pytest fixtures)


@pytest.mark.parametrize(
    ("tenant_id", "currency", "country", "version", "short_code"),
    [
        (seed.AU_TENANT_ID, "AUD", "AU", "AU", "!AuSb1"),
        (seed.NZ_TENANT_ID, "NZD", "NZ", "NZ", "!NzSb1"),
        (seed.UK_TENANT_ID, "GBP", "GB", "UK", "!UkSb1"),
    ],
)
def test_organisation_describes_each_tenant(
    client, sandbox, tenant_id, currency, country, version, short_code
):
    tokens = sandbox.token(tenant_ids=[tenant_id])
    (org,) = client.api(tokens).get("Organisation").json()["Organisations"]
    assert org["OrganisationID"] == tenant_id
    assert (org["BaseCurrency"], org["CountryCode"], org["Version"]) == (currency, country, version)
    assert org["ShortCode"] == short_code
    # the seed locks the period ending three months before the clock (2026-06-15)
    assert parse_date(org["PeriodLockDate"]) == date(2026, 3, 31)
    assert parse_date(org["EndOfYearLockDate"]) <= date(2026, 3, 31)


def test_accounts_where_filters_with_and_or(au):
    active_revenue = au.get(
        "Accounts", params={"where": 'Status=="ACTIVE" AND Type=="REVENUE"'}
    ).json()["Accounts"]
    assert {a["Code"] for a in active_revenue} == {"200", "260", "270"}
    assert all(a["Class"] == "REVENUE" for a in active_revenue)
    either = au.get("Accounts", params={"where": 'Type=="BANK" || Code=="310"'}).json()
    assert {a["Code"] for a in either["Accounts"]} == {"090", "091", "310"}
    archived = au.get("Accounts", params={"where": 'Status=="ARCHIVED"'}).json()["Accounts"]
    assert [a["Code"] for a in archived] == ["461"]
    grouped = au.get(
        "Accounts",
        params={"where": '(Type=="EXPENSE" OR Type=="DIRECTCOSTS") AND Code.StartsWith("4")'},
    ).json()["Accounts"]
    assert "310" not in {a["Code"] for a in grouped} and "400" in {a["Code"] for a in grouped}


def test_charts_differ_between_organisations(client, sandbox):
    tokens = sandbox.token(tenant_ids=[seed.AU_TENANT_ID, seed.UK_TENANT_ID])
    uk = client.api(tokens, seed.UK_TENANT_ID).get("Accounts").json()["Accounts"]
    au = client.api(tokens, seed.AU_TENANT_ID).get("Accounts").json()["Accounts"]
    assert {"4000", "5000"} <= {a["Code"] for a in uk}
    assert {"200", "310"} <= {a["Code"] for a in au}
    sales = next(a for a in uk if a["Code"] == "4000")
    assert (sales["Type"], sales["TaxType"]) == ("SALES", "OUTPUT2")


@pytest.mark.parametrize(
    "where",
    ['Nonsense=="x"', 'Status=="ACTIVE" AND', 'Status = "ACTIVE"', 'Code.Matches("x")'],
)
def test_unknown_where_syntax_or_field_is_400(au, where):
    response = au.get("Accounts", params={"where": where})
    assert response.status_code == 400
    assert response.json()["Type"] == "QueryParseException"


def test_tax_rates_carry_their_types_flags_and_rates(client, sandbox):
    tokens = sandbox.token(tenant_ids=[seed.AU_TENANT_ID, seed.NZ_TENANT_ID, seed.UK_TENANT_ID])

    def rates(tenant_id):
        response = client.api(tokens, tenant_id).get("TaxRates")
        return {r["TaxType"]: r for r in response.json()["TaxRates"]}

    au, nz, uk = rates(seed.AU_TENANT_ID), rates(seed.NZ_TENANT_ID), rates(seed.UK_TENANT_ID)
    assert {
        "INPUT",
        "OUTPUT",
        "EXEMPTEXPENSES",
        "EXEMPTOUTPUT",
        "BASEXCLUDED",
        "GSTONIMPORTS",
    } <= set(au)
    assert {"INPUT2", "OUTPUT2", "ZERORATED", "NONE"} <= set(nz)
    assert {"INPUT2", "OUTPUT2", "ZERORATEDINPUT", "ZERORATEDOUTPUT", "RRINPUT", "RROUTPUT"} <= set(
        uk
    )
    assert au["OUTPUT"]["EffectiveRate"] == 10 and nz["OUTPUT2"]["EffectiveRate"] == 15
    assert uk["RROUTPUT"]["EffectiveRate"] == 5
    assert au["OUTPUT"]["CanApplyToRevenue"] and not au["OUTPUT"]["CanApplyToExpenses"]
    assert au["INPUT"]["CanApplyToExpenses"] and not au["INPUT"]["CanApplyToRevenue"]
    filtered = client.api(tokens, seed.AU_TENANT_ID).get(
        "TaxRates", params={"where": 'Status=="DELETED"'}
    )
    assert [r["TaxType"] for r in filtered.json()["TaxRates"]] == ["TAX001"]


def test_currencies_are_the_base_and_the_enabled_ones(au):
    codes = [c["Code"] for c in au.get("Currencies").json()["Currencies"]]
    assert codes == ["AUD", "USD", "NZD"]


def test_tracking_categories_list_active_options_and_archived_ones_on_request(au):
    active = au.get("TrackingCategories").json()["TrackingCategories"]
    assert {c["Name"]: [o["Name"] for o in c["Options"]] for c in active} == {
        "Region": ["North", "South"],
        "Venue": ["Bondi", "Manly", "Surry Hills"],
    }
    region = next(c for c in active if c["Name"] == "Region")
    assert region["TrackingCategoryID"] == seed.tracking_category_id(seed.AU_TENANT_ID, "Region")
    everything = au.get("TrackingCategories", params={"includeArchived": "true"}).json()
    by_name = {c["Name"]: c for c in everything["TrackingCategories"]}
    assert by_name["Events 2025"]["Status"] == "ARCHIVED"
    assert {o["Name"]: o["Status"] for o in by_name["Region"]["Options"]}["Central"] == "ARCHIVED"
    venue = au.get("TrackingCategories", params={"where": 'Name=="Venue"'}).json()
    assert [c["Name"] for c in venue["TrackingCategories"]] == ["Venue"]
