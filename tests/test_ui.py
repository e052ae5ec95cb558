from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_menu_tour(self):
        self.start_tour("/odoo", "account_xero_export_menu", login="admin")
        connection = self.env["xero.connection"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(connection.state, "draft")
