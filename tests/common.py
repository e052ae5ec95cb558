"""What the Odoo tests share: a Xero sandbox on loopback, and connections pointed at it."""

import re
import time
from urllib.parse import urljoin, urlsplit

import requests

from ..xero_sandbox import SandboxServer, seed
from ..xero_sandbox.tests import openapi

SANDBOX_TIMEOUT = 10


class XeroSandboxMixin:
    """Starts one sandbox per test class on a free loopback port (Odoo's tests allow HTTP to
    127.0.0.1 only) and resets it before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = SandboxServer(host="127.0.0.1", port=0).start()
        cls.addClassCleanup(cls.sandbox.stop)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.addCleanup(self._check_sandbox_log)

    def _check_sandbox_log(self):
        """What the sandbox saw during the test: it never failed on a request (a crash answers
        500, which the addon would take for Xero being down), and what the addon sent fits
        Xero's OpenAPI description. Returns how many written bodies were checked."""
        entries = [e for e in self.sandbox_log() if not e["path"].startswith("/_sandbox")]
        for entry in entries:
            if entry.get("crash"):
                self.fail(
                    f"The sandbox failed on {entry['method']} {entry['path']}:\n{entry['crash']}"
                )
        # Xero's description made strict (openapi.STRICT_WRITES); a test that wrote to Xero
        # must have had its bodies checked.
        return openapi.check_logged_requests(entries)

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        # Odoo's test guard compares the timeout with a number; the client's is (connect, read).
        if isinstance(kwargs.get("timeout"), tuple):
            kwargs["timeout"] = max(kwargs["timeout"])
        return super()._request_handler(session, request, **kwargs)

    # -- the sandbox's control endpoints

    def sandbox_control(self, path, **payload):
        response = requests.post(
            f"{self.sandbox.url}/_sandbox/{path}", json=payload, timeout=SANDBOX_TIMEOUT
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def sandbox_log(self, path=None, method=None):
        """The requests the sandbox received, oldest first, optionally only those to `path`."""
        response = requests.get(f"{self.sandbox.url}/_sandbox/requests", timeout=SANDBOX_TIMEOUT)
        response.raise_for_status()
        return [
            entry
            for entry in response.json()["requests"]
            if (path is None or entry["path"] == path)
            and (method is None or entry["method"] == method)
        ]

    # -- connections

    def make_connection(self, company=None, **values):
        """A connection of `company` (the current one by default) to the sandbox's demo app.
        Where Xero is, only a system administrator sets: made as one, returned to this user."""
        Connection = self.env["xero.connection"]
        connection = Connection.sudo().create(
            sandbox_connection(self.sandbox.url, company or self.env.company, **values)
        )
        return connection.with_env(Connection.env)

    def mint_token(self, tenant_id=seed.AU_TENANT_ID):
        """A token for the demo app and `tenant_id`, minted without the browser; returns
        (token dict as the client keeps it, Xero connection id)."""
        minted = self.sandbox_control(
            "token", client_id=seed.DEMO_CLIENT_ID, tenant_ids=[tenant_id]
        )
        token = {
            key: minted[key] for key in ("access_token", "refresh_token", "token_type", "scope")
        }
        token["expires_at"] = int(time.time()) + minted["expires_in"]
        return token, minted["connections"][0]["id"]

    def connect(self, connection, tenant_id=seed.AU_TENANT_ID):
        """Connect `connection` to `tenant_id` as the setup would, without the browser."""
        token, xero_connection_id = self.mint_token(tenant_id)
        connection._write_secret(token=token)
        connection._set_organisation(tenant_id, xero_connection_id)
        connection.write(
            {
                "state": "connected",
                "purchase_account_id": connection.account_ids.filtered(
                    lambda a: a.code == "310"
                ).id,
                "sales_account_id": connection.account_ids.filtered(lambda a: a.code == "200").id,
            }
        )
        return token


def sandbox_connection(url, company, **values):
    """The values of a connection of `company` to the sandbox at `url`, with its demo app."""
    return {
        "company_id": company.id,
        "client_id": seed.DEMO_CLIENT_ID,
        "client_secret": seed.DEMO_CLIENT_SECRET,
        "login_url": url,
        "identity_url": url,
        "api_url": url,
        "app_url": url,
        **values,
    }


def start_query(connection):
    """The query of the link Start Xero Session makes for `connection`'s user (signed for
    them)."""
    return urlsplit(connection.action_start_session()["url"]).query


def start_session(case, query, referrer=None, forged=None):
    """Start Xero Session as the browser does, from the page `referrer`: GET
    /xero/connect/start?`query` shows a page whose form posts itself with Odoo's CSRF token;
    returns the answer to that POST (not followed), with the form's fields `forged` ({name:
    value}) changed first, as a user may."""
    page = case.url_open(
        f"/xero/connect/start?{query}",
        allow_redirects=False,
        headers={"Referer": referrer} if referrer else None,
    )
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    if not fields:
        return page  # an error page: nothing to post
    return case.url_open(
        "/xero/connect/start", data={**fields, **(forged or {})}, allow_redirects=False
    )


class SandboxSignIn:
    """The user's side of Xero's sign-in pages, over plain HTTP: sign in, MFA, consent."""

    def __init__(self, authorize_url):
        self.http = requests.Session()
        self.url = authorize_url
        self.page = self.http.get(authorize_url, timeout=SANDBOX_TIMEOUT)

    def _post(self, step, **fields):
        session = re.search(r"name='session' value='([^']+)'", self.page.text).group(1)
        self.page = self.http.post(
            urljoin(self.url, "/identity/connect/authorize"),
            data={"session": session, "step": step, **fields},
            allow_redirects=False,
            timeout=SANDBOX_TIMEOUT,
        )
        return self.page

    def consent(self, tenant_ids=(seed.AU_TENANT_ID,), decision="allow"):
        """Go through every page; return where Xero sends the browser back to (the callback)."""
        self._post("login", email=seed.DEMO_USER_EMAIL, password=seed.DEMO_USER_PASSWORD)
        if "mfa_code" in self.page.text:
            self._post("mfa", mfa_code=seed.DEMO_MFA_CODE)
        response = self._post("consent", decision=decision, tenant_id=list(tenant_ids))
        assert response.status_code in (302, 303), response.text
        return response.headers["Location"]
