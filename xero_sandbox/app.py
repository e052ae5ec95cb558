"""The sandbox without HTTP: state, clock, limits, faults and the routing of requests."""

import re
import threading
import traceback

from .accounting import Accounting
from .clock import Clock
from .control import Control
from .faults import Faults
from .idempotency import IdempotencyCache
from .identity import Identity
from .limits import RateLimiter
from .requestlog import RequestLog
from .seed import build_state
from .webapp import WebApp
from .wire import BadRequest, api_error, json_response, problem

MAX_API_BODY = int(3.5 * 1024 * 1024)  # "A single POST ... has a size limit of 3.5MB" (Xero)
UNKNOWN_ERROR = (  # [Xero]
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for "
    "current service status. Contact the API support team at api@xero.com for more assistance."
)


class Router:
    def __init__(self, routes):
        self._routes = [
            (method, re.compile(pattern + "$", re.IGNORECASE), handler)
            for method, pattern, handler in routes
        ]

    def match(self, method, path):
        """(handler, path parameters), or (None, True) when only the method is wrong."""
        path_known = False
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if found:
                if route_method == method:
                    return handler, found.groupdict()
                path_known = True
        return None, path_known


class Sandbox:
    def __init__(self, clock=None):
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.limits = RateLimiter(self.clock)
        self.faults = Faults()
        self.idempotency = IdempotencyCache(self.clock)
        self.log = RequestLog(self.clock)
        self.identity = Identity(self)
        self.accounting = Accounting(self)
        self.control = Control(self)
        self._xero = Router(
            self.identity.routes() + self.accounting.routes() + WebApp(self).routes()
        )
        self._control = Router(self.control.routes())
        self.reset()

    def reset(self):
        with self.lock:
            self.state = build_state(self.clock.now())
            self.settings = {"mfa": True, "redirect_uris": []}
            self.limits.clear()
            self.faults.clear()
            self.idempotency.clear()
            self.log.clear()

    def handle(self, request):
        if request.path.startswith("/_sandbox"):
            try:
                return self._route(self._control, request, control=True)
            except Exception:
                # A bug of the sandbox: the test that called it must see it, not a 400.
                return json_response(
                    500, {"error": "sandbox crash", "crash": traceback.format_exc()}
                )
        self.faults.delay()
        crash = None
        fault = self.faults.take_status(request.path)
        if fault == 500:
            response = api_error(500, "UnknownErrorException", UNKNOWN_ERROR, 500)
        elif fault == 503:
            response = api_error(
                503, "NotAvailableException", "The Xero API is temporarily unavailable.", 503
            )
        elif request.path.lower().startswith("/api.xro/") and len(request.body) > MAX_API_BODY:
            response = problem(
                413, "Request Entity Too Large", "A single request is limited to 3.5 MB of data."
            )
        else:
            try:
                response = self._route(self._xero, request)
            except Exception:
                # A bug of the sandbox, not of the client: answered as Xero answers its own
                # failures, and kept in the log so that the test that caused it fails
                # (tests/common.py, fixtures.py) instead of taking it for Xero being down.
                crash = traceback.format_exc()
                response = api_error(500, "UnknownErrorException", UNKNOWN_ERROR, 500)
            response.drop = self.faults.take_drop(request.path)
        self.log.record(request, response, crash)
        return response

    @staticmethod
    def _route(router, request, control=False):
        handler, params = router.match(request.method, request.path)
        if handler is None:
            status, title = (405, "Method Not Allowed") if params else (404, "NotFound")
            return problem(status, title, f"No {request.method} {request.path} here")
        try:
            return handler(request, **params)
        except BadRequest as error:
            if control:
                return json_response(error.status, {"error": error.message})
            return api_error(error.status, error.error_type, error.message, error.number)
        except (ValueError, TypeError) as error:
            if not control:
                raise
            return json_response(400, {"error": str(error)})
