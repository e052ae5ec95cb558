"""Xero's limits per organisation, shared by every worker of every server through PostgreSQL.

Xero allows an app 60 calls a minute, 5 at once and 5,000 a day per organisation (1,000 a day on
its Starter tier): see ../shared/XERO_FACTS.md. One row per organisation keeps when the calls of the
last minute and the last day were made (Xero's windows roll: a fixed minute, restarted at its end,
would call while Xero still counts the previous one's calls), and remembers until when Xero said to
stop (a 429's Retry-After). Calls in
flight hold one of five advisory locks in a transaction of their own, released when the call ends
or its worker dies; a call takes its lock before it is counted, as one refused a lock is not made.

A worker about to make many calls one after the other (a file per document) reserves them: they
are counted at once, in one transaction, as made at the end of the time they may take, and then
counted again at the seconds they were made in (so that the windows are as exact as with one
transaction per call); the worker holds one slot for all of them, as it makes one at a time.
"""

import hashlib
import json
import logging
import math
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..xero import XeroRateLimitError

_logger = logging.getLogger(__name__)

LOCK_TRIES = 10
MINUTE_LIMIT = 60
CONCURRENT_LIMIT = 5
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
# Without a Retry-After, a 429 stops calls for this long.
DEFAULT_BLOCK = timedelta(minutes=1)
# Reserved calls are counted as made this many seconds after they were reserved until they are
# counted again as made; a reserved call not made by then is not made (the next goes alone).
RESERVATION_HOLD = 60


class XeroRateLimit(models.Model):
    _name = "xero.rate.limit"
    _description = "Xero Calls to One Organisation"
    _rec_name = "tenant_id"

    tenant_id = fields.Char("Xero Organisation ID", required=True, readonly=True)
    # [[second, calls], ...]: when the calls were made, in whole seconds since the epoch rounded
    # up (a call then leaves the window no sooner than Xero forgets it), oldest first.
    minute_calls_at = fields.Json(readonly=True)
    day_calls_at = fields.Json(readonly=True)
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
    def _take(self, connection, count=1, hold=0):
        """Count up to `count` calls (at least one), or raise XeroRateLimitError saying how long
        to wait (after the transaction that learnt it is committed). The calls are counted as
        made `hold` seconds from now. Returns (calls counted, the second they are counted at,
        {header: calls Xero should say are left before them}, as far as this row knows)."""

        def take(row, now):
            if row.blocked_until and row.blocked_until > now:
                return _wait(row.env, row.blocked_until - now, row.blocked_problem)
            moment = time.time()
            second = math.ceil(moment) + hold
            minute = _recent(row.minute_calls_at, moment, MINUTE)
            day = _recent(row.day_calls_at, moment, DAY)
            day_full = _free_at(day, connection.daily_call_limit, DAY)
            if day_full:
                row.update(
                    {
                        "minute_calls_at": minute,
                        "day_calls_at": day,
                        "blocked_until": day_full,
                        "blocked_problem": "day",
                    }
                )
                return _wait(row.env, day_full - now, "day")
            minute_full = _free_at(minute, MINUTE_LIMIT, MINUTE)
            if minute_full:
                row.update({"minute_calls_at": minute, "day_calls_at": day})
                return _wait(row.env, minute_full - now, "minute")
            left = {
                "X-MinLimit-Remaining": MINUTE_LIMIT - _count(minute),
                "X-DayLimit-Remaining": connection.daily_call_limit - _count(day),
            }
            granted = min(count, *left.values())
            row.update(
                {
                    "minute_calls_at": _add(minute, second, granted),
                    "day_calls_at": _add(day, second, granted),
                }
            )
            return granted, second, left

        result = self._locked(connection, take)
        if isinstance(result, XeroRateLimitError):
            raise result
        return result

    @api.model
    def _settle(self, connection, reservation):
        """Count the calls of `reservation` (see _take) at the seconds they were made in, rather
        than at the end of the time they might have taken; those not made, not at all."""
        made = {}
        for second in reservation.made:
            made[second] = made.get(second, 0) + 1
        if made == {reservation.second: reservation.granted}:
            return

        def settle(row, now):
            moment = time.time()
            values = {}
            for field, length in (("minute_calls_at", MINUTE), ("day_calls_at", DAY)):
                calls = _recent(row[field], moment, length)
                counted = dict(map(tuple, calls)).get(reservation.second, 0)
                calls = _add(calls, reservation.second, -min(reservation.granted, counted))
                for second, count in made.items():
                    calls = _add(calls, second, count)
                values[field] = _recent(calls, moment, length)
            row.update(values)

        self._locked(connection, settle)

    @api.model
    def _observe(self, connection, status, headers, unmade=0):
        """Learn from an answer: what Xero says is left (it counts calls from anywhere: other
        databases on the same app too), and a 429's Retry-After. `unmade`: calls this row counts
        that the caller reserved and has not made yet, which Xero cannot count."""

        def observe(row, now):
            # Calls Xero counts and this row does not were made elsewhere, when is unknown:
            # counted as made now, the latest they can have been.
            values = {}
            moment = time.time()
            for field, header, limit, length in (
                ("minute_calls_at", "X-MinLimit-Remaining", MINUTE_LIMIT, MINUTE),
                ("day_calls_at", "X-DayLimit-Remaining", connection.daily_call_limit, DAY),
            ):
                left = _number(headers.get(header))
                if left is None:
                    continue
                known = _recent(row[field], moment, length)
                unknown = limit - left - _count(known) + unmade
                if unknown > 0:
                    values[field] = _add(known, math.ceil(moment), unknown)
            if status == 429:
                wait = _number(headers.get("Retry-After"))
                until = now + (timedelta(seconds=wait) if wait is not None else DEFAULT_BLOCK)
                values.update(
                    blocked_until=max(until, row.blocked_until or until),
                    blocked_problem=headers.get("X-Rate-Limit-Problem") or "minute",
                )
                _logger.info("Xero said to wait until %s (%s)", until, values["blocked_problem"])
            if values:
                row.update(values)

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
        # Plain statements: this runs for every call (or reservation) to Xero, and the ORM's
        # read and write of the row would take twice as many.
        tenant = connection.tenant_id
        with self.env.registry.cursor() as cr:
            found = _select_row(cr, tenant, lock=True)
            if not found:
                cr.execute(
                    "INSERT INTO xero_rate_limit (tenant_id) VALUES (%s) "
                    "ON CONFLICT (tenant_id) DO NOTHING",
                    [tenant],
                )
                found = _select_row(cr, tenant, lock=True)
            row = _Row(self.env(cr=cr, su=True), found)
            result = work(row, fields.Datetime.now())
            if row.changes:
                cr.execute(
                    SQL(
                        "UPDATE xero_rate_limit SET %s, write_date = now() AT TIME ZONE 'UTC' "
                        "WHERE id = %s",
                        SQL(", ").join(
                            SQL(
                                "%s = %s",
                                SQL.identifier(name),
                                json.dumps(value) if name in JSON_FIELDS else value,
                            )
                            for name, value in row.changes.items()
                        ),
                        row.id,
                    )
                )
            return result

    @api.model
    def _waiting(self, tenant_id, calls=1):
        """(until when, why) `calls` calls to this organisation wait, or (None, None): Xero said
        to wait, or fewer calls are left of the last minute's."""
        row = self._row(tenant_id)
        if row.blocked_until and row.blocked_until > fields.Datetime.now():
            return row.blocked_until, limit_name(self.env, row.blocked_problem)
        minute = _recent(row.minute_calls_at, time.time(), MINUTE)
        minute_full = _free_at(minute, MINUTE_LIMIT - calls + 1, MINUTE)
        if minute_full:
            return minute_full, limit_name(self.env, "minute")
        return None, None

    def _row(self, tenant_id):
        return _Row(self.env, _select_row(self.env.cr, tenant_id) or dict.fromkeys(ROW_FIELDS))

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
                error = _wait(self.env, timedelta(seconds=1), "concurrent")
            if not error:
                try:
                    yield
                except Exception as exc:
                    error = exc
        if error:
            raise error


ROW_FIELDS = ("id", "minute_calls_at", "day_calls_at", "blocked_until", "blocked_problem")
JSON_FIELDS = ("minute_calls_at", "day_calls_at")


def _select_row(cr, tenant, lock=False):
    cr.execute(
        SQL(
            "SELECT %s FROM xero_rate_limit WHERE tenant_id = %s %s",
            SQL(", ").join(map(SQL.identifier, ROW_FIELDS)),
            tenant,
            SQL("FOR UPDATE") if lock else SQL(),
        )
    )
    return cr.dictfetchone()


class _Row:
    """An organisation's row as XeroRateLimit._locked hands it to its work: its values, and
    what `update` changed of them (written in one statement; none when nothing changed, as
    when a call waits and no call has left the windows since the last one)."""

    def __init__(self, env, values):
        self.env, self.values, self.changes = env, values, {}

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name):
        return self.values[name]

    def update(self, values):
        changed = {name: value for name, value in values.items() if value != self.values[name]}
        self.values.update(changed)
        self.changes.update(changed)


class _Limiter:
    """What XeroClient expects of a limiter, for one connection."""

    def __init__(self, model, connection):
        self.model, self.connection = model, connection
        self.expected = {}
        self.reservation = None

    @contextmanager
    def call(self):
        held = self.reservation
        if held and held.usable():
            self.expected = held.use()
            yield
        elif held:
            # Beyond what was reserved: counted alone, in the slot the reservation holds.
            self.expected = _Reservation(*self.model._take(self.connection)).use()
            yield
        else:
            # The slot first: a call refused for want of one never goes, and must not use up
            # the minute's and the day's calls.
            with self.model._slot(self.connection):
                self.expected = _Reservation(*self.model._take(self.connection)).use()
                yield

    @contextmanager
    def reserve(self, count):
        """Up to `count` calls, made one after the other in the block, counted in two
        transactions rather than one each (see the module's doc); the block holds one slot. Raises
        XeroRateLimitError, as a call does, when not even one call can be made now."""
        # The slot first, as for one call (see call).
        with self.model._slot(self.connection):
            reservation = _Reservation(
                *self.model._take(self.connection, count, hold=RESERVATION_HOLD),
                deadline=time.time() + RESERVATION_HOLD,
            )
            self.reservation = reservation
            try:
                yield
            finally:
                self.reservation = None
                self.model._settle(self.connection, reservation)

    def observe(self, status, headers):
        # An answer that leaves at least what the row expects teaches nothing: its transaction
        # (a lock, a read, a commit per call) is saved.
        if status != 429 and all(
            (left := _number(headers.get(header))) is None or left >= expected
            for header, expected in self.expected.items()
        ):
            return
        held = self.reservation
        unmade = held.granted - len(held.made) if held else 0
        self.model._observe(self.connection, status, headers, unmade)


class _Reservation:
    """Calls counted together (see XeroRateLimit._take), and when those made were made."""

    def __init__(self, granted, second, left, deadline=None):
        self.granted, self.second, self.left = granted, second, left
        self.deadline = deadline
        self.made = []

    def usable(self):
        return len(self.made) < self.granted and time.time() < self.deadline

    def use(self):
        """Count one call made now; returns what Xero should then say is left."""
        self.made.append(math.ceil(time.time()))
        return {header: left - len(self.made) for header, left in self.left.items()}


# The texts below are translated through `env`: a module function has no `self.env` for `_()` to
# find a language by (outside a request it logs a warning, with its stack, every time).
def _wait(env, delta, problem):
    seconds = max(int(delta.total_seconds() + 0.999), 1)
    return XeroRateLimitError(
        env._(
            "%(limit)s: wait %(seconds)s seconds.",
            limit=limit_name(env, problem),
            seconds=seconds,
        ),
        retry_after=seconds,
        problem=problem,
    )


def limit_name(env, problem):
    """Which of Xero's limits `problem` (X-Rate-Limit-Problem) names, in words."""
    texts = {
        "minute": env._("Xero's limit of 60 calls a minute"),
        "day": env._("Xero's daily call limit"),
        "concurrent": env._("Xero's limit of 5 calls at once"),
        "appminute": env._("Xero's limit of calls a minute for this app"),
    }
    return texts.get(problem, problem)


def _recent(calls, moment, length):
    """The [second, calls] pairs of `calls` still in the window of `length` ending at `moment`
    (a timestamp): a call recorded at second s leaves it at s + length, whole seconds, when
    Xero has forgotten it for sure."""
    horizon = math.floor(moment) - length.total_seconds()
    return sorted([at, count] for at, count in calls or [] if at > horizon)


def _count(calls):
    return sum(count for _at, count in calls)


def _add(calls, second, count):
    """`calls` with `count` more calls (fewer, if negative) at `second`, oldest first."""
    counts = {}
    for at, calls_at in [*calls, [second, count]]:
        counts[at] = counts.get(at, 0) + calls_at
    return [[at, calls_at] for at, calls_at in sorted(counts.items()) if calls_at > 0]


def _free_at(calls, limit, length):
    """When the window of `length` holds fewer than `limit` of `calls` again (naive UTC, whole
    seconds), or None if it does now."""
    excess = _count(calls) - limit + 1
    if excess <= 0:
        return None
    for at, count in calls:
        excess -= count
        if excess <= 0:
            moment = datetime.fromtimestamp(at + length.total_seconds(), timezone.utc)
            return moment.replace(tzinfo=None)
    return None


def _number(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
