import base64
import io
import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

from PIL import Image

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from ..xero_sandbox import seed
from . import test_send
from .common import XeroSandboxMixin

TOUR_OPTIONS = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": ""}
# The README's screenshots are written here when XERO_SCREENSHOTS is set, and only then.
SCREENSHOTS_DIR = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TOUR_WAIT = 60

# The tours' `screenshot` steps call window.accountXeroExportPause(name), which waits for the
# test to capture the page and resume it. Installed in every page the tab loads: a tour goes on
# after a page is left and loaded again (Xero's sign-in).
PAUSE_HOOK = """
window.accountXeroExportPause = (name) => new Promise((resume) => {
    window.accountXeroExportPaused = {name, resume};
    window.accountXeroExportWaiter?.(name);
});
"""
WAIT_FOR_PAUSE = """
new Promise((resolve) => {
    window.accountXeroExportWaiter = resolve;
    if (window.accountXeroExportPaused) resolve(window.accountXeroExportPaused.name);
})
"""
RESUME = """{
    const paused = window.accountXeroExportPaused;
    window.accountXeroExportPaused = window.accountXeroExportWaiter = null;
    paused.resume();
}"""


def open_for_tour(case, path, tour, login):
    """A headless browser signed in as `login` (whose password is the login) on `path`, ready
    to run `tour`."""
    browser = ChromeBrowser(case, headless=True, success_signal="tour succeeded")
    case.addCleanup(case._wait_remaining_requests)
    case.addCleanup(browser.stop)
    case.authenticate(login, login, browser=browser)
    browser.navigate_to(f"{case.base_url()}{path}", wait_stop=True)
    case.assertTrue(browser._wait_ready(f"odoo.isTourReady({tour!r})"))
    return browser


def hook_pauses(case, browser):
    """Let the tour's `screenshot` steps pause in `browser`, on this page and the next ones."""
    for method, params in (
        ("Page.addScriptToEvaluateOnNewDocument", {"source": PAUSE_HOOK}),
        ("Runtime.evaluate", {"expression": PAUSE_HOOK}),
    ):
        answer = browser._websocket_request(method, params=params)
        case.assertNotIn("exceptionDetails", answer)


def screenshot_at_pause(case, browser, name):
    """Wait for the tour to pause at its `name` screenshot step, capture the page (kept as
    docs/screenshots/`name`.png when XERO_SCREENSHOTS is set), and let the tour go on."""
    deadline = time.monotonic() + TOUR_WAIT
    while True:
        paused = browser._websocket_send(
            "Runtime.evaluate",
            params={"expression": WAIT_FOR_PAUSE, "awaitPromise": True, "returnByValue": True},
            with_future=True,
        )
        wait(
            [paused, browser._result],
            timeout=deadline - time.monotonic(),
            return_when=FIRST_COMPLETED,
        )
        if browser._result.done():
            browser._result.result()  # the tour's failure, raised here
            case.fail(f"the tour ended before its {name} screenshot")
        case.assertTrue(paused.done(), f"the tour did not reach its {name} screenshot")
        # A page left for another (Xero's sign-in and back) ends the wait: wait in the new one.
        if not (paused.exception() and "navigated" in str(paused.exception())):
            break
    case.assertEqual(paused.result()["result"]["value"], name)
    shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"])))
    case.assertEqual(image.size, (1280, 800))
    if os.environ.get("XERO_SCREENSHOTS"):
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        # 256 colours without dithering: an Odoo page loses nothing visible, and the file
        # shrinks several times.
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(
            SCREENSHOTS_DIR / f"{name}.png", optimize=True
        )
    resumed = browser._websocket_request("Runtime.evaluate", params={"expression": RESUME})
    case.assertNotIn("exceptionDetails", resumed)


def sign_in_at_sandbox(case, browser, tenant_ids):
    """The user's part at Xero, in the tour's tab: sign in, MFA, consent to `tenant_ids`. Odoo's
    tours only run on Odoo's pages: the test fills the sandbox's itself while the tour waits to
    resume once Xero redirects back."""
    submit_sandbox_page(
        case, browser, "login", {"email": seed.DEMO_USER_EMAIL, "password": "sandbox"}
    )
    submit_sandbox_page(case, browser, "mfa", {"mfa_code": seed.DEMO_MFA_CODE})
    submit_sandbox_page(
        case,
        browser,
        "consent",
        {f"tenant-{tenant_id}": True for tenant_id in tenant_ids},
        button="allow",
    )


def submit_sandbox_page(case, browser, step, values, button=None):
    """Fill the sandbox page's `step` form by element id and submit it."""
    form = f"document.getElementById('form-{step}')"
    case.assertTrue(browser._wait_ready(f"!!{form}", timeout=30), f"no {step} page")
    script = "".join(
        f"document.getElementById({key!r}).checked = true;"
        if value is True
        else f"document.getElementById({key!r}).value = {value!r};"
        for key, value in values.items()
    )
    submit = f"document.getElementById({button!r}).click()" if button else f"{form}.requestSubmit()"
    browser._websocket_request("Runtime.evaluate", params={"expression": script + submit})


def start_tour(browser, tour):
    """Start `tour` without waiting for it: the test drives what a tour cannot reach."""
    browser._websocket_send(
        "Runtime.evaluate",
        params={"expression": f"odoo.startTour({tour!r}, {json.dumps(TOUR_OPTIONS)})"},
    )


def finish_tour(case, browser):
    """Wait for the tour's end, then for the requests its last steps left in flight (a list
    reloading...): they share the test's cursor, which the assertions read next (as
    HttpCase.browser_js does)."""
    browser._wait_code_ok("true", timeout=TOUR_WAIT)
    case._wait_remaining_requests()


@tagged("post_install", "-at_install")
class TestUi(XeroSandboxMixin, HttpCase):
    browser_size = "1280x800"

    def test_menu_tour(self):
        self.start_tour("/odoo", "account_xero_export_menu", login="admin")
        connection = self.env["xero.connection"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(connection.state, "draft")

    def test_connect_and_disconnect_tour(self):
        """The whole connection in a real browser, from Invoicing's Settings: Start Xero Session,
        the sandbox's sign-in with MFA and consent to two organisations, back on Settings with
        the setup's dialog over it, choose one, pick the accounts, Integrate, a notification;
        then the connection, and Disconnect."""
        # As the screenshots show it: a bar in Australia, with GST rather than the generic chart's
        # taxes, which the setup maps to Xero's own rates.
        self.env.company.name = "Harbour Bar & Kitchen"
        Tax = self.env["account.tax"]
        Tax.search([("company_id", "=", self.env.company.id)]).active = False
        gst = Tax.create(
            [
                {"name": "GST 10% (purchases)", "amount": 10.0, "type_tax_use": "purchase"},
                {"name": "GST 10% (sales)", "amount": 10.0, "type_tax_use": "sale"},
            ]
        )
        connection = self.make_connection()
        browser = open_for_tour(
            self,
            "/odoo/action-account.action_account_config",
            "account_xero_export_connect",
            "admin",
        )
        hook_pauses(self, browser)
        start_tour(browser, "account_xero_export_connect")
        screenshot_at_pause(self, browser, "connect_settings")
        sign_in_at_sandbox(self, browser, [seed.AU_TENANT_ID, seed.NZ_TENANT_ID])
        for name in ("connect_review", "connect_done"):
            screenshot_at_pause(self, browser, name)
        finish_tour(self, browser)
        self.assertEqual(connection.state, "disconnected")
        self.assertEqual(connection.organisation_name, "Sandbox Trading Pty Ltd")
        self.assertEqual(connection.purchase_account_id.code, "310")
        self.assertEqual(connection.sales_account_id.code, "200")
        self.assertEqual(
            {m.tax_id: m.tax_rate_id.tax_type for m in connection.tax_mapping_ids},
            dict(zip(gst, ("INPUT", "OUTPUT"), strict=True)),
        )
        self.assertFalse(connection._secret_records().token)


@tagged("post_install", "-at_install")
class TestSendUi(test_send.XeroSendCase):
    browser_size = "1280x800"

    def test_send_tour(self):
        """An invoicing user's send in a real browser, on Vendors > Bills: three bills, one
        whose tax has no Xero rate and a vendor credit note selected, the Export to Other
        Platform dropdown, Send Selected to Xero as Invoice (the credit note is skipped and the
        unmapped bill blocked, each saying why), Send 3 to Xero, Close, Sent badges and a View in
        Xero link; then the credit note from its own form's Send to Xero. The sandbox ends up
        holding exactly those four documents."""
        self.env.company.name = "Harbour Bar & Kitchen"  # as the screenshots show it
        bills = (
            self.make_move(ref="INV-4471")
            | self.make_move(
                ref="INV-4472",
                lines=[
                    {"name": "Pacific Ale keg 50L", "quantity": 2, "price_unit": 289.0},
                    {"name": "Returned empty kegs", "quantity": 2, "price_unit": -30.0},
                ],
            )
            | self.make_move(
                ref="INV-4473",
                lines=[{"name": "Tonic water 24x200ml", "quantity": 5, "price_unit": 21.5}],
            )
        )
        wet = self.env["account.tax"].create(
            {"name": "Wine Equalisation Tax", "amount": 29.0, "type_tax_use": "purchase"}
        )
        unmapped = self.make_move(
            ref="INV-4474",
            lines=[
                {
                    "name": "Shiraz 6x750ml",
                    "quantity": 2,
                    "price_unit": 96.0,
                    "tax_ids": [(6, 0, wet.ids)],
                }
            ],
        )
        refund = self.make_move(
            "in_refund",
            ref="CR-118",
            lines=[{"name": "Damaged carton", "quantity": 1, "price_unit": 54.90}],
        )

        # As the invoicing user of XeroSendCase's connected company, on Vendors > Bills.
        browser = open_for_tour(
            self,
            "/odoo/action-account.action_move_in_invoice",
            "account_xero_export_send",
            self.clerk.login,
        )
        hook_pauses(self, browser)
        start_tour(browser, "account_xero_export_send")
        for name in ("send_dropdown", "send_review", "send_result", "send_sent"):
            screenshot_at_pause(self, browser, name)
        finish_tour(self, browser)

        self.env.invalidate_all()
        invoices = {d["InvoiceNumber"]: d for d in self.xero_documents()}
        self.assertEqual(set(invoices), {"INV-4471", "INV-4472", "INV-4473"})
        for bill in bills:
            document = invoices[bill.ref]
            self.assertEqual(document["Type"], "ACCPAY")
            self.assertEqual(bill.xero_state, "sent")
            self.assertEqual(bill.xero_id, document["InvoiceID"])
            self.assertTrue(bill.xero_url.endswith(f"/invoicing/view/{document['InvoiceID']}"))
            self.assertEqual(float(document["Total"]), bill.amount_total)
        self.assertEqual(float(invoices["INV-4472"]["LineItems"][1]["UnitAmount"]), -30.0)
        self.assertEqual(unmapped.xero_state, "error")
        self.assertFalse(unmapped.xero_url)
        credit_notes = self.xero_documents("credit_notes")
        self.assertEqual(len(credit_notes), 1, "the credit note went once, with its own action")
        self.assertEqual(credit_notes[0]["Type"], "ACCPAYCREDIT")
        self.assertEqual(credit_notes[0]["CreditNoteNumber"], "CR-118")
        self.assertEqual(refund.xero_state, "sent")
        self.assertEqual(refund.xero_id, credit_notes[0]["CreditNoteID"])
        self.assertIn(f"creditNoteID={refund.xero_id}", refund.xero_url)

    def test_a_send_waiting_for_the_connection_tour(self):
        """An accounting manager's send when Xero asks for the connection again: the send
        dialog offers Start Xero Session, Xero's sign-in brings the browser back to the bills
        list with the setup over it, Integrate says so and opens the review of the same
        selection, which sends."""
        self.connection.write({"state": "reauth", "reauth_reason": "Xero refused the token"})
        bill = self.make_move(ref="INV-5001")
        browser = open_for_tour(
            self,
            "/odoo/action-account.action_move_in_invoice",
            "account_xero_export_send_reconnect",
            self.env.user.login,
        )
        start_tour(browser, "account_xero_export_send_reconnect")
        sign_in_at_sandbox(self, browser, [seed.AU_TENANT_ID])
        finish_tour(self, browser)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "connected")
        self.assertEqual(bill.xero_state, "sent")
        self.assertEqual(
            [d["InvoiceNumber"] for d in self.xero_documents()], ["INV-5001"], "sent once"
        )
