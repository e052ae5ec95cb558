"""Xero's limits per organisation, shared by every worker of every server through PostgreSQL.

Xero allows an app 60 calls a minute, 5 at once and 5,000 a day per organisation (1,000 a day on
its Starter tier): see ../shared/XERO_FACTS.md. One row per organisation counts the calls of the
current minute and day, and remembers until when Xero said to stop (a 429's Retry-After). Calls in
flight hold one of five advisory locks in a transaction of their own, released when the call ends
or its worker dies.
"""

import hashlib
import logging
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..xero import XeroRateLimitError

_logger = logging.getLogger(__name__)

LOCK_TRIES = 10
MINUTE_LIMIT = 60
CONCURRENT_LIMIT = 5
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# Without a Retry-After, a 429 stops calls for this long.
DEFAULT_BLOCK = timedelta(minutes=1)


class XeroRateLimit(models.Model):
    _name = "xero.rate.limit"
    _description = "Xero Calls to One Organisation"
    _rec_name = "tenant_id"

    tenant_id = fields.Char("Xero Organisation ID", required=True, readonly=True)
    minute_start = fields.Datetime(readonly=True)
    minute_calls = fields.Integer(readonly=True)
    day_start = fields.Datetime(readonly=True)
    day_calls = fields.Integer(readonly=True)
    blocked_until = fields.Datetime(readonly=True, help="No call to Xero before this time.")
    blocked_problem = fields.Char(readonly=True)

    _sql_constraints = [
        ("tenant_uniq", "unique(tenant_id)", "One row of limits per Xero organisation."),
    ]

    @api.model
    def _limiter(self, connection):
        return _Limiter(self, connection)

    # -- in a transaction of its own, the organisation's row locked

    @api.model
    def _take(self, connection):
        """Count one call now, or raise XeroRateLimitError saying how long to wait (after the
        transaction that learnt it is committed)."""

        def take(row, now):
            if row.blocked_until and row.blocked_until > now:
                return _wait(row.blocked_until - now, row.blocked_problem)
            values = {}
            if not row.minute_start or now - row.minute_start >= MINUTE:
                values.update(minute_start=now, minute_calls=0)
            if not row.day_start or now - row.day_start >= DAY:
                values.update(day_start=now, day_calls=0)
            minute_start = values.get("minute_start", row.minute_start)
            minute_calls = values.get("minute_calls", row.minute_calls)
            day_start = values.get("day_start", row.day_start)
            day_calls = values.get("day_calls", row.day_calls)
            if day_calls >= connection.daily_call_limit:
                row.write({**values, "blocked_until": day_start + DAY, "blocked_problem": "day"})
                return _wait(day_start + DAY - now, "day")
            if minute_calls >= MINUTE_LIMIT:
                row.write(values)
                return _wait(minute_start + MINUTE - now, "minute")
            row.write({**values, "minute_calls": minute_calls + 1, "day_calls": day_calls + 1})
            return None

        refusal = self._locked(connection, take)
        if refusal:
            raise refusal

    @api.model
    def _observe(self, connection, status, headers):
        """Learn from an answer: what Xero says is left (it counts calls from anywhere: other
        databases on the same app too), and a 429's Retry-After."""

        def observe(row, now):
            values = {}
            minute_left = _number(headers.get("X-MinLimit-Remaining"))
            if minute_left is not None:
                values["minute_calls"] = max(row.minute_calls, MINUTE_LIMIT - minute_left)
            day_left = _number(headers.get("X-DayLimit-Remaining"))
            if day_left is not None:
                values["day_calls"] = max(row.day_calls, connection.daily_call_limit - day_left)
            if status == 429:
                wait = _number(headers.get("Retry-After"))
                until = now + (timedelta(seconds=wait) if wait is not None else DEFAULT_BLOCK)
                values.update(
                    blocked_until=max(until, row.blocked_until or until),
                    blocked_problem=headers.get("X-Rate-Limit-Problem") or "minute",
                )
                _logger.info("Xero said to wait until %s (%s)", until, values["blocked_problem"])
            if values:
                row.write(values)

        self._locked(connection, observe)

    def _locked(self, connection, work):
        """`work(row, now)` on the organisation's row, locked, in a transaction of its own; a
        concurrent update (another worker's call) starts it again."""
        for attempt in range(1, LOCK_TRIES + 1):
            try:
                return self._locked_once(connection, work)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt == LOCK_TRIES:
                    raise
        return None

    def _locked_once(self, connection, work):
        tenant = connection.tenant_id
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, su=True)
            cr.execute(
                "INSERT INTO xero_rate_limit (tenant_id, minute_calls, day_calls) "
                "VALUES (%s, 0, 0) ON CONFLICT (tenant_id) DO NOTHING",
                [tenant],
            )
            cr.execute("SELECT id FROM xero_rate_limit WHERE tenant_id = %s FOR UPDATE", [tenant])
            row = env[self._name].browse(cr.fetchone()[0])
            row.invalidate_recordset()
            result = work(row, fields.Datetime.now())
            # In the tests this cursor shares the test's transaction and its commit does not
            # flush it: flushed here, as a real commit would.
            env.flush_all()
            return result

    @api.model
    def _waiting(self, tenant_id):
        """(until when, why) calls to this organisation wait, or (None, None)."""
        row = self.sudo().search([("tenant_id", "=", tenant_id)], limit=1)
        if row.blocked_until and row.blocked_until > fields.Datetime.now():
            return row.blocked_until, limit_name(row.blocked_problem)
        return None, None

    @contextmanager
    def _slot(self, connection):
        """One of the organisation's five calls at once, held until the block ends. Its
        transaction ends normally whatever the call raised: a rollback here would, in the tests
        where all cursors share one transaction, undo what was learnt during the call."""
        space = int.from_bytes(hashlib.sha256(connection.tenant_id.encode()).digest()[:4], "big")
        error = None
        with self.env.registry.cursor() as cr:
            for slot in range(CONCURRENT_LIMIT):
                cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [space >> 1, slot])
                if cr.fetchone()[0]:
                    break
            else:
                error = _wait(timedelta(seconds=1), "concurrent")
            if not error:
                try:
                    yield
                except Exception as exc:
                    error = exc
        if error:
            raise error


class _Limiter:
    """What XeroClient expects of a limiter, for one connection."""

    def __init__(self, model, connection):
        self.model, self.connection = model, connection

    @contextmanager
    def call(self):
        self.model._take(self.connection)
        with self.model._slot(self.connection):
            yield

    def observe(self, status, headers):
        self.model._observe(self.connection, status, headers)


def _wait(delta, problem):
    seconds = max(int(delta.total_seconds() + 0.999), 1)
    return XeroRateLimitError(
        _("%(limit)s: wait %(seconds)s seconds.", limit=limit_name(problem), seconds=seconds),
        retry_after=seconds,
        problem=problem,
    )


def limit_name(problem):
    """Which of Xero's limits `problem` (X-Rate-Limit-Problem) names, in words."""
    texts = {
        "minute": _("Xero's limit of 60 calls a minute"),
        "day": _("Xero's daily call limit"),
        "concurrent": _("Xero's limit of 5 calls at once"),
        "appminute": _("Xero's limit of calls a minute for this app"),
    }
    return texts.get(problem, problem)


def _number(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
