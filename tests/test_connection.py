import json
import logging
import os
import threading
import time
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import config

from ..xero import DEFAULT_SCOPES
from ..xero_sandbox import seed
from .common import (
    SANDBOX_TIMEOUT,
    SandboxSignIn,
    XeroSandboxMixin,
    start_query,
    start_session,
)


@tagged("post_install", "-at_install")
class TestConnectFlow(XeroSandboxMixin, HttpCase):
    """Start Xero Session -> Xero's sign-in and consent -> callback, and what goes wrong."""

    def setUp(self):
        super().setUp()
        self.connection = self.make_connection()
        self.authenticate("admin", "admin")

    def _start(self, referrer=None):
        admin = self.env.ref("base.user_admin")
        response = start_session(self, start_query(self.connection.with_user(admin)), referrer)
        self.assertEqual(response.status_code, 303, response.text)
        return response.headers["Location"]

    def _callback(self, url):
        path = urlsplit(url)
        return self.url_open(f"{path.path}?{path.query}", allow_redirects=False)

    def _assert_refused(self, response, message):
        self.assertEqual(response.status_code, 400)
        self.assertIn(message, response.text)
        self.assertIn("Back to the Xero settings", response.text)
        self.assertFalse(self.connection._secret_records().token, "nothing may be stored")
        self.assertFalse(self.connection.tenant_id)

    def test_authorization_url_uses_pkce_and_a_fresh_state(self):
        first = parse_qs(urlsplit(self._start()).query)
        second = parse_qs(urlsplit(self._start()).query)
        self.assertEqual(first["code_challenge_method"], ["S256"])
        self.assertNotEqual(first["state"], second["state"])
        self.assertEqual(
            first["redirect_uri"], [self.connection.get_base_url() + "/xero/connect/callback"]
        )
        self.assertEqual(first["scope"][0].split(), list(DEFAULT_SCOPES))

    def test_one_organisation_goes_straight_to_accounts(self):
        callback = SandboxSignIn(self._start()).consent([seed.AU_TENANT_ID])
        response = self._callback(callback)
        self.assertEqual(response.status_code, 303, response.text)
        wizard = self.env["xero.setup.wizard"].search([], order="id desc", limit=1)
        back = urlsplit(response.headers["Location"])
        self.assertEqual(back.path, "/odoo/xero")
        self.assertEqual(parse_qs(back.query), {"xero_setup": [str(wizard.id)]})
        self.assertEqual(wizard.step, "accounts")
        connection = self.connection
        self.assertEqual(connection.tenant_id, seed.AU_TENANT_ID)
        self.assertEqual(connection.base_currency, "AUD")
        self.assertEqual(connection.connected_by, "Demo User")
        self.assertEqual(connection.connected_by_email, seed.DEMO_USER_EMAIL)
        self.assertIn("accounting.invoices", connection.scopes_granted)
        self.assertEqual(connection.state, "draft", "connected only once Integrate is clicked")
        self.assertTrue(connection._read_token()["refresh_token"])

    def test_back_on_the_page_it_started_from_with_the_setup_over_it(self):
        page = "/odoo/action-account.action_account_config?debug=1"
        for referrer, back in (
            (self.base_url() + page, page),
            ("https://elsewhere.example/odoo/action-1", "/odoo/xero"),
            (self.base_url() + "/web/login", "/odoo/xero"),
        ):
            response = self._callback(SandboxSignIn(self._start(referrer)).consent())
            self.assertEqual(response.status_code, 303, response.text)
            wizard = self.env["xero.setup.wizard"].search([], order="id desc", limit=1)
            location = urlsplit(response.headers["Location"])
            self.assertFalse(location.netloc, "never another site")
            path, _sep, query = back.partition("?")
            self.assertEqual(location.path, path, referrer)
            self.assertEqual(
                parse_qs(location.query),
                dict(parse_qs(query), xero_setup=[str(wizard.id)]),
                referrer,
            )
            self.assertEqual(wizard.action_open()["target"], "new", "a dialog over that page")

    def test_several_organisations_ask_which_and_disconnect_the_others(self):
        callback = SandboxSignIn(self._start()).consent([seed.AU_TENANT_ID, seed.NZ_TENANT_ID])
        self.assertEqual(self._callback(callback).status_code, 303)
        wizard = self.env["xero.setup.wizard"].search([], order="id desc", limit=1)
        self.assertEqual(wizard.step, "organisation")
        self.assertEqual(wizard.action_open()["name"], "Choose the Xero Organisation")
        self.assertEqual(len(wizard.tenant_ids), 2)
        self.assertFalse(self.connection.tenant_id, "no organisation is chosen silently")
        nz = wizard.tenant_ids.filtered(lambda t: t.tenant_id == seed.NZ_TENANT_ID)
        au = wizard.tenant_ids - nz
        wizard.tenant_choice_id = nz
        wizard.action_choose_organisation()
        self.assertEqual(self.connection.tenant_id, seed.NZ_TENANT_ID)
        self.assertEqual(self.connection.base_currency, "NZD")
        self.assertEqual(self.connection.country_id, self.env.ref("base.nz"))
        self.assertEqual(wizard.step, "accounts")
        deleted = self.sandbox_log(f"/connections/{au.xero_connection_id}", method="DELETE")
        self.assertEqual([entry["status"] for entry in deleted], [204])

    def test_forged_state_is_refused(self):
        self._start()
        self._assert_refused(
            self.url_open("/xero/connect/callback?state=forged&code=anything"), "not valid"
        )

    def test_replayed_state_is_refused(self):
        callback = SandboxSignIn(self._start()).consent()
        self.assertEqual(self._callback(callback).status_code, 303)
        self.connection._write_secret(token=None)
        self.connection.tenant_id = False
        self._assert_refused(self._callback(callback), "already used")

    def test_expired_state_is_refused(self):
        callback = SandboxSignIn(self._start()).consent()
        self.env["xero.oauth.state"].sudo().search([]).expires_at = fields.Datetime.subtract(
            fields.Datetime.now(), seconds=1
        )
        self._assert_refused(self._callback(callback), "has expired")

    def test_callback_without_login_is_refused(self):
        callback = SandboxSignIn(self._start()).consent()
        self.logout()
        self._assert_refused(self._callback(callback), "Sign in to Odoo")

    def test_callback_as_another_user_is_refused(self):
        new_test_user(self.env, "other_manager", groups="account.group_account_manager")
        callback = SandboxSignIn(self._start()).consent()
        self.authenticate("other_manager", "other_manager")
        self._assert_refused(self._callback(callback), "another user")

    def test_callback_in_another_session_is_refused(self):
        callback = SandboxSignIn(self._start()).consent()
        self.authenticate("admin", "admin")
        self._assert_refused(self._callback(callback), "browser session")

    def test_denied_consent_changes_nothing(self):
        callback = SandboxSignIn(self._start()).consent(decision="deny")
        self.assertIn("error=access_denied", callback)
        self._assert_refused(self._callback(callback), "declined at Xero")

    def test_code_exchange_failure_changes_nothing(self):
        callback = SandboxSignIn(self._start()).consent()
        forged_code = callback.replace("code=", "code=x")
        self._assert_refused(self._callback(forged_code), "Xero refused")

    def test_a_callback_failing_after_the_exchange_leaves_nothing_live_at_xero(self):
        callback = SandboxSignIn(self._start()).consent()
        self.sandbox_control(
            "faults", status={"code": 500, "count": 1, "path_prefix": "/api.xro/2.0/Organisation"}
        )
        self._assert_refused(self._callback(callback), "Xero")
        self.assertEqual(
            [e["status"] for e in self.sandbox_log("/connect/revocation")], [200], "revoked"
        )
        state = requests.get(f"{self.sandbox.url}/_sandbox/state", timeout=SANDBOX_TIMEOUT)
        self.assertEqual(state.json()["connections"], [], "no connection left at Xero")

    def test_invoicing_user_cannot_start_a_session(self):
        new_test_user(self.env, "clerk", groups="account.group_account_invoice")
        self.authenticate("clerk", "clerk")
        response = self.url_open(f"/xero/connect/start?connection_id={self.connection.id}")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.env["xero.oauth.state"].sudo().search([]))

    def test_broad_scopes_for_apps_created_before_march_2026(self):
        self.connection.write(
            {
                "scope_mode": "broad",
                "client_id": seed.LEGACY_CLIENT_ID,
                "client_secret": seed.LEGACY_CLIENT_SECRET,
            }
        )
        authorize = self._start()
        self.assertIn("accounting.transactions", parse_qs(urlsplit(authorize).query)["scope"][0])
        self.assertEqual(self._callback(SandboxSignIn(authorize).consent()).status_code, 303)
        self.assertIn("accounting.transactions", self.connection.scopes_granted)


@tagged("post_install", "-at_install")
class TestSetup(XeroSandboxMixin, HttpCase):
    """Select your Account Category, review parameters, and Integrate!"""

    def setUp(self):
        super().setUp()
        self.connection = self.make_connection()
        token, xero_connection_id = self.mint_token()
        self.connection._write_secret(token=token)
        self.connection._set_organisation(seed.AU_TENANT_ID, xero_connection_id)
        tax = self.env["account.tax"]
        self.gst_purchase = tax.create(
            {"name": "GST 10% (purchases)", "amount": 10.0, "type_tax_use": "purchase"}
        )
        self.gst_sale = tax.create(
            {"name": "GST 10% (sales)", "amount": 10.0, "type_tax_use": "sale"}
        )
        self.odd_tax = tax.create({"name": "Odd 7%", "amount": 7.0, "type_tax_use": "sale"})

    def _wizard(self):
        return self.env["xero.setup.wizard"].create(
            {"connection_id": self.connection.id, "step": "accounts"}
        )

    def _account(self, code):
        return self.connection.account_ids.filtered(lambda a: a.code == code)

    def test_live_chart_is_loaded_with_purchase_and_sales_accounts_apart(self):
        accounts = self.connection.account_ids
        self.assertTrue(accounts)
        self.assertEqual(self._account("310").usage, "purchase")
        self.assertEqual(self._account("200").usage, "sales")
        archived = accounts.filtered(lambda a: a.status == "ARCHIVED")
        self.assertTrue(archived, "the seeded archived account is known")
        self.assertEqual(set(archived.mapped("usage")), {"other"}, "archived: not selectable")
        self.assertIn("USD", self.connection.enabled_currencies.split(","))

    def test_taxes_are_proposed_by_rate(self):
        wizard = self._wizard()
        proposed = {line.tax_id: line.tax_rate_id for line in wizard.tax_line_ids}
        self.assertEqual(proposed[self.gst_purchase].tax_type, "INPUT")
        self.assertEqual(proposed[self.gst_sale].tax_type, "OUTPUT")
        self.assertFalse(proposed[self.odd_tax], "no Xero rate of 7%: left for the user")
        self.assertEqual(wizard.unmapped_tax_count, len(wizard.tax_line_ids) - 2)

    def test_reconnecting_the_same_organisation_keeps_the_choices(self):
        wizard = self._wizard()
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
            }
        )
        wizard.action_integrate()
        token, xero_connection_id = self.mint_token()
        self.connection._write_secret(token=token)
        self.connection._set_organisation(seed.AU_TENANT_ID, xero_connection_id)
        self.assertEqual(self.connection.purchase_account_id.code, "310")
        self.assertTrue(self.connection.tax_mapping_ids)

    def test_xeros_rounding_account_is_proposed_and_another_can_be_chosen(self):
        wizard = self._wizard()
        self.assertEqual(wizard.rounding_account_id, self._account("860"))
        self.assertEqual(self._account("860").system_account, "ROUNDING")
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
                "rounding_account_id": self._account("260").id,
            }
        )
        wizard.action_integrate()
        self.assertEqual(self.connection.rounding_account_id.code, "260")
        self.assertEqual(self._wizard().rounding_account_id.code, "260", "the choice is kept")

    def test_the_steps_follow_each_other_in_one_dialog_titled_after_each(self):
        wizard = self._wizard()
        opened = wizard.action_open()
        self.assertEqual(
            (opened["res_id"], opened["target"], opened["name"]),
            (wizard.id, "new", "Accounts, Taxes and Tracking for Xero"),
        )
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
            }
        )
        review = wizard.action_review()
        self.assertEqual((review["res_id"], review["name"]), (wizard.id, "Review and Integrate"))
        self.assertEqual(wizard.action_back()["name"], "Accounts, Taxes and Tracking for Xero")

    def test_integrate_says_so_and_reloads_the_page_it_was_opened_on(self):
        wizard = self._wizard()
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
            }
        )
        done = wizard.action_integrate()
        self.assertEqual(done["tag"], "display_notification")
        self.assertEqual(done["params"]["type"], "success")
        self.assertEqual(
            done["params"]["message"],
            "Connected to Sandbox Trading Pty Ltd: invoices, bills and credit notes can be sent "
            "to Xero.",
        )
        self.assertEqual(
            done["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"}
        )
        again = self.env["xero.setup.wizard"].browse(self.connection.action_open_setup()["res_id"])
        self.assertEqual(
            again.action_integrate()["params"]["message"],
            "Saved: documents go to Sandbox Trading Pty Ltd with these accounts and taxes.",
        )

    def test_review_needs_both_references(self):
        wizard = self._wizard()
        wizard.purchase_account_id = self._account("310")
        with self.assertRaisesRegex(UserError, "Sales Account Reference"):
            wizard.action_review()

    def test_integrate_saves_and_reopening_shows_the_choices(self):
        wizard = self._wizard()
        category = self.env["product.category"].create({"name": "Beverages"})
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
                "invoice_status": "AUTHORISED",
                "category_line_ids": [
                    (
                        0,
                        0,
                        {"categ_id": category.id, "purchase_account_id": self._account("400").id},
                    )
                ],
            }
        )
        self.assertFalse(self.connection.purchase_account_id, "nothing saved before Integrate")
        wizard.action_integrate()
        connection = self.connection
        self.assertEqual(connection.state, "connected")
        self.assertEqual(connection.purchase_account_id.code, "310")
        self.assertEqual(connection.sales_account_id.code, "200")
        self.assertEqual(connection.invoice_status, "AUTHORISED")
        self.assertEqual(connection.category_account_ids.purchase_account_id.code, "400")
        mapped = {m.tax_id: m.tax_rate_id.tax_type for m in connection.tax_mapping_ids}
        self.assertEqual(mapped[self.gst_purchase], "INPUT")
        self.assertNotIn(self.odd_tax, mapped)
        reopened = self.env["xero.setup.wizard"].browse(connection.action_open_setup()["res_id"])
        self.assertEqual(reopened.purchase_account_id.code, "310")
        self.assertEqual(reopened.invoice_status, "AUTHORISED")
        self.assertEqual(reopened.category_line_ids.categ_id, category)

    def test_tracking_options_are_read_from_xero_and_chosen_in_the_setup(self):
        options = {o.display_name: o for o in self.connection.tracking_option_ids}
        self.assertEqual(
            {name for name, o in options.items() if o.status == "ACTIVE"},
            {
                "Region / North",
                "Region / South",
                "Venue / Bondi",
                "Venue / Manly",
                "Venue / Surry Hills",
            },
        )
        self.assertEqual(options["Region / Central"].status, "ARCHIVED", "an archived option")
        self.assertEqual(
            options["Events 2025 / Summer Fair"].status, "ARCHIVED", "of an archived category"
        )
        self.assertEqual(
            options["Venue / Bondi"].xero_id,
            seed.tracking_option_id(seed.AU_TENANT_ID, "Venue", "Bondi"),
        )
        plan = self.env["account.analytic.plan"].create({"name": "Venues"})
        bondi = self.env["account.analytic.account"].create({"name": "Bondi", "plan_id": plan.id})
        wizard = self._wizard()
        wizard.write(
            {
                "purchase_account_id": self._account("310").id,
                "sales_account_id": self._account("200").id,
                "tracking_line_ids": [
                    (
                        0,
                        0,
                        {"analytic_account_id": bondi.id, "option_id": options["Venue / Bondi"].id},
                    )
                ],
            }
        )
        self.assertFalse(self.connection.tracking_mapping_ids, "nothing saved before Integrate")
        wizard.action_integrate()
        self.assertEqual(self.connection.tracking_mapping_ids.option_id, options["Venue / Bondi"])
        reopened = self.env["xero.setup.wizard"].browse(
            self.connection.action_open_setup()["res_id"]
        )
        self.assertEqual(reopened.tracking_line_ids.analytic_account_id, bondi)
        self.assertEqual(reopened.tracking_line_ids.option_id, options["Venue / Bondi"])

    def test_tracking_options_archived_or_gone_in_xero_are_kept_as_such(self):
        options = {o.display_name: o for o in self.connection.tracking_option_ids}
        region = self.sandbox.sandbox.state.organisations[seed.AU_TENANT_ID].tracking_categories[
            seed.tracking_category_id(seed.AU_TENANT_ID, "Region")
        ]
        south = next(o for o in region.options if o.name == "South")
        south.status = "ARCHIVED"
        region.options.remove(next(o for o in region.options if o.name == "North"))
        self.connection._sync_chart()
        self.assertEqual(options["Region / South"].status, "ARCHIVED")
        self.assertEqual(options["Region / North"].status, "DELETED")
        self.assertEqual(options["Venue / Bondi"].status, "ACTIVE")
        self.assertEqual(len(self.connection.tracking_option_ids), len(options), "none added")


@tagged("post_install", "-at_install")
class TestTokens(XeroSandboxMixin, HttpCase):
    """Encrypted storage, refresh, re-authorisation, Disconnect. An HttpCase so that the cursor
    the refresh opens is the test's own."""

    def setUp(self):
        super().setUp()
        self.connection = self.make_connection()
        self.token = self.connect(self.connection)

    def _expire_soon(self):
        token = dict(self.connection._read_token(), expires_at=int(time.time()) + 30)
        self.connection._write_secret(token=token)
        return token

    def test_refreshes_60_seconds_before_expiry_and_keeps_the_rotated_token(self):
        old = self._expire_soon()
        self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertEqual(len(self.sandbox_log("/connect/token")), 1)
        new = self.connection._read_token()
        self.assertNotEqual(new["refresh_token"], old["refresh_token"])
        self.assertGreater(new["expires_at"], time.time() + 600)
        self.connection.env.invalidate_all()
        self.connection.env.cr.cache.clear()
        self.assertEqual(self.connection._read_token()["refresh_token"], new["refresh_token"])

    def test_no_refresh_while_fresh(self):
        self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertFalse(self.sandbox_log("/connect/token"))

    def test_a_401_on_a_token_xero_ended_early_refreshes_it_once(self):
        """Xero may end an access token before the time it gave for it: the 401 refreshes it
        once and the call goes, rather than asking the manager to sign in again."""
        self.sandbox_control("faults", expire_tokens=True)
        self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertEqual(len(self.sandbox_log("/connect/token")), 1)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "connected", self.connection.reauth_reason)

    def test_lost_refresh_response_keeps_the_token_and_the_grace_period_saves_it(self):
        old = self._expire_soon()
        self.sandbox_control("faults", drop={"path_prefix": "/connect/token", "count": 1})
        with self.assertRaisesRegex(UserError, "Xero answered with an error"):
            self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertEqual(self.connection._read_token()["refresh_token"], old["refresh_token"])
        self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertEqual(len(self.sandbox_log("/connect/token")), 2)
        self.assertNotEqual(self.connection._read_token()["refresh_token"], old["refresh_token"])
        self.assertEqual(self.connection.state, "connected")

    def test_invalid_grant_asks_for_reauthorisation(self):
        self._expire_soon()
        self.sandbox_control("faults", revoke_tokens=True)
        with self.assertRaisesRegex(UserError, "Start Xero Session"):
            self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
        self.assertEqual(self.connection.state, "reauth")

    def test_no_token_in_plain_text_anywhere_in_the_database(self):
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'jsonb', 'bytea')"""
        )
        columns = cr.fetchall()
        self.assertGreater(len(columns), 100)
        for secret in (self.token["access_token"], self.token["refresh_token"]):
            for table, column in columns:
                cr.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1',
                    [f"%{secret[-24:]}%"],
                )
                self.assertFalse(cr.fetchone(), f"a token is readable in {table}.{column}")

    def test_tokens_are_never_logged(self):
        self._expire_soon()
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.account_xero_export").info("start")
            self.connection._xero_call("get_organisation", seed.AU_TENANT_ID)
            self.connection.action_disconnect()
        text = "\n".join(logs.output)
        for secret in (self.token["access_token"], self.token["refresh_token"]):
            self.assertNotIn(secret, text)

    def test_a_missing_encryption_key_is_a_clear_error(self):
        self.env.cr.cache.clear()
        with (
            patch.dict(config.options, {"xero_encryption_key": ""}),
            patch.dict(os.environ),
            self.assertRaisesRegex(UserError, "xero_encryption_key"),
        ):
            os.environ.pop("XERO_ENCRYPTION_KEY", None)
            self.connection._read_token()

    def test_key_rotation_keeps_tokens_readable(self):
        new_key = self.connection._cipher().generate_key()
        old_key = config["xero_encryption_key"]
        with patch.dict(config.options, {"xero_encryption_key": f"{new_key},{old_key}"}):
            self.env.cr.cache.clear()
            self.assertEqual(
                self.connection._read_token()["access_token"], self.token["access_token"]
            )
            self.connection._write_secret(token=self.token)
        with patch.dict(config.options, {"xero_encryption_key": new_key}):
            self.env.cr.cache.clear()
            self.assertEqual(
                self.connection._read_token()["access_token"], self.token["access_token"]
            )

    def test_server_configuration_overrides_the_app(self):
        self.assertTrue(self.connection._oauth().client_secret, "the database's app has one")
        with patch.dict(config.options, {"xero_client_id": "from-server"}):
            self.connection.invalidate_recordset()
            self.assertTrue(self.connection.app_from_server)
            app = self.connection._oauth()
            self.assertEqual(app.client_id, "from-server")
            self.assertFalse(app.client_secret, "not the secret of the database's app")
        with patch.dict(
            config.options, {"xero_client_id": "from-server", "xero_client_secret": "its-secret"}
        ):
            self.assertEqual(self.connection._oauth().client_secret, "its-secret")

    def test_the_form_shows_what_the_server_configuration_sets(self):
        """A partner's server sets the app: the form shows that app, not the database's own
        client id (a secret only as being set), and the URLs the server fixes."""
        self.assertFalse(self.connection.server_settings)
        settings = {
            "xero_client_id": "from-server",
            "xero_client_secret": "its-secret",
            "xero_api_url": self.connection.api_url,
        }
        with patch.dict(config.options, settings):
            self.connection.invalidate_recordset()
            self.assertEqual(
                self.connection.server_settings.splitlines(),
                [
                    "Client ID: from-server",
                    "Client secret: set",
                    f"API URL: {self.connection.api_url}",
                ],
            )

    def test_disconnect_removes_the_connection_at_xero_and_wipes_tokens(self):
        xero_connection_id = self.connection.xero_connection_id
        done = self.connection.action_disconnect()
        self.assertEqual(done["params"]["type"], "success")
        self.assertEqual(
            done["params"]["message"],
            "Disconnected from Sandbox Trading Pty Ltd. What was sent stays in Xero and in Odoo.",
        )
        self.assertEqual(done["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(
            [e["status"] for e in self.sandbox_log(f"/connections/{xero_connection_id}")], [204]
        )
        self.assertEqual([e["status"] for e in self.sandbox_log("/connect/revocation")], [200])
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._secret_records().token)
        self.assertEqual(self.connection.organisation_name, "Sandbox Trading Pty Ltd")

    def test_the_connection_in_words_for_each_reader(self):
        connection = self.connection
        self.assertEqual(connection.country_id, self.env.ref("base.au"))
        self.assertEqual(
            connection.currency_names,
            "Australian dollar (base), New Zealand dollar, United States dollar",
        )
        clerk = new_test_user(self.env, "words_clerk", groups="account.group_account_invoice")
        said = {}
        for state in ("draft", "connected", "reauth", "disconnected"):
            connection.state = state
            said[state] = (
                connection.status_message,
                connection.with_user(clerk).status_message,
            )
        self.assertEqual(
            said["connected"],
            ("Invoices, bills and credit notes can be sent to Sandbox Trading Pty Ltd.",) * 2,
        )
        for state in ("draft", "reauth", "disconnected"):
            manager, reader = said[state]
            self.assertIn("an accounting manager", reader, state)
            self.assertNotIn("an accounting manager", manager, state)
            self.assertIn("Xero session", manager, state)

    def test_invoicing_settings_show_the_connection_and_lead_to_it(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.xero_state, "connected")
        self.assertEqual(
            settings.xero_status_message,
            "Invoices, bills and credit notes can be sent to Sandbox Trading Pty Ltd.",
        )
        self.assertEqual(settings.action_xero_open_connection()["res_id"], self.connection.id)
        self.connection.action_disconnect()
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.xero_state, "disconnected")
        self.assertTrue(
            settings.action_xero_start_session()["url"].startswith(
                f"/xero/connect/start?connection_id={self.connection.id}&until="
            )
        )
        other = self.env["res.company"].create({"name": "Never Connected"})
        self.env.user.company_ids |= other
        settings = self.env["res.config.settings"].with_company(other).create({})
        self.assertEqual(settings.xero_state, "draft")
        self.assertIn("Not connected yet", settings.xero_status_message)
        opened = settings.action_xero_open_connection()
        self.assertEqual(self.env["xero.connection"].browse(opened["res_id"]).company_id, other)

    def test_disconnect_when_xero_is_unreachable_wipes_locally_with_a_warning(self):
        self.connection.sudo().write(
            {"identity_url": "http://127.0.0.1:9", "api_url": "http://127.0.0.1:9"}
        )
        action = self.connection.action_disconnect()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("could not be reached", action["params"]["message"])
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._secret_records().token)


@tagged("post_install", "-at_install")
class TestAccess(XeroSandboxMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.connection = self.make_connection()
        self.connect(self.connection)
        self.clerk = new_test_user(self.env, "clerk", groups="account.group_account_invoice")

    def _rpc(self, model, method, *args, **kwargs):
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_invoicing_user_cannot_read_tokens_or_change_the_connection_by_rpc(self):
        self.authenticate("clerk", "clerk")
        secrets = self._rpc("xero.connection.secret", "search_read", [], ["token"])
        self.assertEqual(secrets["error"]["data"]["name"], "odoo.exceptions.AccessError")
        write = self._rpc("xero.connection", "write", [self.connection.id], {"state": "draft"})
        self.assertEqual(write["error"]["data"]["name"], "odoo.exceptions.AccessError")
        read = self._rpc("xero.connection", "read", [self.connection.id], ["client_secret"])
        self.assertIn("error", read)
        visible = self._rpc("xero.connection", "read", [self.connection.id], ["state"])
        self.assertEqual(visible["result"][0]["state"], "connected", "they may see the state")

    def test_not_even_an_administrator_reads_tokens_by_rpc(self):
        self.authenticate("admin", "admin")
        secrets = self._rpc("xero.connection.secret", "search_read", [], ["token"])
        self.assertEqual(secrets["error"]["data"]["name"], "odoo.exceptions.AccessError")
        copy = self._rpc("xero.connection", "copy_data", [self.connection.id])
        self.assertNotIn("token", json.dumps(copy))

    def test_company_a_user_cannot_use_company_b_connection(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        connection_b = self.make_connection(company=company_b)
        user_a = new_test_user(
            self.env,
            "manager_a",
            groups="account.group_account_manager",
            company_id=self.env.company.id,
            company_ids=[(6, 0, self.env.company.ids)],
        )
        Connection = self.env["xero.connection"].with_user(user_a)
        self.assertEqual(Connection.search([]), self.connection)
        with self.assertRaises(AccessError):
            connection_b.with_user(user_a).action_start_session()
        with self.assertRaises(AccessError):
            connection_b.with_user(user_a).read(["state"])


@tagged("post_install", "-at_install")
class TestRefreshConcurrency(XeroSandboxMixin, TransactionCase):
    """Two workers refresh at once: one refresh reaches Xero, both get the same new token.

    Each worker runs in a transaction of its own, so the connection is committed for this test
    and removed afterwards."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].create({"name": "Xero Concurrency Co"})
            connection = env["xero.connection"].create(
                {
                    "company_id": company.id,
                    "client_id": seed.DEMO_CLIENT_ID,
                    "client_secret": seed.DEMO_CLIENT_SECRET,
                    "login_url": self.sandbox.url,
                    "identity_url": self.sandbox.url,
                    "api_url": self.sandbox.url,
                    "tenant_id": seed.AU_TENANT_ID,
                    "state": "connected",
                }
            )
            token, _connection_id = self.mint_token()
            connection._write_secret(token=dict(token, expires_at=int(time.time()) + 30))
            self.connection_id, self.company_id = connection.id, company.id
        self.addCleanup(self._remove_committed)

    def _remove_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["xero.connection"].browse(self.connection_id).unlink()
            company = env["res.company"].browse(self.company_id)
            partner = company.partner_id
            company.unlink()
            partner.unlink()

    def test_two_refreshes_at_once_make_one_call(self):
        # Slow answers, so that the second worker asks while the first is still refreshing.
        self.sandbox_control("faults", latency=0.5)
        barrier = threading.Barrier(2)
        tokens, errors = [], []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    connection = env["xero.connection"].browse(self.connection_id)
                    barrier.wait(timeout=10)
                    tokens.append(connection._client().access_token())
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual(len(self.sandbox_log("/connect/token")), 1)
        self.assertEqual(len(set(tokens)), 1, "both workers use the one new token")
