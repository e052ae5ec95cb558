from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import convert_file, mute_logger


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Xero Company B"})
        cls.manager = new_test_user(cls.env, "xero_manager", groups="account.group_account_manager")
        cls.invoicing_user = new_test_user(
            cls.env, "xero_invoicing", groups="account.group_account_invoice"
        )

    def test_menus_in_their_own_section_of_invoicing_configuration(self):
        section = self.env.ref("account_xero_export.xero_menu")
        self.assertEqual(section.name, "Xero")
        self.assertEqual(section.parent_id, self.env.ref("account.menu_finance_configuration"))
        self.assertEqual(
            section.child_id.mapped("action"),
            [
                self.env.ref("account_xero_export.xero_connection_action"),
                self.env.ref("account_xero_export.xero_export_batch_action"),
                self.env.ref("account_xero_export.xero_move_export_action"),
            ],
        )

    def test_an_update_keeps_the_crons_as_the_administrator_set_them(self):
        queue = self.env.ref("account_xero_export.ir_cron_xero_send")
        resolve = self.env.ref("account_xero_export.ir_cron_xero_resolve_uncertain")
        queue.active = False
        resolve.interval_number = 60
        # What an update of the addon does with its data file.
        convert_file(self.env, "account_xero_export", "data/ir_cron.xml", {}, mode="update")
        self.env.invalidate_all()
        self.assertFalse(queue.active, "paused by the administrator: stays paused")
        self.assertEqual(resolve.interval_number, 60)

    def test_one_connection_per_company(self):
        Connection = self.env["xero.connection"].with_user(self.manager)
        Connection.create({})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            Connection.create({})
            self.env.flush_all()

    def test_invoicing_user_cannot_create_connection(self):
        with self.assertRaises(AccessError):
            self.env["xero.connection"].with_user(self.invoicing_user).create({})

    def test_other_company_connection_is_invisible(self):
        other = self.env["xero.connection"].create({"company_id": self.company_b.id})
        visible = self.env["xero.connection"].with_user(self.manager).search([])
        self.assertNotIn(other, visible)
