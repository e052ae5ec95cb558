from odoo import fields, models


class XeroConnection(models.Model):
    """The link between one Odoo company and one Xero organisation."""

    _name = "xero.connection"
    _description = "Xero Connection"
    _rec_name = "company_id"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    state = fields.Selection(
        [
            ("draft", "Not connected"),
            ("connected", "Connected"),
            ("reauth", "Needs re-authorisation"),
            ("disconnected", "Disconnected"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "A company has one Xero connection."),
    ]
