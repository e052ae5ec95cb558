"""Idempotency-Key: a write retried with the same key and body within the retention window gets the
first answer again and changes nothing; the same key with another request is refused.
"""

import hashlib
from datetime import timedelta

MAX_KEY_LENGTH = 128  # Xero's OpenAPI: "128 character max"
RETENTION = timedelta(minutes=6)  # third-party reports of Xero's window; see XERO_FACTS.md


class IdempotencyCache:
    def __init__(self, clock):
        self.clock = clock
        self._entries = {}  # (client, tenant, key) -> (fingerprint, response, stored at)

    def clear(self):
        self._entries.clear()

    @staticmethod
    def fingerprint(request):
        digest = hashlib.sha256()
        for part in (request.method, request.path.lower(), repr(sorted(request.query.items()))):
            digest.update(part.encode())
            digest.update(b"\0")
        digest.update(request.body)
        return digest.hexdigest()

    def lookup(self, scope, fingerprint):
        """(False, None) for a new key; (True, response) to replay; (True, None) on misuse."""
        now = self.clock.now()
        self._entries = {k: v for k, v in self._entries.items() if now - v[2] < RETENTION}
        entry = self._entries.get(scope)
        if entry is None:
            return False, None
        stored_fingerprint, response, _ = entry
        return True, (response if stored_fingerprint == fingerprint else None)

    def store(self, scope, fingerprint, response):
        self._entries[scope] = (fingerprint, response, self.clock.now())
