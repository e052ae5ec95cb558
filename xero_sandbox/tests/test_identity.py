"""Identity: the authorize pages, the token and revocation endpoints, and connections.

Token responses and connection lists are checked against Xero's identity OpenAPI description
(located by tests/openapi.py; the run's summary line says where it was found).
"""

from .. import seed
from .client import (
    REDIRECT_URI,
    authorize_params,
    exchange,
    form_session,
    jwt_claims,
    pkce_pair,
    redirect_query,
    sign_in,
)
from .fixtures import *  # noqa: F403 (pytest fixtures)

AUTHORIZE = "/identity/connect/authorize"
DEMO_AUTH = (seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET)


def _tokens(client, **sign_in_options):
    _, query = sign_in(client, authorize_params(**sign_in_options.pop("params", {})))
    response = exchange(client, query["code"])
    assert response.status_code == 200, response.text
    return response.json()


def test_sign_in_with_mfa_and_consent_redirects_with_code_and_state(client):
    params = authorize_params()
    pages, query = sign_in(client, params, tenant_ids=[seed.AU_TENANT_ID, seed.NZ_TENANT_ID])
    login_page, mfa_page, consent_page = pages[0].text, pages[1].text, pages[2].text
    assert "name='email'" in login_page and "name='password'" in login_page
    assert "id='mfa_code'" in mfa_page
    assert f"id='tenant-{seed.AU_TENANT_ID}'" in consent_page
    assert "name='decision' value='allow'" in consent_page
    assert "name='decision' value='deny'" in consent_page
    assert query["state"] == params["state"] and query["code"]
    assert pages[-1].headers["Location"].startswith(REDIRECT_URI + "?")
    tokens = exchange(client, query["code"]).json()
    connections = client.request(
        "GET", "/connections", headers={"Authorization": "Bearer " + tokens["access_token"]}
    ).json()
    assert {c["tenantId"] for c in connections} == {seed.AU_TENANT_ID, seed.NZ_TENANT_ID}


def test_unknown_client_gets_an_error_page_and_no_redirect(client):
    response = client.request("GET", AUTHORIZE, params=authorize_params(client_id="no-such-client"))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "not registered" in response.text


def test_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(client):
    for uri in ("https://attacker.example/callback", "http://10.0.0.5:8069/cb"):
        response = client.request("GET", AUTHORIZE, params=authorize_params(redirect_uri=uri))
        assert response.status_code == 400
        assert "Location" not in response.headers
    allowed = client.request(
        "GET", AUTHORIZE, params=authorize_params(redirect_uri="http://localhost:9999/cb")
    )
    assert allowed.status_code == 200


def test_extra_redirect_uri_can_be_registered(client):
    uri = "https://odoo.example.com/xero/callback"
    client.control("POST", "settings", {"redirect_uris": [uri]})
    response = client.request("GET", AUTHORIZE, params=authorize_params(redirect_uri=uri))
    assert response.status_code == 200


def test_deny_redirects_with_access_denied_and_state(client):
    params = authorize_params()
    _, query = sign_in(client, params, decision="deny")
    assert query == {"error": "access_denied", "state": params["state"]}


def test_wrong_password_and_wrong_mfa_code_are_refused(client):
    page = client.request("GET", AUTHORIZE, params=authorize_params())
    session = form_session(page.text)
    wrong = client.request(
        "POST",
        AUTHORIZE,
        form={"session": session, "step": "login", "email": seed.DEMO_USER_EMAIL, "password": "x"},
    )
    assert "Your email or password is incorrect" in wrong.text
    assert "name='password'" in wrong.text
    client.request(
        "POST",
        AUTHORIZE,
        form={
            "session": session,
            "step": "login",
            "email": seed.DEMO_USER_EMAIL,
            "password": seed.DEMO_USER_PASSWORD,
        },
    )
    skipped = client.request(
        "POST", AUTHORIZE, form={"session": session, "step": "consent", "decision": "allow"}
    )
    assert skipped.status_code == 400  # consent before MFA
    bad_code = client.request(
        "POST", AUTHORIZE, form={"session": session, "step": "mfa", "mfa_code": "000000"}
    )
    assert "That code is incorrect" in bad_code.text


def test_mfa_step_is_skipped_when_disabled(client):
    client.control("POST", "settings", {"mfa": False})
    pages, query = sign_in(client, authorize_params())
    assert len(pages) == 3 and "id='mfa_code'" not in pages[1].text
    assert query["code"]


def test_consent_needs_an_organisation(client):
    page = client.request("GET", AUTHORIZE, params=authorize_params())
    session = form_session(page.text)
    client.request(
        "POST",
        AUTHORIZE,
        form={
            "session": session,
            "step": "login",
            "email": seed.DEMO_USER_EMAIL,
            "password": seed.DEMO_USER_PASSWORD,
        },
    )
    client.request(
        "POST", AUTHORIZE, form={"session": session, "step": "mfa", "mfa_code": seed.DEMO_MFA_CODE}
    )
    none_chosen = client.request(
        "POST", AUTHORIZE, form={"session": session, "step": "consent", "decision": "allow"}
    )
    assert none_chosen.status_code == 200
    assert "Choose at least one organisation" in none_chosen.text


def test_broad_scope_is_refused_for_a_new_app_and_allowed_for_an_old_one(client):
    broad = "openid offline_access accounting.transactions"
    refused = client.request("GET", AUTHORIZE, params=authorize_params(scope=broad))
    _, query = redirect_query(refused)
    assert query["error"] == "invalid_scope"
    _, query = sign_in(client, authorize_params(client_id=seed.LEGACY_CLIENT_ID, scope=broad))
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT_URI}
    tokens = client.token_request(
        form, auth=(seed.LEGACY_CLIENT_ID, seed.LEGACY_CLIENT_SECRET)
    ).json()
    assert tokens["scope"] == broad


def test_unknown_scope_is_refused(client):
    response = client.request("GET", AUTHORIZE, params=authorize_params(scope="openid admin.all"))
    assert redirect_query(response)[1]["error"] == "invalid_scope"


def test_code_is_single_use(client):
    _, query = sign_in(client, authorize_params())
    assert exchange(client, query["code"]).status_code == 200
    again = exchange(client, query["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_code_expires_after_five_minutes(client, sandbox):
    _, query = sign_in(client, authorize_params())
    sandbox.clock.advance(301)
    response = exchange(client, query["code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_code_exchange_needs_the_same_redirect_uri(client):
    _, query = sign_in(client, authorize_params())
    response = exchange(client, query["code"], redirect_uri="http://127.0.0.1:8069/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(client):
    _, query = sign_in(client, authorize_params())
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT_URI}
    response = client.token_request(form, auth=(seed.DEMO_CLIENT_ID, "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    # the code was not spent by the failed attempt
    assert exchange(client, query["code"]).status_code == 200


def test_pkce_s256_verifier_is_checked(client):
    verifier, challenge = pkce_pair()
    params = authorize_params(
        client_id=seed.PKCE_CLIENT_ID, code_challenge=challenge, code_challenge_method="S256"
    )
    form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}
    form["client_id"] = seed.PKCE_CLIENT_ID
    _, query = sign_in(client, params)
    wrong = client.token_request({**form, "code": query["code"], "code_verifier": "x" * 50})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    _, query = sign_in(client, params)
    right = client.token_request({**form, "code": query["code"], "code_verifier": verifier})
    assert right.status_code == 200 and right.json()["access_token"]


def test_pkce_app_must_send_an_s256_challenge(client):
    no_challenge = client.request(
        "GET", AUTHORIZE, params=authorize_params(client_id=seed.PKCE_CLIENT_ID)
    )
    assert redirect_query(no_challenge)[1]["error"] == "invalid_request"
    plain = client.request(
        "GET",
        AUTHORIZE,
        params=authorize_params(code_challenge="abc", code_challenge_method="plain"),
    )
    assert redirect_query(plain)[1]["error"] == "invalid_request"


def test_id_token_names_the_user(client):
    _, query = sign_in(client, authorize_params(nonce="n-123"))
    tokens = exchange(client, query["code"]).json()
    claims = jwt_claims(tokens["id_token"])
    assert claims["email"] == seed.DEMO_USER_EMAIL
    assert claims["given_name"] == "Demo" and claims["family_name"] == "User"
    assert claims["aud"] == seed.DEMO_CLIENT_ID and claims["nonce"] == "n-123"
    assert claims["sub"] == seed.DEMO_USER_ID
    access = jwt_claims(tokens["access_token"])
    assert access["authentication_event_id"] and "accounting.invoices" in access["scope"]


def test_refresh_token_needs_offline_access(client):
    tokens = _tokens(client, params={"scope": "openid accounting.invoices"})
    assert "refresh_token" not in tokens and "id_token" in tokens
    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"


def test_access_token_expires_after_thirty_minutes(client, sandbox):
    tokens = sandbox.token()
    api = client.api(tokens)
    sandbox.clock.advance(29 * 60)
    assert api.get("Organisation").status_code == 200
    sandbox.clock.advance(60)
    expired = api.get("Organisation")
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at")
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


def test_refresh_rotates_and_the_old_token_has_a_thirty_minute_grace(client, sandbox):
    first = sandbox.token()["refresh_token"]

    def refresh(token):
        return client.token_request(
            {"grant_type": "refresh_token", "refresh_token": token}, auth=DEMO_AUTH
        )

    second = refresh(first).json()["refresh_token"]
    assert second != first
    sandbox.clock.advance(29 * 60)
    retried = refresh(first)  # the answer to the first refresh was lost: retry within grace
    assert retried.status_code == 200 and retried.json()["refresh_token"] not in (first, second)
    sandbox.clock.advance(2 * 60)
    late = refresh(first)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert refresh(second).status_code == 200


def test_unused_refresh_token_expires_after_sixty_days(client, sandbox):
    token = sandbox.token()["refresh_token"]
    sandbox.clock.advance(60 * 24 * 3600 - 60)
    fresh = client.token_request(
        {"grant_type": "refresh_token", "refresh_token": token}, auth=DEMO_AUTH
    ).json()["refresh_token"]
    sandbox.clock.advance(60 * 24 * 3600)
    response = client.token_request(
        {"grant_type": "refresh_token", "refresh_token": fresh}, auth=DEMO_AUTH
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_revocation_revokes_the_refresh_token_and_removes_connections(client, sandbox):
    tokens = sandbox.token(tenant_ids=[seed.AU_TENANT_ID, seed.UK_TENANT_ID])
    response = client.request(
        "POST", "/connect/revocation", form={"token": tokens["refresh_token"]}, auth=DEMO_AUTH
    )
    assert response.status_code == 200
    bearer = {"Authorization": "Bearer " + tokens["access_token"]}
    assert client.request("GET", "/connections", headers=bearer).json() == []
    assert client.api(tokens).get("Organisation").status_code == 403
    refresh = client.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, auth=DEMO_AUTH
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_connections_filter_by_auth_event_id(client, sandbox):
    first = sandbox.token(tenant_id=seed.AU_TENANT_ID)
    second = sandbox.token(tenant_id=seed.NZ_TENANT_ID)
    bearer = {"Authorization": "Bearer " + second["access_token"]}
    everything = client.request("GET", "/connections", headers=bearer).json()
    assert {c["tenantId"] for c in everything} == {seed.AU_TENANT_ID, seed.NZ_TENANT_ID}
    latest = client.request(
        "GET", "/connections", headers=bearer, params={"authEventId": second["auth_event_id"]}
    ).json()
    assert [c["tenantId"] for c in latest] == [seed.NZ_TENANT_ID]
    assert latest[0]["authEventId"] == jwt_claims(second["access_token"])["authentication_event_id"]
    assert first["auth_event_id"] != second["auth_event_id"]


def test_reconnecting_keeps_the_connection_and_updates_its_auth_event(client, sandbox):
    first = sandbox.token(tenant_id=seed.AU_TENANT_ID)
    sandbox.clock.advance(60)
    second = sandbox.token(tenant_id=seed.AU_TENANT_ID)
    assert first["connection_id"] == second["connection_id"]
    bearer = {"Authorization": "Bearer " + second["access_token"]}
    (connection,) = client.request("GET", "/connections", headers=bearer).json()
    assert connection["authEventId"] == second["auth_event_id"]
    assert connection["updatedDateUtc"] > connection["createdDateUtc"]


def test_delete_connection_is_204_then_404(client, sandbox):
    tokens = sandbox.token()
    bearer = {"Authorization": "Bearer " + tokens["access_token"]}
    path = "/connections/" + tokens["connection_id"]
    assert client.request("DELETE", path, headers=bearer).status_code == 204
    assert client.request("DELETE", path, headers=bearer).status_code == 404
    assert client.api(tokens).get("Organisation").status_code == 403
    unknown = "/connections/7cb59f93-2964-421d-bb5e-a0f7a4572a44"
    assert client.request("DELETE", unknown, headers=bearer).status_code == 404
