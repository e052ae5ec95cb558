"""The tests' HTTP client for the sandbox: every JSON request body it sends and every response it
gets from the accounting and identity endpoints is checked against Xero's OpenAPI description.

A test that sends something off-spec on purpose says so with ``check=False``.
"""

import base64
import hashlib
import json
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from .. import seed
from . import openapi

TIMEOUT = (5, 30)  # (connect, read) seconds
REDIRECT_URI = "http://127.0.0.1:8069/xero/callback"


class Client:
    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()

    def close(self):
        self.session.close()

    def request(self, method, path, *, json_body=None, form=None, data=None, check=True, **kw):
        headers = dict(kw.pop("headers", None) or {})
        if json_body is not None:
            data = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        elif form is not None:
            data = urlencode(form, doseq=True)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if check:
            openapi.check_request(method, path, json_body if json_body is not None else form)
        response = self.session.request(
            method,
            self.base_url + path,
            data=data,
            headers=headers,
            timeout=TIMEOUT,
            allow_redirects=False,
            **kw,
        )
        if check:
            openapi.check_response(method, path, response)
        return response

    def control(self, method, path, body=None):
        """A /_sandbox/ call, which must succeed; its JSON answer."""
        response = self.request(method, "/_sandbox/" + path, json_body=body, check=False)
        assert response.ok, response.text
        return response.json()

    def api(self, tokens, tenant_id=None):
        return Api(self, tokens["access_token"], tenant_id or tokens["tenant_id"])

    def token_request(self, form, auth=None):
        return self.request("POST", "/connect/token", form=form, auth=auth)


class Api:
    """The Accounting API as one app sees it for one organisation."""

    def __init__(self, client, access_token, tenant_id):
        self.client = client
        self.access_token = access_token
        self.tenant_id = tenant_id

    def call(self, method, resource, *, headers=None, **kw):
        headers = {
            "Authorization": f"Bearer {self.access_token}",
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **(headers or {}),
        }
        return self.client.request(method, "/api.xro/2.0/" + resource, headers=headers, **kw)

    def get(self, resource, **kw):
        return self.call("GET", resource, **kw)

    def put(self, resource, body=None, **kw):
        return self.call("PUT", resource, json_body=body, **kw)

    def post(self, resource, body=None, **kw):
        return self.call("POST", resource, json_body=body, **kw)

    def create(self, wrapper, *documents, **params):
        """PUT documents with summarizeErrors=false; the returned elements, all expected OK."""
        response = self.put(
            wrapper, {wrapper: list(documents)}, params={"summarizeErrors": "false", **params}
        )
        assert response.status_code == 200, response.text
        elements = response.json()[wrapper]
        for element in elements:
            assert element["StatusAttributeString"] == "OK", element.get("ValidationErrors")
        return elements


# -- signing in through the authorize pages -------------------------------------------------------


def form_session(page):
    found = re.search(r"name='session' value='([^']+)'", page)
    assert found, page
    return found.group(1)


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(client_id=seed.DEMO_CLIENT_ID, scope=None, **extra):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope
        or "openid profile email offline_access accounting.invoices "
        "accounting.contacts accounting.settings.read",
        "state": "state-" + secrets.token_hex(4),
    }
    params.update(extra)
    return params


def redirect_query(response):
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return location, {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(client, params, tenant_ids=(seed.AU_TENANT_ID,), decision="allow"):
    """Go through login, MFA and consent; (the page responses, the final redirect's query)."""
    page = client.request("GET", "/identity/connect/authorize", params=params)
    assert page.status_code == 200, page.text
    session = form_session(page.text)
    login = client.request(
        "POST",
        "/identity/connect/authorize",
        form={
            "session": session,
            "step": "login",
            "email": seed.DEMO_USER_EMAIL,
            "password": seed.DEMO_USER_PASSWORD,
        },
    )
    pages = [page, login]
    if "id='mfa_code'" in login.text:
        mfa = client.request(
            "POST",
            "/identity/connect/authorize",
            form={"session": session, "step": "mfa", "mfa_code": seed.DEMO_MFA_CODE},
        )
        pages.append(mfa)
    final = client.request(
        "POST",
        "/identity/connect/authorize",
        form={
            "session": session,
            "step": "consent",
            "tenant_id": list(tenant_ids),
            "decision": decision,
        },
    )
    pages.append(final)
    return pages, redirect_query(final)[1]


def exchange(client, code, **extra):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form.update(extra)
    return client.token_request(form, auth=(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET))


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
