"""Who may call the Accounting API: bearer token, connected tenant, scopes per endpoint.

Responses are checked against Xero's accounting OpenAPI description where Xero documents the
status (located by tests/openapi.py; the run's summary line says where it was found).
"""

from .. import seed
from .fixtures import *  # noqa: F403 (pytest fixtures)

ORGANISATION = "/api.xro/2.0/Organisation"


def test_missing_or_unknown_bearer_token_is_401(client, sandbox):
    missing = client.request("GET", ORGANISATION, headers={"xero-tenant-id": seed.AU_TENANT_ID})
    assert missing.status_code == 401
    assert missing.json()["Detail"] == "AuthenticationUnsuccessful"
    unknown = client.request(
        "GET",
        ORGANISATION,
        headers={"Authorization": "Bearer not-a-token", "xero-tenant-id": seed.AU_TENANT_ID},
    )
    assert unknown.status_code == 401
    assert unknown.json()["Title"] == "Unauthorized"


def test_tenant_must_be_connected_to_the_token_else_403(client, sandbox):
    tokens = sandbox.token(tenant_id=seed.AU_TENANT_ID)
    assert client.api(tokens).get("Organisation").status_code == 200
    other = client.api(tokens, seed.NZ_TENANT_ID).get("Organisation")
    assert other.status_code == 403
    assert other.json()["Detail"] == "AuthenticationUnsuccessful"
    missing = client.request(
        "GET", ORGANISATION, headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    assert missing.status_code == 403


def test_read_only_scope_allows_get_and_refuses_writes(client, sandbox):
    tokens = sandbox.token(
        scopes="offline_access accounting.invoices.read accounting.settings.read"
    )
    api = client.api(tokens)
    assert api.get("Invoices").status_code == 200
    assert api.get("Accounts").status_code == 200
    refused = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"Name": "Scope Test"},
                    "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 1}],
                }
            ]
        },
    )
    assert refused.status_code == 401
    assert refused.json()["Detail"] == "AuthorizationUnsuccessful"
    assert sandbox.sandbox.state.organisations[seed.AU_TENANT_ID].invoices == {}


def test_each_endpoint_needs_its_own_scope(client, sandbox):
    api = client.api(sandbox.token(scopes="accounting.invoices"))
    assert api.get("Invoices").status_code == 200
    assert api.get("CreditNotes").status_code == 200
    assert api.get("Contacts").status_code == 401
    assert api.get("Organisation").status_code == 401
    settings_only = client.api(sandbox.token(scopes="accounting.settings.read"))
    assert settings_only.get("TaxRates").status_code == 200
    assert settings_only.get("Invoices").status_code == 401


def test_broad_scope_of_an_old_app_reaches_invoices(client, sandbox):
    tokens = sandbox.token(
        client_id=seed.LEGACY_CLIENT_ID, scopes="accounting.transactions accounting.contacts"
    )
    api = client.api(tokens)
    response = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"Name": "Legacy Customer"},
                    "LineItems": [{"Description": "Old app", "Quantity": 1, "UnitAmount": 10}],
                }
            ]
        },
    )
    assert response.status_code == 200
    assert response.json()["ProviderName"] == "Sandbox Legacy App"
