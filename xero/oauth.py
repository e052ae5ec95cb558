"""OAuth 2.0 with Xero: authorization code with PKCE, token exchange and refresh, revocation,
the `/connections` list, and who authorised (from the id_token).

Built on requests-oauthlib; no storage here: tokens are returned to the caller, who keeps them.
"""

import base64
import binascii
import contextlib
import ipaddress
import json
import logging
import os
import threading
from typing import NamedTuple
from urllib.parse import quote, urlencode, urlsplit

import requests
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity
from requests_oauthlib import OAuth2Session

from . import errors

_logger = logging.getLogger(__name__)
# requests-oauthlib and oauthlib log token request and response bodies at DEBUG: tokens must
# never reach a log, whatever level the server runs at.
for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)

LOGIN_URL = "https://login.xero.com"
IDENTITY_URL = "https://identity.xero.com"
API_URL = "https://api.xero.com"
AUTHORIZE_PATH = "/identity/connect/authorize"
TOKEN_PATH = "/connect/token"
REVOCATION_PATH = "/connect/revocation"
CONNECTIONS_PATH = "/connections"

# Apps created on or after 2 March 2026 must ask for granular scopes. Attachments carry the
# invoice PDF or the vendor's scanned bill along with each document.
DEFAULT_SCOPES = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.invoices",
    "accounting.contacts",
    "accounting.settings.read",
    "accounting.attachments",
)
# Apps created before 2 March 2026 may keep the broad accounting.transactions until September 2027;
# such an app asking for accounting.invoices before April 2026 is refused.
LEGACY_SCOPES = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings.read",
    "accounting.attachments",
)

DEFAULT_TIMEOUT = (5, 60)
USER_AGENT_NAME = "account_xero_export"
DEFAULT_VERSION = "18.0"
# RFC 7636 allows 43 to 128 characters; longer than requests-oauthlib's 43 costs nothing.
_CODE_VERIFIER_LENGTH = 64

_INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"
_insecure_lock = threading.Lock()
_insecure_users = 0
_insecure_owned = False


class AuthorizationRequest(NamedTuple):
    """Where to send the user, and what the callback needs: the state to compare with the one
    coming back, and the PKCE verifier to exchange the code with. Keep both server-side: the
    verifier must never reach the browser."""

    url: str
    state: str
    code_verifier: str


class XeroOAuth:
    """A Xero app (client id, optional secret) and where Xero lives.

    Holds the one `requests.Session` that `send` uses, also for `XeroClient`. Without a client
    secret the app is a PKCE app and sends its client_id in the token request body; with one, it
    authenticates with HTTP Basic. PKCE is used either way.
    """

    def __init__(
        self,
        client_id,
        client_secret=None,
        *,
        scopes=DEFAULT_SCOPES,
        login_url=LOGIN_URL,
        identity_url=IDENTITY_URL,
        api_url=API_URL,
        timeout=DEFAULT_TIMEOUT,
        version=DEFAULT_VERSION,
    ):
        if not client_id:
            raise ValueError("A Xero client id is required.")
        connect, read = timeout
        if not (connect > 0 and read > 0):
            raise ValueError(f"Timeouts must be positive, got {timeout!r}.")
        self.client_id = client_id
        self.client_secret = client_secret or None
        self.scopes = list(scopes)
        self.login_url = _base_url(login_url)
        self.identity_url = _base_url(identity_url)
        self.api_url = _base_url(api_url)
        self.timeout = (connect, read)
        self.user_agent = f"{USER_AGENT_NAME}/{version}"
        self.session = requests.Session()
        self.session.headers["User-Agent"] = self.user_agent
        adapter = _HostPoolAdapter()
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        # With trust_env on, requests reads the proxies, NO_PROXY and a CA bundle from os.environ
        # on every call: a third of the CPU a call costs. They are read here instead, once per
        # host for the life of this object, and `send` hands them to each call. Off, it also
        # stops reading ~/.netrc, whose entry for a Xero host would replace the Bearer token.
        self._environment = {
            urlsplit(url)[:2]: self.session.merge_environment_settings(url, {}, None, None, None)
            for url in (self.identity_url, self.api_url)
        }
        self.session.trust_env = False

    def send(
        self,
        method,
        url,
        *,
        params=None,
        json=None,
        data=None,
        headers=None,
        auth=None,
        on_response=None,
    ):
        """Send one request with the shared session's adapter, the timeout and the environment's
        proxies and CA bundle; return the response, its body read, or raise the mapped
        `XeroError` for a transport failure or an HTTP error.

        `url` is one of this app's URLs followed by a path whose parts are already quoted;
        `params` are sent in the query, `json` as a JSON body, `data` as it is (bytes) or as a
        form (a dict); `auth` is a requests auth (HTTP Basic). `on_response(response)` is told
        of every answer, error answers included, before any is mapped to an exception.
        """
        environment = self._environment[urlsplit(url)[:2]]
        try:
            adapter = self.session.get_adapter(url)
            request = _prepared_request(
                method, url, {**self.session.headers, **(headers or {})}, params, json, data, auth
            )
            # The adapter's own send rather than Session.send, whose own work costs a tenth of a
            # call and brings nothing here: the session's cookies are never sent (Xero's API
            # takes Bearer tokens) and no one reads `elapsed`. Redirects are not followed either:
            # neither Xero's API nor its identity endpoints redirect these calls, so a 3xx is an
            # error (errors.raise_for_response), where following it would have made a PUT a GET
            # after a 302, or sent it on to another host without its token.
            response = adapter.send(request, timeout=self.timeout, **environment)
            if on_response:
                on_response(response)
            # Read here, where a connection lost in the middle of the body is still mapped.
            response.content  # noqa: B018
        except requests.RequestException as exc:
            raise errors.error_from_exception(exc) from exc
        return errors.raise_for_response(response)

    def authorization_url(self, redirect_uri, state=None):
        """Build the URL that starts the consent flow, with a PKCE S256 challenge.

        `state` defaults to a random token; pass one to bind it to something of yours.
        """
        oauth_client = WebApplicationClient(self.client_id)
        code_verifier = oauth_client.create_code_verifier(_CODE_VERIFIER_LENGTH)
        url = self.login_url + AUTHORIZE_PATH
        session = OAuth2Session(client=oauth_client, scope=self.scopes, redirect_uri=redirect_uri)
        with session, _loopback_http_allowed(url):
            # state=None makes requests-oauthlib draw a random one.
            url, state = session.authorization_url(
                url,
                state=state,
                code_challenge=oauth_client.create_code_challenge(code_verifier, "S256"),
                code_challenge_method="S256",
            )
        return AuthorizationRequest(url, state, code_verifier)

    def exchange_code(self, code, code_verifier, redirect_uri):
        """Exchange the callback's code for tokens; return the token dict (access_token,
        refresh_token, expires_at in epoch seconds, scope as a list, id_token...)."""
        auth = self._basic_auth()
        return self._token_request(
            lambda session, url: session.fetch_token(
                url,
                code=code,
                code_verifier=code_verifier,
                auth=auth,
                include_client_id=auth is None,
                timeout=self.timeout,
            ),
            redirect_uri=redirect_uri,
        )

    def refresh_token(self, refresh_token):
        """Get new tokens with `refresh_token`; return the new token dict.

        Xero rotates the refresh token: the caller must store the returned one before anything
        else can fail, or the connection is lost once the old one's grace period ends.
        """
        auth = self._basic_auth()
        body = {} if auth else {"client_id": self.client_id}
        _logger.info("Refreshing the Xero access token of client %s", self.client_id)
        return self._token_request(
            lambda session, url: session.refresh_token(
                url, refresh_token=refresh_token, auth=auth, timeout=self.timeout, **body
            )
        )

    def revoke_token(self, refresh_token):
        """Revoke the refresh token: Xero also drops every connection it authorised."""
        auth = self._basic_auth()
        data = {"token": refresh_token}
        if auth is None:
            data["client_id"] = self.client_id
        self.send("POST", self.identity_url + REVOCATION_PATH, data=data, auth=auth)

    def get_connections(self, access_token, auth_event_id=None):
        """The tenants this token may use: `[{id, tenantId, tenantName, tenantType,
        authEventId, ...}]`. `auth_event_id` keeps only those authorised in that consent."""
        params = {"authEventId": auth_event_id} if auth_event_id else None
        response = self.send(
            "GET", self.api_url + CONNECTIONS_PATH, params=params, headers=_bearer(access_token)
        )
        return response.json()

    def delete_connection(self, access_token, connection_id):
        """Disconnect one tenant. `connection_id` is the connection's `id`, not the tenant id."""
        url = f"{self.api_url}{CONNECTIONS_PATH}/{quote(connection_id, safe='')}"
        self.send("DELETE", url, headers=_bearer(access_token))

    def _basic_auth(self):
        if self.client_secret:
            return requests.auth.HTTPBasicAuth(self.client_id, self.client_secret)
        return None

    def _token_request(self, call, redirect_uri=None):
        # A fresh OAuth2Session per request: it keeps the token it fetched on itself, so a shared
        # one would leak one connection's token into the next call and is not thread-safe.
        # Beware that requests-oauthlib logs token bodies at DEBUG on its own logger.
        url = self.identity_url + TOKEN_PATH
        session = OAuth2Session(self.client_id, redirect_uri=redirect_uri)
        session.headers["User-Agent"] = self.user_agent
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, errors.raise_for_response)
        try:
            with session, _loopback_http_allowed(url):
                token = call(session, url)
        except requests.RequestException as exc:
            raise errors.error_from_exception(exc) from exc
        except OAuth2Error as exc:
            # A 2xx answer oauthlib cannot use (no access_token, an error field): HTTP errors
            # were mapped by the compliance hook before oauthlib saw them.
            raise errors.XeroAuthenticationError(
                exc.description or exc.error, error=exc.error
            ) from exc
        return dict(token)


def _prepared_request(method, url, headers, params, json_body, data, auth):
    """The request `requests.Request(...).prepare()` makes of what `XeroOAuth.send` is given,
    without its general machinery, which cost a fifth of a call.

    The URL is one of the app's base URLs, written once by `_base_url` as requests writes it,
    followed by a path its caller quoted: it is used as it is. `params` map names to strings or
    numbers (never None, which requests would leave out); the JSON body is serialised as
    requests does (the json module, no NaN); bytes are sent as they are, a dict as a form.
    """
    request = requests.PreparedRequest()
    request.method = method.upper()
    request.url = f"{url}?{urlencode(params, doseq=True)}" if params else url
    for header in headers.items():
        # What requests checks: a header value that could split the request is refused.
        check_header_validity(header)
    request.headers = CaseInsensitiveDict(headers)
    body = content_type = None
    if json_body is not None and not data:
        content_type = "application/json"
        try:
            body = json.dumps(json_body, allow_nan=False).encode()
        except ValueError as exc:
            raise requests.exceptions.InvalidJSONError(exc, request=request) from exc
    elif isinstance(data, bytes):
        body = data or None
    elif data:
        body = urlencode(data, doseq=True)
        content_type = "application/x-www-form-urlencoded"
    if body is not None:
        request.headers["Content-Length"] = str(len(body))
    elif request.method not in ("GET", "HEAD") and "Content-Length" not in request.headers:
        request.headers["Content-Length"] = "0"
    if content_type and "Content-Type" not in request.headers:
        request.headers["Content-Type"] = content_type
    request.body = body
    return auth(request) if auth else request


class _HostPoolAdapter(HTTPAdapter):
    """An HTTPAdapter that finds the connection pool of a host it sent to before in a dict.

    The stock one looks the pool up again on every call, building the pool manager's key from
    the URL and the proxy: a tenth of a call's CPU. The host alone makes the key here, because
    `XeroOAuth` gives each host one proxy for the life of the adapter. Two threads asking for a
    new host at once both get a working pool, and one is kept. The pool manager closes pools
    past 10 hosts (`pool_connections`): `XeroOAuth` sends to two. (requests 2.32 and later find
    the pool through `get_connection_with_tls_context` instead: there only this saving is lost.)
    """

    def __init__(self):
        super().__init__()
        self._pools = {}

    def get_connection(self, url, proxies=None):
        host = urlsplit(url)[:2]
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = super().get_connection(url, proxies)
        return pool

    def close(self):
        # The pools are closed with the pool managers: the next call opens new ones, as before.
        self._pools.clear()
        return super().close()


def id_token_claims(id_token):
    """The claims of an OpenID Connect id_token, without checking its signature.

    Only for display (who connected): the token came straight from Xero's token endpoint over
    TLS, and nothing is authorised on the strength of these claims.
    """
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (AttributeError, IndexError, binascii.Error, ValueError) as exc:
        raise ValueError("Not a JWT id_token.") from exc
    if not isinstance(claims, dict):
        raise ValueError("Not a JWT id_token.")
    return claims


def authorising_user(token):
    """Who authorised `token`: `{"name", "email", "xero_userid"}` from its id_token, with
    empty strings where unknown (no openid scope, or a claim missing)."""
    claims = id_token_claims(token["id_token"]) if token.get("id_token") else {}
    name = claims.get("name") or " ".join(
        filter(None, (claims.get("given_name"), claims.get("family_name")))
    )
    return {
        "name": name,
        "email": claims.get("email") or "",
        "xero_userid": claims.get("xero_userid") or "",
    }


def _bearer(access_token):
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}


def _base_url(url):
    """`url` as requests writes it (host in lower case and IDNA, path quoted), without its
    trailing slash; plain http is refused except on loopback, where the local sandbox lives.

    Requests to it are sent as `XeroOAuth.send` is given them: written here once, it reaches
    Xero as requests would have written it on every call."""
    url = url.rstrip("/")
    if not (urlsplit(url).scheme == "https" or _is_loopback_http(url)):
        raise ValueError(f"Xero URLs must use https (plain http only on loopback): {url}")
    return requests.Request("GET", url).prepare().url.rstrip("/")


def _is_loopback_http(url):
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def _loopback_http_allowed(url):
    """Let oauthlib use plain http to `url` if it is on loopback.

    oauthlib refuses http unless OAUTHLIB_INSECURE_TRANSPORT is in os.environ, and has no
    per-call switch. The local sandbox serves http on loopback, where TLS protects nothing, so
    the variable is set only while an OAuth call to a loopback URL runs: counted, because Odoo
    serves requests in threads, and left alone if the process had set it already. Real Xero URLs
    are https and never get here; plain http elsewhere is refused by `_base_url`.
    """
    if not _is_loopback_http(url):
        yield
        return
    global _insecure_users, _insecure_owned
    with _insecure_lock:
        if not _insecure_users and _INSECURE_TRANSPORT not in os.environ:
            os.environ[_INSECURE_TRANSPORT] = "1"
            _insecure_owned = True
        _insecure_users += 1
    try:
        yield
    finally:
        with _insecure_lock:
            _insecure_users -= 1
            if not _insecure_users and _insecure_owned:
                del os.environ[_INSECURE_TRANSPORT]
                _insecure_owned = False
