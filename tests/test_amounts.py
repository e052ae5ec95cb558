"""What Xero holds equals what Odoo booked: rates, totals, statuses, versions and numbers, end
to end through the sandbox."""

from decimal import Decimal

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .test_send import XeroSendCase


def _decimal(number):
    return Decimal(str(number))


class XeroAmountsCase(XeroSendCase):
    def sent_bodies(self, kind="Invoices"):
        """The documents the addon wrote to Xero, oldest first, as they were sent."""
        return [
            document
            for method in ("PUT", "POST")
            for entry in self.sandbox_log(f"/api.xro/2.0/{kind}", method)
            for document in entry["body"][kind]
        ]

    def xero_document(self, move):
        kind = "credit_notes" if move.move_type.endswith("refund") else "invoices"
        id_field = "CreditNoteID" if kind == "credit_notes" else "InvoiceID"
        (document,) = [d for d in self.xero_documents(kind) if d[id_field] == move.xero_id]
        return document

    def cash_rounding(self, strategy):
        return self.env["account.cash.rounding"].create(
            {
                "name": f"Cash 0.05 ({strategy})",
                "rounding": 0.05,
                "strategy": strategy,
                "rounding_method": "HALF-UP",
                "profit_account_id": self.company_data["default_account_revenue"].id,
                "loss_account_id": self.company_data["default_account_expense"].id,
            }
        )

    def edit(self, move, price_unit):
        move.button_draft()
        move.invoice_line_ids[0].price_unit = price_unit
        move.action_post()

    def map_tax(self, tax, tax_type):
        """`tax`, mapped to the Xero rate of `tax_type`."""
        rates = {rate.tax_type: rate for rate in self.connection.tax_rate_ids}
        self.connection.tax_mapping_ids = [
            Command.create({"tax_id": tax.id, "tax_rate_id": rates[tax_type].id})
        ]
        return tax

    def taxes_sent(self, move):
        """The TaxType of each line of `move` in Xero."""
        return [line.get("TaxType") for line in self.xero_document(move)["LineItems"]]


@tagged("post_install", "-at_install")
class TestCurrencyRate(XeroAmountsCase):
    def test_a_usd_bill_and_its_credit_note_go_at_odoos_rate(self):
        bill = self.make_move(currency_id=self.usd.id)
        refund = self.make_move("in_refund", currency_id=self.usd.id, ref="CR-USD")
        self.assertEqual(bill.invoice_currency_rate, 0.625)
        self.send(bill)
        self.send(refund, "credit_note")
        for move in bill | refund:
            with self.subTest(move=move.move_type):
                self.assertEqual(move.xero_state, "sent", move.xero_error)
                document = self.xero_document(move)
                self.assertEqual(document["CurrencyCode"], "USD")
                self.assertEqual(document["CurrencyRate"], 0.625, "Odoo's, not Xero's 0.655")
                rate = _decimal(document["CurrencyRate"])
                # Xero's amounts in AUD (its base currency) are Odoo's balances.
                base = [
                    (_decimal(line["LineAmount"]) / rate).quantize(Decimal("0.01"))
                    for line in document["LineItems"]
                ]
                lines = move.line_ids.filtered(lambda line: line.display_type == "product")
                self.assertEqual(base, [_decimal(abs(line.balance)) for line in lines])
                self.assertEqual(
                    (_decimal(document["TotalTax"]) / rate).quantize(Decimal("0.01")),
                    _decimal(abs(move.amount_tax_signed)),
                )
                self.assertEqual(
                    (_decimal(document["Total"]) / rate).quantize(Decimal("0.01")),
                    _decimal(abs(move.amount_total_signed)),
                )

    def test_a_document_in_the_base_currency_carries_no_rate(self):
        bill = self.make_move()
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        (sent,) = self.sent_bodies()
        self.assertEqual(sent["CurrencyCode"], "AUD")
        self.assertNotIn("CurrencyRate", sent)

    def test_no_rate_when_odoo_keeps_its_books_in_another_currency(self):
        usd_bill = self.make_move(currency_id=self.usd.id)
        aud_bill = self.make_move()
        _problem, data = usd_bill._xero_document_data(self.connection._xero_sending_setup())
        self.assertEqual(data["currency_rate"], Decimal("0.625"))
        # Were the organisation's base currency USD, the company's books (AUD) would hold no
        # amounts in it for Xero's to equal: Xero's rate goes.
        self.connection.base_currency = "USD"
        for move in usd_bill | aud_bill:
            _problem, data = move._xero_document_data(self.connection._xero_sending_setup())
            self.assertIsNone(data["currency_rate"])

    def test_a_rate_whose_6_decimals_change_odoos_amounts_is_blocked(self):
        # 1 USD = 1.53 AUD, as an Australian enters it: Odoo keeps 1/1.53 = 0.65359477...,
        # Xero 0.653595, at which 12,000 USD is 18,359.99 AUD rather than Odoo's 18,360.00.
        self.env["res.currency.rate"].create(
            {"name": "2026-01-01", "currency_id": self.usd.id, "rate": 1 / 1.53}
        )
        whisky = [{"name": "Single malt, 60 bottles", "quantity": 1, "price_unit": 12000.0}]
        bill = self.make_move(currency_id=self.usd.id, lines=whisky)
        self.assertEqual(abs(bill.amount_total_signed), 20196.0)
        # At 10 USD, the rate's seventh decimal moves nothing: the bill goes, at 0.653595.
        tonic = [{"name": "Tonic", "quantity": 1, "price_unit": 10.0}]
        small = self.make_move(currency_id=self.usd.id, ref="SMALL", lines=tonic)
        _wizard, review = self.review(bill | small)
        self.assertEqual(review[bill][0], "blocked")
        self.assertIn(
            "Xero keeps 6 decimals of its exchange rate, 0.653595 USD per AUD", review[bill][1]
        )
        self.assertIn(
            "20195.99 in all against Odoo's 20196.00 (“Single malt, 60 bottles”: 18359.99 "
            "against 18360.00)",
            review[bill][1],
        )
        self.assertIn("Enter the rate as USD per AUD with at most 6 decimals", review[bill][1])
        self.send(small)
        self.assertEqual(small.xero_state, "sent", small.xero_error)
        document = self.xero_document(small)
        self.assertEqual(document["CurrencyRate"], 0.653595)
        self.assertEqual(
            (_decimal(document["Total"]) / _decimal(document["CurrencyRate"])).quantize(
                Decimal("0.01")
            ),
            _decimal(abs(small.amount_total_signed)),
        )
        # The fix the message gives: the rate with 6 decimals.
        bill.button_draft()
        bill.invoice_currency_rate = 0.653595
        bill.action_post()
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(
            (_decimal(self.xero_document(bill)["Total"]) / Decimal("0.653595")).quantize(
                Decimal("0.01")
            ),
            _decimal(abs(bill.amount_total_signed)),
        )

    def test_changing_odoos_rate_changes_the_document(self):
        bill = self.make_move(currency_id=self.usd.id)
        self.send(bill)
        bill.button_draft()
        bill.invoice_currency_rate = 0.6
        bill.action_post()
        self.assertEqual(bill.xero_state, "changed")
        results = self.send(bill)
        self.assertEqual(results[bill][0], "updated")
        self.assertEqual(self.xero_document(bill)["CurrencyRate"], 0.6)


@tagged("post_install", "-at_install")
class TestTotals(XeroAmountsCase):
    def setUp(self):
        super().setUp()
        self.rounding_account = self.connection.account_ids.filtered(lambda a: a.code == "860")
        self.connection.rounding_account_id = self.rounding_account

    def rounded_invoice(self, strategy, lines=None, **values):
        # 19.94 + GST 1.99 = 21.93, rounded to 21.95 in cash.
        lines = lines or [{"name": "Bar tab", "quantity": 1, "price_unit": 19.94}]
        invoice = self.make_move(
            "out_invoice",
            lines=lines,
            invoice_cash_rounding_id=self.cash_rounding(strategy).id,
            **values,
        )
        return invoice

    def test_a_rounding_line_goes_to_the_rounding_account(self):
        invoice = self.rounded_invoice("add_invoice_line")
        self.assertEqual(invoice.amount_total, 21.95)
        results = self.send(invoice)
        self.assertEqual(results[invoice][0], "created", invoice.xero_error)
        document = self.xero_document(invoice)
        self.assertEqual(float(document["Total"]), invoice.amount_total)
        rounding = document["LineItems"][-1]
        self.assertEqual(
            (rounding["Description"], rounding["AccountCode"], rounding["LineAmount"]),
            ("Cash 0.05 (add_invoice_line)", "860", 0.02),
        )
        self.assertEqual((rounding["TaxType"], rounding["TaxAmount"]), ("EXEMPTOUTPUT", 0))

    def test_a_rounding_line_on_a_credit_note_and_a_bill(self):
        refund = self.make_move(
            "out_refund",
            lines=[{"name": "Returned keg", "quantity": 1, "price_unit": 19.94}],
            invoice_cash_rounding_id=self.cash_rounding("add_invoice_line").id,
        )
        bill = self.make_move(
            lines=[{"name": "Limes", "quantity": 1, "price_unit": 19.94}],
            invoice_cash_rounding_id=self.cash_rounding("add_invoice_line").id,
        )
        self.send(refund, "credit_note")
        self.send(bill)
        for move in refund | bill:
            with self.subTest(move=move.move_type):
                self.assertEqual(move.amount_total, 21.95)
                document = self.xero_document(move)
                self.assertEqual(float(document["Total"]), 21.95)
                self.assertEqual(document["LineItems"][-1]["AccountCode"], "860")

    def test_without_a_rounding_account_the_document_is_blocked(self):
        self.connection.rounding_account_id = False
        _wizard, review = self.review(self.rounded_invoice("add_invoice_line"))
        (verdict, reason) = next(iter(review.values()))
        self.assertEqual(verdict, "blocked")
        self.assertIn("choose the Rounding Account in the Xero settings", reason)

    def test_a_rounding_in_the_biggest_tax_goes_into_that_lines_tax(self):
        invoice = self.rounded_invoice(
            "biggest_tax",
            lines=[
                {"name": "Mixers", "quantity": 1, "price_unit": 5.0},
                {"name": "Bar tab", "quantity": 1, "price_unit": 19.94},
            ],
        )
        # 24.94 + GST 0.50 + 1.99 = 27.43, rounded to 27.45 in the tax.
        self.assertEqual((invoice.amount_tax, invoice.amount_total), (2.51, 27.45))
        self.send(invoice)
        self.assertEqual(invoice.xero_state, "sent", invoice.xero_error)
        document = self.xero_document(invoice)
        self.assertEqual(
            [line["TaxAmount"] for line in document["LineItems"]], [0.5, 2.01], "the biggest"
        )
        self.assertEqual((document["TotalTax"], document["Total"]), (2.51, 27.45))
        (sent,) = self.sent_bodies()
        self.assertEqual([("TaxAmount" in line) for line in sent["LineItems"]], [False, True])

    def test_a_rounding_in_the_tax_of_prices_including_tax_is_blocked(self):
        invoice = self.rounded_invoice(
            "biggest_tax",
            lines=[
                {
                    "name": "Bar tab",
                    "quantity": 1,
                    "price_unit": 21.93,
                    "tax_ids": [Command.set(self.gst_sale_included.ids)],
                }
            ],
        )
        self.assertEqual(invoice.amount_total, 21.95)
        _wizard, review = self.review(invoice)
        self.assertEqual(review[invoice][0], "blocked")
        self.assertIn("Xero would total it 21.93, Odoo totals it 21.95", review[invoice][1])

    def test_taxes_rounded_globally_are_blocked_with_the_reason(self):
        self.env.company.tax_calculation_rounding_method = "round_globally"
        lines = [{"name": f"Lime {i}", "quantity": 1, "price_unit": 0.15} for i in range(7)]
        bill = self.make_move(lines=lines)
        good = self.make_move(ref="GOOD")
        wizard, review = self.review(bill | good)
        self.assertEqual(review[bill][0], "blocked")
        # Odoo: 1.05 + 0.11 of GST; Xero: 7 x (0.15 + 0.02).
        self.assertIn("Xero would total it 1.19, Odoo totals it 1.16", review[bill][1])
        self.assertIn("Round taxes per line in Odoo", review[bill][1])
        wizard.action_send()
        self.assertEqual(bill.xero_state, "error")
        self.assertEqual(good.xero_state, "sent")
        self.assertEqual(len(self.xero_documents()), 1, "the blocked bill was not sent")

    def test_taxes_rounded_globally_with_the_same_total_are_blocked_too(self):
        self.env.company.tax_calculation_rounding_method = "round_globally"
        included = [Command.set(self.gst_sale_included.ids)]
        lines = [
            {"name": f"Schooner {i}", "quantity": 1, "price_unit": 1.05, "tax_ids": included}
            for i in range(3)
        ]
        invoice = self.make_move("out_invoice", lines=lines)
        # Odoo: 2.86 + 0.29 of GST = 3.15; Xero: 3 x (0.95 + 0.10), the same 3.15.
        self.assertEqual((invoice.amount_tax, invoice.amount_total), (0.29, 3.15))
        _wizard, review = self.review(invoice)
        self.assertEqual(review[invoice][0], "blocked")
        self.assertIn("Xero would book 0.30 of tax OUTPUT, Odoo books 0.29", review[invoice][1])

    def test_lines_with_a_folded_discount_carry_odoos_line_amounts(self):
        # A bill's discount goes into a unit price of 4 decimals. Folded from the price,
        # 48 x 19.99 less 17.5% would be 791.61 in Xero (Odoo: 791.60) and 48 x 3.45 less
        # 33.33% 110.40 (Odoo: 110.41): the same total and tax, and a cent off on each
        # account, tracking option and tax rate.
        bill = self.make_move(
            lines=[
                {"name": "Gin 700ml", "quantity": 48, "price_unit": 19.99, "discount": 17.5},
                {
                    "name": "Lemons",
                    "quantity": 48,
                    "price_unit": 3.45,
                    "discount": 33.33,
                    "tax_ids": [],
                },
            ]
        )
        self.assertEqual(bill.invoice_line_ids.mapped("price_subtotal"), [791.6, 110.41])
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(
            [line["LineAmount"] for line in self.xero_document(bill)["LineItems"]],
            [791.6, 110.41],
        )

    def test_a_line_no_price_of_4_decimals_gives_is_blocked_naming_it(self):
        # 250 x 3.99 less 12.5% is 872.81 in Odoo; 250 x 3.4912 is 872.80, 250 x 3.4913 872.83.
        lines = [
            {"name": "Tonic", "quantity": 1, "price_unit": 10.0},
            {"name": "Limes", "quantity": 250, "price_unit": 3.99, "discount": 12.5},
        ]
        bill = self.make_move(lines=lines)
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "blocked")
        self.assertIn(
            "Xero would work out the amount of line 2 (Limes) as 872.80, Odoo's is 872.81",
            review[bill][1],
        )
        self.assertIn("Change the line", review[bill][1])

    def test_a_tax_xero_would_work_out_differently_is_blocked(self):
        # Odoo takes 10% of the price out of it; Xero's 10% GST takes 1/11.
        division = self.map_tax(
            self.make_tax(
                {
                    "name": "10% of the price",
                    "amount": 10.0,
                    "amount_type": "division",
                    "type_tax_use": "sale",
                    "price_include_override": "tax_included",
                }
            ),
            "OUTPUT",
        )
        invoice = self.make_move(
            "out_invoice",
            lines=[
                {
                    "name": "Function",
                    "quantity": 1,
                    "price_unit": 100.0,
                    "tax_ids": [Command.set(division.ids)],
                }
            ],
        )
        self.assertEqual((invoice.amount_tax, invoice.amount_total), (10.0, 100.0))
        _wizard, review = self.review(invoice)
        self.assertEqual(review[invoice][0], "blocked")
        self.assertIn("Xero would book 9.09 of tax OUTPUT, Odoo books 10.00", review[invoice][1])


@tagged("post_install", "-at_install")
class TestTaxTypes(XeroAmountsCase):
    """Which Xero tax rate each line goes at, and so where it lands on Xero's tax return."""

    def test_a_bill_without_any_tax_goes_at_the_rate_for_untaxed_lines(self):
        # A grocer's bill of fresh produce: no GST on any line. It goes as the same line goes
        # beside a taxed one, at the connection's Rate for Untaxed Purchase Lines (GST Free
        # Expenses, on the tax return), not NoTax (TaxType NONE: not on the tax return).
        produce = {"name": "Lemons", "quantity": 10, "price_unit": 1.2, "tax_ids": []}
        only = self.make_move(ref="GROCER-1", lines=[produce])
        mixed = self.make_move(
            ref="GROCER-2", lines=[produce, {"name": "Tonic", "quantity": 1, "price_unit": 10.0}]
        )
        self.send(only | mixed)
        self.assertEqual(self.taxes_sent(mixed), ["EXEMPTEXPENSES", "INPUT"])
        self.assertEqual(self.taxes_sent(only), ["EXEMPTEXPENSES"])
        document = self.xero_document(only)
        self.assertEqual(document["LineAmountTypes"], "Exclusive")
        self.assertEqual(_decimal(document["Total"]), Decimal("12.00"))
        # Without a rate for untaxed lines, it can still go: with no tax at all.
        self.connection.untaxed_purchase_rate_id = False
        _problem, data = only._xero_document_data(self.connection._xero_sending_setup())
        self.assertEqual(data["line_amount_types"], "NoTax")
        self.assertIsNone(data["lines"][0]["tax_type"])

    def test_a_grocery_bill_with_gst_included_and_gst_free_lines_goes(self):
        # A kitchen's grocer: GST-inclusive prices for tonic, GST-free fresh produce. A 0% tax
        # gives the same amounts included or excluded: nothing Xero would compute otherwise.
        gst_included = self.map_tax(
            self.make_tax(
                {
                    "name": "GST included (purchases)",
                    "amount": 10.0,
                    "type_tax_use": "purchase",
                    "price_include_override": "tax_included",
                }
            ),
            "INPUT",
        )
        # 0% books nothing: no tax account needed.
        gst_free = self.map_tax(
            self.env["account.tax"].create(
                {"name": "GST free (purchases)", "amount": 0.0, "type_tax_use": "purchase"}
            ),
            "EXEMPTEXPENSES",
        )
        bill = self.make_move(
            lines=[
                {
                    "name": "Lemons",
                    "quantity": 10,
                    "price_unit": 1.20,
                    "tax_ids": [Command.set(gst_free.ids)],
                },
                {
                    "name": "Tonic water",
                    "quantity": 24,
                    "price_unit": 2.20,
                    "tax_ids": [Command.set(gst_included.ids)],
                },
            ]
        )
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "create", review[bill][1])
        self.send(bill)
        document = self.xero_document(bill)
        self.assertEqual(document["LineAmountTypes"], "Inclusive")
        self.assertEqual(
            (_decimal(document["TotalTax"]), _decimal(document["Total"])),
            (_decimal(bill.amount_tax), _decimal(bill.amount_total)),
        )

    def test_a_tax_half_booked_to_the_expense_is_not_claimed_in_full_in_xero(self):
        # GST partly creditable (a phone line half private): Odoo books half the GST to its
        # GST account (what it claims) and half to the expense. Xero's "GST on Expenses"
        # would claim all of it, with the same total and tax.
        gst_account = self.company_data["default_account_tax_purchase"]

        def distribution(kind):
            return [
                Command.create({"document_type": kind, "repartition_type": "base"}),
                Command.create(
                    {
                        "document_type": kind,
                        "repartition_type": "tax",
                        "factor_percent": 50,
                        "account_id": gst_account.id,
                    }
                ),
                Command.create(
                    {"document_type": kind, "repartition_type": "tax", "factor_percent": 50}
                ),
            ]

        half = self.map_tax(
            self.env["account.tax"].create(
                {
                    "name": "GST 50% creditable",
                    "amount": 10.0,
                    "type_tax_use": "purchase",
                    "invoice_repartition_line_ids": distribution("invoice"),
                    "refund_repartition_line_ids": distribution("refund"),
                }
            ),
            "INPUT",
        )
        # Made as Odoo makes a tax: its whole amount on its lines' accounts.
        none = self.map_tax(
            self.env["account.tax"].create(
                {"name": "GST not claimed", "amount": 10.0, "type_tax_use": "purchase"}
            ),
            "INPUT",
        )
        phone, gifts = (
            self.make_move(
                lines=[
                    {
                        "name": name,
                        "quantity": 1,
                        "price_unit": 100.0,
                        "tax_ids": [Command.set(tax.ids)],
                    }
                ]
            )
            for name, tax in (("Phone and internet", half), ("Client gifts", none))
        )
        claimed = phone.line_ids.filtered(lambda line: line.account_id == gst_account)
        self.assertEqual(sum(claimed.mapped("balance")), 5.0)
        _wizard, review = self.review(phone | gifts)
        self.assertEqual(review[phone][0], "blocked")
        self.assertIn(
            "“GST 50% creditable” puts 50% of its amount on tax accounts", review[phone][1]
        )
        self.assertIn("Xero's rate", review[phone][1])
        self.assertEqual(review[gifts][0], "blocked")
        self.assertIn("“GST not claimed” puts 0% of its amount on tax accounts", review[gifts][1])

    def test_a_group_of_taxes_xero_would_total_otherwise_is_blocked_naming_it(self):
        half = {"amount": 5.0, "type_tax_use": "none"}
        halves = self.make_tax({"name": "Half of GST", **half}) | self.make_tax(
            {"name": "Other half of GST", **half}
        )
        group = self.map_tax(
            self.env["account.tax"].create(
                {
                    "name": "GST 5% + 5%",
                    "amount_type": "group",
                    "type_tax_use": "purchase",
                    "children_tax_ids": [Command.set(halves.ids)],
                }
            ),
            "INPUT",
        )
        bill = self.make_move(
            lines=[
                {
                    "name": "Lime",
                    "quantity": 1,
                    "price_unit": 0.30,
                    "tax_ids": [Command.set(group.ids)],
                }
            ]
        )
        # Odoo rounds each half: 0.02 + 0.02; Xero's 10% of 0.30 is 0.03.
        self.assertEqual(bill.amount_total, 0.34)
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "blocked")
        self.assertIn("Xero would total it 0.33, Odoo totals it 0.34", review[bill][1])
        self.assertIn("the tax 'GST 5% + 5%' is not (a group of taxes", review[bill][1])


@tagged("post_install", "-at_install")
class TestStatuses(XeroAmountsCase):
    def test_a_new_document_gets_the_connections_status(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        self.assertEqual(self.xero_document(bill)["Status"], "AUTHORISED")

    def test_an_approved_document_stays_approved_when_updated(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        self.connection.invoice_status = "DRAFT"
        self.edit(bill, 60.0)
        results = self.send(bill)
        self.assertEqual(results[bill][0], "updated", bill.xero_error)
        document = self.xero_document(bill)
        self.assertEqual(document["Status"], "AUTHORISED")
        self.assertEqual(float(document["Total"]), bill.amount_total)
        self.assertEqual(bill.xero_status, "AUTHORISED")

    def test_a_draft_stays_a_draft_unless_the_user_chooses(self):
        bill = self.make_move()
        self.send(bill)
        self.connection.invoice_status = "AUTHORISED"
        self.edit(bill, 60.0)
        self.send(bill)
        self.assertEqual(self.xero_document(bill)["Status"], "DRAFT")
        self.edit(bill, 61.0)
        wizard, _review = self.review(bill)
        self.assertEqual(wizard.update_status, "keep")
        wizard.update_status = "AUTHORISED"
        wizard.action_send()
        self.assertEqual(self.xero_document(bill)["Status"], "AUTHORISED")

    def test_a_clerk_approves_no_update_past_the_status_new_documents_get(self):
        bill = self.make_move()
        self.send(bill)
        self.edit(bill, 60.0)
        wizard, _review = self.review(bill)
        wizard.update_status = "AUTHORISED"
        with self.assertRaises(AccessError):
            wizard.action_send()
        self.assertEqual(self.xero_document(bill)["Status"], "DRAFT")
        manager = self.company_user("xero_manager", "account.group_account_manager")
        wizard, _review = self.review(bill, user=manager)
        wizard.update_status = "AUTHORISED"
        wizard.action_send()
        self.assertEqual(self.xero_document(bill)["Status"], "AUTHORISED")

    def test_the_status_chosen_for_updates_holds_when_the_selection_is_queued(self):
        bill = self.make_move()
        self.send(bill)
        self.connection.invoice_status = "AUTHORISED"
        self.connection.background_threshold = 0  # as a selection of more than 50
        self.edit(bill, 61.0)
        wizard, _review = self.review(bill)
        wizard.update_status = "AUTHORISED"
        wizard.action_send()
        self.assertEqual(wizard.step, "queued")
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        self.assertEqual(self.xero_document(bill)["Status"], "AUTHORISED")

    def test_an_approved_document_is_not_taken_back_to_draft(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        self.edit(bill, 60.0)
        wizard, _review = self.review(bill)
        wizard.update_status = "DRAFT"
        wizard.action_send()
        self.assertEqual(bill.xero_state, "error")
        self.assertIn(f"{bill.name} is approved in Xero", bill.xero_error)
        self.assertIn("back to Draft", bill.xero_error)
        self.assertIn("Send it again keeping its status in Xero", bill.xero_error)
        self.assertEqual(float(self.xero_document(bill)["Total"]), round(3 * 54.90 * 1.1, 2))
        self.assertFalse(self.sandbox_log("/api.xro/2.0/Invoices", "POST"), "nothing was sent")

    def test_an_approved_document_with_a_credit_allocated_is_not_changed(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        refund = self.reverse(bill, "Two bottles broken")
        refund.invoice_line_ids.quantity = 1
        refund.action_post()
        self.send(refund, "credit_note")
        self.assertFalse(refund.xero_export_id.allocation_pending, refund.xero_warning)
        self.edit(bill, 60.0)
        results = self.send(bill)
        self.assertEqual(results[bill][0], "failed")
        self.assertIn(
            f"{bill.name} is approved in Xero with 60.39 paid or credited", bill.xero_error
        )
        self.assertIn("Remove the payment or the credit note's allocation", bill.xero_error)
        self.assertEqual(bill.xero_status, "AUTHORISED")
        self.assertTrue(bill.xero_export_id.needs_fix)
        self.assertEqual(float(self.xero_document(bill)["Total"]), round(3 * 54.90 * 1.1, 2))

    def test_an_approved_credit_note_partly_used_is_not_changed(self):
        self.connection.invoice_status = "AUTHORISED"
        bill = self.make_move()
        self.send(bill)
        refund = self.make_move(
            "in_refund",
            ref="CR-9",
            lines=[{"name": "Coopers Pale Ale 24x375ml", "quantity": 4, "price_unit": 54.90}],
            reversed_entry_id=bill.id,
        )
        self.send(refund, "credit_note")
        self.assertEqual(float(self.xero_document(refund)["RemainingCredit"]), 60.39)
        self.edit(refund, 50.0)
        self.send(refund, "credit_note")
        self.assertEqual(refund.xero_state, "error")
        self.assertIn(
            f"{refund.name} is approved in Xero with 181.17 paid or credited", refund.xero_error
        )


@tagged("post_install", "-at_install")
class TestVersions(XeroAmountsCase):
    """What decides "changed since sent" is what the document says."""

    def sent_bill(self):
        bill = self.make_move()
        self.send(bill)
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)
        return bill

    def assertUnchanged(self, bill):
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill], ("skip", "Already in Xero, unchanged."))

    def test_moving_odoo_to_another_address_resends_nothing(self):
        bill = self.sent_bill()
        self.env["ir.config_parameter"].set_param("web.base.url", "https://odoo.elsewhere.example")
        self.assertUnchanged(bill)

    def test_renaming_the_partner_resends_nothing(self):
        bill = self.sent_bill()
        self.vendor.name = "Bondi Beverages Pty Ltd"
        self.assertUnchanged(bill)

    def test_changing_the_connections_status_resends_nothing(self):
        bill = self.sent_bill()
        self.connection.invoice_status = "AUTHORISED"
        self.assertUnchanged(bill)

    def test_what_the_document_says_still_counts(self):
        bill = self.sent_bill()
        self.edit(bill, 54.95)
        _wizard, review = self.review(bill)
        self.assertEqual(review[bill][0], "update")


@tagged("post_install", "-at_install")
class TestNumbers(XeroAmountsCase):
    def test_a_credit_note_made_with_the_button_carries_odoos_number(self):
        refund = self.reverse(self.make_move(ref="SUP-88"), "Broken bottles")
        self.assertTrue(refund.ref.startswith("Reversal of:"))
        refund.action_post()
        self.send(refund, "credit_note")
        self.assertEqual(self.xero_document(refund)["CreditNoteNumber"], refund.name)

    def test_a_credit_note_with_the_vendors_reference_carries_it(self):
        refund = self.reverse(self.make_move(ref="SUP-89"), "Broken bottles")
        refund.ref = "CN-4471"
        refund.action_post()
        self.send(refund, "credit_note")
        self.assertEqual(self.xero_document(refund)["CreditNoteNumber"], "CN-4471")

    def test_a_bills_number_is_the_vendors_else_odoos(self):
        with_ref, without = self.make_move(ref="SUP-90"), self.make_move()
        self.send(with_ref | without)
        self.assertEqual(self.xero_document(with_ref)["InvoiceNumber"], "SUP-90")
        self.assertEqual(self.xero_document(without)["InvoiceNumber"], without.name)
