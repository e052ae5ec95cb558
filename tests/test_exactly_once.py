"""In Xero exactly once, whatever happens: on really committed data (see committed.py), every
send by an invoicing user without an e-mail address, each test asserting on what the sandbox holds.
"""

import datetime
import hashlib
import subprocess
import threading
from pathlib import Path
from unittest.mock import patch

import pytest
import requests
from freezegun import freeze_time

import odoo
from odoo import fields, sql_db

from ..models.xero_move_export import SETTLE_AFTER, STEP_SAFETY_WAIT
from ..xero import XeroRateLimitError
from ..xero.crypto import SecretCipher
from ..xero_sandbox import seed
from .committed import *  # noqa: F403 (pytest fixtures)
from .committed import ODOO as ODOO_CLI

INVOICES = "/api.xro/2.0/Invoices"
HOLD_TIMEOUT = 20


def _two_workers_at_once(fresh, **run):
    """Two workers run the queue's job (with `run`) at once: each one's invoices request is held
    at Xero until both are in flight."""
    fresh.control("faults", hold={"when": "request", "path_prefix": INVOICES})
    errors = []

    def worker():
        try:
            with fresh.env() as env:
                env["xero.move.export"]._cron_send_queued(**run)
        except Exception as exc:
            errors.append(exc)

    workers = [threading.Thread(target=worker) for _n in range(2)]
    try:
        for thread in workers:
            thread.start()
        assert fresh.control("faults", await_held=2, timeout=HOLD_TIMEOUT)["await_held"]
    finally:
        _release(fresh)
        for thread in workers:
            thread.join(timeout=60)
    assert errors == []


def _release(world):
    world.control("faults", hold=False)


def test_two_users_send_overlapping_selections_at_once(fresh):
    bills = fresh.bills("Overlap Breweries", 29, "OVL")
    first, second = bills[0:19], bills[9:29]
    # The first user's invoices request is held at Xero while the second user sends.
    fresh.control("faults", hold={"when": "request", "path_prefix": INVOICES})
    results, errors = {}, []

    def user(name, move_ids, uid):
        try:
            results[name] = fresh.send(move_ids, uid=uid)
        except Exception as exc:
            errors.append(exc)

    one = threading.Thread(target=user, args=("first", first, fresh.clerk))
    two = threading.Thread(target=user, args=("second", second, fresh.other_clerk))
    try:
        one.start()
        assert fresh.control("faults", await_held=1, timeout=HOLD_TIMEOUT)["await_held"]
        two.start()
        assert fresh.control("faults", await_held=2, timeout=HOLD_TIMEOUT)["await_held"]
    finally:
        _release(fresh)
        one.join(timeout=60)
        two.join(timeout=60)
    assert errors == []
    fresh.assert_exactly_once(bills, "OVL")
    overlap = set(first) & set(second)
    assert {results["first"][m][0] for m in first} == {"created"}
    assert {results["second"][m][0] for m in overlap} == {"skipped"}
    assert all("Casey Clerk" in results["second"][m][1] for m in overlap)
    assert {results["second"][m][0] for m in set(second) - overlap} == {"created"}


def test_lost_answer_retried_within_and_after_the_idempotency_window(fresh):
    for window, prefix in ((0, "LOSTA"), (10 * 60, "LOSTB")):
        bills = fresh.bills(f"Lost Answer {prefix}", 2, prefix)
        fresh.control("faults", drop={"count": 1, "path_prefix": INVOICES})
        fresh.send(bills)
        assert {state for state, _i, _e in fresh.exports(bills).values()} == {"uncertain"}
        fresh.control("clock", advance=window)
        fresh.send(bills, action="retry")
        fresh.drain()
        fresh.assert_exactly_once(bills, prefix)


def test_lost_answer_then_only_one_of_the_two_is_sent_again(fresh):
    bills = fresh.bills("Subset Spirits", 2, "SUB")
    fresh.control("faults", drop={"count": 1, "path_prefix": INVOICES})
    fresh.send(bills)
    assert len(fresh.invoices()) == 2, "Xero stored both; the answer was lost"
    fresh.send(bills[:1], action="retry")
    fresh.drain()
    assert fresh.exports(bills[:1])[bills[0]][0] == "sent"
    fresh.send(bills[1:], action="retry")
    fresh.drain()
    fresh.assert_exactly_once(bills, "SUB")
    assert len(fresh.requests(INVOICES, "PUT")) == 1, "neither was created again"


def test_a_503_to_the_invoices_is_checked_in_xero_then_sent_once(fresh):
    bills = fresh.bills("Gateway Wines", 3, "GW")
    fresh.control("faults", status={"code": 503, "count": 1, "path_prefix": INVOICES})
    results = fresh.send(bills)
    assert {verdict for verdict, _m in results.values()} == {"queued"}
    states = fresh.exports(bills)
    assert {state for state, _i, _e in states.values()} == {"uncertain"}
    assert all("may have received it" in error for _s, _i, error in states.values())
    fresh.send(bills, action="retry")
    fresh.drain()
    # Not found yet: Xero may still be storing that first request. They wait, uncertain.
    assert {state for state, _i, _e in fresh.exports(bills).values()} == {"uncertain"}
    assert fresh.invoices() == []
    with freeze_time(fields.Datetime.now() + SETTLE_AFTER + datetime.timedelta(seconds=1)):
        fresh.drain()
    fresh.assert_exactly_once(bills, "GW")


def test_a_refusal_fixed_in_xero_then_retried_at_once_is_sent(fresh):
    """Xero refuses a bill dated in its locked period; the adviser moves the lock date back in
    Xero and the clerk retries at once: the bill is created, not answered with Xero's first
    refusal replayed for the same Idempotency-Key."""
    (bill,) = fresh.bills("Locked Period Supplies", 1, "LPS", invoice_date="2026-08-15")
    assert fresh.send([bill])[bill][0] == "failed"
    org = fresh.sandbox.sandbox.state.organisations[seed.AU_TENANT_ID]
    org.period_lock_date = datetime.date(2026, 6, 30)
    fresh.send([bill], action="retry")
    fresh.drain()
    state, xero_id, error = fresh.exports([bill])[bill]
    assert (state, error) == ("sent", False), error
    assert xero_id
    fresh.assert_exactly_once([bill], "LPS")


def test_edited_while_its_answer_was_lost_then_found_by_the_resolver_shows_as_changed(fresh):
    """Xero stored the bill, its answer was lost; the bill is edited in Odoo; the resolver finds
    it in Xero and links it, in the version Xero has: the list says "Changed since sent" (what a
    user filters on to send it again), not "Sent"."""
    (bill,) = fresh.bills("Edited In Doubt Pty", 1, "EID")
    fresh.control("faults", drop={"count": 1, "path_prefix": INVOICES})
    fresh.send([bill])
    assert fresh.exports([bill])[bill][0] == "uncertain"
    with fresh.env() as env:
        move = env["account.move"].browse(bill)
        move.button_draft()
        move.invoice_line_ids.price_unit = 99.0
        move.action_post()
    with fresh.env() as env:
        env["xero.move.export"]._cron_resolve_uncertain()
    (stored,) = [i for i in fresh.invoices() if i["InvoiceNumber"] == "EID-1"]
    assert float(stored["Total"]) == round(2 * 54.90 * 1.1, 2), "Xero has the first version"
    state, xero_id, _error = fresh.exports([bill])[bill]
    assert (state, xero_id) == ("changed", stored["InvoiceID"])


def _send_killed(fresh, bills):
    """The clerk sends `bills`; the worker dies while Xero holds a call."""
    fresh.kill_while_xero_holds(
        f"moves = env['account.move'].with_user({fresh.clerk}).browse({bills})\n"
        f"wizard = env['xero.send.wizard'].with_user({fresh.clerk}).browse("
        f"moves.action_send_to_xero_invoice()['res_id'])\n"
        f"wizard.action_send()\n"
        f"env.cr.commit()\n"
    )


def test_worker_killed_while_attaching_files_then_the_queue_attaches_them(fresh):
    """The worker dies during its first file's call, the documents recorded as sent: the files
    wait in the queue for their send, and go once the worker is surely gone."""
    bills = fresh.bills("Killed While Attaching Co", 3, "KWA")
    fresh.with_files(bills)
    fresh.control("faults", hold={"when": "request", "path_prefix": INVOICES + "/"})
    _send_killed(fresh, bills)
    fresh.assert_exactly_once(bills, "KWA")
    # The call Xero held may have gone through once released: files are keyed by their name.
    held = fresh.attachments()
    fresh.drain()
    assert fresh.attachments() == held, "not before the worker is surely gone"
    with freeze_time(fields.Datetime.now() + STEP_SAFETY_WAIT + datetime.timedelta(seconds=1)):
        fresh.drain()
    assert sorted(a["FileName"] for a in fresh.attachments()) == [
        "KWA-1.pdf",
        "KWA-2.pdf",
        "KWA-3.pdf",
    ]
    with fresh.env() as env:
        exports = env["xero.move.export"].search([("move_id", "in", bills)])
        assert not any(exports.mapped("attachment_pending"))
        assert not any(exports.mapped("queued"))


def test_worker_killed_while_a_file_that_waited_goes_then_the_queue_attaches_it(fresh):
    """Files that waited go in a run of their own, whose worker dies during the first one's call:
    they wait in the queue again, and go once the worker is surely gone."""
    bills = fresh.bills("Killed Later Co", 2, "KLA")
    fresh.with_files(bills)
    fresh.control("faults", status={"code": 503, "count": 2, "path_prefix": INVOICES + "/"})
    fresh.send(bills)
    assert fresh.attachments() == [], "both files wait"
    with fresh.env() as env:
        env.cr.execute(
            "UPDATE xero_move_export SET next_try_at = %s WHERE move_id = ANY(%s)",
            [fields.Datetime.now(), bills],
        )
    fresh.control("faults", hold={"when": "request", "path_prefix": INVOICES + "/"})
    fresh.kill_while_xero_holds("env['xero.move.export']._cron_send_queued()\nenv.cr.commit()\n")
    fresh.drain()
    with freeze_time(fields.Datetime.now() + STEP_SAFETY_WAIT + datetime.timedelta(seconds=1)):
        fresh.drain()
    assert sorted(a["FileName"] for a in fresh.attachments()) == ["KLA-1.pdf", "KLA-2.pdf"]
    with fresh.env() as env:
        exports = env["xero.move.export"].search([("move_id", "in", bills)])
        assert not any(exports.mapped("attachment_pending"))
        assert not any(exports.mapped("queued"))


@pytest.mark.parametrize("send_attachments", [False, True])
def test_worker_killed_while_allocating_then_the_queue_allocates_once(fresh, send_attachments):
    """The worker dies during a credit note's allocation, the credit notes recorded as sent (in
    Xero, approved; their file, if any, done): each allocation waits in the queue as a file does,
    and goes once the worker is surely gone, once."""
    with fresh.env() as env:
        connection = env["xero.connection"].browse(fresh.connection)
        connection.invoice_status = "AUTHORISED"
        connection.send_attachments = send_attachments
    bills = fresh.bills("Killed While Allocating Co", 2, "KAL")
    fresh.send(bills)
    with fresh.env() as env:
        reversals = [{"ref": f"KAL-{n}-CN", "invoice_date": "2026-11-03"} for n in (1, 2)]
        refunds = env["account.move"].browse(bills)._reverse_moves(reversals)
        refunds.action_post()
        refund_ids = refunds.ids
    # The credit notes go (PUT /CreditNotes has no slash after it); the first allocation is held.
    fresh.control("faults", hold={"when": "request", "path_prefix": "/api.xro/2.0/CreditNotes/"})
    fresh.kill_while_xero_holds(
        f"moves = env['account.move'].with_user({fresh.clerk}).browse({refund_ids})\n"
        f"wizard = env['xero.send.wizard'].with_user({fresh.clerk}).browse("
        f"moves.action_send_to_xero_credit_note()['res_id'])\n"
        f"wizard.action_send()\n"
        f"env.cr.commit()\n"
    )
    with fresh.env() as env:
        exports = env["xero.move.export"].search([("move_id", "in", refund_ids)])
        assert exports.mapped("state") == ["sent", "sent"]
        assert all(exports.mapped("allocation_pending")), "the worker died before recording"
        assert all(exports.mapped("queued")), "each waits in the queue for its allocation"
    fresh.drain()
    with freeze_time(fields.Datetime.now() + STEP_SAFETY_WAIT + datetime.timedelta(seconds=1)):
        fresh.drain()
    credited = {i["InvoiceNumber"]: float(i["AmountCredited"]) for i in fresh.invoices()}
    with fresh.env() as env:
        totals = {move.ref: move.amount_total for move in env["account.move"].browse(bills)}
        exports = env["xero.move.export"].search([("move_id", "in", refund_ids)])
        assert not any(exports.mapped("allocation_pending")), exports.mapped("warning")
        assert not any(exports.mapped("queued")), exports.mapped("waiting_reason")
    assert credited == totals, "each credit note allocated, once"


def test_worker_killed_before_recording_then_the_files_of_what_was_found_follow(fresh):
    """The worker dies between Xero's answer and its commit; the resolver finds the bills in
    Xero and links them: their files follow, through the queue."""
    bills = fresh.bills("Killed Before Files Co", 2, "KBF")
    fresh.with_files(bills)
    fresh.control("faults", hold={"when": "answer", "path_prefix": INVOICES})
    _send_killed(fresh, bills)
    with fresh.env() as env:
        env["xero.move.export"]._cron_resolve_uncertain()
    fresh.assert_exactly_once(bills, "KBF")
    with freeze_time(fields.Datetime.now() + STEP_SAFETY_WAIT + datetime.timedelta(seconds=1)):
        fresh.drain()
    assert sorted(a["FileName"] for a in fresh.attachments()) == ["KBF-1.pdf", "KBF-2.pdf"]


def test_worker_killed_between_xero_answer_and_commit_then_recovered(fresh):
    bills = fresh.bills("Killed Worker Ales", 2, "KILL")
    fresh.control("faults", hold={"when": "answer", "path_prefix": INVOICES})
    _send_killed(fresh, bills)
    assert len(fresh.invoices()) == 2, "Xero stored them; the worker never heard back"
    assert {state for state, _i, _e in fresh.exports(bills).values()} == {"sending"}
    with fresh.env() as env:
        env["xero.move.export"]._cron_resolve_uncertain()
    fresh.assert_exactly_once(bills, "KILL")
    again = fresh.send(bills)
    assert {verdict for verdict, _m in again.values()} == {"skip"}
    assert len(fresh.requests(INVOICES, "PUT")) == 1


def test_a_concurrent_edit_while_results_are_recorded_loses_nothing(fresh):
    (bill,) = fresh.bills("Edited Meanwhile Pty", 1, "EDIT")
    fresh.control("faults", hold={"when": "answer", "path_prefix": INVOICES})
    done, errors = [], []

    def user():
        try:
            done.append(fresh.send([bill]))
        except Exception as exc:
            errors.append(exc)

    sender = threading.Thread(target=user)
    sender.start()
    try:
        assert fresh.control("faults", await_held=1, timeout=HOLD_TIMEOUT)["await_held"]
        with fresh.env() as env:
            # Another user edits the bill and keeps the row locked while Xero's answer comes back.
            move = env["account.move"].browse(bill)
            move.payment_reference = "Paid by card"
            move.xero_export_ids.flush_recordset()
            env.flush_all()
            _release(fresh)
            fresh.wait_until_blocked(env.cr)
    finally:
        _release(fresh)
        sender.join(timeout=60)
    assert errors == []
    assert done[0][bill][0] == "created"
    fresh.assert_exactly_once([bill], "EDIT", states=("changed",))
    with fresh.env() as env:
        move = env["account.move"].browse(bill)
        assert move.payment_reference == "Paid by card", "the edit is kept"
        assert move.xero_state == "changed", "edited after it was claimed: sent again next time"
    assert len(fresh.requests(INVOICES, "PUT")) == 1, "the recording was retried, not the call"


def test_an_edit_committed_between_the_review_and_the_claim_shows_as_changed(fresh):
    (bill,) = fresh.bills("Edited Before The Claim Pty", 1, "RACE")
    Export = fresh.registry["xero.move.export"]
    claim = Export._claim

    def claim_after_an_edit(self, *args, **kwargs):
        # The send has reviewed the bill (its transaction's snapshot); another user edits it
        # and commits before the claim.
        with fresh.env() as env:
            move = env["account.move"].browse(bill)
            move.button_draft()
            move.invoice_line_ids.price_unit = 99.0
            move.action_post()
        return claim(self, *args, **kwargs)

    with patch.object(Export, "_claim", claim_after_an_edit):
        assert fresh.send([bill])[bill][0] == "created"
    fresh.assert_exactly_once([bill], "RACE", states=("changed",))
    (sent,) = [i for i in fresh.invoices() if i["InvoiceNumber"] == "RACE-1"]
    assert float(sent["Total"]) == round(2 * 54.90 * 1.1, 2), "the version the review read"


def test_invoicing_user_without_email_sends_and_the_chatter_says_so(fresh):
    bills = fresh.bills("No Email Needed Co", 2, "NOMAIL")
    results = fresh.send(bills)
    assert {verdict for verdict, _m in results.values()} == {"created"}
    fresh.assert_exactly_once(bills, "NOMAIL")
    with fresh.env() as env:
        clerk = env["res.users"].browse(fresh.clerk)
        assert not clerk.email
        for move in env["account.move"].browse(bills):
            note = move.message_ids[0]
            assert "Created in Xero" in note.body
            assert note.author_id == clerk.partner_id


def test_the_rotate_command_moves_every_secret_to_the_first_key(fresh, tmp_path):
    old_key = odoo.tools.config["xero_encryption_key"]
    new_key = SecretCipher.generate_key()
    rcfile = tmp_path / "odoo.conf"
    rcfile.write_text(
        Path(odoo.tools.config.rcfile)
        .read_text()
        .replace(f"xero_encryption_key = {old_key}", f"xero_encryption_key = {new_key},{old_key}")
    )
    done = subprocess.run(
        [
            *ODOO_CLI,
            f"--addons-path={odoo.tools.config['addons_path']}",
            "xero_rotate_keys",
            "-c",
            str(rcfile),
            "-d",
            fresh.dbname,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    try:
        assert done.returncode == 0, done.stderr
        assert f"{fresh.dbname}: 1 Xero secrets re-encrypted" in done.stdout
        with fresh.env() as env:
            stored = env["xero.connection.secret"].sudo().search([]).token
        assert SecretCipher(new_key).decrypt(stored)["access_token"]
    finally:
        # Back to the configured key, for the tests that follow.
        with (
            patch.dict(odoo.tools.config.options, {"xero_encryption_key": f"{old_key},{new_key}"}),
            fresh.env() as env,
        ):
            env["xero.connection"]._rotate_secrets()


def test_the_rotate_command_names_a_database_without_the_addon_and_rotates_the_others(fresh):
    """A partner's server also has a database without the addon (yet): it is named, the command
    exits 1, and the databases after it are still rotated."""
    plain = f"{fresh.dbname}_noxero"
    config = ["-c", odoo.tools.config.rcfile]
    run = {"capture_output": True, "text": True, "check": False, "timeout": 300}
    try:
        made = subprocess.run(
            [*ODOO_CLI, *config, "-d", plain, "-i", "base", "--stop-after-init", "--no-http"],
            **run,
        )
        assert made.returncode == 0, made.stderr
        done = subprocess.run(
            [
                *ODOO_CLI,
                f"--addons-path={odoo.tools.config['addons_path']}",
                "xero_rotate_keys",
                *config,
                "-d",
                f"{plain},{fresh.dbname}",
            ],
            **run,
        )
    finally:
        subprocess.run([*ODOO_CLI, "db", *config, "drop", plain], **run)
    assert done.returncode == 1, done.stderr
    assert f"{plain}: NOT rotated: the Xero addon is not installed there" in done.stdout
    assert f"{fresh.dbname}: 1 Xero secrets re-encrypted" in done.stdout, done.stderr[-600:]


def test_a_call_refused_for_want_of_a_slot_is_not_counted_as_made(fresh):
    """Five calls in flight in other workers: a sixth call, or run of calls, is refused ("5 at
    once") and not counted in the minute's and the day's calls, as it never went."""
    space = int.from_bytes(hashlib.sha256(seed.AU_TENANT_ID.encode()).digest()[:4], "big") >> 1

    def counted():
        with fresh.env() as env:
            env.cr.execute("SELECT minute_calls_at, day_calls_at FROM xero_rate_limit")
            rows = env.cr.fetchall()
            return [sum(calls for row in rows for _s, calls in row[i] or []) for i in (0, 1)]

    others = [sql_db.db_connect(fresh.dbname).cursor() for _slot in range(5)]
    try:
        for slot, cr in enumerate(others):
            cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [space, slot])
            assert cr.fetchone()[0]
        before = counted()
        with fresh.env() as env:
            client = env["xero.connection"].browse(fresh.connection)._client()
            for _try in range(3):
                with pytest.raises(XeroRateLimitError, match="5 calls at once"):
                    client.get_organisation(seed.AU_TENANT_ID)
            with pytest.raises(XeroRateLimitError, match="5 calls at once"), client.reserve(10):
                pass
        assert counted() == before, "calls refused before they went were counted as made"
    finally:
        for cr in others:
            cr.execute("SELECT pg_advisory_unlock_all()")
            cr.close()


def test_two_workers_drain_one_queue_each_document_once(fresh):
    bills = fresh.bills("Queue Drinks Co", 60, "QUE")
    assert {verdict for verdict, _m in fresh.send(bills).values()} == {"create"}, "queued"
    _two_workers_at_once(fresh)
    sizes = [len(e["body"]["Invoices"]) for e in fresh.requests(INVOICES, "PUT")]
    assert len(sizes) == 2 and sum(sizes) == 60, f"each worker took its own documents: {sizes}"
    fresh.drain()
    fresh.assert_exactly_once(bills, "QUE")


def test_a_worker_killed_mid_queue_then_another_finishes_it(fresh):
    bills = fresh.bills("Killed Queue Pty", 60, "KQ")
    fresh.send(bills)
    fresh.control("faults", hold={"when": "answer", "path_prefix": INVOICES})
    fresh.kill_while_xero_holds("env['xero.move.export']._cron_send_queued()\nenv.cr.commit()\n")
    assert len(fresh.invoices()) == 50, "Xero stored the first batch; its worker never heard"
    fresh.drain()
    fresh.assert_exactly_once(bills, "KQ")
    assert len(fresh.requests(INVOICES, "PUT")) == 2, "the first 50 were found, not sent again"


def test_a_file_that_goes_later_leaves_its_document_as_the_send_left_it(fresh):
    """Files Xero could not take with their bills go in a later run, which writes nothing on
    the bills: their Xero state stays sent, and their last update is their send's."""
    bills = fresh.bills("Later Files Co", 2, "LATER")
    fresh.with_files(bills)
    fresh.control("faults", status={"code": 503, "count": 2, "path_prefix": INVOICES + "/"})
    fresh.send(bills)

    def documents():
        with fresh.env() as env:
            return {m.id: (m.xero_state, m.write_date) for m in env["account.move"].browse(bills)}

    sent = documents()
    assert {state for state, _written in sent.values()} == {"sent"}
    assert fresh.attachments() == [], "both files wait"
    with freeze_time(fields.Datetime.now() + datetime.timedelta(hours=1)):
        fresh.drain()
    assert len(fresh.attachments()) == 2
    assert documents() == sent


def test_two_workers_attach_files_at_once_counting_each_call_once(fresh):
    """Each worker reserves its run of files at Xero's limits at the same time as the other: every
    file goes once, Xero refuses none, and the limits' row ends counting the calls really made."""
    bills = fresh.bills("Scanned Stock Co", 30, "SCAN")
    fresh.with_files(bills)
    with fresh.env() as env:
        env["xero.connection"].browse(fresh.connection).background_threshold = 10
    assert {verdict for verdict, _m in fresh.send(bills).values()} == {"create"}, "queued"

    def day_calls():
        with fresh.env() as env:
            env.cr.execute("SELECT day_calls_at FROM xero_rate_limit")
            return sum(calls for (row,) in env.cr.fetchall() for _second, calls in row or [])

    def xero_calls():
        response = requests.get(f"{fresh.sandbox.url}/_sandbox/requests", timeout=20)
        return [e for e in response.json()["requests"] if e["path"].startswith("/api.xro/")]

    counted, made = day_calls(), len(xero_calls())
    # Both workers' invoices are in flight at once: their files follow at once too.
    _two_workers_at_once(fresh, batch_size=15)
    sizes = sorted(len(e["body"]["Invoices"]) for e in fresh.requests(INVOICES, "PUT"))
    assert sizes == [15, 15], f"each worker sent its own documents: {sizes}"
    fresh.drain()
    fresh.assert_exactly_once(bills, "SCAN")
    calls = xero_calls()
    assert [e for e in calls if e["status"] == 429] == []
    files = [e for e in calls if "/Attachments/" in e["path"]]
    assert len(files) == 30 and len({e["path"] for e in files}) == 30, "each file once"
    with fresh.env() as env:
        exports = env["xero.move.export"].search([("move_id", "in", bills)])
        assert not any(exports.mapped("attachment_pending"))
        assert not any(exports.mapped("warning"))
    assert day_calls() - counted == len(calls) - made, "each call counted once, none unmade"
