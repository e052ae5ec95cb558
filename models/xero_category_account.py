from odoo import fields, models


class XeroCategoryAccount(models.Model):
    """The Xero accounts that lines of a product category go to, instead of the references."""

    _name = "xero.category.account"
    _description = "Xero Account per Product Category"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
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

    _sql_constraints = [
        ("categ_uniq", "unique(connection_id, categ_id)", "This category already has accounts."),
    ]
