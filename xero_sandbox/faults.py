"""Failures a test can order: latency, 500/503 answers, answers lost after the work was done, and a
hold that keeps API calls in flight until released: before the work (to fill the concurrency limit
without timing) or after it, with the answer not yet sent (a client that dies there has had its
request applied and never learns it).
"""

import threading
import time

from .wire import BadRequest

# A held call gives up after this long, so a test that forgets to release cannot hang the server.
MAX_HOLD_SECONDS = 30


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._held_changed = threading.Condition(self._lock)
        self.clear()

    def clear(self):
        with self._lock:
            self.latency = 0.0
            self.status = None  # {"code", "count", "path_prefix"}
            self.drop = None  # {"count", "path_prefix"}
            self.hold = None  # {"when": "request" | "answer", "path_prefix"}
            self.held = 0
            self._held_changed.notify_all()

    def configure(self, body):
        """Apply the JSON body of POST /_sandbox/faults (see control.py)."""
        with self._lock:
            if "latency" in body:
                self.latency = max(float(body["latency"]), 0.0)
            if "status" in body:
                status = _counted(body["status"], "/api.xro/")
                if status:
                    status["code"] = int(body["status"].get("code", 503))
                    if status["code"] not in (500, 503):
                        raise BadRequest("status code must be 500 or 503")
                self.status = status
            if "drop" in body:
                self.drop = _counted(body["drop"], "/api.xro/")
            if "hold" in body:
                self.hold = _hold(body["hold"])
                self._held_changed.notify_all()

    def describe(self):
        with self._lock:
            return {
                "latency": self.latency,
                "status": self.status,
                "drop": self.drop,
                "hold": self.hold,
                "held": self.held,
            }

    def delay(self):
        if self.latency:
            time.sleep(self.latency)  # real latency on purpose: it is what a client's timeout sees

    def take_status(self, path):
        with self._lock:
            return _take(self.status, path) and self.status["code"]

    def take_drop(self, path):
        with self._lock:
            return _take(self.drop, path)

    def wait_while_held(self, when, path):
        """Keep this call here while a hold for `when` ("request" or "answer") covers `path`."""
        with self._lock:
            hold = self.hold
            if not hold or hold["when"] != when or not path.startswith(hold["path_prefix"]):
                return
            self.held += 1
            self._held_changed.notify_all()
            self._held_changed.wait_for(lambda: not self.hold, timeout=MAX_HOLD_SECONDS)
            self.held -= 1

    def await_held(self, count, timeout):
        """Block until ``count`` calls are held; False on timeout."""
        with self._lock:
            return self._held_changed.wait_for(lambda: self.held >= count, timeout=timeout)


def _hold(spec):
    if spec is True:
        return {"when": "request", "path_prefix": "/api.xro/"}
    if not spec:
        return None
    if not isinstance(spec, dict) or spec.get("when", "request") not in ("request", "answer"):
        raise BadRequest(
            'hold is true, false or {"when": "request" | "answer", "path_prefix": "/api.xro/"}'
        )
    return {
        "when": spec.get("when", "request"),
        "path_prefix": spec.get("path_prefix", "/api.xro/"),
    }


def _counted(spec, default_prefix):
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise BadRequest('a fault is an object such as {"count": 1, "path_prefix": "/api.xro/"}')
    return {
        "count": int(spec.get("count", 1)),
        "path_prefix": spec.get("path_prefix", default_prefix),
    }


def _take(fault, path):
    if not fault or fault["count"] <= 0 or not path.startswith(fault["path_prefix"]):
        return False
    fault["count"] -= 1
    return True
