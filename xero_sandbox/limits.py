"""Xero's API rate limits: per app and tenant 60 calls a minute, 5,000 a day and 5 at once; per app
10,000 calls a minute across tenants (developer.xero.com/documentation/guides/oauth2/limits).

Windows are rolling and read the sandbox clock. A refused call is not counted.
"""

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

MINUTE = 60
DAY = 24 * 60 * 60


@dataclass
class LimitSettings:
    minute_limit: int = 60
    day_limit: int = 5000  # Xero's 2026 Starter tier allows 1,000: set day_limit to try it
    concurrent_limit: int = 5
    app_minute_limit: int = 10000


@dataclass
class Admission:
    admitted: bool
    headers: dict


class RateLimiter:
    def __init__(self, clock):
        self.clock = clock
        self.settings = LimitSettings()
        self._lock = threading.Lock()
        self._minute = defaultdict(deque)  # (client, tenant) -> call times
        self._day = defaultdict(deque)
        self._app_minute = defaultdict(deque)  # client -> call times
        self._in_flight = defaultdict(int)

    def clear(self):
        with self._lock:
            self.settings = LimitSettings()
            self._minute.clear()
            self._day.clear()
            self._app_minute.clear()
            self._in_flight.clear()

    def admit(self, client_id, tenant_id):
        """Count a call and take a concurrency slot, or say which limit refuses it."""
        key = (client_id, tenant_id)
        now = self.clock.timestamp()
        limits = self.settings
        with self._lock:
            minute = _window(self._minute[key], now, MINUTE)
            day = _window(self._day[key], now, DAY)
            app = _window(self._app_minute[client_id], now, MINUTE)
            refusal = None
            if len(day) >= limits.day_limit:
                refusal = ("day", day[0] + DAY - now)
            elif len(minute) >= limits.minute_limit:
                refusal = ("minute", minute[0] + MINUTE - now)
            elif len(app) >= limits.app_minute_limit:
                refusal = ("appminute", app[0] + MINUTE - now)
            elif self._in_flight[key] >= limits.concurrent_limit:
                refusal = ("concurrent", 1)
            if refusal is None:
                for calls in (minute, day, app):
                    calls.append(now)
                self._in_flight[key] += 1
            headers = {
                "X-DayLimit-Remaining": str(max(limits.day_limit - len(day), 0)),
                "X-MinLimit-Remaining": str(max(limits.minute_limit - len(minute), 0)),
                "X-AppMinLimit-Remaining": str(max(limits.app_minute_limit - len(app), 0)),
            }
        if refusal is None:
            return Admission(True, headers)
        problem, wait = refusal
        headers["X-Rate-Limit-Problem"] = problem
        headers["Retry-After"] = str(max(math.ceil(wait), 1))
        return Admission(False, headers)

    def release(self, client_id, tenant_id):
        with self._lock:
            self._in_flight[(client_id, tenant_id)] -= 1

    def in_flight(self):
        with self._lock:
            return {f"{client}/{tenant}": n for (client, tenant), n in self._in_flight.items() if n}


def _window(calls, now, length):
    while calls and calls[0] <= now - length:
        calls.popleft()
    return calls
