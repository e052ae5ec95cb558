"""Unit tests of the pure-Python Xero client: HTTP is answered by `responses` (or, where the
transport itself is tested, by a server on loopback), no Odoo needed."""

import base64
import contextlib
import datetime
import hashlib
import http.server
import json
import os
import socket
import threading
import time
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from freezegun import freeze_time
from urllib3.exceptions import NewConnectionError

from ..xero import client, errors, oauth

CLIENT_ID = "app-client-id"
SECRET = "app-secret"
TENANT = "4d2a7c3e-0000-4000-8000-000000000001"
API = "https://api.xero.com/api.xro/2.0/"
TOKEN_URL = "https://identity.xero.com/connect/token"
NEW_TOKEN = {
    "access_token": "at-new",
    "refresh_token": "rt-new",
    "expires_in": 1800,
    "token_type": "Bearer",
}
REVOCATION_URL = "https://identity.xero.com/connect/revocation"
CONNECTIONS_URL = "https://api.xero.com/connections"
REDIRECT_URI = "https://odoo.example.com/xero/callback"
NOW = "2026-03-10 12:00:00"


class TokenStore:
    """What the Odoo connection record does with tokens, in memory."""

    def __init__(self, **token):
        self.token = {"access_token": "at-1", "refresh_token": "rt-1", **token}
        self.saved = []

    def get(self):
        return self.token

    def save(self, token):
        self.saved.append(token)
        self.token = token


def token_answer(access_token="at-2", refresh_token="rt-2", **extra):
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "expires_in": 1800,
        "token_type": "Bearer",
        "scope": " ".join(oauth.DEFAULT_SCOPES),
        **extra,
    }


def form(call):
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def mocked():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def store():
    return TokenStore(expires_at=time.time() + 1800)


@pytest.fixture
def xero_oauth():
    return oauth.XeroOAuth(CLIENT_ID, SECRET, version="18.0.1.2.3")


@pytest.fixture
def xero(xero_oauth, store):
    return client.XeroClient(xero_oauth, store.get, store.save)


def raised_by(mocked, xero, **answer):
    mocked.get(API + "Invoices", **answer)
    if answer.get("status") == 401:
        # A 401 has the token refreshed once, and the call tried again.
        mocked.post(TOKEN_URL, json=NEW_TOKEN)
    with pytest.raises(errors.XeroError) as info:
        xero.request("GET", "Invoices", tenant_id=TENANT)
    return info.value


# Status mapping


def test_validation_exception_lists_each_documents_messages(mocked, xero):
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {
                "InvoiceNumber": "INV-1",
                "ValidationErrors": [
                    {"Message": "Email address must be valid."},
                    {"Message": "Account code '999' is not a valid code for this document."},
                ],
            },
            {"InvoiceNumber": "INV-2", "ValidationErrors": []},
            {"InvoiceNumber": "INV-3", "ValidationErrors": [{"Message": "Contact is archived."}]},
        ],
    }
    exc = raised_by(mocked, xero, status=400, json=body)
    assert type(exc) is errors.XeroValidationError
    assert exc.status == 400
    assert exc.body == body
    assert exc.elements == [
        {
            "index": 0,
            "messages": [
                "Email address must be valid.",
                "Account code '999' is not a valid code for this document.",
            ],
        },
        {"index": 2, "messages": ["Contact is archived."]},
    ]
    assert exc.message.startswith("A validation exception occurred: Email address must be valid.")
    assert "Contact is archived." in str(exc)


def test_other_bad_request_is_a_validation_error_without_elements(mocked, xero):
    body = {
        "ErrorNumber": 14,
        "Type": "PostDataInvalidException",
        "Message": "Invalid Json data",
    }
    exc = raised_by(mocked, xero, status=400, json=body)
    assert type(exc) is errors.XeroValidationError
    assert exc.elements == []
    assert exc.message == "Invalid Json data"


@pytest.mark.parametrize(
    ("status", "answer", "expected", "message"),
    [
        (
            401,
            {"json": {"Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired"}},
            errors.XeroAuthenticationError,
            "TokenExpired",
        ),
        (
            403,
            {"json": {"Title": "Forbidden", "Status": 403, "Detail": "AuthorizationUnsuccessful"}},
            errors.XeroAuthenticationError,
            "AuthorizationUnsuccessful",
        ),
        (
            404,
            {"body": "The resource you're looking for cannot be found"},
            errors.XeroNotFoundError,
            "The resource you're looking for cannot be found",
        ),
        (
            500,
            {"json": {"ErrorNumber": 500, "Type": "UnknownErrorException", "Message": "Oops"}},
            errors.XeroTransientError,
            "Oops",
        ),
        (
            503,
            {"body": "The Xero API is currently offline for maintenance"},
            errors.XeroTransientError,
            "The Xero API is currently offline for maintenance",
        ),
        (502, {"body": ""}, errors.XeroTransientError, "Xero answered HTTP 502"),
        (409, {"body": "<html>Conflict</html>"}, errors.XeroError, "<html>Conflict</html>"),
    ],
)
def test_status_maps_to_exception(mocked, xero, status, answer, expected, message):
    exc = raised_by(mocked, xero, status=status, **answer)
    assert type(exc) is expected
    assert exc.status == status
    assert exc.message == message


def test_too_large_request_tells_to_send_fewer_documents(mocked, xero):
    exc = raised_by(mocked, xero, status=413, body="Request Entity Too Large")
    assert type(exc) is errors.XeroValidationError
    assert exc.status == 413
    assert exc.elements == []
    assert "fewer documents" in exc.message


def test_rate_limit_reads_retry_after_and_problem(mocked, xero):
    exc = raised_by(
        mocked,
        xero,
        status=429,
        body="",
        headers={
            "Retry-After": "37",
            "X-Rate-Limit-Problem": "minute",
            "X-MinLimit-Remaining": "0",
            "X-DayLimit-Remaining": "4211",
        },
    )
    assert type(exc) is errors.XeroRateLimitError
    assert (exc.retry_after, exc.problem, exc.status) == (37, "minute", 429)
    # Read from the error answer too, so that a batcher knows where it stands.
    assert xero.limits_remaining == {"minute": 0, "day": 4211}


class RecordingLimiter:
    """What the organisation's limiter is told of each answer."""

    def __init__(self):
        self.observed = []

    def call(self):
        return contextlib.nullcontext()

    def observe(self, status, headers):
        self.observed.append((status, headers.get("x-minlimit-remaining")))


def test_the_limiter_observes_every_answer_a_429_too(mocked, xero_oauth, store):
    limiter = RecordingLimiter()
    xero = client.XeroClient(xero_oauth, store.get, store.save, limiter=limiter)
    mocked.get(API + "Invoices", status=429, headers={"X-MinLimit-Remaining": "0"})
    mocked.get(API + "Invoices", json={"Invoices": []}, headers={"X-MinLimit-Remaining": "58"})
    with pytest.raises(errors.XeroRateLimitError):
        xero.request("GET", "Invoices", tenant_id=TENANT)
    assert xero.request("GET", "Invoices", tenant_id=TENANT) == {"Invoices": []}
    assert limiter.observed == [(429, "0"), (200, "58")]


def test_a_redirect_is_an_error_and_is_not_followed(mocked, xero):
    exc = raised_by(mocked, xero, status=302, headers={"Location": API + "Elsewhere"})
    assert type(exc) is errors.XeroError
    assert exc.status == 302
    assert len(mocked.calls) == 1


def test_mapping_reads_headers_whatever_their_case():
    exc = errors.error_from_response(429, {"retry-after": "60", "x-rate-limit-problem": "day"}, "")
    assert (exc.retry_after, exc.problem) == (60, "day")
    exc = errors.error_from_response(429, {"Retry-After": "soon"}, "")
    assert (exc.retry_after, exc.problem) == (None, None)


@pytest.mark.parametrize(
    ("failure", "maybe_received"),
    [
        (requests.ConnectionError("Connection refused"), False),
        (requests.ConnectTimeout("connect timed out"), False),
        (requests.ConnectionError(NewConnectionError(None, "Name or service not known")), False),
        (requests.ReadTimeout("read timed out"), True),
        (requests.ConnectionError("Connection aborted: RemoteDisconnected"), True),
    ],
)
def test_transport_failures_are_transient_errors(mocked, xero, failure, maybe_received):
    exc = raised_by(mocked, xero, body=failure)
    assert type(exc) is errors.XeroTransientError
    assert exc.status is None
    assert exc.__cause__ is failure
    assert exc.maybe_received is maybe_received, "only a request that never left is unsent"


@pytest.mark.parametrize(("status", "told"), [(401, True), (403, True), (404, False)])
def test_refused_tokens_or_rights_are_told_before_raising(mocked, xero_oauth, store, status, told):
    refused = []
    xero = client.XeroClient(xero_oauth, store.get, store.save, on_refused=refused.append)
    mocked.get(API + "Invoices", status=status, json={"Title": "No", "Detail": "No"})
    if status == 401:
        mocked.post(TOKEN_URL, json=NEW_TOKEN)
    with pytest.raises(errors.XeroError) as info:
        xero.request("GET", "Invoices", tenant_id=TENANT)
    assert refused == ([info.value] if told else [])


def test_error_texts_keep_no_query_string(mocked, xero):
    failure = requests.ConnectionError(
        "Max retries exceeded with url: /api.xro/2.0/Contacts?where=Name%3D%3D%22Priya%22 "
        "(Caused by NewConnectionError('Connection refused'))"
    )
    exc = raised_by(mocked, xero, body=failure)
    assert "Priya" not in str(exc)
    assert "/api.xro/2.0/Contacts" in str(exc)


def test_a_401_refreshes_the_token_once_and_tries_again(mocked, xero, store):
    mocked.get(API + "Invoices", status=401, json={"Title": "Unauthorized"})
    mocked.get(API + "Invoices", json={"Invoices": []})
    mocked.post(TOKEN_URL, json=NEW_TOKEN)
    assert xero.request("GET", "Invoices", tenant_id=TENANT) == {"Invoices": []}
    calls = [
        (call.request.method, call.request.headers.get("Authorization")) for call in mocked.calls
    ]
    assert calls[0] == ("GET", "Bearer at-1")
    assert calls[1][0] == "POST", "the refresh"
    assert calls[2] == ("GET", "Bearer at-new")
    assert store.token["access_token"] == "at-new"


def test_other_request_failures_are_xero_errors(mocked, xero):
    exc = raised_by(mocked, xero, body=requests.TooManyRedirects("loop"))
    assert type(exc) is errors.XeroError
    assert isinstance(exc.__cause__, requests.TooManyRedirects)


def test_success_without_json_is_an_error(mocked, xero):
    exc = raised_by(mocked, xero, status=200, body="<html>maintenance</html>")
    assert type(exc) is errors.XeroError
    assert exc.status == 200


# Headers and Idempotency-Key


def test_headers_set_on_every_accounting_call(mocked, xero):
    mocked.put(API + "Invoices", json={"Invoices": [{"InvoiceID": "i-1"}]})
    xero.request(
        "PUT", "Invoices", tenant_id=TENANT, json={"Invoices": [{}]}, idempotency_key="move-7-a"
    )
    headers = mocked.calls[0].request.headers
    assert headers["xero-tenant-id"] == TENANT
    assert headers["Authorization"] == "Bearer at-1"
    assert headers["User-Agent"] == "account_xero_export/18.0.1.2.3"
    assert headers["Idempotency-Key"] == "move-7-a"
    assert headers["Accept"] == "application/json"


def test_no_idempotency_key_header_unless_given(mocked, xero):
    mocked.get(API + "Organisation", json={"Organisations": [{"ShortCode": "!abc"}]})
    assert xero.get_organisation(TENANT) == {"ShortCode": "!abc"}
    assert "Idempotency-Key" not in mocked.calls[0].request.headers


def test_default_user_agent_names_the_addon():
    assert oauth.XeroOAuth(CLIENT_ID).session.headers["User-Agent"] == "account_xero_export/18.0"


@pytest.mark.parametrize("key", ["", "k" * 129, 42, b"bytes-key", "clé", "line\nbreak"])
def test_invalid_idempotency_key_is_refused_before_any_call(mocked, xero, key):
    with pytest.raises(ValueError):
        xero.put_invoices(TENANT, [{"Type": "ACCREC"}], idempotency_key=key)
    assert len(mocked.calls) == 0


def test_longest_idempotency_key_is_accepted():
    assert client.check_idempotency_key("k" * 128) == "k" * 128


def test_tenant_id_is_required(mocked, xero):
    with pytest.raises(ValueError):
        xero.request("GET", "Invoices", tenant_id="")
    assert len(mocked.calls) == 0


# Timeouts


def test_timeout_is_passed_on_every_call(mocked, store):
    xero_oauth = oauth.XeroOAuth(CLIENT_ID, SECRET, timeout=(3, 30))
    xero = client.XeroClient(xero_oauth, store.get, store.save)
    store.token["expires_at"] = 0
    mocked.post(TOKEN_URL, json=token_answer())
    mocked.get(API + "TaxRates", json={"TaxRates": []})
    mocked.get(CONNECTIONS_URL, json=[])
    mocked.delete(CONNECTIONS_URL + "/c-1", status=204)
    mocked.post(REVOCATION_URL)

    xero_oauth.exchange_code("code", "verifier", REDIRECT_URI)
    xero.get_tax_rates(TENANT)  # refreshes first
    xero_oauth.get_connections("at-2")
    xero_oauth.delete_connection("at-2", "c-1")
    xero_oauth.revoke_token("rt-2")

    assert len(mocked.calls) == 6
    assert [call.request.req_kwargs["timeout"] for call in mocked.calls] == [(3, 30)] * 6


def test_default_timeout_is_connect_and_read(mocked, xero):
    mocked.get(API + "Currencies", json={"Currencies": [{"Code": "NZD"}]})
    assert xero.get_currencies(TENANT) == [{"Code": "NZD"}]
    assert mocked.calls[0].request.req_kwargs["timeout"] == (5, 60)


def test_proxies_and_ca_bundle_come_from_the_environment(mocked, store, monkeypatch):
    for name in ("ALL_PROXY", "HTTP_PROXY", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "identity.xero.com")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    xero_oauth = oauth.XeroOAuth(CLIENT_ID, SECRET)
    xero = client.XeroClient(xero_oauth, store.get, store.save)
    mocked.get(API + "Currencies", json={"Currencies": []})
    mocked.post(REVOCATION_URL)

    xero.get_currencies(TENANT)
    xero_oauth.revoke_token("rt-1")

    api_call, identity_call = (call.request.req_kwargs for call in mocked.calls)
    assert api_call["proxies"]["https"] == "http://proxy.example:3128"
    assert "https" not in identity_call["proxies"]
    assert api_call["verify"] == identity_call["verify"] == "/etc/ssl/company-ca.pem"


class Received(NamedTuple):
    line: str
    headers: dict
    body: bytes


@pytest.fixture
def no_proxies(monkeypatch):
    """No proxy from the environment, whatever the machine running the tests sets."""
    for name in ("ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def loopback_servers():
    """Two real HTTP servers on loopback, answering `{}` to everything: for each, its port and
    the requests it received (request line, headers, body)."""
    servers = []
    for _ in range(2):
        requests_received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            received = requests_received

            def answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.received.append(Received(self.requestline, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread, requests_received))
    yield [(server.server_port, received) for server, _thread, received in servers]
    for server, thread, _received in servers:
        server.shutdown()
        server.server_close()
        thread.join()


def test_each_host_keeps_its_proxy_call_after_call(loopback_servers, no_proxies, monkeypatch):
    # Through the real transport, which keeps each host's connection pool: the API host goes
    # through the proxy (asked for the absolute URL), the identity host, listed in NO_PROXY,
    # straight to itself.
    (proxy_port, proxied), (identity_port, direct) = loopback_servers
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    xero_oauth = oauth.XeroOAuth(
        CLIENT_ID,
        SECRET,
        api_url="http://localhost:9",
        identity_url=f"http://127.0.0.1:{identity_port}",
    )
    for _ in range(2):
        xero_oauth.get_connections("at-1")
        xero_oauth.revoke_token("rt-1")
    # Closed, the session opens new connections on the next calls.
    xero_oauth.session.close()
    xero_oauth.get_connections("at-1")
    xero_oauth.revoke_token("rt-1")
    assert [request.line for request in proxied] == [
        "GET http://localhost:9/connections HTTP/1.1"
    ] * 3
    assert [request.line for request in direct] == ["POST /connect/revocation HTTP/1.1"] * 3


def test_what_reaches_xero_through_the_real_transport(loopback_servers, no_proxies, store):
    (port, received), _other = loopback_servers
    xero_oauth = oauth.XeroOAuth(
        CLIENT_ID, SECRET, api_url=f"http://127.0.0.1:{port}", version="18.0.1.2.3"
    )
    xero = client.XeroClient(xero_oauth, store.get, store.save)
    common = {
        "Host": f"127.0.0.1:{port}",
        "User-Agent": "account_xero_export/18.0.1.2.3",
        "Accept-Encoding": "gzip, deflate",
        "Accept": "application/json",
        "Connection": "keep-alive",
        "xero-tenant-id": TENANT,
        "Authorization": "Bearer at-1",
    }

    # The calls put_invoices, put_attachment and get_contacts make (they read Xero's answer).
    xero.request(
        "PUT",
        "Invoices",
        tenant_id=TENANT,
        params={"summarizeErrors": "false", "unitdp": 4},
        json={"Invoices": [{"Reference": "Zoë & co", "Total": 1.5}]},
    )
    xero.request(
        "PUT",
        "Invoices/i-1/Attachments/scan%201.pdf",
        tenant_id=TENANT,
        data=b"%PDF-1.4\n",
        headers={"Content-Type": "application/pdf"},
    )
    xero.request("GET", "Contacts", tenant_id=TENANT, params={"where": 'Name=="A & B"', "page": 2})

    put_json, put_file, get = received
    assert put_json == Received(
        "PUT /api.xro/2.0/Invoices?summarizeErrors=false&unitdp=4 HTTP/1.1",
        {**common, "Content-Length": "60", "Content-Type": "application/json"},
        b'{"Invoices": [{"Reference": "Zo\\u00eb & co", "Total": 1.5}]}',
    )
    assert put_file == Received(
        "PUT /api.xro/2.0/Invoices/i-1/Attachments/scan%201.pdf HTTP/1.1",
        {**common, "Content-Type": "application/pdf", "Content-Length": "9"},
        b"%PDF-1.4\n",
    )
    assert get == Received(
        "GET /api.xro/2.0/Contacts?where=Name%3D%3D%22A+%26+B%22&page=2 HTTP/1.1", common, b""
    )


def test_an_answer_that_never_comes_is_a_transient_error_perhaps_received(no_proxies, store):
    # A server that accepts the connection and never answers: the read timeout ends the call.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        api_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        xero_oauth = oauth.XeroOAuth(CLIENT_ID, SECRET, api_url=api_url, timeout=(5, 0.01))
        xero = client.XeroClient(xero_oauth, store.get, store.save)
        with pytest.raises(errors.XeroTransientError) as info:
            xero.put_attachment(TENANT, "Invoices", "i-1", "a.pdf", b"%PDF", "application/pdf")
    assert isinstance(info.value.__cause__, requests.ReadTimeout)
    assert info.value.status is None
    assert info.value.maybe_received is True


def test_a_refused_connection_is_a_transient_error_never_sent(no_proxies, store):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        api_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    xero = client.XeroClient(oauth.XeroOAuth(CLIENT_ID, api_url=api_url), store.get, store.save)
    with pytest.raises(errors.XeroTransientError) as info:
        xero.put_attachment(TENANT, "Invoices", "i-1", "a.pdf", b"%PDF", "application/pdf")
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert info.value.maybe_received is False


@pytest.mark.parametrize(
    ("method", "url", "options"),
    [
        (
            "PUT",
            API + "Invoices",
            {
                "params": {"summarizeErrors": "false", "unitdp": 4},
                "json": {"Invoices": [{"Reference": "Zoë & co", "Total": 1.5}]},
                "headers": {"xero-tenant-id": TENANT, "Idempotency-Key": "batch-1"},
            },
        ),
        (
            "PUT",
            API + "CreditNotes/cn-1/Attachments/INV%20001%20%C3%A9.pdf",
            {"data": b"%PDF-1.4", "headers": {"Content-Type": "application/pdf"}},
        ),
        (
            "PUT",
            API + "Invoices/i-1/Attachments/empty.txt",
            {"data": b"", "headers": {"Content-Type": "text/plain"}},
        ),
        (
            "GET",
            API + "Contacts",
            {"params": {"where": 'EmailAddress=="a+b@example.com"', "IDs": "c-1,c-2", "page": 2}},
        ),
        ("DELETE", CONNECTIONS_URL + "/c-1", {"headers": {"Authorization": "Bearer at-1"}}),
        (
            "POST",
            REVOCATION_URL,
            {
                "data": {"token": "rt-1", "client_id": CLIENT_ID},
                "auth": requests.auth.HTTPBasicAuth(CLIENT_ID, SECRET),
            },
        ),
    ],
)
def test_requests_are_sent_as_requests_would_prepare_them(mocked, xero_oauth, method, url, options):
    mocked.add(method, url)
    xero_oauth.send(method, url, **options)
    sent = mocked.calls[0].request
    headers = {**xero_oauth.session.headers, **options.get("headers", {})}
    expected = requests.Request(method, url, **{**options, "headers": headers}).prepare()
    assert (sent.method, sent.url, list(sent.headers.items()), sent.body) == (
        expected.method,
        expected.url,
        list(expected.headers.items()),
        expected.body,
    )


@pytest.mark.parametrize(
    "options",
    [{"headers": {"xero-tenant-id": "t-1\r\nX-Other: 1"}}, {"json": {"Total": float("nan")}}],
)
def test_a_request_requests_would_refuse_is_an_error_and_never_sent(mocked, xero_oauth, options):
    with pytest.raises(errors.XeroError) as info:
        xero_oauth.send("PUT", API + "Invoices", **options)
    assert type(info.value) is errors.XeroError
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("HTTPS://API.Xero.com/", "https://api.xero.com"),
        ("https://bücher.example/xero/", "https://xn--bcher-kva.example/xero"),
        ("http://localhost:8091", "http://localhost:8091"),
    ],
)
def test_base_urls_are_written_once_as_requests_writes_them(url, written):
    assert oauth.XeroOAuth(CLIENT_ID, api_url=url).api_url == written


def test_tracking_categories_are_read_archived_ones_included(mocked, xero):
    mocked.get(API + "TrackingCategories", json={"TrackingCategories": [{"Name": "Region"}]})
    assert xero.get_tracking_categories(TENANT) == [{"Name": "Region"}]
    assert mocked.calls[0].request.params == {"includeArchived": "true"}


def test_timeout_must_be_positive():
    with pytest.raises(ValueError):
        oauth.XeroOAuth(CLIENT_ID, timeout=(0, 60))


# Token refresh


@freeze_time(NOW)
def test_token_is_refreshed_60_seconds_before_expiry_and_saved(mocked, xero, store):
    store.token["expires_at"] = time.time() + 60
    mocked.post(TOKEN_URL, json=token_answer())
    mocked.get(API + "Accounts", json={"Accounts": [{"Code": "200"}]})

    assert xero.get_accounts(TENANT, where='Type=="REVENUE"') == [{"Code": "200"}]

    refresh, call = mocked.calls
    assert form(refresh) == {"grant_type": ["refresh_token"], "refresh_token": ["rt-1"]}
    assert refresh.request.headers["Authorization"] == basic(CLIENT_ID, SECRET)
    assert len(store.saved) == 1
    saved = store.saved[0]
    assert (saved["access_token"], saved["refresh_token"]) == ("at-2", "rt-2")
    assert saved["expires_at"] == time.time() + 1800
    assert call.request.headers["Authorization"] == "Bearer at-2"
    assert parse_qs(urlsplit(call.request.url).query) == {"where": ['Type=="REVENUE"']}


@freeze_time(NOW)
def test_fresh_token_is_not_refreshed(mocked, xero, store):
    store.token["expires_at"] = time.time() + 61
    mocked.get(API + "TaxRates", json={"TaxRates": []})
    xero.get_tax_rates(TENANT)
    assert [call.request.url for call in mocked.calls] == [API + "TaxRates"]
    assert store.saved == []


def test_refresher_hook_replaces_refresh_and_save(mocked, xero_oauth, store):
    store.token["expires_at"] = 0
    seen = []

    def locked_refresher(stale):
        seen.append(stale["access_token"])
        return {**stale, "access_token": "at-from-hook", "expires_at": time.time() + 1800}

    xero = client.XeroClient(xero_oauth, store.get, refresher=locked_refresher)
    mocked.get(API + "TaxRates", json={"TaxRates": []})
    xero.get_tax_rates(TENANT)
    assert seen == ["at-1"]
    assert store.saved == []
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer at-from-hook"


def test_a_saver_or_refresher_is_required(xero_oauth, store):
    with pytest.raises(ValueError):
        client.XeroClient(xero_oauth, store.get)


@pytest.mark.parametrize(("status", "error"), [(400, "invalid_grant"), (401, "invalid_client")])
def test_refused_refresh_is_an_authentication_error(mocked, xero, store, status, error):
    store.token["expires_at"] = 0
    mocked.post(TOKEN_URL, status=status, json={"error": error})
    with pytest.raises(errors.XeroAuthenticationError) as info:
        xero.get_tax_rates(TENANT)
    assert (info.value.error, info.value.status) == (error, status)
    assert info.value.message == error
    assert store.saved == []
    assert len(mocked.calls) == 1


def test_token_answer_without_access_token_is_an_authentication_error(mocked, xero_oauth):
    mocked.post(TOKEN_URL, json={"token_type": "Bearer"})
    with pytest.raises(errors.XeroAuthenticationError) as info:
        xero_oauth.refresh_token("rt-1")
    assert info.value.error == "missing_token"


def test_unreachable_token_endpoint_is_transient(mocked, xero_oauth):
    mocked.post(TOKEN_URL, body=requests.ConnectTimeout("no route"))
    with pytest.raises(errors.XeroTransientError):
        xero_oauth.refresh_token("rt-1")


def test_no_token_means_not_connected(mocked, xero_oauth):
    xero = client.XeroClient(xero_oauth, lambda: None, lambda token: None)
    with pytest.raises(errors.XeroAuthenticationError):
        xero.get_tax_rates(TENANT)
    assert len(mocked.calls) == 0


# Authorization, code exchange, revocation


def test_authorization_url_has_pkce_s256_state_and_scopes(xero_oauth):
    request = xero_oauth.authorization_url(REDIRECT_URI)
    url = urlsplit(request.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://login.xero.com/identity/connect/authorize"
    )
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(request.code_verifier.encode()).digest())
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email offline_access accounting.invoices "
        "accounting.contacts accounting.settings.read accounting.attachments",
        "state": request.state,
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    assert len(request.state) >= 20
    assert len(request.code_verifier) == 64
    again = xero_oauth.authorization_url(REDIRECT_URI)
    assert (again.state, again.code_verifier) != (request.state, request.code_verifier)


def test_authorization_url_with_given_state_and_legacy_scopes():
    xero_oauth = oauth.XeroOAuth(CLIENT_ID, scopes=oauth.LEGACY_SCOPES)
    request = xero_oauth.authorization_url(REDIRECT_URI, state="signed-state")
    query = parse_qs(urlsplit(request.url).query)
    assert request.state == "signed-state"
    assert query["state"] == ["signed-state"]
    assert "accounting.transactions" in query["scope"][0].split()
    assert "accounting.invoices" not in query["scope"][0].split()


@freeze_time(NOW)
def test_pkce_app_exchanges_code_with_verifier_and_client_id(mocked):
    xero_oauth = oauth.XeroOAuth(CLIENT_ID)
    mocked.post(TOKEN_URL, json=token_answer(id_token="x.y.z"))
    token = xero_oauth.exchange_code("the-code", "the-verifier", REDIRECT_URI)
    call = mocked.calls[0]
    assert form(call) == {
        "grant_type": ["authorization_code"],
        "client_id": [CLIENT_ID],
        "code_verifier": ["the-verifier"],
        "code": ["the-code"],
        "redirect_uri": [REDIRECT_URI],
    }
    assert "Authorization" not in call.request.headers
    assert call.request.headers["User-Agent"] == "account_xero_export/18.0"
    assert token["access_token"] == "at-2"
    assert token["refresh_token"] == "rt-2"
    assert token["id_token"] == "x.y.z"
    assert token["expires_at"] == time.time() + 1800
    assert type(token) is dict


def test_app_with_secret_exchanges_code_with_basic_auth(mocked, xero_oauth):
    mocked.post(TOKEN_URL, json=token_answer())
    xero_oauth.exchange_code("the-code", "the-verifier", REDIRECT_URI)
    call = mocked.calls[0]
    assert call.request.headers["Authorization"] == basic(CLIENT_ID, SECRET)
    body = form(call)
    assert body["code_verifier"] == ["the-verifier"]
    assert "client_id" not in body
    assert "client_secret" not in body


def test_refused_code_is_invalid_grant(mocked, xero_oauth):
    mocked.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with pytest.raises(errors.XeroAuthenticationError) as info:
        xero_oauth.exchange_code("used-code", "the-verifier", REDIRECT_URI)
    assert info.value.error == "invalid_grant"


def test_revocation_posts_the_refresh_token_with_basic_auth(mocked, xero_oauth):
    mocked.post(REVOCATION_URL)
    assert xero_oauth.revoke_token("rt-1") is None
    call = mocked.calls[0]
    assert form(call) == {"token": ["rt-1"]}
    assert call.request.headers["Authorization"] == basic(CLIENT_ID, SECRET)


def test_pkce_app_revocation_sends_client_id(mocked):
    mocked.post(REVOCATION_URL)
    oauth.XeroOAuth(CLIENT_ID).revoke_token("rt-1")
    call = mocked.calls[0]
    assert form(call) == {"token": ["rt-1"], "client_id": [CLIENT_ID]}
    assert "Authorization" not in call.request.headers


# Connections


def test_connections_are_listed_for_an_auth_event(mocked, xero_oauth):
    connection = {
        "id": "c-1",
        "tenantId": TENANT,
        "authEventId": "ev-1",
        "tenantType": "ORGANISATION",
        "tenantName": "Demo Company (NZ)",
    }
    mocked.get(CONNECTIONS_URL, json=[connection])
    assert xero_oauth.get_connections("at-1", auth_event_id="ev-1") == [connection]
    call = mocked.calls[0]
    assert parse_qs(urlsplit(call.request.url).query) == {"authEventId": ["ev-1"]}
    assert call.request.headers["Authorization"] == "Bearer at-1"
    assert "xero-tenant-id" not in call.request.headers


def test_connection_is_deleted(mocked, xero_oauth):
    mocked.delete(CONNECTIONS_URL + "/c-1", status=204)
    assert xero_oauth.delete_connection("at-1", "c-1") is None
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer at-1"


def test_deleting_an_unknown_connection_is_not_found(mocked, xero_oauth):
    mocked.delete(CONNECTIONS_URL + "/c-404", status=404)
    with pytest.raises(errors.XeroNotFoundError) as info:
        xero_oauth.delete_connection("at-1", "c-404")
    assert info.value.status == 404


# The local sandbox: plain http on loopback only


@freeze_time(NOW)
def test_sandbox_on_loopback_http_works_without_leaving_insecure_transport_on(mocked):
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    sandbox = "http://127.0.0.1:8091"
    xero_oauth = oauth.XeroOAuth(
        CLIENT_ID, login_url=sandbox, identity_url=sandbox, api_url=sandbox + "/"
    )
    request = xero_oauth.authorization_url("http://localhost:8069/xero/callback")
    assert request.url.startswith(sandbox + "/identity/connect/authorize?")
    mocked.post(sandbox + "/connect/token", json=token_answer())
    mocked.get(sandbox + "/api.xro/2.0/TaxRates", json={"TaxRates": [{"TaxType": "OUTPUT2"}]})
    token = xero_oauth.exchange_code("code", request.code_verifier, "http://localhost/cb")
    token["expires_at"] = 0
    mocked.post(sandbox + "/connect/token", json=token_answer(access_token="at-3"))
    store = TokenStore()
    store.token = token
    xero = client.XeroClient(xero_oauth, store.get, store.save)
    assert xero.get_tax_rates(TENANT) == [{"TaxType": "OUTPUT2"}]
    assert mocked.calls[-1].request.headers["Authorization"] == "Bearer at-3"
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_insecure_transport_set_by_the_process_is_left_alone(mocked, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "yes")
    sandbox = "http://localhost:8091"
    mocked.post(sandbox + "/connect/token", json=token_answer())
    oauth.XeroOAuth(CLIENT_ID, identity_url=sandbox).refresh_token("rt-1")
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == "yes"


@pytest.mark.parametrize("url", ["http://identity.xero.com", "http://10.0.0.5:8091", "ftp://x"])
def test_plain_http_is_refused_off_loopback(url):
    with pytest.raises(ValueError):
        oauth.XeroOAuth(CLIENT_ID, identity_url=url)


def test_client_id_is_required():
    with pytest.raises(ValueError):
        oauth.XeroOAuth("")


# Who connected


def jwt(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.signature"


def test_authorising_user_comes_from_the_id_token():
    claims = {"given_name": "Ana", "family_name": "Lima", "email": "ana@example.com"}
    token = {"id_token": jwt({**claims, "xero_userid": "u-1"})}
    assert oauth.authorising_user(token) == {
        "name": "Ana Lima",
        "email": "ana@example.com",
        "xero_userid": "u-1",
    }
    assert oauth.id_token_claims(token["id_token"])["email"] == "ana@example.com"


def test_authorising_user_is_empty_without_id_token():
    assert oauth.authorising_user({"access_token": "at"}) == {
        "name": "",
        "email": "",
        "xero_userid": "",
    }


@pytest.mark.parametrize("id_token", ["not-a-jwt", "a.!!!.c", f"a.{jwt([1]).split('.')[1]}.c"])
def test_malformed_id_token_is_refused(id_token):
    with pytest.raises(ValueError):
        oauth.id_token_claims(id_token)


# Conveniences


def test_put_invoices_wraps_the_batch_and_asks_for_per_element_errors(mocked, xero):
    answer = [
        {"InvoiceID": "i-1", "HasErrors": False, "StatusAttributeString": "OK"},
        {
            "InvoiceID": "i-2",
            "StatusAttributeString": "WARNING",
            "Warnings": [{"Message": "Account code '999' is not a valid code for this document."}],
        },
        {
            "HasErrors": True,
            "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": "Invoice not of valid status for creation"}],
        },
    ]
    mocked.put(
        API + "Invoices",
        json={"Invoices": answer},
        headers={"X-MinLimit-Remaining": "58", "X-AppMinLimit-Remaining": "9990"},
    )
    invoices = [{"Type": "ACCREC"}, {"Type": "ACCREC"}, {"Type": "ACCPAY"}]
    assert xero.put_invoices(TENANT, invoices, unitdp=4, idempotency_key="batch-1") == answer
    call = mocked.calls[0]
    assert json.loads(call.request.body) == {"Invoices": invoices}
    query = parse_qs(urlsplit(call.request.url).query)
    assert query == {"summarizeErrors": ["false"], "unitdp": ["4"]}
    assert [errors.validation_messages(element) for element in answer] == [
        [],
        [],
        ["Invoice not of valid status for creation"],
    ]
    assert [errors.warning_messages(element) for element in answer] == [
        [],
        ["Account code '999' is not a valid code for this document."],
        [],
    ]
    assert xero.limits_remaining == {"minute": 58, "app_minute": 9990}


@pytest.mark.parametrize(
    ("method", "verb", "collection"),
    [
        ("post_invoices", "POST", "Invoices"),
        ("put_credit_notes", "PUT", "CreditNotes"),
        ("post_credit_notes", "POST", "CreditNotes"),
        ("put_contacts", "PUT", "Contacts"),
        ("post_contacts", "POST", "Contacts"),
    ],
)
def test_writes_send_their_collection(mocked, xero, method, verb, collection):
    mocked.add(verb, API + collection, json={collection: [{"Name": "A"}]})
    assert getattr(xero, method)(TENANT, [{"Name": "A"}], summarize_errors=True) == [{"Name": "A"}]
    call = mocked.calls[0]
    assert json.loads(call.request.body) == {collection: [{"Name": "A"}]}
    assert parse_qs(urlsplit(call.request.url).query) == {"summarizeErrors": ["true"]}


def test_invoices_are_read_by_ids(mocked, xero):
    mocked.get(API + "Invoices", json={"Invoices": [{"Status": "DRAFT"}]})
    assert xero.get_invoices(TENANT, ["a", "b"]) == [{"Status": "DRAFT"}]
    assert parse_qs(urlsplit(mocked.calls[0].request.url).query) == {"IDs": ["a,b"]}


GUID_A = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
GUID_B = "F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F"


def test_credit_notes_are_read_by_ids_through_where(mocked, xero):
    """Xero's list of credit notes takes no IDs (getCreditNotes in its OpenAPI): the ids are
    asked in the where filter, with the caller's own filter kept."""
    mocked.get(API + "CreditNotes", json={"CreditNotes": [{"Status": "DRAFT"}]})
    assert xero.get_credit_notes(TENANT, [GUID_A, GUID_B]) == [{"Status": "DRAFT"}]
    xero.get_credit_notes(TENANT, [GUID_A], where='Status=="DRAFT"', page=2)
    first, second = (parse_qs(urlsplit(call.request.url).query) for call in mocked.calls)
    assert first == {"where": [f'CreditNoteID==Guid("{GUID_A}") OR CreditNoteID==Guid("{GUID_B}")']}
    assert second == {
        "where": [f'(Status=="DRAFT") AND (CreditNoteID==Guid("{GUID_A}"))'],
        "page": ["2"],
    }


def test_credit_notes_are_not_asked_for_what_xero_does_not_filter(mocked, xero):
    with pytest.raises(ValueError, match="Not a Xero id"):
        xero.get_credit_notes(TENANT, ['x") OR Total>0 OR ("'])
    with pytest.raises(ValueError, match="credit notes an app created"):
        list(xero.iter_documents(TENANT, "CreditNotes", where="X", created_by_my_app=True))
    assert not mocked.calls


def test_documents_by_many_ids_are_asked_fifty_at_a_time_and_every_page_is_read(mocked, xero):
    ids = [f"id-{n}" for n in range(120)]
    asked = []

    def answer(request):
        query = parse_qs(urlsplit(request.url).query)
        chunk, page = query["IDs"][0].split(","), int(query["page"][0])
        asked.append((len(chunk), page, query.get("createdByMyApp")))
        # The first chunk's answer comes in two pages, as if Xero had more to say of it.
        found = [{"InvoiceID": f"{chunk[0]}-{n}"} for n in range(100 if page == 1 else 3)]
        return 200, {}, json.dumps({"Invoices": found if chunk[0] == "id-0" else []})

    mocked.add_callback(responses.GET, API + "Invoices", callback=answer)
    found = list(xero.iter_documents(TENANT, "Invoices", ids, created_by_my_app=True))
    assert len(found) == 103
    assert asked == [
        (50, 1, ["true"]),
        (50, 2, ["true"]),
        (50, 1, ["true"]),
        (20, 1, ["true"]),
    ]


def test_contacts_are_read_by_ids_and_page(mocked, xero):
    mocked.get(API + "Contacts", json={"Contacts": []})
    assert xero.get_contacts(TENANT, ids=["c-1", "c-2"], page=2) == []
    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query == {"IDs": ["c-1,c-2"], "page": ["2"]}


def test_attachment_is_sent_raw_under_its_quoted_file_name(mocked, xero):
    url = API + "CreditNotes/cn-1/Attachments/INV%20001%20%C3%A9.pdf"
    mocked.put(url, json={"Attachments": [{"AttachmentID": "a-1"}]})
    attachment = xero.put_attachment(
        TENANT, "CreditNotes", "cn-1", "INV 001 é.pdf", b"%PDF-1.4", "application/pdf"
    )
    assert attachment == {"AttachmentID": "a-1"}
    call = mocked.calls[0]
    assert call.request.body == b"%PDF-1.4"
    assert call.request.headers["Content-Type"] == "application/pdf"
    assert call.request.headers["xero-tenant-id"] == TENANT


def test_attachment_kind_is_checked(mocked, xero):
    with pytest.raises(ValueError):
        xero.put_attachment(TENANT, "Contacts", "c-1", "a.pdf", b"", "application/pdf")


def test_allocation_links_a_credit_note_to_an_invoice(mocked, xero):
    mocked.put(API + "CreditNotes/cn-1/Allocations", json={"Allocations": [{"Amount": 10.5}]})
    result = xero.put_allocation(
        TENANT, "cn-1", "inv-1", 10.5, datetime.date(2026, 3, 5), idempotency_key="alloc-1"
    )
    assert result == {"Amount": 10.5}
    call = mocked.calls[0]
    assert json.loads(call.request.body) == {
        "Allocations": [{"Invoice": {"InvoiceID": "inv-1"}, "Amount": 10.5, "Date": "2026-03-05"}]
    }
    assert call.request.headers["Idempotency-Key"] == "alloc-1"
