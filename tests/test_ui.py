import json

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from ..xero_sandbox import seed
from .common import XeroSandboxMixin

TOUR_OPTIONS = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": ""}


@tagged("post_install", "-at_install")
class TestUi(XeroSandboxMixin, HttpCase):
    def test_menu_tour(self):
        self.start_tour("/odoo", "account_xero_export_menu", login="admin")
        connection = self.env["xero.connection"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(connection.state, "draft")

    def test_connect_and_disconnect_tour(self):
        """The whole connection in a real browser: Start Xero Session, the sandbox's sign-in with
        MFA and consent to two organisations, back in Odoo, choose one, pick the accounts,
        Integrate; then Disconnect.

        Odoo's tours only run on Odoo's pages, so the test fills the sandbox's pages itself, in
        the same browser tab, while the tour waits to resume once Xero redirects back."""
        connection = self.make_connection()
        browser = ChromeBrowser(self, headless=True, success_signal="tour succeeded")
        self.addCleanup(browser.stop)
        self.authenticate("admin", "admin", browser=browser)
        browser.navigate_to(
            f"{self.base_url()}/odoo/action-account_xero_export.xero_connection_action",
            wait_stop=True,
        )
        self.assertTrue(browser._wait_ready("odoo.isTourReady('account_xero_export_connect')"))
        browser._websocket_send(
            "Runtime.evaluate",
            params={
                "expression": "odoo.startTour('account_xero_export_connect', "
                f"{json.dumps(TOUR_OPTIONS)})"
            },
        )
        self._submit(browser, "login", {"email": seed.DEMO_USER_EMAIL, "password": "sandbox"})
        self._submit(browser, "mfa", {"mfa_code": seed.DEMO_MFA_CODE})
        self._submit(
            browser,
            "consent",
            {f"tenant-{seed.AU_TENANT_ID}": True, f"tenant-{seed.NZ_TENANT_ID}": True},
            button="allow",
        )
        browser._wait_code_ok("true", timeout=60)
        self.assertEqual(connection.state, "disconnected")
        self.assertEqual(connection.organisation_name, "Sandbox Trading Pty Ltd")
        self.assertEqual(connection.purchase_account_id.code, "310")
        self.assertFalse(connection._secret_records().token)

    def _submit(self, browser, step, values, button=None):
        """Fill the sandbox page's `step` form by element id and submit it."""
        form = f"document.getElementById('form-{step}')"
        self.assertTrue(browser._wait_ready(f"!!{form}", timeout=30), f"no {step} page")
        script = "".join(
            f"document.getElementById({key!r}).checked = true;"
            if value is True
            else f"document.getElementById({key!r}).value = {value!r};"
            for key, value in values.items()
        )
        submit = (
            f"document.getElementById({button!r}).click()" if button else f"{form}.requestSubmit()"
        )
        browser._websocket_request("Runtime.evaluate", params={"expression": script + submit})
