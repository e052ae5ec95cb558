"""Thousands of documents at Xero's limits: one limiter per organisation, nothing dropped. Time
is moved on here (freezegun) and at the sandbox (its clock), never waited for."""

import time
from datetime import timedelta
from unittest.mock import patch

import requests
from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..xero_sandbox import seed
from .common import SANDBOX_TIMEOUT
from .test_send import XeroSendCase


@tagged("post_install", "-at_install")
class TestLimits(XeroSendCase):
    def _scanned_bills(self, count):
        bills = self.env["account.move"]
        for n in range(count):
            bill = self.make_move(ref=f"SCAN-{n}")
            bills |= self.scan(bill, f"scan-{n}.pdf", b"%PDF-1.4 scanned bill " + str(n).encode())
        return bills

    def _attachments(self):
        state = requests.get(
            f"{self.sandbox.url}/_sandbox/state",
            params={"tenant_id": seed.AU_TENANT_ID},
            timeout=SANDBOX_TIMEOUT,
        ).json()
        return state["organisations"][0]["attachments"]

    def _minutes_later(self, minutes):
        """This many minutes from the test's start, here and at the sandbox."""
        self.sandbox_control("clock", advance=60 * minutes + 1 - self._advanced)
        self._advanced = 60 * minutes + 1
        return freeze_time(self._start + timedelta(minutes=minutes, seconds=1))

    def setUp(self):
        super().setUp()
        self._start, self._advanced = fields.Datetime.now(), 0

    def _scans_sent_at_the_minute_limit(self):
        """Eight bills with their scans sent in a minute of six calls: some files wait."""
        self.connection.send_attachments = True
        self.sandbox_control("settings", minute_limit=6)
        bills = self._scanned_bills(8)
        with self._minutes_later(1):
            self.send(bills)
        self.env.invalidate_all()
        return bills

    def test_at_the_minute_limit_nothing_is_asked_until_its_time_and_no_file_is_lost(self):
        bills = self._scans_sent_at_the_minute_limit()
        with self._minutes_later(1):
            self.assertEqual(set(bills.mapped("xero_state")), {"sent"}, "the bills are in Xero")
            pending = bills.xero_export_id.filtered("attachment_pending")
            self.assertTrue(pending, "the minute's calls ran out before every file went")
            self.assertTrue(all(e.queued and "limit" in e.waiting_reason for e in pending))
            calls = len(self.sandbox_log())
            self.run_queue()
            self.assertEqual(len(self.sandbox_log()), calls, "no call before Xero's time")
        for minutes in range(2, 5):
            with self._minutes_later(minutes):
                self.run_queue()
        self.env.invalidate_all()
        self.assertFalse(bills.xero_export_id.filtered("attachment_pending"))
        self.assertEqual(
            sorted(a["FileName"] for a in self._attachments()),
            sorted(f"scan-{n}.pdf" for n in range(8)),
            "every scan attached, once",
        )
        refused = [e for e in self.sandbox_log() if e["status"] == 429]
        self.assertLessEqual(len(refused), 1, "Xero's remaining calls are heeded, not tested")

    def test_a_file_that_waited_goes_without_its_document_being_reviewed_again(self):
        bills = self._scans_sent_at_the_minute_limit()
        waiting = bills.xero_export_id.filtered("attachment_pending")
        self.assertTrue(waiting, "the minute's calls ran out before every file went")
        self.assertTrue(all(waiting.mapped("queued_steps_only")))
        # Reviewed again, they would now be blocked: their tax has lost its Xero rate.
        self.connection.tax_mapping_ids.unlink()
        AccountMove = type(self.env["account.move"])
        reviewed = self.env["account.move"]
        review = AccountMove._xero_review

        def recording_review(moves, *args, **kwargs):
            nonlocal reviewed
            reviewed |= moves
            return review(moves, *args, **kwargs)

        with patch.object(AccountMove, "_xero_review", recording_review):
            for minutes in range(2, 5):
                with self._minutes_later(minutes):
                    self.run_queue()
        self.env.invalidate_all()
        self.assertFalse(reviewed & waiting.move_id)
        self.assertFalse(bills.xero_export_id.filtered("attachment_pending"))
        self.assertFalse(any(bills.xero_export_id.mapped("queued_steps_only")))
        self.assertEqual(len(self._attachments()), 8, "every scan attached, once")
        lines = self.env["xero.export.line"].search([("move_id", "in", waiting.move_id.ids)])
        self.assertIn(
            "only its file", lines.filtered(lambda line: line.result == "skipped")[:1].message
        )

    def test_a_change_made_while_its_file_waits_is_still_known_once_the_file_goes(self):
        bills = self._scans_sent_at_the_minute_limit()
        waiting = bills.xero_export_id.filtered("attachment_pending")
        self.assertTrue(waiting, "the minute's calls ran out before every file went")
        changed = waiting.move_id[:1]
        changed.button_draft()
        changed.invoice_line_ids.price_unit = 60.0
        changed.action_post()
        self.assertEqual(changed.xero_state, "changed")
        for minutes in range(2, 5):
            with self._minutes_later(minutes):
                self.run_queue()
        self.env.invalidate_all()
        self.assertFalse(bills.xero_export_id.filtered("attachment_pending"))
        self.assertEqual(changed.xero_state, "changed", "Xero still has the version before")
        self.assertEqual(set((bills - changed).mapped("xero_state")), {"sent"})

    def test_reserved_calls_count_at_once_then_as_the_calls_made(self):
        tenant = self.connection.tenant_id

        def counted():
            self.env.invalidate_all()
            row = self.env["xero.rate.limit"].sudo().search([("tenant_id", "=", tenant)])
            return sum(calls for _second, calls in row.minute_calls_at or [])

        client = self.connection._client()
        with self._minutes_later(1):  # the set-up's calls have left Xero's minute
            with client.reserve(10):
                self.assertEqual(counted(), 10, "counted before any is made")
                client.get_organisation(tenant)
                client.get_organisation(tenant)
            self.assertEqual(counted(), 2, "then only those made")

    def test_the_days_limit_pauses_until_the_next_day(self):
        self.connection.daily_call_limit = 4  # the connection used 4 setting up
        bill = self.make_move()
        results = self.send(bill)
        self.assertEqual(results[bill][0], "queued")
        self.env.invalidate_all()
        self.assertIn("daily call limit", bill.xero_export_id.waiting_reason)
        self.assertIn("daily call limit", self.connection.limit_status)
        self.assertEqual(self.xero_documents(), [])
        calls = len(self.sandbox_log())
        with self._minutes_later(60):
            self.run_queue()
        self.assertEqual(len(self.sandbox_log()), calls, "still the same day")
        with self._minutes_later(24 * 60):
            self.run_queue()
            self.env.invalidate_all()
            self.assertFalse(self.connection.limit_status)
        self.assertEqual(bill.xero_state, "sent")
        self.assertEqual(len(self.xero_documents()), 1)

    def test_the_cron_runner_runs_the_queue_on_by_itself_without_a_trigger_per_batch(self):
        self.connection.background_threshold = 1
        bills = self.make_move() | self.make_move(ref="RUN-2") | self.make_move(ref="RUN-3")
        self.send(bills)
        cron = self.env.ref("account_xero_export.ir_cron_xero_send")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        # As Odoo's runner calls the job: with a progress record in its context.
        _cron, progress = cron._add_progress()
        Export = self.env["xero.move.export"]
        Export.with_context(ir_cron_progress_id=progress.id)._cron_send_queued(1)
        self.assertEqual((progress.done, progress.remaining), (1, 2))
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", cron.id)]),
            triggers,
            "the runner runs it again while it reports work done and left",
        )
        Export._cron_send_queued(1)  # run by hand: nothing runs it again
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1)

    def _notified(self):
        """[(user, message, type)] of the notifications sent while the patch is on."""
        sent = []

        def record(users, _kind, message, **_kwargs):
            sent.extend((user, message["message"], message["type"]) for user in users)

        return sent, patch.object(type(self.env["res.users"]), "_bus_send", record)

    def test_who_queued_is_told_once_how_their_queue_went(self):
        self.connection.background_threshold = 0
        sent_bill = self.make_move(ref="GOES")
        locked_bill = self.make_move(ref="LOCKED", invoice_date=fields.Date.to_date("2020-01-15"))
        self.send(sent_bill | locked_bill)
        sent, patcher = self._notified()
        with patcher:
            self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(locked_bill.xero_state, "error", "before Xero's lock date")
        ((user, message, kind),) = sent
        self.assertEqual((user, kind), (self.clerk, "warning"))
        self.assertIn("1 of its 2 documents could not go", message)

    def test_a_send_from_the_dialog_with_its_file_tells_of_no_queue(self):
        self.connection.send_attachments = True
        bill = self.scan(self.make_move(ref="DIRECT"), "bondi-9003.pdf")
        self.assertEqual(self.send(bill)[bill][0], "created")
        self.env.invalidate_all()
        self.assertFalse(bill.xero_export_id.queued, "attached: out of the queue")
        sent, patcher = self._notified()
        with patcher:
            self.env["xero.move.export"]._cron_send_queued()
        self.assertEqual(sent, [], "the clerk queued nothing")

    def test_a_selection_larger_than_a_batch_goes_to_the_background(self):
        self.connection.background_threshold = 2
        bills = self.make_move() | self.make_move(ref="BG-2") | self.make_move(ref="BG-3")
        wizard, _review = self.review(bills)
        wizard.action_send()
        self.assertEqual(wizard.step, "queued")
        self.assertEqual(wizard.queued_total, 3)
        self.assertEqual(self.sandbox_log("/api.xro/2.0/Invoices"), [], "nothing sent yet")
        progress = wizard.action_open_progress()
        self.assertEqual(self.env["xero.move.export"].search(progress["domain"]).move_id, bills)
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
        self.assertEqual(len(self.xero_documents()), 3)
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "PUT")), 1)

    def test_documents_given_their_own_waits_at_once_each_show_theirs(self):
        bills = self.make_move(ref="OWN-1") | self.make_move(ref="OWN-2")
        Export = self.env["xero.move.export"]
        # As the engine writes them: export records are read-only for every group.
        exports = Export.sudo().browse(sorted(Export._export_ids(self.connection, bills).values()))
        self.env.invalidate_all()  # made in SQL: read afresh, as the next transaction would
        soon = fields.Datetime.now() + timedelta(minutes=1)
        exports._write_each(
            {
                exports[0].id: {"queued": True, "next_try_at": soon, "waiting_reason": "One"},
                exports[1].id: {
                    "queued": True,
                    "next_try_at": soon + timedelta(minutes=1),
                    "waiting_reason": "Two",
                },
            }
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(
            [(e.waiting_reason, e.next_try_at - soon) for e in exports],
            [("One", timedelta(0)), ("Two", timedelta(minutes=1))],
        )
        self.assertEqual(exports.move_id.mapped("xero_state"), ["queued", "queued"])

    def test_credit_notes_whose_allocation_met_the_minute_limit_are_all_allocated_later(self):
        """Three credit notes sent together, and Xero's minute runs out during their
        allocations: every one not allocated yet waits in the queue, not only the first."""
        self.connection.invoice_status = "AUTHORISED"
        bills = self.make_move(ref="AL-1") | self.make_move(ref="AL-2") | self.make_move(ref="AL-3")
        refunds = self.env["account.move"]
        for bill in bills:
            refund = self.reverse(bill, "Broken bottles")
            refund.action_post()
            refunds |= refund
        self.sandbox_control("settings", minute_limit=6)
        with self._minutes_later(1):
            self.send(bills)  # the contacts' look-up, the contact created, the bills
            self.send(refunds, "credit_note")  # the credit notes, then a GET and a PUT each
        self.env.invalidate_all()
        pending = refunds.xero_export_id.filtered("allocation_pending")
        self.assertTrue(pending, "the minute's calls ran out before every allocation")
        self.assertTrue(all(pending.mapped("queued")), "each one not allocated yet waits")
        for minutes in range(2, 5):
            with self._minutes_later(minutes):
                self.run_queue()
        self.env.invalidate_all()
        credited = {d["InvoiceNumber"]: float(d["AmountCredited"]) for d in self.xero_documents()}
        self.assertEqual(credited, {bill.ref: bill.amount_total for bill in bills})
        self.assertFalse(refunds.xero_export_id.filtered("allocation_pending"))

    # -- a refused authorisation waits for the connection's manager

    def _refresh_refused(self):
        """The refresh token is revoked at Xero (the app was removed there) and the access
        token is about to expire: the next call refreshes, and Xero refuses (invalid_grant)."""
        token = dict(self.connection._read_token(), expires_at=int(time.time()) + 30)
        self.connection._write_secret(token=token)
        self.sandbox_control("faults", revoke_tokens=True)

    def _assert_waiting_for_the_manager(self, exports):
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "reauth")
        for export in exports:
            self.assertTrue(export.queued, export.error)
            self.assertIn("needs its manager", export.waiting_reason)

    def test_a_refused_refresh_leaves_every_queued_document_waiting_for_the_manager(self):
        """README: "a refused authorisation waits for a manager": the documents of the run
        that learnt it wait with the rest of the queue, and all go once it is connected
        again."""
        self.connection.background_threshold = 1
        bills = self.make_move(ref="Q-1") | self.make_move(ref="Q-2") | self.make_move(ref="Q-3")
        self.send(bills)
        self._refresh_refused()
        self.env["xero.move.export"]._cron_send_queued(1)
        self._assert_waiting_for_the_manager(bills.xero_export_id)
        self.assertEqual(set(bills.mapped("xero_state")), {"queued"})
        self.assertEqual(bills.xero_export_id.mapped("attempts"), [0, 0, 0], "no failed try")
        self.connect(self.connection)  # the manager signs in again
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
        self.assertEqual(len(self.xero_documents()), 3)

    def test_files_waiting_when_the_refresh_is_refused_ask_once_and_go_once_reconnected(self):
        """Three documents in Xero whose files wait (Xero was unavailable for them) when the
        refresh token is refused: the run learns it once, rather than asking Xero's token
        endpoint again for each file, and the files wait for the manager, then go."""
        self.connection.send_attachments = True
        bills = self._scanned_bills(3)
        self.sandbox_control(
            "faults", status={"code": 503, "count": 3, "path_prefix": "/api.xro/2.0/Invoices/"}
        )
        self.send(bills)
        exports = bills.xero_export_id
        self.assertTrue(all(exports.mapped("attachment_pending")))
        self._refresh_refused()
        refreshes = len(self.sandbox_log("/connect/token"))
        with self._minutes_later(5):
            self.run_queue()
        self.assertEqual(len(self.sandbox_log("/connect/token")) - refreshes, 1)
        self._assert_waiting_for_the_manager(exports)
        self.assertTrue(all(exports.mapped("queued_steps_only")))
        self.connect(self.connection)
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(len(self._attachments()), 3, "every scan attached, once")
        self.assertFalse(exports.filtered("attachment_pending"))
        self.assertFalse(exports.filtered("warning"))

    def test_once_connected_again_the_queue_goes_on_and_no_longer_says_not_connected(self):
        """Documents queued while the connection was disconnected wait, saying why; once a
        manager has connected it again (Integrate), they go at once, not an hour later, and
        no longer say that it is not connected."""
        self.connection.background_threshold = 0
        bills = self.make_move(ref="RC-1") | self.make_move(ref="RC-2")
        wizard, _review = self.review(bills)
        wizard.action_send()
        self.connection.action_disconnect()
        self.run_queue()
        self.env.invalidate_all()
        for export in bills.xero_export_id:
            self.assertTrue(export.queued)
            self.assertIn("not connected", export.waiting_reason)
        # The manager connects again, through the setup's Integrate.
        token, _xero_connection_id = self.mint_token(seed.AU_TENANT_ID)
        self.connection._write_secret(token=token)
        setup = self.env["xero.setup.wizard"].create(
            {"connection_id": self.connection.id, "step": "accounts"}
        )
        setup.write(
            {
                "purchase_account_id": self.connection.purchase_account_id.id,
                "sales_account_id": self.connection.sales_account_id.id,
            }
        )
        setup.action_integrate()
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "connected")
        for export in bills.xero_export_id:
            self.assertNotIn("not connected", export.waiting_reason)
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
