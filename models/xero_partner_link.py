from odoo import fields, models


class XeroPartnerLink(models.Model):
    """The Xero contact an Odoo partner is, in one organisation."""

    _name = "xero.partner.link"
    _description = "Xero Contact of a Partner"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    contact_id = fields.Char("Xero ContactID", required=True)

    _sql_constraints = [
        ("partner_uniq", "unique(connection_id, partner_id)", "This partner is already linked."),
    ]
