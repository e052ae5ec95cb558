"""Control endpoints under /_sandbox/ for tests, the demo and the benchmark (never logged).

GET  /_sandbox/                 what the sandbox is: endpoints, seeded ids and credentials
POST /_sandbox/reset            back to the seed
POST /_sandbox/token            {"client_id", "tenant_id" | "tenant_ids", "scopes", "email"}
                                -> tokens, tenant_id, connection_id, connections (no browser)
GET  /_sandbox/requests         the request log (no secrets; "crash": the traceback of a request
                                the sandbox failed on); DELETE clears it
GET  /_sandbox/state            every organisation's documents, contacts and attachments,
                                connections, calls in flight (?tenant_id= for one)
GET|POST /_sandbox/clock        {"freeze": bool, "set": "2026-06-15T09:00:00Z", "advance": s}
GET|POST /_sandbox/faults       {"latency": s, "status": {"code": 503, "count": 2,
                                "path_prefix": "/api.xro/"}, "drop": {"count": 1,
                                "path_prefix": "/connect/token"}, "hold": bool | {"when":
                                "request" | "answer", "path_prefix": "/api.xro/2.0/Invoices"},
                                "await_held": n, "expire_tokens": true, "revoke_tokens": true,
                                "clear": true}
GET|POST /_sandbox/settings     {"day_limit", "minute_limit", "concurrent_limit",
                                "app_minute_limit", "mfa": bool, "redirect_uris": [...]}
POST /_sandbox/documents/{id}   {"status": "PAID" | "VOIDED" | "DELETED"}: what a Xero user did
"""

import dataclasses
import uuid

from . import render, seed
from .clock import parse_instant
from .documents import settle
from .identity import BROAD_SCOPES, IDENTITY_SCOPES, ORGANISATION_SCOPES
from .store import Grant
from .wire import BadRequest, json_response

DEFAULT_SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.contacts "
    "accounting.settings accounting.attachments"
)
LEGACY_DEFAULT_SCOPES = (
    "openid profile email offline_access accounting.transactions accounting.contacts "
    "accounting.settings accounting.attachments"
)
SETTLED_STATUSES = ("PAID", "VOIDED", "DELETED")
MAX_AWAIT_SECONDS = 10


class Control:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    def routes(self):
        return [
            ("GET", r"/_sandbox/?", self.index),
            ("POST", r"/_sandbox/reset", self.reset),
            ("POST", r"/_sandbox/token", self.token),
            ("GET", r"/_sandbox/requests", self.requests),
            ("DELETE", r"/_sandbox/requests", self.clear_requests),
            ("GET", r"/_sandbox/state", self.state),
            ("GET", r"/_sandbox/clock", self.clock),
            ("POST", r"/_sandbox/clock", self.clock),
            ("GET", r"/_sandbox/faults", self.faults),
            ("POST", r"/_sandbox/faults", self.faults),
            ("GET", r"/_sandbox/settings", self.settings),
            ("POST", r"/_sandbox/settings", self.settings),
            ("POST", r"/_sandbox/documents/(?P<document_id>[^/]+)", self.document_status),
        ]

    @staticmethod
    def _body(request):
        body = request.json() if request.body.strip() else {}
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    def index(self, request):
        return json_response(
            200,
            {
                "sandbox": "Xero sandbox",
                "control": [f"{m} {p}" for m, p, _ in self.routes()],
                "apps": {
                    seed.DEMO_CLIENT_ID: seed.DEMO_CLIENT_SECRET,
                    seed.LEGACY_CLIENT_ID: seed.LEGACY_CLIENT_SECRET,
                    seed.PKCE_CLIENT_ID: None,
                },
                "user": {
                    "email": seed.DEMO_USER_EMAIL,
                    "password": seed.DEMO_USER_PASSWORD,
                    "mfa_code": seed.DEMO_MFA_CODE,
                },
                "organisations": {
                    org.tenant_id: org.name for org in self.sandbox.state.organisations.values()
                },
            },
        )

    def reset(self, request):
        self.sandbox.reset()
        return json_response(200, {"reset": True, "clock": self.sandbox.clock.describe()})

    def token(self, request):
        return json_response(200, self.mint_token(self._body(request)))

    def mint_token(self, options):
        """Tokens for an app, user and organisations as if the user had just consented."""
        sandbox = self.sandbox
        with sandbox.lock:
            state = sandbox.state
            app = state.apps.get(options.get("client_id", seed.DEMO_CLIENT_ID))
            if app is None:
                raise BadRequest("unknown client_id")
            default = DEFAULT_SCOPES if not app.broad_scopes_allowed else LEGACY_DEFAULT_SCOPES
            scopes = str(options.get("scopes") or default).split()
            unknown = set(scopes) - IDENTITY_SCOPES - ORGANISATION_SCOPES
            if unknown or (BROAD_SCOPES & set(scopes) and not app.broad_scopes_allowed):
                raise BadRequest(f"invalid_scope: {' '.join(sorted(unknown)) or 'broad scope'}")
            user = state.users.get(str(options.get("email", seed.DEMO_USER_EMAIL)).lower())
            if user is None:
                raise BadRequest("unknown user")
            tenant_ids = options.get("tenant_ids") or [options.get("tenant_id", seed.AU_TENANT_ID)]
            if any(t not in user.tenant_ids for t in tenant_ids):
                raise BadRequest("the user has no such organisation")
            now = sandbox.clock.now()
            grant = Grant(
                grant_id=str(uuid.uuid4()),
                client_id=app.client_id,
                user_id=user.user_id,
                scopes=tuple(scopes),
                auth_event_id=str(uuid.uuid4()),
                auth_time=now,
            )
            connections = sandbox.identity.connect(grant, tenant_ids)
            body = sandbox.identity.issue(grant)
            body.update(
                {
                    "tenant_id": tenant_ids[0],
                    "connection_id": connections[0].connection_id,
                    "auth_event_id": grant.auth_event_id,
                    "connections": [sandbox.identity.render_connection(c) for c in connections],
                }
            )
        return body

    def requests(self, request):
        return json_response(200, {"requests": self.sandbox.log.entries()})

    def clear_requests(self, request):
        self.sandbox.log.clear()
        return json_response(200, {"requests": []})

    def state(self, request):
        sandbox = self.sandbox
        wanted = request.param("tenant_id")
        with sandbox.lock:
            organisations = [
                _org_state(org)
                for org in sandbox.state.organisations.values()
                if wanted in (None, org.tenant_id)
            ]
            connections = [
                sandbox.identity.render_connection(c) for c in sandbox.state.connections.values()
            ]
        return json_response(
            200,
            {
                "clock": sandbox.clock.describe(),
                "organisations": organisations,
                "connections": connections,
                "in_flight": sandbox.limits.in_flight(),
            },
        )

    def clock(self, request):
        clock = self.sandbox.clock
        if request.method == "POST":
            body = self._body(request)
            if body.get("freeze") is True:
                clock.freeze()
            elif body.get("freeze") is False:
                clock.unfreeze()
            if "set" in body:
                try:
                    clock.set(parse_instant(body["set"]))
                except ValueError as error:
                    raise BadRequest(f"set: {error}") from error
            if "advance" in body:
                clock.advance(float(body["advance"]))
        return json_response(200, clock.describe())

    def faults(self, request):
        sandbox = self.sandbox
        body = self._body(request) if request.method == "POST" else {}
        if body.get("clear"):
            sandbox.faults.clear()
        sandbox.faults.configure(body)
        with sandbox.lock:
            now = sandbox.clock.now()
            if body.get("expire_tokens"):
                for token in sandbox.state.access_tokens.values():
                    token.expires_at = min(token.expires_at, now)
            if body.get("revoke_tokens"):
                for token in [
                    *sandbox.state.access_tokens.values(),
                    *sandbox.state.refresh_tokens.values(),
                ]:
                    token.revoked = True
        answer = sandbox.faults.describe()
        if "await_held" in body:
            timeout = min(float(body.get("timeout", MAX_AWAIT_SECONDS)), MAX_AWAIT_SECONDS)
            answer["await_held"] = sandbox.faults.await_held(int(body["await_held"]), timeout)
            answer["held"] = sandbox.faults.describe()["held"]
        return json_response(200, answer)

    def settings(self, request):
        sandbox = self.sandbox
        limits = sandbox.limits
        if request.method == "POST":
            body = self._body(request)
            changes = {}
            for field in dataclasses.fields(limits.settings):
                if field.name in body:
                    value = int(body[field.name])
                    if value < 0:
                        raise BadRequest(f"{field.name} must not be negative")
                    changes[field.name] = value
            limits.settings = dataclasses.replace(limits.settings, **changes)
            if "mfa" in body:
                sandbox.settings["mfa"] = bool(body["mfa"])
            if "redirect_uris" in body:
                sandbox.settings["redirect_uris"] = [str(uri) for uri in body["redirect_uris"]]
        return json_response(200, {**dataclasses.asdict(limits.settings), **sandbox.settings})

    def document_status(self, request, document_id):
        status = self._body(request).get("status")
        if status not in SETTLED_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(SETTLED_STATUSES)}")
        sandbox = self.sandbox
        with sandbox.lock:
            org, document = sandbox.state.find_document(document_id.lower())
            if document is None:
                return json_response(404, {"error": "no invoice or credit note has that id"})
            settle(document, status, sandbox.clock.now())
            return json_response(200, render.render_document(org, document))


def _org_state(org):
    return {
        "tenant_id": org.tenant_id,
        "name": org.name,
        "short_code": org.short_code,
        "base_currency": org.base_currency,
        "period_lock_date": org.period_lock_date.isoformat(),
        "end_of_year_lock_date": org.end_of_year_lock_date.isoformat(),
        "invoices": [render.render_document(org, d) for d in org.invoices.values()],
        "credit_notes": [render.render_document(org, d) for d in org.credit_notes.values()],
        "contacts": [render.render_contact(c) for c in org.contacts.values()],
        "attachments": [
            {
                "document_id": d.document_id,
                "FileName": a.file_name,
                "MimeType": a.mime_type,
                "ContentLength": len(a.content),
            }
            for d in [*org.invoices.values(), *org.credit_notes.values()]
            for a in d.attachments
        ],
    }
