from odoo import fields, models


class XeroCategoryAccountMixin(models.AbstractModel):
    """The Xero accounts that lines of a product category go to, instead of the references:
    kept on the connection, and edited in the setup wizard before Integrate."""

    _name = "xero.category.account.mixin"
    _description = "Xero Accounts of a Product Category"

    categ_id = fields.Many2one(
        "product.category", "Product Category", required=True, ondelete="cascade"
    )
    purchase_account_id = fields.Many2one(
        "xero.account",
        "Purchase Account",
        domain="[('connection_id', '=', connection_id), ('usage', '=', 'purchase')]",
    )
    sales_account_id = fields.Many2one(
        "xero.account",
        "Sales Account",
        domain="[('connection_id', '=', connection_id), ('usage', '=', 'sales')]",
    )


class XeroCategoryAccount(models.Model):
    _name = "xero.category.account"
    _inherit = "xero.category.account.mixin"
    _description = "Xero Account per Product Category"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)

    _sql_constraints = [
        ("categ_uniq", "unique(connection_id, categ_id)", "This category already has accounts."),
    ]
