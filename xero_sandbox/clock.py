"""The sandbox's one source of time.

Every expiry (codes, tokens, idempotency keys) and every rate-limit window reads this clock, so a
test moves time forward with ``advance()`` instead of sleeping.
"""

import threading
from datetime import datetime, timedelta, timezone


def utcnow():
    return datetime.now(timezone.utc)


def parse_instant(value):
    """An ISO 8601 instant; a value without an offset is taken as UTC."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class Clock:
    """Wall-clock time shifted by an offset, or frozen at one instant."""

    def __init__(self, frozen_at=None):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at = frozen_at

    def now(self):
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return utcnow() + self._offset

    def timestamp(self):
        return self.now().timestamp()

    @property
    def frozen(self):
        return self._frozen_at is not None

    def advance(self, seconds):
        step = timedelta(seconds=float(seconds))
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step

    def set(self, moment):
        """Jump to ``moment``; a frozen clock stays frozen there, a running one runs on from it."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = moment
            else:
                self._offset = moment - utcnow()

    def freeze(self, moment=None):
        current = self.now()
        with self._lock:
            self._frozen_at = moment or current

    def unfreeze(self):
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - utcnow()
                self._frozen_at = None

    def describe(self):
        return {"now": self.now().isoformat().replace("+00:00", "Z"), "frozen": self.frozen}
