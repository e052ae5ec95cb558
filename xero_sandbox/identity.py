"""Xero's identity service: the authorize pages, the token and revocation endpoints, connections.

Tokens are JWTs signed with HS256 and the key ``SIGNING_KEY`` (Xero signs with RS256 and publishes
its keys; clients must not verify the sandbox's tokens against Xero's keys). Access tokens carry
``authentication_event_id``, which is what a client passes to ``GET /connections?authEventId=``.
"""

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from . import pages
from .seed import DEMO_MFA_CODE, derived_id
from .store import AccessToken, AuthCode, AuthSession, Connection, Grant, RefreshToken
from .wire import Response, html_response, json_response, problem, redirect

ACCESS_TOKEN_LIFETIME = timedelta(minutes=30)
REFRESH_TOKEN_LIFETIME = timedelta(days=60)  # an unused refresh token expires after 60 days
REFRESH_GRACE = timedelta(minutes=30)  # a rotated refresh token still works this long
CODE_LIFETIME = timedelta(minutes=5)
SIGN_IN_LIFETIME = timedelta(minutes=30)
ISSUER = "https://identity.xero.com"
SIGNING_KEY = b"xero-sandbox-signing-key"

IDENTITY_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
BROAD_SCOPES = frozenset({"accounting.transactions", "accounting.transactions.read"})
ORGANISATION_SCOPES = (
    BROAD_SCOPES
    | frozenset(
        f"accounting.{area}{suffix}"
        for area in (
            "invoices",
            "payments",
            "banktransactions",
            "manualjournals",
            "contacts",
            "settings",
            "attachments",
        )
        for suffix in ("", ".read")
    )
    | frozenset({"accounting.reports.read", "accounting.journals.read", "accounting.budgets.read"})
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims):
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(SIGNING_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def s256(verifier):
    return _b64(hashlib.sha256(verifier.encode()).digest())


def is_loopback_uri(uri):
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and bool(parts.netloc)
    except ValueError:
        return False


def with_query(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def oauth_error(status, error, description=None):
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(status, body, {"Cache-Control": "no-store"})


def unauthorized(detail="AuthenticationUnsuccessful", headers=None):
    return problem(401, "Unauthorized", detail, headers)


def _field(form, name):
    return form.get(name, [""])[-1]


class Identity:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    @property
    def state(self):
        return self.sandbox.state

    def routes(self):
        return [
            ("GET", r"/identity/connect/authorize", self.authorize_page),
            ("POST", r"/identity/connect/authorize", self.authorize_step),
            ("POST", r"/connect/token", self.token),
            ("POST", r"/connect/revocation", self.revocation),
            ("GET", r"/connections", self.list_connections),
            ("DELETE", r"/connections/(?P<connection_id>[^/]+)", self.delete_connection),
        ]

    # -- the authorize pages ---------------------------------------------------------------------

    def authorize_page(self, request):
        names = ("response_type", "client_id", "redirect_uri", "scope", "state")
        names += ("code_challenge", "code_challenge_method", "nonce")
        params = {name: request.param(name, "") for name in names}
        with self.sandbox.lock:
            app = self.state.apps.get(params["client_id"])
            if app is None:
                return html_response(
                    400, pages.error_page("Unknown app", "This app is not registered with Xero.")
                )
            if not self._redirect_allowed(params["redirect_uri"]):
                return html_response(
                    400,
                    pages.error_page(
                        "Invalid redirect URI",
                        "The redirect_uri is not registered for this app.",
                    ),
                )
            refusal = self._refusal(app, params)
            if refusal:
                return self._redirect_back(params, error=refusal[0], error_description=refusal[1])
            session_id = secrets.token_urlsafe(24)
            now = self.sandbox.clock.now()
            self.state.auth_sessions[session_id] = AuthSession(params, now + SIGN_IN_LIFETIME)
        return html_response(200, pages.login(session_id, app.name))

    def _redirect_allowed(self, uri):
        return is_loopback_uri(uri) or uri in self.sandbox.settings["redirect_uris"]

    @staticmethod
    def _refusal(app, params):
        """(error, description) when the authorize request is refused, else None."""
        if params["response_type"] != "code":
            return "unsupported_response_type", "response_type must be code"
        scopes = params["scope"].split()
        unknown = [s for s in scopes if s not in IDENTITY_SCOPES | ORGANISATION_SCOPES]
        if not scopes or unknown:
            return "invalid_scope", f"unknown scope: {' '.join(unknown)}"
        if BROAD_SCOPES & set(scopes) and not app.broad_scopes_allowed:
            return "invalid_scope", "apps created from 2 March 2026 must use granular scopes"
        if params["code_challenge"] and params["code_challenge_method"] != "S256":
            return "invalid_request", "code_challenge_method must be S256"
        if app.secret is None and not params["code_challenge"]:
            return "invalid_request", "a PKCE app must send code_challenge"
        return None

    @staticmethod
    def _redirect_back(params, **answer):
        if params["state"]:
            answer["state"] = params["state"]
        return redirect(with_query(params["redirect_uri"], answer))

    def authorize_step(self, request):
        form = request.form()
        with self.sandbox.lock:
            session_id = _field(form, "session")
            session = self.state.auth_sessions.get(session_id)
            if session is None or session.expires_at <= self.sandbox.clock.now():
                self.state.auth_sessions.pop(session_id, None)
                return html_response(
                    400,
                    pages.error_page(
                        "Sign-in expired", "Start again from the app you were connecting."
                    ),
                )
            step = _field(form, "step")
            if step != session.stage:
                return html_response(
                    400, pages.error_page("Unexpected step", "Start again from the app.")
                )
            app = self.state.apps[session.params["client_id"]]
            if step == "login":
                return self._login(session_id, session, app, form)
            if step == "mfa":
                return self._mfa(session_id, session, app, form)
            return self._consent(session_id, session, app, form)

    def _login(self, session_id, session, app, form):
        email = _field(form, "email").strip()
        user = self.state.users.get(email.lower())
        if user is None or not hmac.compare_digest(user.password, _field(form, "password")):
            page = pages.login(session_id, app.name, "Your email or password is incorrect", email)
            return html_response(200, page)
        session.user = user
        if user.mfa and self.sandbox.settings["mfa"]:
            session.stage = "mfa"
            return html_response(200, pages.mfa(session_id))
        return self._show_consent(session_id, session, app)

    def _mfa(self, session_id, session, app, form):
        if not hmac.compare_digest(_field(form, "mfa_code").strip(), DEMO_MFA_CODE):
            return html_response(200, pages.mfa(session_id, "That code is incorrect. Try again."))
        return self._show_consent(session_id, session, app)

    def _organisations_asked(self, session):
        scopes = session.params["scope"].split()
        if not ORGANISATION_SCOPES & set(scopes):
            return []
        orgs = self.state.organisations
        return [(tenant_id, orgs[tenant_id].name) for tenant_id in session.user.tenant_ids]

    def _show_consent(self, session_id, session, app, error=""):
        session.stage = "consent"
        page = pages.consent(
            session_id,
            app.name,
            session.params["scope"].split(),
            self._organisations_asked(session),
            error,
        )
        return html_response(200, page)

    def _consent(self, session_id, session, app, form):
        params = session.params
        if _field(form, "decision") != "allow":
            del self.state.auth_sessions[session_id]
            return self._redirect_back(params, error="access_denied")
        offered = {tenant_id for tenant_id, _ in self._organisations_asked(session)}
        chosen = [t for t in dict.fromkeys(form.get("tenant_id", [])) if t in offered]
        if offered and not chosen:
            return self._show_consent(
                session_id, session, app, "Choose at least one organisation to connect."
            )
        del self.state.auth_sessions[session_id]
        now = self.sandbox.clock.now()
        grant = Grant(
            grant_id=str(uuid.uuid4()),
            client_id=app.client_id,
            user_id=session.user.user_id,
            scopes=tuple(params["scope"].split()),
            auth_event_id=str(uuid.uuid4()),
            auth_time=now,
            nonce=params["nonce"],
        )
        self.connect(grant, chosen)
        code = secrets.token_urlsafe(32)
        self.state.auth_codes[code] = AuthCode(
            grant, params["redirect_uri"], params["code_challenge"], now + CODE_LIFETIME
        )
        return self._redirect_back(
            params, code=code, scope=params["scope"], session_state=secrets.token_urlsafe(16)
        )

    def connect(self, grant, tenant_ids):
        """Connect the grant's user and app to organisations; reconnecting keeps the connection."""
        now = self.sandbox.clock.now()
        connections = []
        for tenant_id in tenant_ids:
            key = (grant.client_id, grant.user_id, tenant_id)
            connection = next(
                (
                    c
                    for c in self.state.connections.values()
                    if (c.client_id, c.user_id, c.tenant_id) == key
                ),
                None,
            )
            if connection is None:
                serial = self.state.reconnects.get(key, 0) + 1
                self.state.reconnects[key] = serial
                connection = Connection(
                    connection_id=derived_id(*key, str(serial)),
                    client_id=grant.client_id,
                    user_id=grant.user_id,
                    tenant_id=tenant_id,
                    auth_event_id=grant.auth_event_id,
                    created=now,
                    updated=now,
                )
                self.state.connections[connection.connection_id] = connection
            else:
                connection.auth_event_id = grant.auth_event_id
                connection.updated = now
            connections.append(connection)
        return connections

    # -- the token endpoint ----------------------------------------------------------------------

    def token(self, request):
        form = request.form()
        with self.sandbox.lock:
            app, refusal = self._client(request, form)
            if refusal:
                return refusal
            grant_type = _field(form, "grant_type")
            if grant_type == "authorization_code":
                return self._exchange_code(app, form)
            if grant_type == "refresh_token":
                return self._refresh(app, form)
            return oauth_error(400, "unsupported_grant_type")

    def _client(self, request, form):
        """The app authenticating with HTTP Basic or form fields (a PKCE app: its client_id)."""
        client_id, secret = _field(form, "client_id"), _field(form, "client_secret")
        scheme, _, credentials = request.header("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip()).decode()
            except (ValueError, UnicodeDecodeError):
                return None, oauth_error(401, "invalid_client")
            client_id, _, secret = decoded.partition(":")
        app = self.state.apps.get(client_id)
        if app is None or (app.secret and not hmac.compare_digest(app.secret, secret)):
            return None, oauth_error(401, "invalid_client")
        return app, None

    def _exchange_code(self, app, form):
        now = self.sandbox.clock.now()
        code = self.state.auth_codes.get(_field(form, "code"))
        if (
            code is None
            or code.used
            or code.expires_at <= now
            or code.grant.client_id != app.client_id
            or _field(form, "redirect_uri") != code.redirect_uri
        ):
            return oauth_error(400, "invalid_grant")
        if code.code_challenge:
            verifier = _field(form, "code_verifier")
            if not verifier or not hmac.compare_digest(s256(verifier), code.code_challenge):
                return oauth_error(400, "invalid_grant", "PKCE verification failed")
        code.used = True
        return json_response(200, self.issue(code.grant), {"Cache-Control": "no-store"})

    def _refresh(self, app, form):
        now = self.sandbox.clock.now()
        token = self.state.refresh_tokens.get(_field(form, "refresh_token"))
        if (
            token is None
            or token.revoked
            or token.grant.client_id != app.client_id
            or now - token.issued_at >= REFRESH_TOKEN_LIFETIME
            or (token.rotated_at is not None and now - token.rotated_at > REFRESH_GRACE)
        ):
            return oauth_error(400, "invalid_grant")
        if token.rotated_at is None:
            token.rotated_at = now
        return json_response(200, self.issue(token.grant), {"Cache-Control": "no-store"})

    def issue(self, grant):
        """A token response for the grant: access token, and refresh and id tokens if scoped."""
        now = self.sandbox.clock.now()
        expires = now + ACCESS_TOKEN_LIFETIME
        access_token = jwt(
            {
                "nbf": int(now.timestamp()),
                "exp": int(expires.timestamp()),
                "iss": ISSUER,
                "aud": f"{ISSUER}/resources",
                "client_id": grant.client_id,
                "sub": grant.user_id,
                "auth_time": int(grant.auth_time.timestamp()),
                "xero_userid": grant.user_id,
                "global_session_id": grant.grant_id,
                "jti": secrets.token_hex(16),
                "authentication_event_id": grant.auth_event_id,
                "scope": list(grant.scopes),
            }
        )
        self.state.access_tokens[access_token] = AccessToken(grant, expires)
        body = {
            "access_token": access_token,
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if "offline_access" in grant.scopes:
            refresh_token = secrets.token_hex(32)
            self.state.refresh_tokens[refresh_token] = RefreshToken(grant, now)
            body["refresh_token"] = refresh_token
        if "openid" in grant.scopes:
            body["id_token"] = self._id_token(grant, now)
        return body

    def _id_token(self, grant, now):
        user = next(u for u in self.state.users.values() if u.user_id == grant.user_id)
        claims = {
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
            "iat": int(now.timestamp()),
            "iss": ISSUER,
            "aud": grant.client_id,
            "sub": user.user_id,
            "auth_time": int(grant.auth_time.timestamp()),
            "xero_userid": user.user_id,
            "global_session_id": grant.grant_id,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "email" in grant.scopes:
            claims.update({"email": user.email, "preferred_username": user.email})
        if "profile" in grant.scopes:
            claims.update(
                {
                    "given_name": user.first_name,
                    "family_name": user.last_name,
                    "name": f"{user.first_name} {user.last_name}",
                }
            )
        return jwt(claims)

    def revocation(self, request):
        form = request.form()
        with self.sandbox.lock:
            app, refusal = self._client(request, form)
            if refusal:
                return refusal
            token = self.state.refresh_tokens.get(_field(form, "token"))
            if token is not None and token.grant.client_id == app.client_id:
                grant = token.grant
                for other in self.state.refresh_tokens.values():
                    if other.grant.grant_id == grant.grant_id:
                        other.revoked = True
                self.state.connections = {
                    key: c
                    for key, c in self.state.connections.items()
                    if (c.client_id, c.user_id) != (grant.client_id, grant.user_id)
                }
        return Response(200)

    # -- bearer tokens and connections -----------------------------------------------------------

    def authenticate(self, request):
        """(AccessToken, None) for a valid bearer token, else (None, the 401 to answer)."""
        scheme, _, value = request.header("Authorization", "").partition(" ")
        token = self.state.access_tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or token.revoked:
            return None, unauthorized()
        if token.expires_at <= self.sandbox.clock.now():
            expired = token.expires_at.strftime("%m/%d/%Y %H:%M:%S")
            challenge = (
                f'Bearer error="invalid_token", error_description="The token expired at {expired}"'
            )
            detail = f"TokenExpired: token expired at {expired}"
            return None, unauthorized(detail, {"WWW-Authenticate": challenge})
        return token, None

    def connections_of(self, grant):
        return [
            c
            for c in self.state.connections.values()
            if (c.client_id, c.user_id) == (grant.client_id, grant.user_id)
        ]

    def render_connection(self, connection):
        return {
            "id": connection.connection_id,
            "authEventId": connection.auth_event_id,
            "tenantId": connection.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": self.state.organisations[connection.tenant_id].name,
            "createdDateUtc": connection.created.isoformat().replace("+00:00", "Z"),
            "updatedDateUtc": connection.updated.isoformat().replace("+00:00", "Z"),
        }

    def list_connections(self, request):
        with self.sandbox.lock:
            token, refusal = self.authenticate(request)
            if refusal:
                return refusal
            auth_event_id = (request.param("authEventId") or "").lower()
            connections = [
                self.render_connection(c)
                for c in self.connections_of(token.grant)
                if not auth_event_id or c.auth_event_id == auth_event_id
            ]
        return json_response(200, connections)

    def delete_connection(self, request, connection_id):
        with self.sandbox.lock:
            token, refusal = self.authenticate(request)
            if refusal:
                return refusal
            connection = self.state.connections.get(connection_id.lower())
            if connection is None or connection not in self.connections_of(token.grant):
                return Response(404)  # no body, as Xero's identity OpenAPI describes it
            del self.state.connections[connection.connection_id]
        return Response(204)
