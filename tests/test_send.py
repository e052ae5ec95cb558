from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, quote_plus, urlsplit

import requests
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingHttpCommon

from ..models.xero_export_batch import CONTACT_QUERY_CHARS, _Run
from ..models.xero_move_export import SETTLE_AFTER
from ..xero import XeroError, XeroTransientError
from ..xero.client import XeroClient
from ..xero_sandbox import seed
from .common import SANDBOX_TIMEOUT, SandboxSignIn, XeroSandboxMixin, start_session


class XeroSendCase(XeroSandboxMixin, AccountTestInvoicingHttpCommon):
    """A company connected to the sandbox's Australian organisation, GST mapped, and helpers to
    make posted documents and send them as a user would.

    An HttpCase: results are recorded in cursors of their own, which share the test's
    transaction only in the HTTP test mode."""

    @classmethod
    def setup_independent_company(cls, **kwargs):
        # An Australian business keeps its books in AUD, its Xero organisation's base currency.
        aud = cls._enable_currency("AUD")
        return super().setup_independent_company(currency_id=aud.id, **kwargs)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gst_purchase = cls.make_tax(
            {"name": "GST on purchases", "amount": 10.0, "type_tax_use": "purchase"}
        )
        cls.gst_sale = cls.make_tax(
            {"name": "GST on sales", "amount": 10.0, "type_tax_use": "sale"}
        )
        cls.gst_sale_included = cls.make_tax(
            {
                "name": "GST included",
                "amount": 10.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        cls.vendor = cls.env["res.partner"].create(
            {"name": "Bondi Beverages", "email": "orders@bondi.example"}
        )
        cls.customer = cls.env["res.partner"].create({"name": "The Corner Bar"})
        # Who sends, unless a test is about managers: an invoicing user without an e-mail.
        cls.clerk = cls.company_user("xero_clerk", "account.group_account_invoice", email=False)
        cls.aud = cls.env.company.currency_id
        # 1 AUD = 0.625 USD in Odoo; the sandbox's own rate is 0.6550.
        cls.usd = cls.setup_other_currency("USD", rates=[("2020-01-01", 0.625)])

    @classmethod
    def make_tax(cls, values):
        """A tax whose whole amount goes to the company's tax account of its side, as a
        chart's taxes do (a tax made without one books its amount to its lines' accounts)."""
        side = "sale" if values.get("type_tax_use") == "sale" else "purchase"
        account = cls.company_data[f"default_account_tax_{side}"]

        def distribution(kind):
            return [
                Command.create({"document_type": kind, "repartition_type": "base"}),
                Command.create(
                    {"document_type": kind, "repartition_type": "tax", "account_id": account.id}
                ),
            ]

        return cls.env["account.tax"].create(
            {
                "invoice_repartition_line_ids": distribution("invoice"),
                "refund_repartition_line_ids": distribution("refund"),
                **values,
            }
        )

    @classmethod
    def company_user(cls, login, groups, **values):
        """A user of the connected company only, in `groups`."""
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=cls.env.company.id,
            company_ids=[(6, 0, cls.env.company.ids)],
            **values,
        )

    def setUp(self):
        super().setUp()
        self.connection = self.make_connection()
        self.token = self.connect(self.connection)
        rates = {rate.tax_type: rate for rate in self.connection.tax_rate_ids}
        self.connection.write(
            {
                "send_attachments": False,
                "untaxed_purchase_rate_id": rates["EXEMPTEXPENSES"].id,
                "untaxed_sale_rate_id": rates["EXEMPTOUTPUT"].id,
                "tax_mapping_ids": [
                    (0, 0, {"tax_id": self.gst_purchase.id, "tax_rate_id": rates["INPUT"].id}),
                    (0, 0, {"tax_id": self.gst_sale.id, "tax_rate_id": rates["OUTPUT"].id}),
                    (
                        0,
                        0,
                        {"tax_id": self.gst_sale_included.id, "tax_rate_id": rates["OUTPUT"].id},
                    ),
                ],
            }
        )

    def make_move(self, move_type="in_invoice", lines=None, post=True, **values):
        sale = move_type.startswith("out_")
        tax = self.gst_sale if sale else self.gst_purchase
        lines = lines or [{"name": "Coopers Pale Ale 24x375ml", "quantity": 3, "price_unit": 54.90}]
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (self.customer if sale else self.vendor).id,
                "invoice_date": fields.Date.today(),
                "currency_id": self.aud.id,
                "invoice_line_ids": [
                    (0, 0, {"tax_ids": [(6, 0, tax.ids)], **line}) for line in lines
                ],
                **values,
            }
        )
        if post:
            move.action_post()
        return move

    def reverse(self, move, reason):
        """The credit note of `move` made with Odoo's Credit Note button, not posted yet."""
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": reason})
        )
        return self.env["account.move"].browse(reversal.refund_moves()["res_id"])

    def scan(self, bill, name, content=b"%PDF-1.4 scanned bill"):
        """`bill` with the vendor's scan `name` as its main attachment (the file sent to Xero)."""
        bill.message_main_attachment_id = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": content,
                "res_model": "account.move",
                "res_id": bill.id,
                "mimetype": "application/pdf",
            }
        )
        return bill

    def review(self, moves, action="invoice", user=None):
        """The review a user (the clerk by default) gets from the list action."""
        user = user or self.clerk
        moves = moves.with_user(user)
        wizard = (
            self.env["xero.send.wizard"]
            .with_user(user)
            .browse(
                moves.action_send_to_xero_invoice()["res_id"]
                if action == "invoice"
                else moves.action_send_to_xero_credit_note()["res_id"]
            )
        )
        return wizard, {line.move_id: (line.verdict, line.message) for line in wizard.line_ids}

    def send(self, moves, action="invoice"):
        wizard, _review = self.review(moves, action)
        wizard.action_send()
        return {line.move_id: (line.verdict, line.message) for line in wizard.line_ids}

    def run_queue(self):
        """Run the background job until nothing queued is due (the cron's own loop)."""
        Export = self.env["xero.move.export"]
        for _run in range(20):
            # The job records in transactions of its own: read afresh, as a new request would.
            self.env.invalidate_all()
            if not Export.search_count(
                [("queued", "=", True), ("next_try_at", "<=", fields.Datetime.now())]
            ):
                return
            Export._cron_send_queued()
        self.fail("the queue never emptied")

    def xero_documents(self, kind="invoices", tenant_id=seed.AU_TENANT_ID):
        response = requests.get(
            f"{self.sandbox.url}/_sandbox/state",
            params={"tenant_id": tenant_id},
            timeout=SANDBOX_TIMEOUT,
        )
        return response.json()["organisations"][0][kind]


@tagged("post_install", "-at_install")
class TestSend(XeroSendCase):
    def test_bills_go_to_xero_once_on_the_purchase_account_with_gst(self):
        bills = self.make_move() | self.make_move(ref="SUP-2") | self.make_move(ref="SUP-3")
        wizard, review = self.review(bills)
        self.assertEqual(wizard.create_count, 3)
        self.assertEqual({verdict for verdict, _m in review.values()}, {"create"})
        results = self.send(bills)
        self.assertEqual({verdict for verdict, _m in results.values()}, {"created"})
        documents = self.xero_documents()
        self.assertEqual(len(documents), 3)
        for bill in bills:
            self.assertEqual(bill.xero_state, "sent")
            self.assertEqual(
                bill.xero_url, f"{self.sandbox.url}/app/!AuSb1/invoicing/view/{bill.xero_id}"
            )
            self.assertIn("Created in Xero", bill.message_ids[0].body)
        document = next(d for d in documents if d["InvoiceID"] == bills[1].xero_id)
        self.assertEqual(document["Type"], "ACCPAY")
        self.assertEqual(document["InvoiceNumber"], "SUP-2")
        self.assertEqual(document["Contact"]["Name"], "Bondi Beverages")
        self.assertEqual(document["LineItems"][0]["AccountCode"], "310")
        self.assertEqual(document["LineItems"][0]["TaxType"], "INPUT")
        self.assertEqual(float(document["Total"]), bills[1].amount_total)
        self.assertEqual(document["CurrencyCode"], "AUD")

        wizard, review = self.review(bills)
        self.assertEqual(wizard.skip_count, 3, review)
        self.assertEqual(len(self.xero_documents()), 3, "nothing is sent twice")

    def test_credit_notes_go_through_their_own_action(self):
        bill = self.make_move()
        refund = self.make_move("in_refund", ref="CR-1")
        _wizard, review = self.review(bill | refund)
        self.assertEqual(review[refund][0], "skip")
        self.assertIn("Send to Xero as Credit Note", review[refund][1])
        results = self.send(refund, "credit_note")
        self.assertEqual(results[refund][0], "created")
        credit_note = self.xero_documents("credit_notes")[0]
        self.assertEqual(credit_note["Type"], "ACCPAYCREDIT")
        self.assertIn(
            f"/AccountsPayable/ViewCreditNote.aspx?creditNoteID={refund.xero_id}", refund.xero_url
        )
        page = requests.get(refund.xero_url, timeout=SANDBOX_TIMEOUT)
        self.assertIn("ACCPAYCREDIT CR-1", page.text, "the link opens that credit note")
        customer_refund = self.make_move("out_refund")
        self.send(customer_refund, "credit_note")
        self.assertIn("/AccountsReceivable/ViewCreditNote.aspx", customer_refund.xero_url)

    def test_customer_invoice_keeps_its_discount_and_number(self):
        invoice = self.make_move(
            "out_invoice",
            lines=[{"name": "Catering", "quantity": 2, "price_unit": 100.0, "discount": 10.0}],
        )
        self.send(invoice)
        document = self.xero_documents()[0]
        self.assertEqual(document["Type"], "ACCREC")
        self.assertEqual(document["InvoiceNumber"], invoice.name)
        line = document["LineItems"][0]
        self.assertEqual(line["AccountCode"], "200")
        self.assertEqual(line["TaxType"], "OUTPUT")
        self.assertEqual(float(line["DiscountRate"]), 10.0)
        self.assertEqual(float(document["Total"]), invoice.amount_total)

    def test_changed_document_is_updated_in_place(self):
        bill = self.make_move()
        self.send(bill)
        xero_id = bill.xero_id
        bill.button_draft()
        bill.invoice_line_ids.price_unit = 60.0
        bill.action_post()
        self.assertEqual(bill.xero_state, "changed")
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "update")
        results = self.send(bill)
        self.assertEqual(results[bill][0], "updated")
        self.assertEqual(bill.xero_id, xero_id)
        documents = self.xero_documents()
        self.assertEqual(len(documents), 1)
        self.assertEqual(float(documents[0]["Total"]), bill.amount_total)

    def test_a_bill_put_back_as_it_was_shows_as_sent_once_reviewed(self):
        """Reset to draft and posted again unchanged, a bill shows as changed since sent (its
        edit is not compared with Xero's version until a review). The review finds Xero has it
        as it is: the bill shows as sent again, off the list of those to send again, and
        nothing goes."""
        bill = self.make_move()
        self.send(bill)
        bill.button_draft()
        bill.action_post()
        self.assertEqual(bill.xero_state, "changed")
        wizard, review = self.review(bill)
        self.assertEqual(review[bill], ("skip", "Already in Xero, unchanged."))
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "sent")
        with self.assertRaisesRegex(UserError, "Nothing to send"):
            wizard.action_send()
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "PUT")), 1)
        self.assertFalse(self.sandbox_log("/api.xro/2.0/Invoices", "POST"), "nothing updated")

    def test_sent_to_another_organisation_is_not_sent_again(self):
        bill = self.make_move()
        self.connection.rounding_account_id = self.connection.account_ids.filtered(
            lambda a: a.code == "860"
        )
        self.send(bill)
        self.connection.action_disconnect()
        self.connect(self.connection, seed.NZ_TENANT_ID)
        self.assertFalse(self.connection.partner_link_ids, "the AU contacts mean nothing in NZ")
        self.assertFalse(self.connection.tax_mapping_ids)
        self.assertFalse(self.connection.rounding_account_id)
        self.assertEqual(set(self.connection.account_ids.mapped("status")), {"ACTIVE", "ARCHIVED"})
        bill.button_draft()
        bill.action_post()
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "blocked")
        self.assertIn("another Xero organisation", review[bill][1])

    def _connected_to_nz(self):
        """A manager connects the company to another organisation (NZ)."""
        self.connection.action_disconnect()
        self.connect(self.connection, seed.NZ_TENANT_ID)

    def _lost_in_au_then_connected_to_nz(self, ref):
        # Untaxed: nothing to map again when the company comes back to AU.
        untaxed = [{"name": "Glassware", "quantity": 1, "price_unit": 100.0, "tax_ids": []}]
        bill = self.make_move(ref=ref, lines=untaxed)
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/Invoices"})
        self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        self.assertEqual(len(self.xero_documents()), 1, "AU has it")
        self._connected_to_nz()
        self.env["xero.move.export"].sudo()._cron_resolve_uncertain()
        self.env.invalidate_all()
        return bill

    def test_a_lost_answer_is_never_looked_up_in_another_organisation(self):
        """Not found in NZ, it would be taken for not sent, and created twice in AU once the
        company is connected there again, past Xero's idempotency window."""
        bill = self._lost_in_au_then_connected_to_nz("LOST-1")
        au_export = bill.xero_export_id
        self.assertEqual(au_export.tenant_id, seed.AU_TENANT_ID)
        self.assertTrue(au_export._in_doubt(), "AU may have it: nothing settled that")
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "blocked", "not sent to NZ while AU may have it")
        self.assertIn("may have it", review[bill][1])

        self.connection.action_disconnect()
        self.connect(self.connection, seed.AU_TENANT_ID)
        self.sandbox_control("clock", advance=15 * 60)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=15)):
            self.send(bill)
        self.assertEqual([d["InvoiceNumber"] for d in self.xero_documents()], ["LOST-1"])
        self.assertEqual(bill.xero_state, "sent")

    def test_queued_for_the_organisation_left_the_queue_ends(self):
        """Queued while connected to AU, then the company is connected to NZ before the job
        ran: they leave the queue saying why, rather than going round it for ever."""
        self.connection.background_threshold = 0
        bill = self.make_move(ref="Q-1")
        wizard, _review = self.review(bill)
        wizard.action_send()
        self.assertEqual(wizard.step, "queued")
        self._connected_to_nz()
        self.run_queue()
        self.env.invalidate_all()
        self.assertFalse(self.env["xero.move.export"].search([("queued", "=", True)]))
        self.assertEqual(bill.xero_state, "error")
        self.assertIn("connected to before", bill.xero_error)
        self.assertFalse(self.xero_documents(tenant_id=seed.NZ_TENANT_ID))

    def test_a_file_queued_for_the_organisation_left_makes_nothing_sent_in_another(self):
        self.connection.send_attachments = True
        bill = self.make_move(ref="SCAN-1")
        self.scan(bill, "scan-1.pdf")
        self.sandbox_control(
            "faults", status={"code": 503, "count": 1, "path_prefix": "/api.xro/2.0/Invoices/"}
        )
        self.send(bill)
        self.assertTrue(bill.xero_export_id.attachment_pending)
        self.assertTrue(bill.xero_export_id.queued_steps_only)
        self._connected_to_nz()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            self.run_queue()
        self.assertEqual(bill.xero_export_ids.mapped("tenant_id"), [seed.AU_TENANT_ID])
        self.assertFalse(bill.xero_export_id.queued)
        self.assertFalse(self.xero_documents(tenant_id=seed.NZ_TENANT_ID))

    def test_a_sent_bill_cancelled_in_odoo_says_that_xero_still_has_it(self):
        bill = self.make_move()
        self.send(bill)
        number = bill.xero_number
        bill.button_draft()
        bill.button_cancel()
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "skip")
        self.assertIn(f"still in Xero as {number}", review[bill][1])
        self.assertIn("void or delete it in Xero", review[bill][1])

    def test_paid_in_xero_since_last_send_is_not_overwritten(self):
        bill = self.make_move()
        self.send(bill)
        self.sandbox_control(f"documents/{bill.xero_id}", status="PAID")
        bill.button_draft()
        bill.invoice_line_ids.price_unit = 60.0
        bill.action_post()
        results = self.send(bill)
        self.assertEqual(results[bill][0], "failed")
        self.assertIn("Paid in Xero", bill.xero_error)
        self.assertEqual(bill.xero_state, "error")
        self.assertEqual(float(self.xero_documents()[0]["Total"]), round(3 * 54.90 * 1.1, 2))

    def test_a_503_to_the_invoices_is_uncertain_then_checked_and_sent_once(self):
        bills = self.make_move() | self.make_move(ref="SUP-9")
        self.sandbox_control(
            "faults", status={"code": 503, "count": 1, "path_prefix": "/api.xro/2.0/Invoices"}
        )
        results = self.send(bills)
        self.assertEqual({verdict for verdict, _m in results.values()}, {"queued"})
        self.assertEqual(set(bills.mapped("xero_state")), {"uncertain"})
        self.assertIn("it may have received it", bills[0].xero_error)
        self.assertEqual(self.xero_documents(), [])
        refund = self.make_move("in_refund")
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_state, "sent")
        wizard = self.env["xero.send.wizard"].browse(
            (bills | refund).action_retry_xero_failed()["res_id"]
        )
        self.assertEqual(wizard.move_ids, bills, "only what failed is sent again")
        self.assertEqual(wizard.create_count, 2)
        wizard.action_send()
        self.assertEqual(wizard.step, "queued", "a retry goes through the background job")
        self.run_queue()
        # Not found, but Xero may still be storing that request: another request creating them
        # would make them twice then. They wait, and are looked up again.
        self.assertEqual(set(bills.mapped("xero_state")), {"uncertain"})
        self.assertIn("looked up in Xero again", bills[0].xero_export_id.waiting_reason)
        self.assertEqual(self.xero_documents(), [])
        with freeze_time(fields.Datetime.now() + SETTLE_AFTER + timedelta(seconds=1)):
            self.run_queue()
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
        self.assertEqual(len(self.xero_documents()), 2)
        lookups = self.sandbox_log("/api.xro/2.0/Invoices", "GET")
        self.assertEqual(len(lookups), 2, "Xero was asked before creating them again")
        self.assertEqual(lookups[0]["query"].get("createdByMyApp"), "true")

    def test_lost_answer_then_retry_links_what_xero_has(self):
        bill = self.make_move()
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/Invoices"})
        self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        self.assertNotIn("nothing was sent", bill.xero_error)
        self.assertEqual(len(self.xero_documents()), 1, "Xero did store it")
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent")
        self.assertEqual(bill.xero_id, self.xero_documents()[0]["InvoiceID"])
        self.assertEqual(len(self.xero_documents()), 1, "found in Xero, not created again")
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "PUT")), 1)
        self.assertIn("Linked, not created again", bill.message_ids[0].body)

    def test_a_credit_note_whose_answer_was_lost_is_linked_not_created_twice(self):
        """As a bill is, through the where filter alone: Xero's list of credit notes takes
        neither IDs nor createdByMyApp (its OpenAPI), and ignores them."""
        bill = self.make_move()
        self.send(bill)
        refund = self.reverse(bill, "Broken bottles")
        refund.action_post()
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/CreditNotes"})
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_state, "uncertain")
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_state, "sent", refund.xero_error)
        (credit_note,) = self.xero_documents("credit_notes")
        self.assertEqual(refund.xero_id, credit_note["CreditNoteID"])
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/CreditNotes", "PUT")), 1)
        (lookup,) = self.sandbox_log("/api.xro/2.0/CreditNotes", "GET")
        self.assertEqual(set(lookup["query"]), {"where", "page"})

    def _lost_pair(self, ref, second_lines=None):
        """Two bills of one vendor and day with the same reference (ACCPAY numbers are not
        unique in Xero: a vendor numbering its dockets by order), whose request's answer is
        lost: Xero stored both."""
        first = self.make_move(ref=ref)
        second = self.make_move(ref=ref, lines=second_lines)
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/Invoices"})
        self.send(first | second)
        self.assertEqual(set((first | second).mapped("xero_state")), {"uncertain"})
        self.assertEqual(len(self.xero_documents()), 2, "Xero stored both")
        return first, second

    def test_two_bills_with_one_reference_whose_answer_was_lost_are_each_linked(self):
        first, second = self._lost_pair(
            "INV-778", [{"name": "Lager", "quantity": 2, "price_unit": 40.0}]
        )
        self.send(first | second)
        totals = {doc["InvoiceID"]: doc["Total"] for doc in self.xero_documents()}
        for move in first | second:
            with self.subTest(move=move.name):
                self.assertEqual(move.xero_state, "sent", move.xero_error)
                self.assertEqual(totals[move.xero_id], move.amount_total)
        self.assertNotEqual(first.xero_id, second.xero_id)
        self.assertEqual(len(self.xero_documents()), 2, "nothing created twice")

    def test_two_identical_bills_whose_answer_was_lost_name_what_xero_has(self):
        first, second = self._lost_pair("INV-779")
        self.send(first | second)
        for move in first | second:
            with self.subTest(move=move.name):
                self.assertEqual(move.xero_state, "error")
                for document in self.xero_documents():
                    self.assertIn(document["InvoiceID"], move.xero_error, "a link to each")
                self.assertNotIn("extra", move.xero_error)
        # One deleted in Xero: the other could still be either bill, and is linked to neither
        # (linked to both, one bill would never be in Xero); sent on its own, one is linked.
        kept, deleted = self.xero_documents()
        self.sandbox_control(f"documents/{deleted['InvoiceID']}", status="DELETED")
        self.send(first | second)
        self.assertEqual((first | second).mapped("xero_state"), ["error", "error"])
        self.assertNotIn(deleted["InvoiceID"], first.xero_error)
        self.send(first)
        self.assertEqual((first.xero_state, first.xero_id), ("sent", kept["InvoiceID"]))

    def test_a_document_deleted_in_xero_is_no_candidate_for_a_lost_answer(self):
        bill = self.make_move(ref="INV-780")
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/Invoices"})
        self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        (deleted,) = self.xero_documents()
        self.sandbox_control(f"documents/{deleted['InvoiceID']}", status="DELETED")
        # Past Xero's idempotency window, and the time Xero may take to store a request.
        self.sandbox_control("clock", advance=10 * 60)
        with freeze_time(fields.Datetime.now() + SETTLE_AFTER):
            self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertNotEqual(bill.xero_id, deleted["InvoiceID"], "created again, not linked")
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "PUT")), 2)

    def test_a_create_whose_answer_is_lost_every_time_gives_up_after_eight_tries(self):
        """Xero's look-ups answer (not there), its creates never do: after 8 tries the document
        leaves the queue, saying so, and stays uncertain (Xero may have it)."""

        def lost(*args, **kwargs):
            raise XeroTransientError("Xero did not answer in time: read timed out")

        bill = self.make_move(ref="LOST-1")
        with patch.object(XeroClient, "put_invoices", lost):
            self.send(bill)
            self.env.invalidate_all()
            export = bill.xero_export_id
            self.assertIn("Xero is asked whether it has it", export.waiting_reason)
            now = fields.Datetime.now()
            for hour in range(1, 16):
                with freeze_time(now + timedelta(hours=hour)):
                    self.run_queue()
        self.env.invalidate_all()
        self.assertEqual((export.state, export.queued), ("uncertain", False), export.error)
        self.assertIn("after 8 tries", export.error)
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "GET")), 7)

    def _change(self, bill, price_unit):
        bill.button_draft()
        bill.invoice_line_ids.price_unit = price_unit
        bill.action_post()

    def test_an_update_xero_may_not_have_taken_is_sent_again_not_looked_up(self):
        bill = self.make_move()
        self.send(bill)
        self._change(bill, 60.0)
        # Xero answers the update 503: it may or may not have taken it.
        lost = XeroTransientError("Xero answered HTTP 503", 503)
        with patch.object(XeroClient, "post_invoices", side_effect=lost):
            self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        (document,) = self.xero_documents()
        self.assertEqual(float(document["Total"]), round(3 * 60.0 * 1.1, 2))

    def test_an_update_a_dead_worker_left_in_doubt_is_queued_and_made_again(self):
        bill = self.make_move()
        self.send(bill)
        self._change(bill, 60.0)
        export = bill.xero_export_id.sudo()
        # As a worker that died with its update in flight leaves it.
        export.write(
            {"state": "sending", "attempt": {"kind": "Invoices"}, "claimed_by_id": self.clerk.id}
        )
        self.env.flush_all()
        self.env["xero.move.export"].sudo()._cron_resolve_uncertain()
        self.assertEqual((export.state, export.queued), ("uncertain", True))
        self.assertEqual(self.sandbox_log("/api.xro/2.0/Invoices", "GET"), [], "not looked up")
        self.run_queue()
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        (document,) = self.xero_documents()
        self.assertEqual(float(document["Total"]), round(3 * 60.0 * 1.1, 2))

    def test_a_document_xero_may_have_is_looked_up_even_after_failing_for_something_else(self):
        bill = self.make_move()
        self.sandbox_control("faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/Invoices"})
        self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        # Blocked at its next send (its tax lost its mapping): it fails, and needs a fix.
        mapping = self.connection.tax_mapping_ids.filtered(lambda m: m.tax_id == self.gst_purchase)
        rate = mapping.tax_rate_id
        mapping.unlink()
        self.send(bill | self.make_move("out_invoice"))
        self.assertEqual(bill.xero_state, "error")
        self.connection.tax_mapping_ids = [
            Command.create({"tax_id": self.gst_purchase.id, "tax_rate_id": rate.id})
        ]
        # Long after Xero's idempotency window: only a look-up keeps it from a second copy.
        self.sandbox_control("clock", advance=7 * 60)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(len(self.xero_documents()), 2, "the bill once, and the other")
        self.assertIn("Linked, not created again", bill.message_ids[0].body)

    def test_an_answer_that_cannot_be_read_is_uncertain_then_linked(self):
        bill = self.make_move()
        put_invoices = XeroClient.put_invoices

        def cut_short(client, *args, **kwargs):
            put_invoices(client, *args, **kwargs)
            raise XeroError("Xero answered with a body that is not JSON.", 200)

        with patch.object(XeroClient, "put_invoices", cut_short):
            self.send(bill)
        self.assertEqual(bill.xero_state, "uncertain")
        self.sandbox_control("clock", advance=7 * 60)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(len(self.xero_documents()), 1)
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Invoices", "PUT")), 1)

    def test_a_document_changed_and_changed_back_is_updated_each_time(self):
        bill = self.make_move()
        self.send(bill)
        for price_unit in (60.0, 54.90, 60.0):
            self._change(bill, price_unit)
            self.send(bill)
            self.assertEqual(bill.xero_state, "sent", bill.xero_error)
            (document,) = self.xero_documents()
            self.assertEqual(float(document["Total"]), round(3 * price_unit * 1.1, 2))


@tagged("post_install", "-at_install")
class TestBadInput(XeroSendCase):
    """Each bad document gets a clear reason; the rest of the batch goes through; the Odoo
    document is never changed but for its Xero fields."""

    def assertBlocked(self, move, reason, verdict="blocked"):
        good = self.make_move("out_invoice")
        before = move.read(["amount_total", "state", "partner_id", "name"])
        results = self.send(move | good) if verdict == "blocked" else None
        _wizard, review = self.review(move)
        self.assertEqual(review[move][0], verdict)
        self.assertIn(reason, review[move][1])
        if results is not None:
            self.assertEqual(results[good][0], "created")
            self.assertEqual(results[move][0], "failed")
            self.assertEqual(move.xero_state, "error")
            self.assertIn(reason, move.xero_error)
        self.assertEqual(move.read(["amount_total", "state", "partner_id", "name"]), before)

    def test_draft_and_cancelled_are_skipped(self):
        draft = self.make_move(post=False)
        self.assertBlocked(draft, "Draft: post it first", verdict="skip")
        cancelled = self.make_move(post=False)
        cancelled.button_cancel()
        self.assertBlocked(cancelled, "Cancelled", verdict="skip")

    def test_other_company_is_skipped(self):
        other_company = self.setup_other_company()["company"]
        other = self.make_move(
            company_id=other_company.id,
            lines=[{"name": "Ice", "quantity": 1, "price_unit": 4.0, "tax_ids": []}],
        )
        # A clerk of both companies, who can see (and select) the other company's documents:
        # in a selection with this company's, the other's is skipped (alone, it would go with
        # its own company's connection, see TestTwoCompanies).
        self.clerk.company_ids |= other_company
        self.env.invalidate_all()
        mine = self.make_move()
        _wizard, review = self.review(other | mine)
        self.assertEqual(review[other][0], "skip")
        self.assertIn("switch to that company", review[other][1])
        self.assertEqual(review[mine][0], "create")

    def test_partner_without_name(self):
        bill = self.make_move()
        bill.partner_id.commercial_partner_id.name = " "
        self.assertBlocked(bill, "has no name")

    def test_account_reference_unset(self):
        self.connection.purchase_account_id = False
        self.assertBlocked(self.make_move(), "No Purchase Account Reference")

    def test_archived_account(self):
        archived = self.connection.account_ids.filtered(lambda a: a.code == "461")
        category = self.env["product.category"].create({"name": "Stationery"})
        self.connection.category_account_ids = [
            (0, 0, {"categ_id": category.id, "purchase_account_id": archived.id})
        ]
        product = self.env["product.product"].create({"name": "Paper", "categ_id": category.id})
        bill = self.make_move(lines=[{"product_id": product.id, "quantity": 1, "price_unit": 5}])
        self.assertBlocked(bill, "is archived")

    def test_account_deleted_in_xero(self):
        self.connection.purchase_account_id.status = "DELETED"
        self.assertBlocked(self.make_move(), "is deleted")

    def test_tracking_option_archived_in_xero(self):
        plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        south = self.env["account.analytic.account"].create({"name": "South", "plan_id": plan.id})
        option = self.connection.tracking_option_ids.filtered(
            lambda o: o.display_name == "Region / South"
        )
        self.connection.tracking_mapping_ids = [
            (0, 0, {"analytic_account_id": south.id, "option_id": option.id})
        ]
        option.status = "ARCHIVED"  # as the next reading of Xero's tracking categories says
        line = {"name": "Kegs", "quantity": 1, "price_unit": 100.0}
        bill = self.make_move(lines=[dict(line, analytic_distribution={str(south.id): 100})])
        self.assertBlocked(bill, "tracked as Region / South, which is archived in Xero")

    def test_zero_total_bill_goes(self):
        bill = self.make_move(lines=[{"name": "Samples", "quantity": 4, "price_unit": 0.0}])
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(float(self.xero_documents()[0]["Total"]), 0.0)

    def test_xero_not_listening_is_reported_and_nothing_is_lost(self):
        self.connection.sudo().api_url = "http://127.0.0.1:9"
        bill = self.make_move()
        results = self.send(bill)
        self.assertEqual(results[bill][0], "queued")
        self.assertEqual(bill.xero_state, "queued", "it goes by itself once Xero answers")
        self.assertIn("could not be reached", bill.xero_export_id.waiting_reason)
        self.assertEqual(bill.xero_export_id.attempts, 1)

    def test_tax_without_mapping(self):
        unmapped = self.env["account.tax"].create(
            {"name": "Wine Equalisation Tax", "amount": 29.0, "type_tax_use": "purchase"}
        )
        bill = self.make_move(
            lines=[
                {
                    "name": "Shiraz",
                    "quantity": 1,
                    "price_unit": 20,
                    "tax_ids": [(6, 0, unmapped.ids)],
                }
            ]
        )
        self.assertBlocked(bill, "Wine Equalisation Tax")

    def test_tax_mapped_to_a_rate_of_another_percentage(self):
        luxury = self.env["account.tax"].create(
            {"name": "Luxury Car Tax", "amount": 33.0, "type_tax_use": "purchase"}
        )
        rates = self.connection.tax_rate_ids
        self.connection.tax_mapping_ids = [
            (
                0,
                0,
                {
                    "tax_id": luxury.id,
                    "tax_rate_id": rates.filtered(lambda r: r.tax_type == "INPUT").id,
                },
            )
        ]
        line = {"name": "Van", "quantity": 1, "price_unit": 9, "tax_ids": [(6, 0, luxury.ids)]}
        self.assertBlocked(self.make_move(lines=[line]), "“Luxury Car Tax” (33%) is mapped to")

    def test_taxes_included_and_excluded_in_one_document_are_blocked(self):
        included = {"tax_ids": [(6, 0, self.gst_sale_included.ids)]}
        lines = [
            {"name": "Pale Ale", "quantity": 1, "price_unit": 10.0},
            {"name": "Stout", "quantity": 1, "price_unit": 11.0, **included},
        ]
        invoice = self.make_move("out_invoice", lines=lines)
        self.assertBlocked(invoice, "mixes taxes included in and excluded from the price")

    def test_each_line_with_several_taxes_is_named_in_one_review(self):
        # What a product's lines are booked to is worked out once per review: not a problem,
        # which names its own line.
        wet = self.env["account.tax"].create(
            {"name": "Wine Equalisation Tax", "amount": 29.0, "type_tax_use": "purchase"}
        )
        taxes = {
            "quantity": 1,
            "price_unit": 20.0,
            "tax_ids": [(6, 0, (self.gst_purchase | wet).ids)],
        }
        crate = self.make_move(lines=[{"name": "Crate", **taxes}])
        barrel = self.make_move(lines=[{"name": "Barrel", **taxes}])
        _wizard, review = self.review(crate | barrel)
        self.assertIn("“Crate” has several taxes", review[crate][1])
        self.assertIn("“Barrel” has several taxes", review[barrel][1])

    def test_currency_not_enabled(self):
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 0.9)])
        self.assertBlocked(self.make_move(currency_id=eur.id), "EUR is not enabled")

    def test_date_in_locked_period_is_refused_by_xero(self):
        bill = self.make_move(invoice_date=fields.Date.to_date("2020-01-15"))
        good = self.make_move(ref="GOOD")
        results = self.send(bill | good)
        self.assertEqual(results[good][0], "created")
        self.assertEqual(results[bill][0], "failed")
        self.assertIn("lock", bill.xero_error.lower())
        self.assertTrue(bill.xero_error_details)

    def test_duplicate_sales_invoice_number_is_refused_by_xero(self):
        invoice = self.make_move("out_invoice")
        self.connection._client().put_invoices(
            seed.AU_TENANT_ID,
            [
                {
                    "Type": "ACCREC",
                    "Contact": {"Name": "Typed in Xero by hand"},
                    "InvoiceNumber": invoice.name,
                    "LineItems": [
                        {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}
                    ],
                }
            ],
        )
        good = self.make_move("out_invoice")
        results = self.send(invoice | good)
        self.assertEqual(results[good][0], "created")
        self.assertEqual(results[invoice][0], "failed")
        self.assertIn("must be unique", invoice.xero_error)
        self.assertEqual(invoice.xero_error_details, "Invoice # must be unique.")

    def test_negative_zero_and_long_lines_and_emoji_go_as_they_are(self):
        bill = self.make_move(
            lines=[
                {"name": "Keg 50L", "quantity": 2, "price_unit": 250.0},
                {"name": "Returned empties 🍺", "quantity": 2, "price_unit": -30.0},
                {"name": "Free glasses", "quantity": 6, "price_unit": 0.0},
                {"name": "Ä" * 4100, "quantity": 1, "price_unit": 1.0},
            ]
        )
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        lines = self.xero_documents()[0]["LineItems"]
        self.assertEqual(float(lines[1]["UnitAmount"]), -30.0)
        self.assertIn("🍺", lines[1]["Description"])
        self.assertEqual(float(lines[2]["LineAmount"]), 0.0)
        self.assertLessEqual(len(lines[3]["Description"]), 4000)
        self.assertIn("4,000", bill.xero_warning)

    def test_thousand_lines(self):
        lines = [{"name": f"Line {i}", "quantity": 1, "price_unit": 1.25} for i in range(1000)]
        bill = self.make_move(lines=lines)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(len(self.xero_documents()[0]["LineItems"]), 1000)

    def test_sections_and_notes_go_where_they_stand_among_the_lines(self):
        bill = self.make_move(
            lines=[
                {"name": "Pale ale", "quantity": 1, "price_unit": 10.0, "sequence": 30},
                {"display_type": "line_section", "name": "Drinks", "sequence": 10, "tax_ids": []},
                {"name": "Lager", "quantity": 1, "price_unit": 20.0, "sequence": 20},
                {
                    "display_type": "line_note",
                    "name": "Delivered Tuesday",
                    "sequence": 30,
                    "tax_ids": [],
                },
            ]
        )
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        lines = self.xero_documents()[0]["LineItems"]
        # By sequence, and as they were entered where the sequence is the same.
        self.assertEqual(
            [line["Description"] for line in lines],
            ["Drinks", "Lager", "Pale ale", "Delivered Tuesday"],
        )

    def test_an_approved_bill_with_a_section_goes(self):
        # A section goes as a line with a description only, which needs no account in Xero,
        # approved or not.
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move(
            lines=[
                {"display_type": "line_section", "name": "Drinks", "tax_ids": []},
                {"name": "Lager", "quantity": 1, "price_unit": 20.0},
            ]
        )
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(bill.xero_status, "AUTHORISED")


@tagged("post_install", "-at_install")
class TestSendMore(XeroSendCase):
    def test_vendor_scan_is_attached_once(self):
        self.connection.send_attachments = True
        bill = self.make_move()
        self.scan(bill, "bondi-8841.pdf")
        self.send(bill)
        self.assertEqual(
            [(a["document_id"], a["FileName"]) for a in self.xero_documents("attachments")],
            [(bill.xero_id, "bondi-8841.pdf")],
        )
        self.assertFalse(bill.xero_export_id.attachment_pending)

    def test_a_file_not_attached_yet_is_warned_of_once_and_no_more_once_attached(self):
        self.connection.send_attachments = True
        bill = self.make_move()
        self.scan(bill, "bondi-8842.pdf")
        # Xero is unavailable for the file's first two tries (the document's own path only).
        self.sandbox_control(
            "faults", status={"code": 503, "count": 2, "path_prefix": "/api.xro/2.0/Invoices/"}
        )
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent")
        export = bill.xero_export_id
        for later in (timedelta(minutes=5), timedelta(minutes=10)):
            self.assertTrue(export.attachment_pending)
            self.assertEqual(len(export.warning.splitlines()), 1, "the last try's, alone")
            self.assertIn("not attached yet", export.warning)
            with freeze_time(fields.Datetime.now() + later):
                self.run_queue()
        self.assertFalse(export.attachment_pending)
        self.assertFalse(export.warning, "attached: nothing to warn of")

    def test_a_file_refused_for_good_goes_when_its_bill_is_sent_again_alone(self):
        """Xero refused a bill's file for a reason a retry does not cure: the bill is sent, its
        warning says so, and it does not wait in the queue. Sent again alone (the file put
        right), the review says its file goes, though the bill is unchanged, and Ok attaches
        it; with the bill's file sent, a second send has nothing to do."""
        self.connection.send_attachments = True
        bill = self.make_move()
        self.scan(bill, "bondi-8843.pdf", content=b"")  # a scan that went wrong: empty
        self.send(bill)
        self.env.invalidate_all()
        export = bill.xero_export_id
        self.assertEqual(bill.xero_state, "sent")
        self.assertTrue(export.attachment_pending)
        self.assertFalse(export.queued, "refused for good: it does not wait")
        self.assertIn("content is empty", export.warning)
        bill.message_main_attachment_id.raw = b"%PDF-1.4 scanned again"
        wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "follow", review[bill][1])
        self.assertIn("its file", review[bill][1])
        self.assertEqual(wizard.send_label, "Send 1 to Xero")
        results = self.send(bill)
        self.assertEqual(results[bill][0], "skipped", "nothing of the bill itself went")
        self.env.invalidate_all()
        self.assertEqual(
            [(a["document_id"], a["FileName"]) for a in self.xero_documents("attachments")],
            [(bill.xero_id, "bondi-8843.pdf")],
        )
        self.assertFalse(export.attachment_pending or export.queued or export.warning)
        wizard, review = self.review(bill)
        self.assertEqual(review[bill], ("skip", "Already in Xero, unchanged."))
        with self.assertRaisesRegex(UserError, "Nothing to send"):
            wizard.action_send()

    def test_credit_note_is_allocated_to_the_bill_it_reverses(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        refund = self.reverse(bill, "Broken bottles")
        refund.action_post()
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_state, "sent", refund.xero_error)
        self.assertFalse(refund.xero_export_id.allocation_pending, refund.xero_warning)
        invoice = self.xero_documents()[0]
        self.assertEqual(float(invoice["AmountDue"]), 0.0)
        self.assertEqual(float(invoice["AmountCredited"]), bill.amount_total)
        self.assertIn("Allocated", refund.message_ids[0].body)

    def _credit_note_of_a_draft_bill(self):
        """An approved credit note of a bill Odoo sent as a draft (the connection's status
        changed between them), allocated to it in Odoo; the bookkeeper approves the bill in
        Xero afterwards, as drafts are meant to be."""
        bill = self.make_move()
        self.send(bill)
        self.assertEqual(bill.xero_status, "DRAFT")
        self.connection.invoice_status = "AUTHORISED"
        refund = self.reverse(bill, "One carton broken")
        refund.invoice_line_ids.quantity = 1
        refund.action_post()
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_status, "AUTHORISED")
        export = refund.xero_export_id
        self.assertTrue(export.allocation_pending, "not forgotten")
        self.assertIn(f"{bill.name} is not approved in Xero yet (Draft)", export.warning)
        self.assertEqual(len(export.warning.splitlines()), 1)
        self.assertFalse(export.queued, "not asked again every few minutes while a draft")
        (document,) = self.xero_documents()
        self.connection._client().post_invoices(
            self.connection.tenant_id,
            [{"InvoiceID": bill.xero_id, "Status": "AUTHORISED", "DueDate": document["DueDate"]}],
        )
        return bill, refund

    def assertAllocated(self, bill, refund):
        self.env.invalidate_all()
        export = refund.xero_export_id
        self.assertFalse(export.allocation_pending or export.queued or export.warning)
        (document,) = [d for d in self.xero_documents() if d["InvoiceID"] == bill.xero_id]
        self.assertEqual(document["AmountCredited"], refund.amount_total)
        self.assertEqual(document["AmountDue"], bill.amount_residual)

    def test_a_credit_note_of_a_draft_bill_is_allocated_when_sent_again_once_approved(self):
        bill, refund = self._credit_note_of_a_draft_bill()
        # With the next credit notes sent: unchanged, it is claimed for its allocation alone.
        self.send(refund | self.make_move("in_refund"), "credit_note")
        self.assertAllocated(bill, refund)

    def test_a_credit_note_of_a_draft_bill_is_allocated_when_the_approved_bill_is_sent(self):
        bill, refund = self._credit_note_of_a_draft_bill()
        # With the next bills sent: unchanged, the bill is skipped, its credit note queued.
        self.assertEqual(self.send(bill | self.make_move(ref="NEXT-1"))[bill][0], "skipped")
        self.env.invalidate_all()
        export = refund.xero_export_id
        self.assertTrue(export.queued and export.queued_steps_only, "queued for its allocation")
        self.run_queue()
        self.assertAllocated(bill, refund)

    def test_a_credit_note_sent_before_its_bill_is_allocated_once_the_bill_is_sent(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        refund = self.reverse(bill, "Broken bottles")
        refund.action_post()
        self.send(refund, "credit_note")
        export = refund.xero_export_id
        self.assertEqual(refund.xero_state, "sent", refund.xero_error)
        self.assertTrue(export.allocation_pending)
        self.assertIn(f"{bill.name} is not in Xero yet", export.warning)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.env.invalidate_all()
        self.assertTrue(export.queued and export.queued_steps_only, "queued for its allocation")
        self.run_queue()
        self.env.invalidate_all()
        invoice = self.xero_documents()[0]
        self.assertEqual(float(invoice["AmountCredited"]), refund.amount_total)
        self.assertFalse(export.allocation_pending or export.queued or export.warning)

    def test_a_bill_and_its_credit_note_sent_by_one_run_are_allocated(self):
        """Both queued, both taken by one run of the job: the credit note is allocated to the
        bill that run sent, whose Xero id its own records do not have yet."""
        self.connection.write({"invoice_status": "AUTHORISED", "background_threshold": 0})
        bill = self.make_move()
        refund = self.reverse(bill, "Broken bottles")
        refund.action_post()
        self.send(bill)
        self.send(refund, "credit_note")
        self.env.invalidate_all()
        self.assertEqual((bill | refund).mapped("xero_state"), ["queued", "queued"])
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/CreditNotes", "PUT")), 1, "one run")
        self.assertFalse(refund.xero_export_id.allocation_pending, refund.xero_warning)
        invoice = self.xero_documents()[0]
        self.assertEqual(float(invoice["AmountCredited"]), refund.amount_total)

    def test_an_allocation_whose_answer_was_lost_is_found_in_xero_not_left_pending(self):
        """A partial credit note's allocation goes and its answer is lost; the queue comes back
        after Xero's idempotency window (6 minutes), when Xero refuses the same allocation
        again (no credit left): the credit note is read, and its allocation found."""
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move(ref="PART-1")
        self.send(bill)
        refund = self.reverse(bill, "Two crates broken of three")
        refund.invoice_line_ids.quantity = 2
        refund.action_post()
        # The credit note goes (PUT /CreditNotes has no slash after it), its allocation's answer
        # is lost.
        self.sandbox_control(
            "faults", drop={"count": 1, "path_prefix": "/api.xro/2.0/CreditNotes/"}
        )
        self.send(refund, "credit_note")
        self.env.invalidate_all()
        credited = float(self.xero_documents()[0]["AmountCredited"])
        self.assertEqual(credited, refund.amount_total, "Xero has it")
        export = refund.xero_export_id
        self.assertTrue(export.allocation_pending and export.queued, export.warning)
        self.sandbox_control("clock", advance=10 * 60)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=10)):
            self.run_queue()
        self.env.invalidate_all()
        credited = float(self.xero_documents()[0]["AmountCredited"])
        self.assertEqual(credited, refund.amount_total, "once")
        self.assertFalse(export.allocation_pending or export.queued or export.warning)
        allocations = [e for e in self.sandbox_log() if e["path"].endswith("/Allocations")]
        self.assertEqual(len(allocations), 2, "made, then refused once and found")

    def test_contacts_are_found_by_name_created_once_and_kept(self):
        seeded = requests.get(
            f"{self.sandbox.url}/_sandbox/state",
            params={"tenant_id": seed.AU_TENANT_ID},
            timeout=SANDBOX_TIMEOUT,
        ).json()["organisations"][0]["contacts"]
        existing = next(c for c in seeded if c["ContactStatus"] == "ACTIVE")
        known = self.env["res.partner"].create({"name": existing["Name"]})
        bill_known = self.make_move(partner_id=known.id)
        bill_new = self.make_move()
        bill_new_again = self.make_move()
        self.send(bill_known | bill_new | bill_new_again)
        documents = {d["InvoiceID"]: d for d in self.xero_documents()}
        self.assertEqual(
            documents[bill_known.xero_id]["Contact"]["ContactID"], existing["ContactID"]
        )
        new_id = documents[bill_new.xero_id]["Contact"]["ContactID"]
        self.assertEqual(documents[bill_new_again.xero_id]["Contact"]["ContactID"], new_id)
        links = self.env["xero.partner.link"].search([("connection_id", "=", self.connection.id)])
        self.assertEqual(
            {(link.partner_id, link.contact_id) for link in links},
            {(known, existing["ContactID"]), (self.vendor, new_id)},
        )
        self.assertEqual(len(self.sandbox_log("/api.xro/2.0/Contacts", method="PUT")), 1)
        self.send(self.make_move(ref="LATER"))
        self.assertEqual(
            len(self.sandbox_log("/api.xro/2.0/Contacts", method="GET")), 1, "links are reused"
        )

    def test_a_contacts_look_up_stays_within_its_url_bound_whatever_the_names(self):
        """The bound is on the filter as the URL carries it, percent-encoded: a character of a
        Japanese name takes 9 there."""
        bills = self.env["account.move"]
        for n in range(50):
            partner = self.env["res.partner"].create(
                {"name": f"株式会社 東京ビール醸造所 第{n}号店 輸入酒類卸売部門"}
            )
            bills |= self.make_move(partner_id=partner.id, ref=f"JP-{n}")
        self.connection.background_threshold = 100
        self.send(bills)
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
        wheres = [
            len(quote_plus(entry["query"]["where"]))
            for entry in self.sandbox_log("/api.xro/2.0/Contacts", "GET")
        ]
        self.assertGreater(len(wheres), 1)
        self.assertLessEqual(max(wheres), CONTACT_QUERY_CHARS + 100, wheres)

    def test_a_name_already_assigned_is_linked(self):
        self.connection._client().put_contacts(seed.AU_TENANT_ID, [{"Name": "Bondi Beverages Pty"}])
        # Odoo's name differs only in case: not found by the exact search, refused on creation.
        partner = self.env["res.partner"].create({"name": "BONDI BEVERAGES PTY"})
        bill = self.make_move(partner_id=partner.id)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertTrue(self.connection._xero_contact_link(partner))

    def test_a_partner_xero_cannot_take_fails_its_own_documents_only(self):
        odd = self.env["res.partner"].create({"name": "Long Ref Liquor", "ref": "R" * 51})
        bad = self.make_move(partner_id=odd.id)
        good = self.make_move(ref="GOOD-1")
        results = self.send(bad | good)
        self.assertEqual(results[good][0], "created")
        self.assertEqual(results[bad][0], "failed")
        self.assertIn("Long Ref Liquor", bad.xero_error)
        self.assertIn("50", bad.xero_error)
        self.assertEqual(bad.xero_state, "error")
        self.assertTrue(bad.xero_export_id.needs_fix)

    def test_a_new_contact_is_not_taken_for_another_that_shares_its_email(self):
        # PowerDirect in Xero has billing@powerdirect.example; this is another business.
        sister = self.env["res.partner"].create(
            {"name": "PowerDirect Gas", "email": "billing@powerdirect.example"}
        )
        bill = self.make_move(partner_id=sister.id)
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        contact = self.xero_documents()[0]["Contact"]
        self.assertEqual(contact["Name"], "PowerDirect Gas")
        self.assertNotEqual(contact["ContactID"], seed.contact_id(seed.AU_TENANT_ID, "PowerDirect"))

    def test_retry_failed_on_documents_that_did_not_fail_says_so(self):
        bills = self.make_move(ref="OK-1") | self.make_move(ref="OK-2")
        self.send(bills)
        with self.assertRaisesRegex(UserError, "None of the selected documents failed"):
            bills.with_user(self.clerk).action_retry_xero_failed()

    def test_retry_failed_comes_back_after_reconnecting(self):
        bill = self.make_move()
        self.sandbox_control(
            "faults", status={"code": 503, "count": 1, "path_prefix": "/api.xro/2.0/Invoices"}
        )
        self.send(bill)
        self.connection.state = "reauth"
        wizard = self.env["xero.send.wizard"].browse(bill.action_retry_xero_failed()["res_id"])
        self.assertEqual(wizard.step, "connect")
        url = urlsplit(wizard.action_start_session()["url"])
        # The company's accounting manager (whose password is the login) follows it.
        self.authenticate(self.env.user.login, self.env.user.login)
        response = start_session(self, url.query)
        self.assertEqual(response.status_code, 303, response.text)
        self.assertTrue(response.headers["Location"].startswith(self.sandbox.url))
        state = self.env["xero.oauth.state"].sudo().search([], order="id desc", limit=1)
        self.assertEqual((state.return_action, state.return_move_ids), ("retry", str(bill.id)))

    def test_a_disconnect_during_a_send_stays_and_the_file_goes_once_connected_again(self):
        """A manager disconnects while a clerk's send is between Xero's answer and the bill's
        file: Xero refuses the file's call, which must neither turn the manager's Disconnect
        into "Needs re-authorisation" nor lose the file."""
        self.connection.send_attachments = True
        bill = self.make_move(ref="MID-1")
        self.scan(bill, "mid-1.pdf")
        attach = _Run.attach
        connection = self.connection

        def disconnect_first(run, moves):
            # The clerk's transaction is not the manager's: it still knows the token it read
            # (restored here, as the tests share one transaction).
            known = dict(connection._token_memo())
            connection.action_disconnect()
            connection._token_memo().update(known)
            return attach(run, moves)

        with patch.object(_Run, "attach", disconnect_first):
            self.send(bill)
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "sent")
        self.assertEqual(connection.state, "disconnected", connection.sudo().reauth_reason)
        export = bill.xero_export_id
        self.assertTrue(export.attachment_pending and export.queued_steps_only)
        self.assertIn("needs its manager", export.waiting_reason)
        self.connect(connection)
        self.run_queue()
        self.env.invalidate_all()
        self.assertFalse(export.attachment_pending, export.warning)

    def test_a_rate_limit_makes_the_rest_wait_then_it_goes_by_itself(self):
        self.sandbox_control("settings", minute_limit=3)
        bills = self.make_move() | self.make_move(ref="B")
        results = self.send(bills)
        waiting = [move for move, (verdict, _m) in results.items() if verdict == "queued"]
        self.assertTrue(waiting, results)
        self.assertEqual(waiting[0].xero_state, "queued")
        export = waiting[0].xero_export_id
        self.assertIn("limit", export.waiting_reason)
        calls = len(self.sandbox_log())
        self.run_queue()
        self.assertEqual(len(self.sandbox_log()), calls, "nothing is asked before Xero's time")
        # Xero's minute has passed, here and at Xero.
        self.sandbox_control("clock", advance=61)
        with freeze_time(fields.Datetime.now() + timedelta(seconds=61)):
            self.run_queue()
        self.assertEqual(set(bills.mapped("xero_state")), {"sent"})
        self.assertEqual(len(self.xero_documents()), 2)

    def test_not_connected_offers_to_start_a_session_and_comes_back(self):
        """Start Xero Session from the send dialog, Xero's consent, Integrate: the same
        selection is reviewed again. The link names the dialog, not its documents: a "select
        all" of thousands (the background queue's very use) would make a URL no server takes
        (Odoo's own drops a request line over 64 KiB, nginx's default refuses one over 8 KiB)."""
        self.connection.state = "reauth"
        bills = self.make_move() | self.make_move(ref="X")
        wizard, _review = self.review(bills, user=self.env.user)
        self.assertEqual(wizard.step, "connect")
        self.assertTrue(wizard.needs_reauth)
        query = urlsplit(wizard.action_start_session()["url"]).query
        self.assertEqual(
            set(parse_qs(query)), {"connection_id", "send_wizard", "until", "signature"}
        )
        self.authenticate(self.env.user.login, self.env.user.login)
        response = start_session(self, query)
        self.assertEqual(response.status_code, 303, response.text)
        callback = urlsplit(SandboxSignIn(response.headers["Location"]).consent())
        back = self.url_open(f"{callback.path}?{callback.query}", allow_redirects=False)
        self.assertEqual(back.status_code, 303, back.text)
        setup = self.env["xero.setup.wizard"].search([], order="id desc", limit=1)
        done = setup.action_integrate()
        self.assertEqual(done["tag"], "display_notification")
        again = self.env["xero.send.wizard"].browse(done["params"]["next"]["res_id"])
        self.assertEqual(again.move_ids, bills)
        self.assertEqual(again.step, "review")
        self.assertEqual(again.create_count, 2)

    def test_a_session_never_comes_back_to_another_users_selection(self):
        """A manager posts the start form with another user's send dialog in place of theirs:
        refused, nothing recorded."""
        self.connection.state = "reauth"
        bill = self.make_move()
        theirs, _review = self.review(bill, user=self.env.user)
        other = self.company_user("xero_other_manager", "account.group_account_manager")
        mine, _review = self.review(bill, user=other)
        self.authenticate(other.login, other.login)
        response = start_session(
            self,
            urlsplit(mine.action_start_session()["url"]).query,
            forged={"send_wizard": str(theirs.id)},
        )
        self.assertEqual(response.status_code, 400, response.text)
        self.assertIn("not opened by you", response.text)
        self.assertFalse(self.env["xero.oauth.state"].sudo().search([("user_id", "=", other.id)]))

    def test_fix_mappings_from_the_review_comes_back_to_it(self):
        unmapped = self.make_tax(
            {"name": "GST on freight", "amount": 10.0, "type_tax_use": "purchase"}
        )
        line = {"name": "Van", "quantity": 1, "price_unit": 9, "tax_ids": [(6, 0, unmapped.ids)]}
        bill = self.make_move(lines=[line])
        wizard, review = self.review(bill, user=self.env.user)
        self.assertEqual(review[bill][0], "blocked")
        setup = self.env["xero.setup.wizard"].browse(wizard.action_fix_mappings()["res_id"])
        line = setup.tax_line_ids.filtered(lambda line: line.tax_id == unmapped)
        line.tax_rate_id = self.connection.tax_rate_ids.filtered(lambda r: r.tax_type == "INPUT")
        done = setup.action_integrate()
        again = self.env["xero.send.wizard"].browse(done["params"]["next"]["res_id"])
        self.assertEqual(again.create_count, 1)

    def test_what_xero_changed_in_a_draft_is_its_warning(self):
        # The purchase account was deleted in Xero since its chart was read: Xero keeps the draft
        # without it and says so.
        del self.sandbox.sandbox.state.organisations[seed.AU_TENANT_ID].accounts["310"]
        bill = self.make_move()
        results = self.send(bill)
        expected = "Xero changed it: Account code '310' is not a valid code for this document."
        self.assertEqual(results[bill][0], "created")
        self.assertIn(expected, results[bill][1])
        self.assertEqual(bill.xero_state, "sent")
        self.assertIn(expected, bill.xero_warning)
        self.assertNotIn("AccountCode", self.xero_documents()[0]["LineItems"][0])

    def test_analytic_accounts_go_as_tracking_options(self):
        plan = self.env["account.analytic.plan"].create({"name": "Venues"})
        Analytic = self.env["account.analytic.account"]
        bondi = Analytic.create({"name": "Bondi", "plan_id": plan.id})
        manly = Analytic.create({"name": "Manly", "plan_id": plan.id})
        option = {o.display_name: o for o in self.connection.tracking_option_ids}
        self.connection.tracking_mapping_ids = [
            (0, 0, {"analytic_account_id": bondi.id, "option_id": option["Venue / Bondi"].id}),
            (0, 0, {"analytic_account_id": manly.id, "option_id": option["Venue / Manly"].id}),
        ]
        line = {"name": "Kegs", "quantity": 1, "price_unit": 100.0}
        bill = self.make_move(lines=[dict(line, analytic_distribution={str(bondi.id): 100})])
        split = self.make_move(
            lines=[dict(line, analytic_distribution={str(bondi.id): 50, str(manly.id): 50})]
        )
        results = self.send(bill | split)
        self.assertEqual(results[bill][0], "created")
        tracking = self.xero_documents()[0]["LineItems"][0]["Tracking"]
        self.assertEqual([(t["Name"], t["Option"]) for t in tracking], [("Venue", "Bondi")])
        self.assertEqual(results[split][0], "failed")
        self.assertIn("one option per category", split.xero_error)

    def test_export_log_keeps_no_secret(self):
        bill = self.make_move()
        self.send(bill)
        batch = self.env["xero.export.batch"].search([], limit=1)
        self.assertEqual(batch.line_ids.move_id, bill)
        self.assertEqual(batch.sent_count, 1)
        token = self.connection._read_token()
        for line in batch.line_ids:
            self.assertNotIn(token["access_token"], line.message or "")


@tagged("post_install", "-at_install")
class TestReviewDialog(XeroSendCase):
    """What the review offers and says, by who reads it."""

    def setUp(self):
        super().setUp()
        self.manager = self.company_user("xero_review_manager", "account.group_account_manager")
        self.wet = self.env["account.tax"].create(
            {"name": "Wine Equalisation Tax", "amount": 29.0, "type_tax_use": "purchase"}
        )

    def _unmapped(self):
        line = {
            "name": "Shiraz",
            "quantity": 1,
            "price_unit": 20,
            "tax_ids": [(6, 0, self.wet.ids)],
        }
        return self.make_move(lines=[line])

    def test_the_primary_button_says_what_it_sends(self):
        bills = self.make_move() | self.make_move(ref="B2")
        wizard, _review = self.review(bills | self.make_move("in_refund"))
        self.assertEqual(wizard.send_label, "Send 2 to Xero")
        self.send(bills)
        bills[0].button_draft()
        bills[0].invoice_line_ids.price_unit = 60.0
        bills[0].action_post()
        wizard, review = self.review(bills)
        self.assertEqual(review[bills[0]][0], "update")
        self.assertEqual(wizard.send_label, "Send 1 to Xero")
        wizard, _review = self.review(bills[1])
        self.assertFalse(wizard.create_count or wizard.update_count, "nothing to send: no button")

    def test_a_clerk_is_told_who_can_fix_it_a_manager_how(self):
        bill = self._unmapped()
        clerk_wizard, review = self.review(bill)
        self.assertEqual(
            review[bill],
            (
                "blocked",
                "Tax “Wine Equalisation Tax” has no Xero tax rate: an accounting manager can map "
                "it in the Xero settings.",
            ),
        )
        self.assertFalse(clerk_wizard.can_fix, "a clerk cannot open the setup")
        manager_wizard, review = self.review(bill, user=self.manager)
        self.assertEqual(
            review[bill][1],
            "Tax “Wine Equalisation Tax” has no Xero tax rate: map it in Accounts and Taxes "
            "(Fix Mappings).",
        )
        self.assertTrue(manager_wizard.can_fix)

    def test_fix_mappings_is_offered_only_where_the_setup_fixes_it(self):
        nameless = self.env["res.partner"].create({"name": "Nameless"})
        bill = self.make_move(partner_id=nameless.id)
        nameless.name = " "
        wizard, review = self.review(bill, user=self.manager)
        self.assertEqual(review[bill][0], "blocked")
        self.assertFalse(wizard.can_fix, "the setup cannot give a partner a name")
        wizard, _review = self.review(bill | self._unmapped(), user=self.manager)
        self.assertTrue(wizard.can_fix)

    def test_a_currency_added_in_xero_is_read_again_by_accounts_and_taxes(self):
        eur = self.setup_other_currency("EUR", rates=[("2020-01-01", 0.9)])
        bill = self.make_move(currency_id=eur.id)
        _wizard, review = self.review(bill)
        self.assertIn("an accounting manager can add it in Xero", review[bill][1])
        wizard, review = self.review(bill, user=self.manager)
        self.assertIn("add it in Xero (Settings > Currencies)", review[bill][1])
        self.assertTrue(wizard.can_fix)
        organisation = self.sandbox.sandbox.state.organisations[seed.AU_TENANT_ID]
        organisation.currencies["EUR"] = "Euro"
        setup = self.env["xero.setup.wizard"].browse(
            wizard.with_user(self.manager).action_fix_mappings()["res_id"]
        )
        self.assertIn("EUR", self.connection.enabled_currencies.split(","))
        done = setup.with_user(self.manager).action_integrate()
        again = self.env["xero.send.wizard"].with_user(self.manager)
        self.assertEqual(again.browse(done["params"]["next"]["res_id"]).create_count, 1)

    def test_the_forms_send_to_xero_fits_the_document(self):
        for move_type, action in (
            ("in_invoice", "invoice"),
            ("out_invoice", "invoice"),
            ("in_refund", "credit_note"),
            ("out_refund", "credit_note"),
        ):
            move = self.make_move(move_type).with_user(self.clerk)
            # Read as the clerk who opened it: a wizard is its user's own.
            Wizard = self.env["xero.send.wizard"].with_user(self.clerk)
            wizard = Wizard.browse(move.action_send_to_xero()["res_id"])
            self.assertEqual(wizard.action, action, move_type)
            self.assertEqual(wizard.create_count, 1, move_type)

    def test_the_action_menu_keeps_its_entries(self):
        bound = self.env["ir.actions.server"].search(
            [("binding_model_id.model", "=", "account.move"), ("name", "like", "Xero")]
        )
        self.assertEqual(
            set(bound.mapped("name")),
            {
                "Export to Other Platform: Send to Xero as Invoice",
                "Export to Other Platform: Send to Xero as Credit Note",
                "Export to Other Platform: Retry Failed Xero Sends",
            },
        )
        self.assertEqual(bound.groups_id, self.env.ref("account.group_account_invoice"))

    def test_not_connected_says_so_to_each_reader(self):
        self.connection.action_disconnect()
        bill = self.make_move()
        wizard, _review = self.review(bill)
        self.assertEqual(wizard.step, "connect")
        self.assertEqual(
            wizard.status_message,
            "Disconnected from Sandbox Trading Pty Ltd: nothing can be sent until an accounting "
            "manager connects it again. What was sent stays in Xero and in Odoo.",
        )
        wizard, _review = self.review(bill, user=self.manager)
        self.assertIn("until you start a Xero session again", wizard.status_message)
        self.connection.unlink()
        wizard, _review = self.review(bill)
        self.assertEqual(
            wizard.status_message,
            "Not connected to Xero yet: an accounting manager can connect it.",
        )


@tagged("post_install", "-at_install")
class TestTwoCompanies(XeroSendCase):
    """Company A on the AU organisation, company B on the NZ one, and a clerk of both."""

    def setUp(self):
        super().setUp()
        self.company_a = self.env.company
        self.company_b = self.setup_other_company(name="Harbour Bar NZ")["company"]
        self.connection_b = self.make_connection(self.company_b)
        self.connect(self.connection_b, seed.NZ_TENANT_ID)
        self.both = new_test_user(
            self.env,
            login="xero_both",
            groups="account.group_account_invoice",
            company_id=self.company_a.id,
            company_ids=[Command.set((self.company_a | self.company_b).ids)],
        )

    def bill_of(self, company, ref):
        return self.make_move(
            ref=ref,
            company_id=company.id,
            lines=[{"name": "Glassware", "quantity": 1, "price_unit": 100.0, "tax_ids": []}],
        )

    def as_both(self, records, active):
        """`records` as the clerk of both, both ticked in the switcher, `active` the current."""
        other = (self.company_a | self.company_b) - active
        return records.with_user(self.both).with_context(allowed_company_ids=[active.id, other.id])

    def test_another_companys_bill_goes_to_its_companys_organisation(self):
        """A current and not connected (it needs its manager): B's bill, opened and sent,
        goes with B's connection."""
        self.connection.state = "reauth"
        bill_b = self.bill_of(self.company_b, "NZ-1")
        action = self.as_both(bill_b, self.company_a).action_send_to_xero()
        wizard = self.as_both(self.env["xero.send.wizard"], self.company_a).browse(action["res_id"])
        self.assertEqual(wizard.connection_id, self.connection_b)
        self.assertEqual(wizard.step, "review", wizard.status_message)
        wizard.action_send()
        self.assertEqual(bill_b.xero_state, "sent", bill_b.xero_error)
        numbers = [d["InvoiceNumber"] for d in self.xero_documents(tenant_id=seed.NZ_TENANT_ID)]
        self.assertEqual(numbers, ["NZ-1"])

    def test_a_mixed_selection_logs_nothing_of_the_other_company(self):
        """B's bill of a mixed selection is skipped, and told to the sender only: A's log, read
        by A's users alone, names nothing of B's."""
        bill_a = self.bill_of(self.company_a, "AU-LOG")
        bill_b = self.bill_of(self.company_b, "NZ-LOG")
        action = self.as_both(bill_a | bill_b, self.company_a).action_send_to_xero_invoice()
        wizard = self.as_both(self.env["xero.send.wizard"], self.company_a).browse(action["res_id"])
        wizard.action_send()
        results = {line.move_id: (line.verdict, line.message) for line in wizard.line_ids}
        self.assertEqual(results[bill_a][0], "created")
        self.assertEqual(results[bill_b][0], "skipped")
        self.assertIn("Harbour Bar NZ", results[bill_b][1])
        batch = self.env["xero.export.batch"].search([], limit=1)
        self.assertEqual(batch.company_id, self.company_a)
        self.assertEqual(batch.line_ids.move_id, bill_a)
