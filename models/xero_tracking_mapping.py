from odoo import fields, models


class XeroTrackingMapping(models.Model):
    """Which option of which Xero tracking category an Odoo analytic account is sent as."""

    _name = "xero.tracking.mapping"
    _description = "Xero Tracking Mapping"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    analytic_account_id = fields.Many2one(
        "account.analytic.account", "Analytic Account", required=True, ondelete="cascade"
    )
    category = fields.Char(
        "Tracking Category", required=True, help="As named in Xero (Settings > Tracking)."
    )
    option = fields.Char(required=True, help="As named in Xero.")

    _sql_constraints = [
        (
            "analytic_uniq",
            "unique(connection_id, analytic_account_id)",
            "This analytic account is already mapped.",
        ),
    ]
