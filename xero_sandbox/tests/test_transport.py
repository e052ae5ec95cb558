"""Idempotency keys, the request size limit, rate limits, faults, the request log and the clock.

Every request body and JSON response is checked against Xero's accounting OpenAPI description
where Xero documents the status (located by tests/openapi.py; the run's summary line says where).
"""

import json
import threading
import time

import pytest
import requests

from .. import seed
from .builders import NOT_FALSE, invoice
from .client import TIMEOUT, Client
from .fixtures import *  # noqa: F403 (pytest fixtures)

LIMIT_HEADERS = ("X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining")


def _invoices_stored(sandbox, tenant_id=seed.AU_TENANT_ID):
    return list(sandbox.sandbox.state.organisations[tenant_id].invoices.values())


def test_same_idempotency_key_and_body_replays_the_first_answer(au, sandbox):
    body = {"Invoices": [invoice()]}
    headers = {"Idempotency-Key": "send-42-v1"}
    first = au.put("Invoices", body, headers=headers, params=NOT_FALSE)
    sandbox.clock.advance(5 * 60)
    again = au.put("Invoices", body, headers=headers, params=NOT_FALSE)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(_invoices_stored(sandbox)) == 1


def test_same_idempotency_key_with_another_body_is_400(au, sandbox):
    headers = {"Idempotency-Key": "send-43-v1"}
    au.put("Invoices", {"Invoices": [invoice()]}, headers=headers)
    other = au.put("Invoices", {"Invoices": [invoice(Reference="other")]}, headers=headers)
    assert other.status_code == 400
    assert other.json()["Type"] == "ValidationException"
    assert len(_invoices_stored(sandbox)) == 1
    too_long = au.put("Invoices", {"Invoices": [invoice()]}, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_idempotency_keys_are_kept_six_minutes(au, sandbox):
    headers = {"Idempotency-Key": "send-44-v1"}
    au.put("Invoices", {"Invoices": [invoice()]}, headers=headers)
    sandbox.clock.advance(6 * 60 + 1)
    au.put("Invoices", {"Invoices": [invoice()]}, headers=headers)
    assert len(_invoices_stored(sandbox)) == 2


def test_a_body_over_three_and_a_half_megabytes_is_413(au, sandbox):
    big_line = {"Description": "x" * 3900, "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}
    body = {"Invoices": [invoice(*[big_line] * 950)]}
    assert len(json.dumps(body)) > 3.5 * 1024 * 1024
    response = au.put("Invoices", body)
    assert response.status_code == 413
    assert _invoices_stored(sandbox) == []


def test_every_api_answer_carries_the_remaining_limits(au):
    ok = au.get("Organisation")
    assert [ok.headers[h] for h in LIMIT_HEADERS] == ["4999", "59", "9999"]
    refused = au.put("Invoices", {"Invoices": [invoice(Date="2020-01-01")]})
    assert refused.status_code == 400
    assert [refused.headers[h] for h in LIMIT_HEADERS] == ["4998", "58", "9998"]


def test_sixty_calls_a_minute_then_429_until_the_window_moves(au, sandbox):
    for _ in range(60):
        assert au.get("Organisation").status_code == 200
    refused = au.get("Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    sandbox.clock.advance(60)
    assert au.get("Organisation").status_code == 200


def test_the_daily_limit_tier_is_configurable(au, client, sandbox):
    client.control("POST", "settings", {"day_limit": 3})
    for _ in range(3):
        assert au.get("Organisation").status_code == 200
    refused = au.get("Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) == 24 * 3600
    sandbox.clock.advance(24 * 3600)
    assert client.api(sandbox.token()).get("Organisation").status_code == 200


def test_the_app_minute_limit_counts_every_tenant(client, sandbox):
    client.control("POST", "settings", {"app_minute_limit": 5})
    tokens = sandbox.token(tenant_ids=[seed.AU_TENANT_ID, seed.NZ_TENANT_ID])
    au, nz = client.api(tokens, seed.AU_TENANT_ID), client.api(tokens, seed.NZ_TENANT_ID)
    for api in (au, au, au, nz, nz):
        assert api.get("Organisation").status_code == 200
    refused = nz.get("Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
    other_app = client.api(sandbox.token(client_id=seed.LEGACY_CLIENT_ID))
    assert other_app.get("Organisation").status_code == 200


def test_five_calls_at_once_then_429_concurrent(client, sandbox):
    tokens = sandbox.token()
    client.control("POST", "faults", {"hold": True})
    answers = []

    def call():
        held = Client(sandbox.url)
        answers.append(held.api(tokens).get("Organisation").status_code)
        held.close()

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    try:
        waited = client.control("POST", "faults", {"await_held": 5, "timeout": 10})
        assert waited["await_held"] is True
        refused = client.api(tokens).get("Organisation")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    finally:
        client.control("POST", "faults", {"hold": False})
        for thread in threads:
            thread.join(timeout=10)
    assert answers == [200] * 5


def test_a_hold_on_the_answer_keeps_it_after_the_work_is_done(client, sandbox):
    tokens = sandbox.token()
    hold = {"when": "answer", "path_prefix": "/api.xro/2.0/Invoices"}
    client.control("POST", "faults", {"hold": hold})
    answers = []

    def call():
        held = Client(sandbox.url)
        answers.append(held.api(tokens).put("Invoices", {"Invoices": [invoice()]}).status_code)
        held.close()

    thread = threading.Thread(target=call)
    thread.start()
    try:
        assert client.control("POST", "faults", {"await_held": 1, "timeout": 10})["await_held"]
        assert len(_invoices_stored(sandbox)) == 1, "stored before the answer is let go"
        assert answers == []
        assert client.api(tokens).get("Organisation").status_code == 200, "only Invoices held"
    finally:
        client.control("POST", "faults", {"hold": False})
        thread.join(timeout=10)
    assert answers == [200]


def test_status_faults_answer_the_next_calls(au, client):
    client.control("POST", "faults", {"status": {"code": 503, "count": 2}})
    assert au.get("Organisation").status_code == 503
    assert au.get("Organisation").status_code == 503
    assert au.get("Organisation").status_code == 200
    client.control("POST", "faults", {"status": {"code": 500, "count": 1}})
    failed = au.put("Invoices", {"Invoices": [invoice()]})
    assert failed.status_code == 500
    assert failed.json()["Type"] == "UnknownErrorException"


def test_a_dropped_answer_after_storing_is_recovered_with_the_idempotency_key(au, client, sandbox):
    client.control("POST", "faults", {"drop": {"count": 1}})
    headers = {"Idempotency-Key": "send-45-v1"}
    body = {"Invoices": [invoice()]}
    with pytest.raises(requests.ConnectionError):
        au.put("Invoices", body, headers=headers, params=NOT_FALSE)
    assert len(_invoices_stored(sandbox)) == 1  # stored although the answer was lost
    retried = au.put("Invoices", body, headers=headers, params=NOT_FALSE)
    assert retried.json()["Invoices"][0]["InvoiceID"] == _invoices_stored(sandbox)[0].document_id
    assert len(_invoices_stored(sandbox)) == 1


def test_a_lost_refresh_answer_is_recovered_in_the_grace_period(client, sandbox):
    refresh_token = sandbox.token()["refresh_token"]
    client.control("POST", "faults", {"drop": {"count": 1, "path_prefix": "/connect/token"}})
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    auth = (seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET)
    with pytest.raises(requests.ConnectionError):
        client.token_request(form, auth=auth)
    retried = client.token_request(form, auth=auth)
    assert retried.status_code == 200 and retried.json()["refresh_token"] != refresh_token


def test_tokens_can_be_expired_or_revoked_now(au, client, sandbox):
    tokens = sandbox.token()
    client.control("POST", "faults", {"expire_tokens": True})
    expired = au.get("Organisation")
    assert expired.status_code == 401 and expired.json()["Detail"].startswith("TokenExpired")
    client.control("POST", "faults", {"revoke_tokens": True})
    refresh = client.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET),
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_latency_delays_answers(au, client):
    client.control("POST", "faults", {"latency": 0.2})
    started = time.monotonic()
    assert au.get("Organisation").status_code == 200
    assert time.monotonic() - started >= 0.2
    with pytest.raises(requests.Timeout):
        requests.get(au.client.base_url + "/connections", timeout=(1, 0.05))
    client.control("POST", "faults", {"clear": True})
    assert client.control("GET", "faults")["latency"] == 0


def test_the_request_log_keeps_no_secrets(client, sandbox):
    tokens = sandbox.token()
    api = client.api(tokens)
    api.get("Organisation", params={"where": 'Name!=""'})
    client.token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET),
    )
    entries = client.control("GET", "requests")["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/api.xro/2.0/Organisation", 200),
        ("POST", "/connect/token", 200),
    ]
    assert entries[0]["headers"]["xero-tenant-id"] == seed.AU_TENANT_ID
    assert entries[0]["query"] == {"where": 'Name!=""'}
    assert entries[1]["body"] == {"grant_type": "refresh_token", "refresh_token": "[redacted]"}
    text = json.dumps(entries)
    for secret in (tokens["access_token"], tokens["refresh_token"], seed.DEMO_CLIENT_SECRET):
        assert secret not in text
    assert all("authorization" not in {k.lower() for k in e["headers"]} for e in entries)


def test_state_shows_documents_and_reset_restores_the_seed(au, client, sandbox):
    (created,) = au.create("Invoices", invoice())
    state = client.control("GET", "state", {})
    (au_state,) = [o for o in state["organisations"] if o["tenant_id"] == seed.AU_TENANT_ID]
    assert [i["InvoiceID"] for i in au_state["invoices"]] == [created["InvoiceID"]]
    assert au_state["period_lock_date"] == "2026-03-31"
    client.control("POST", "reset")
    assert client.control("GET", "state")["organisations"][0]["invoices"] == []
    assert au.get("Organisation").status_code == 401  # tokens went with the reset


def test_the_clock_can_be_set_advanced_and_frozen(client):
    assert client.control("GET", "clock") == {"now": "2026-06-15T09:00:00Z", "frozen": True}
    moved = client.control("POST", "clock", {"advance": 90})
    assert moved["now"] == "2026-06-15T09:01:30Z"
    assert client.control("POST", "clock", {"set": "2026-07-01T00:00:00Z"})["now"] == (
        "2026-07-01T00:00:00Z"
    )
    running = client.control("POST", "clock", {"freeze": False})
    assert running["frozen"] is False and running["now"].startswith("2026-07-01T00:00")


def test_control_token_needs_a_known_app_and_organisation(client):
    refused = client.request(
        "POST", "/_sandbox/token", json_body={"tenant_id": "nope"}, check=False
    )
    assert refused.status_code == 400
    broad = client.request(
        "POST", "/_sandbox/token", json_body={"scopes": "accounting.transactions"}, check=False
    )
    assert broad.status_code == 400
    assert client.request("GET", "/_sandbox/", check=False).json()["user"]["mfa_code"] == "123456"
    assert (
        requests.get(client.base_url + "/api.xro/2.0/Nothing", timeout=TIMEOUT).status_code == 404
    )
