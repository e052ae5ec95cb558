"""What every test that talks to the sandbox is held to (common.XeroSandboxMixin) catches what it
is for: a body off Xero's description made strict, writes whose bodies nothing checked, and a
sandbox that failed on a request."""

import json
from unittest.mock import patch

import requests

from odoo.tests import TransactionCase, tagged

from ..xero_sandbox import render, seed
from .common import SANDBOX_TIMEOUT, XeroSandboxMixin

BILL = {
    "Type": "ACCPAY",
    "Contact": {"ContactID": seed.contact_id(seed.AU_TENANT_ID, "PowerDirect")},
    "LineItems": [{"Description": "Power", "Quantity": 1, "UnitAmount": 90, "AccountCode": "445"}],
}


@tagged("post_install", "-at_install")
class TestSandboxChecks(XeroSandboxMixin, TransactionCase):
    def _api(self, method, resource, **kwargs):
        minted = self.sandbox_control(
            "token", client_id=seed.DEMO_CLIENT_ID, tenant_ids=[seed.AU_TENANT_ID]
        )
        headers = {
            "Authorization": f"Bearer {minted['access_token']}",
            "xero-tenant-id": seed.AU_TENANT_ID,
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        return requests.request(
            method,
            f"{self.sandbox.url}/api.xro/2.0/{resource}",
            headers=headers,
            timeout=SANDBOX_TIMEOUT,
            **kwargs,
        )

    def _check_fails(self):
        """The message the end-of-test check fails with; the log is then cleared, as the test
        has looked at what it is about."""
        with self.assertRaises(AssertionError) as failed:
            self._check_sandbox_log()
        self.sandbox.reset()
        return str(failed.exception)

    def test_a_well_formed_write_passes(self):
        response = self._api("PUT", "Invoices", json={"Invoices": [BILL]})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(self._check_sandbox_log())

    def test_a_misspelt_key_fails_the_test(self):
        misspelt = dict(BILL, InvoiceNumbr="SUP-9")
        response = self._api("PUT", "Invoices", json={"Invoices": [misspelt]})
        self.assertEqual(response.status_code, 200, "Xero, and so the sandbox, ignores it")
        self.assertIn("'InvoiceNumbr' was unexpected", self._check_fails())

    def test_a_write_whose_body_nothing_checked_fails_the_test(self):
        response = self._api(
            "PUT",
            "Invoices",
            data=json.dumps({"Invoices": [BILL]}),
            headers={"Content-Type": "text/plain"},
        )
        self.assertEqual(response.status_code, 200, "stored: the body was JSON all the same")
        self.assertIn("not one body checked", self._check_fails())

    def test_a_crash_of_the_sandbox_fails_the_test(self):
        with patch.object(render, "render_organisation", side_effect=RuntimeError("a bug")):
            response = self._api("GET", "Organisation")
        self.assertEqual(response.status_code, 500, "what a client takes for Xero being down")
        failure = self._check_fails()
        self.assertIn("The sandbox failed on GET /api.xro/2.0/Organisation", failure)
        self.assertIn("RuntimeError: a bug", failure)
