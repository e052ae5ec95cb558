"""The log of requests made to the Xero endpoints, kept without secrets.

Authorization and cookie headers are dropped; tokens, codes, verifiers, secrets and passwords in
query strings and bodies are replaced by "[redacted]". A request the sandbox itself failed on
(an exception in its code, answered as Xero's 500) carries the traceback as "crash".
"""

import json
import threading
from collections import deque
from urllib.parse import parse_qs

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "code_verifier",
        "id_token",
        "mfa_code",
        "password",
        "refresh_token",
        "session",
        "token",
    }
)
REDACTED = "[redacted]"
MAX_ENTRIES = 5000


def redact(value):
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_FIELDS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _body(request):
    if not request.body:
        return None
    content_type = (request.header("Content-Type") or "").lower()
    if "json" in content_type:
        try:
            return redact(json.loads(request.body))
        except (UnicodeDecodeError, json.JSONDecodeError):
            pass
    elif "x-www-form-urlencoded" in content_type:
        form = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return redact({k: v[-1] if len(v) == 1 else v for k, v in form.items()})
    return {"bytes": len(request.body), "content_type": content_type}


class RequestLog:
    def __init__(self, clock):
        self.clock = clock
        self._lock = threading.Lock()
        self._entries = deque(maxlen=MAX_ENTRIES)
        self._serial = 0

    def clear(self):
        with self._lock:
            self._entries.clear()

    def record(self, request, response, crash=None):
        """Log one request; `crash` is the traceback when the sandbox itself failed on it."""
        entry = {
            "time": self.clock.describe()["now"],
            "method": request.method,
            "path": request.path,
            "query": redact({k: v[-1] if len(v) == 1 else v for k, v in request.query.items()}),
            "headers": {
                k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS
            },
            "body": _body(request),
            "status": response.status,
            "dropped": response.drop,
        }
        if crash:
            entry["crash"] = crash
        with self._lock:
            self._serial += 1
            entry["id"] = self._serial
            self._entries.append(entry)

    def entries(self):
        with self._lock:
            return list(self._entries)
