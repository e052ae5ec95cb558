from odoo import fields, models


class XeroTaxMapping(models.Model):
    """Which Xero TaxType an Odoo tax is sent as."""

    _name = "xero.tax.mapping"
    _description = "Xero Tax Mapping"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    tax_id = fields.Many2one("account.tax", "Odoo Tax", required=True, ondelete="cascade")
    tax_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Xero Tax Rate",
        required=True,
        ondelete="restrict",
        domain="[('connection_id', '=', connection_id), ('active_in_xero', '=', True)]",
    )

    _sql_constraints = [
        ("tax_uniq", "unique(connection_id, tax_id)", "This Odoo tax is already mapped."),
    ]
