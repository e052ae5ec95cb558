"""Nobody can do more than their role: each probe is what the user in question would try over RPC
(the ORM as that user), or what an attacker would send to the routes."""

import os
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import config

from ..xero_sandbox import seed
from .common import start_query, start_session
from .test_send import XeroSendCase

MANAGER = "account.group_account_manager"
CLERK = "account.group_account_invoice"
# Every model of the addon: who may do what (read, write, create, unlink) by group, and that it
# has record rules. A new model fails this table until its rights and rules are decided.
RIGHTS = {
    "xero.account": {CLERK: "r", MANAGER: "rwcu"},
    "xero.category.account": {CLERK: "r", MANAGER: "rwcu"},
    "xero.connection": {CLERK: "r", MANAGER: "rwcu"},
    "xero.connection.secret": {},
    "xero.export.batch": {CLERK: "r", MANAGER: "ru"},
    "xero.export.line": {CLERK: "r", MANAGER: "ru"},
    "xero.move.export": {CLERK: "r", MANAGER: "r"},
    "xero.oauth.state": {},
    "xero.partner.link": {CLERK: "r", MANAGER: "rwcu"},
    "xero.rate.limit": {},
    "xero.send.wizard": {CLERK: "rwcu"},
    "xero.send.wizard.line": {CLERK: "ru"},
    "xero.setup.wizard": {MANAGER: "rwcu"},
    "xero.setup.wizard.category": {MANAGER: "rwcu"},
    "xero.setup.wizard.tax": {MANAGER: "rwcu"},
    "xero.setup.wizard.tenant": {MANAGER: "rwcu"},
    "xero.setup.wizard.tracking": {MANAGER: "rwcu"},
    "xero.tax.mapping": {CLERK: "r", MANAGER: "rwcu"},
    "xero.tax.rate": {CLERK: "r", MANAGER: "rwcu"},
    "xero.tracking.mapping": {CLERK: "r", MANAGER: "rwcu"},
    "xero.tracking.option": {CLERK: "r", MANAGER: "rwcu"},
}


@tagged("post_install", "-at_install")
class TestRoles(XeroSendCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(
            self.env,
            login="xero_manager",
            groups=MANAGER,
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )

    def test_every_model_has_its_rights_and_record_rules(self):
        models = self.env["ir.model"].search(
            [("model", "like", "xero.%"), ("transient", "in", (True, False))]
        )
        models = models.filtered(lambda m: not self.env[m.model]._abstract)
        rights = {}
        for model in models:
            by_group = {}
            for access in model.access_ids:
                perms = "".join(
                    letter
                    for letter, name in zip(
                        "rwcu", ("read", "write", "create", "unlink"), strict=True
                    )
                    if access[f"perm_{name}"]
                )
                if perms:
                    by_group[access.group_id.get_external_id()[access.group_id.id]] = perms
            rights[model.model] = by_group
            self.assertTrue(model.access_ids, f"{model.model} has no access rights")
            self.assertTrue(model.rule_ids, f"{model.model} has no record rule")
        self.assertEqual(rights, RIGHTS)

    def test_a_manager_cannot_say_where_xero_is(self):
        connection = self.connection.with_user(self.manager)
        for field in ("login_url", "identity_url", "api_url", "app_url"):
            with self.assertRaises(AccessError, msg=field):
                connection.write({field: "https://evil.example"})
            with self.assertRaises(AccessError, msg=field):
                connection.read([field])

    def test_only_xero_hosts_outside_a_sandbox(self):
        with patch.dict(config.options, {"xero_sandbox": ""}), patch.dict(os.environ):
            os.environ.pop("XERO_SANDBOX", None)
            with self.assertRaisesRegex(ValidationError, "xero_sandbox"):
                self.connection.sudo().api_url = "https://api.xero.com.evil.example"
            self.connection.sudo().write(
                {
                    "login_url": "https://login.xero.com",
                    "identity_url": "https://identity.xero.com",
                    "api_url": "https://api.xero.com",
                    "app_url": "https://go.xero.com",
                }
            )
            with (
                patch.dict(config.options, {"xero_identity_url": "https://sso.evil.example"}),
                self.assertRaisesRegex(ValidationError, "identity.xero.com"),
            ):
                self.connection._oauth()

    def test_an_invoicing_user_cannot_write_a_documents_xero_fields(self):
        bill = self.make_move()
        self.send(bill)
        clerk_bill = bill.with_user(self.clerk)
        for values in (
            {"xero_id": "00000000-0000-0000-0000-000000000001"},
            {"xero_state": "sent"},
            {"xero_status": "PAID"},
            {"xero_error": False},
        ):
            with self.assertRaises(AccessError, msg=str(values)):
                clerk_bill.write(values)
        export = bill.xero_export_id.with_user(self.clerk)
        with self.assertRaises(AccessError):
            export.write({"version": "x"})
        with self.assertRaises(AccessError):
            export.unlink()
        with self.assertRaises(AccessError):
            self.env["xero.move.export"].with_user(self.clerk).create(
                {
                    "move_id": bill.id,
                    "connection_id": self.connection.id,
                    "tenant_id": seed.NZ_TENANT_ID,
                }
            )
        self.assertEqual(bill.xero_state, "sent")

    def test_relinking_a_contact_is_a_managers_tracked_action(self):
        bill = self.make_move()
        self.send(bill)
        link = self.connection._xero_contact_link(self.vendor)
        with self.assertRaises(AccessError):
            link.with_user(self.clerk).contact_id = "00000000-0000-0000-0000-000000000002"
        with self.assertRaises(AccessError):
            self.env["xero.partner.link"].with_user(self.clerk).create(
                {
                    "connection_id": self.connection.id,
                    "partner_id": self.customer.id,
                    "contact_id": "00000000-0000-0000-0000-000000000003",
                }
            )
        before = link.contact_id
        link.with_user(self.manager).with_context(
            tracking_disable=False, mail_notrack=False
        ).contact_id = "00000000-0000-0000-0000-000000000004"
        # Tracking is written when the transaction commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = link.message_ids.tracking_value_ids
        self.assertEqual(tracked.old_value_char, before)
        self.assertEqual(tracked.new_value_char, "00000000-0000-0000-0000-000000000004")
        self.assertEqual(link.message_ids[0].author_id, self.manager.partner_id)

    def test_another_companys_user_sees_nothing_of_this_companys_exports(self):
        bill = self.make_move()
        wizard, _review = self.review(bill)
        wizard.action_send()
        other_company = self.setup_other_company(name="Other Bar")["company"]
        outsider = new_test_user(
            self.env,
            login="outsider",
            groups=CLERK,
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        for model in (
            "xero.export.line",
            "xero.export.batch",
            "xero.move.export",
            "xero.partner.link",
            "xero.send.wizard",
            "xero.send.wizard.line",
        ):
            self.assertFalse(self.env[model].with_user(outsider).search([]), model)
        with self.assertRaises(AccessError):
            wizard.line_ids.with_user(outsider).read(["message"])
        # A colleague of the same company does not see this user's dialogs either.
        colleague = new_test_user(
            self.env,
            login="colleague",
            groups=CLERK,
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        self.assertFalse(self.env["xero.send.wizard"].with_user(colleague).search([]))
        self.assertTrue(self.env["xero.export.line"].with_user(colleague).search([]))

    def test_a_clerk_cannot_have_the_queue_send_another_companys_documents(self):
        other = self.setup_other_company(name="Other Bar")
        theirs = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "company_id": other["company"].id,
                "partner_id": self.vendor.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [Command.create({"name": "Gin", "price_unit": 40.0})],
            }
        )
        theirs.action_post()
        mine = self.make_move()
        wizard, _review = self.review(mine)
        # What the queue sends is what the review found: no line is the user's to write.
        with self.assertRaises(AccessError):
            wizard.write(
                {"line_ids": [Command.create({"move_id": theirs.id, "verdict": "create"})]}
            )
        with self.assertRaises(AccessError):
            wizard.line_ids.write({"move_id": theirs.id})
        # Nor a log line or a send of their own making.
        for model in ("xero.export.batch", "xero.export.line"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.clerk).create({"connection_id": self.connection.id})
        # And queued as this user, someone else's documents are refused before anything is kept.
        Export = self.env["xero.move.export"].with_user(self.clerk)
        with self.assertRaises(AccessError):
            Export._enqueue(self.connection.with_user(self.clerk), theirs.with_user(self.clerk))
        self.assertFalse(self.env["xero.move.export"].search([("move_id", "=", theirs.id)]))
        # Nor is another company's organisation named in a dialog made by hand.
        forged = (
            self.env["xero.send.wizard"]
            .with_user(self.clerk)
            .create(
                {"action": "invoice", "connection_id": self.make_connection(other["company"]).id}
            )
        )
        with self.assertRaises(AccessError):
            forged.read(["organisation_name"])

    def test_a_user_who_may_no_longer_send_leaves_the_queue_and_the_rest_goes_on(self):
        self.connection.background_threshold = 0
        colleague = self.company_user("xero_colleague", CLERK)
        leaver = self.make_move(ref="LEAVER-1")
        wizard, _review = self.review(leaver)
        wizard.action_send()
        staying = self.make_move(ref="STAYING-1")
        wizard, _review = self.review(staying, user=colleague)
        wizard.action_send()
        self.clerk.groups_id = [Command.unlink(self.env.ref(CLERK).id)]
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(leaver.xero_state, "error")
        self.assertIn("xero_clerk", leaver.xero_error)
        self.assertIn("may no longer send it", leaver.message_ids[0].body)
        self.assertFalse(leaver.xero_export_id.queued)
        self.assertEqual(staying.xero_state, "sent")
        self.assertEqual(
            [i["InvoiceNumber"] for i in self.xero_documents()],
            ["STAYING-1"],
            "only the colleague's",
        )

    def _queued(self, ref, user=None):
        """A bill of the clerk's company, queued by `user` (the clerk by default)."""
        self.connection.background_threshold = 0
        bill = self.make_move(ref=ref)
        wizard, _review = self.review(bill, user=user)
        wizard.action_send()
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "queued")
        return bill

    def test_the_queue_of_a_user_archived_or_deleted_is_not_sent_in_their_name(self):
        archived = self._queued("ARCHIVED-1")
        self.clerk.active = False
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(archived.xero_state, "error")
        self.assertIn("no longer active", archived.xero_error)
        other_clerk = self.company_user("xero_leaver", CLERK)
        deleted = self._queued("DELETED-1", user=other_clerk)
        self.env["xero.send.wizard"].search([]).unlink()
        other_clerk.unlink()
        self.assertFalse(deleted.xero_export_id.queued_by_id)
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(deleted.xero_state, "error", "not sent by the job's own user instead")
        self.assertEqual(self.xero_documents(), [])

    def test_a_queuer_who_still_writes_bills_but_may_not_send_them_stops_no_queue(self):
        """A buyer (Purchase's rights: bills, read and written) who loses invoicing."""
        move_model = self.env.ref("account.model_account_move")
        buyers = self.env["res.groups"].create({"name": "Buyers (Purchase's rights on bills)"})
        for model in (move_model, self.env.ref("account.model_account_move_line")):
            self.env["ir.model.access"].create(
                {
                    "name": f"{model.model} buyers",
                    "model_id": model.id,
                    "group_id": buyers.id,
                    "perm_read": True,
                    "perm_write": True,
                    "perm_create": True,
                    "perm_unlink": True,
                }
            )
        self.env["ir.rule"].create(
            {
                "name": "Buyers: bills only",
                "model_id": move_model.id,
                "groups": [Command.set(buyers.ids)],
                "domain_force": "[('move_type', 'in', ('in_invoice', 'in_refund', 'in_receipt'))]",
            }
        )
        self.clerk.groups_id = [Command.link(buyers.id)]
        buyer = self._queued("BUYER-1")
        colleagues = self._queued("COLLEAGUE-1", user=self.company_user("xero_colleague", CLERK))
        self.clerk.groups_id = [Command.unlink(self.env.ref(CLERK).id)]
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(buyer.xero_state, "error")
        self.assertIn("may no longer send it", buyer.xero_error)
        self.assertEqual(colleagues.xero_state, "sent")
        self.assertEqual([i["InvoiceNumber"] for i in self.xero_documents()], ["COLLEAGUE-1"])

    def test_a_document_sent_again_by_a_colleague_waits_as_theirs(self):
        """Queued by a clerk who may no longer send, sent by a colleague while Xero cannot be
        reached: it waits as the colleague's, and goes."""
        colleague = self.company_user("xero_colleague", CLERK)
        api_url = self.connection.api_url
        self.connection.api_url = "http://127.0.0.1:9"
        bill = self.make_move(ref="RETRY-AS-1")
        self.send(bill)
        self.env.invalidate_all()
        self.assertEqual(bill.xero_export_id.queued_by_id, self.clerk)
        self.clerk.groups_id = [Command.unlink(self.env.ref(CLERK).id)]
        wizard, _review = self.review(bill, user=colleague)
        wizard.action_send()
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "queued")
        self.assertEqual(bill.xero_export_id.queued_by_id, colleague)
        self.connection.api_url = api_url
        bill.xero_export_id.sudo().next_try_at = fields.Datetime.now()
        self.run_queue()
        self.env.invalidate_all()
        self.assertEqual(bill.xero_state, "sent", bill.xero_error)

    def test_a_portal_user_following_a_document_reads_nothing_of_xero(self):
        portal = new_test_user(
            self.env, login="xero_portal", groups="base.group_portal", email="p@example.com"
        )
        self.customer.child_ids = [Command.link(portal.partner_id.id)]
        invoice = self.make_move("out_invoice", invoice_date=fields.Date.to_date("2020-01-15"))
        invoice.message_subscribe(partner_ids=portal.partner_id.ids)
        self.assertEqual(self.send(invoice)[invoice][0], "failed")
        self.assertTrue(invoice.xero_error_details)
        as_portal = invoice.with_user(portal)
        self.assertTrue(as_portal.read(["name"]))
        for fname in ("xero_error", "xero_error_details", "xero_connection_id", "xero_id"):
            with self.assertRaises(AccessError, msg=fname):
                as_portal.read([fname])
        readonly = self.company_user("xero_auditor", "account.group_account_readonly")
        self.assertTrue(
            invoice.with_user(readonly).read(["xero_error_details"])[0]["xero_error_details"]
        )

    def test_401_and_403_from_xero_ask_for_the_manager_again(self):
        self.sandbox_control("faults", revoke_tokens=True)
        bill = self.make_move()
        self.send(bill)
        self.env.invalidate_all()
        # The 401 has the token refreshed, and Xero refuses the refresh token too.
        self.assertEqual(self.connection.state, "reauth")
        self.assertIn("Xero refused its refresh token", self.connection.reauth_reason)
        self.assertEqual(bill.xero_state, "queued", "it waits for the manager")

        other = self.make_connection(self.setup_other_company(name="Unlinked")["company"])
        self.connect(other)
        other.tenant_id = seed.UK_TENANT_ID  # an organisation this consent never covered
        # Not assertRaises: its savepoint would undo what the connection recorded.
        try:
            other._xero_call("get_organisation", seed.UK_TENANT_ID)
        except UserError as exc:
            self.assertIn("Start Xero Session", str(exc))
        else:
            self.fail("Xero's 403 was not raised")
        self.env.invalidate_all()
        self.assertEqual(other.state, "reauth")
        self.assertTrue(other.reauth_reason)

    def test_sending_needs_a_connected_connection(self):
        bill = self.make_move()
        self.connection.state = "disconnected"
        with self.assertRaisesRegex(UserError, "not connected to Xero"):
            self.env["xero.export.batch"].with_user(self.clerk)._send(
                self.connection, bill, "invoice"
            )
        self.assertEqual(self.sandbox_log("/api.xro/2.0/Invoices"), [])

    def test_error_texts_keep_no_personal_data(self):
        private = self.env["res.partner"].create(
            {"name": "Ms Priya Private", "ref": "PRIV-42", "email": "priya@private.example"}
        )
        bill = self.make_move(partner_id=private.id)
        self.connection.sudo().api_url = "http://127.0.0.1:9"
        results = self.send(bill)
        reason = bill.xero_export_id.waiting_reason
        self.assertEqual(bill.xero_state, "queued")
        for personal in ("Priya", "PRIV-42", "priya@private.example", "Private"):
            self.assertNotIn(personal, reason)
            self.assertNotIn(personal, results[bill][1])
        self.assertIn("/api.xro/2.0/Contacts", reason)


@tagged("post_install", "-at_install")
class TestConnectionsOfOthers(XeroSendCase):
    """Two companies of this database connected through the same Xero user and app."""

    def setUp(self):
        super().setUp()
        self.other_company = self.setup_other_company(name="Kiwi Bar")["company"]
        self.other = self.make_connection(self.other_company)
        self.other_token = self.connect(self.other, tenant_id=seed.NZ_TENANT_ID)

    def _other_still_works(self):
        self.env.cr.cache.clear()
        organisation = self.other._xero_call("get_organisation", seed.NZ_TENANT_ID)
        self.assertEqual(organisation["Name"], "Sandbox Traders Limited")

    def test_a_dialog_given_another_companys_connection_queues_nothing_there(self):
        both = new_test_user(
            self.env,
            login="xero_both",
            groups=CLERK,
            company_id=self.env.company.id,
            company_ids=[Command.set((self.env.company | self.other_company).ids)],
        )
        bill = self.make_move(ref="HOME-1")
        self.connection.background_threshold = 0
        self.other.background_threshold = 0
        companies = {"allowed_company_ids": [self.env.company.id, self.other_company.id]}
        wizard, _review = self.review(bill.with_context(**companies), user=both)
        wizard.with_context(**companies).write({"connection_id": self.other.id})
        wizard.with_context(**companies).action_send()
        self.assertFalse(
            self.env["xero.move.export"].search([("connection_id", "=", self.other.id)]),
            "nothing of this company's is in the other's queue",
        )

    def test_disconnecting_one_company_keeps_the_others_connection(self):
        self.connection.write({"connected_by_email": seed.DEMO_USER_EMAIL})
        self.other.write({"connected_by_email": seed.DEMO_USER_EMAIL})
        self.assertEqual(self.connection.action_disconnect()["params"]["type"], "success")
        self.assertEqual(self.sandbox_log("/connect/revocation"), [], "revoking would end both")
        self._other_still_works()

    def test_choosing_one_organisation_keeps_what_another_company_uses(self):
        wizard = self.env["xero.setup.wizard"].create(
            {
                "connection_id": self.connection.id,
                "step": "organisation",
                "tenant_ids": [
                    Command.create(
                        {
                            "xero_connection_id": self.connection.xero_connection_id,
                            "tenant_id": seed.AU_TENANT_ID,
                            "name": "AU",
                        }
                    ),
                    Command.create(
                        {
                            "xero_connection_id": self.other.xero_connection_id,
                            "tenant_id": seed.NZ_TENANT_ID,
                            "name": "NZ",
                        }
                    ),
                ],
            }
        )
        wizard.tenant_choice_id = wizard.tenant_ids.filtered(lambda t: t.name == "AU")
        wizard.action_choose_organisation()
        self.assertEqual(self.sandbox_log(f"/connections/{self.other.xero_connection_id}"), [])
        self._other_still_works()


@tagged("post_install", "-at_install")
class TestRoutesAndKeys(XeroSendCase):
    def test_start_is_a_post_with_odoos_csrf_token(self):
        self.authenticate(self.env.user.login, self.env.user.login)
        # Only from a link the button signed for this user: not from a link made elsewhere.
        other_manager = new_test_user(self.env, login="xero_other_manager", groups=MANAGER)
        for forged_query in (
            f"connection_id={self.connection.id}",
            start_query(self.connection.with_user(other_manager)),
            start_query(self.connection).replace("until=", "until=9"),
        ):
            refused = self.url_open(f"/xero/connect/start?{forged_query}", allow_redirects=False)
            self.assertEqual(refused.status_code, 400, forged_query)
            self.assertIn("use the Start Xero Session button", refused.text)
        query = start_query(self.connection)
        page = self.url_open(f"/xero/connect/start?{query}", allow_redirects=False)
        self.assertEqual(page.status_code, 200)
        self.assertFalse(self.env["xero.oauth.state"].sudo().search([]), "a GET changes nothing")
        forged = self.url_open(
            "/xero/connect/start",
            data={"connection_id": self.connection.id, "csrf_token": "forged"},
            allow_redirects=False,
        )
        self.assertEqual(forged.status_code, 400)
        self.assertFalse(self.env["xero.oauth.state"].sudo().search([]))
        real = start_session(self, query)
        self.assertEqual(real.status_code, 303)
        self.assertEqual(len(self.env["xero.oauth.state"].sudo().search([])), 1)

    def test_a_secret_no_key_decrypts_is_a_clear_error_and_disconnect_still_works(self):
        other_key = self.connection._cipher().generate_key()
        with patch.dict(config.options, {"xero_encryption_key": other_key}):
            self.env.cr.cache.clear()
            with self.assertRaisesRegex(UserError, "xero_encryption_key"):
                self.connection._read_token()
            action = self.connection.action_disconnect()
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("xero_encryption_key", action["params"]["message"])
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection._secret_records().token)

    def test_rotating_the_keys_moves_every_secret_to_the_first_key(self):
        new_key = self.connection._cipher().generate_key()
        old_key = config["xero_encryption_key"]
        manager = new_test_user(self.env, login="xero_key_manager", groups=MANAGER)
        with self.assertRaises(AccessError):
            self.connection.with_user(manager).action_rotate_encryption_keys()
        with patch.dict(config.options, {"xero_encryption_key": f"{new_key},{old_key}"}):
            action = self.connection.sudo().action_rotate_encryption_keys()
            self.assertEqual(action["params"]["type"], "success")
        with patch.dict(config.options, {"xero_encryption_key": new_key}):
            self.env.cr.cache.clear()
            self.assertEqual(
                self.connection._read_token()["access_token"], self.token["access_token"]
            )
