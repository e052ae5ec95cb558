from odoo import fields, models


class XeroTrackingMappingMixin(models.AbstractModel):
    """Which Xero tracking option (of which category) lines of an analytic account are sent
    with: kept on the connection, and edited in the setup wizard before Integrate."""

    _name = "xero.tracking.mapping.mixin"
    _description = "Xero Tracking Option of an Analytic Account"

    analytic_account_id = fields.Many2one(
        "account.analytic.account", "Analytic Account", required=True, ondelete="cascade"
    )
    option_id = fields.Many2one(
        "xero.tracking.option",
        "Xero Tracking Option",
        required=True,
        ondelete="cascade",
        domain="[('connection_id', '=', connection_id), ('status', '=', 'ACTIVE')]",
        help="A tracking category and one of its options, as Xero has them (Settings > Tracking).",
    )


class XeroTrackingMapping(models.Model):
    _name = "xero.tracking.mapping"
    _inherit = "xero.tracking.mapping.mixin"
    _description = "Xero Tracking Mapping"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)

    _sql_constraints = [
        (
            "analytic_uniq",
            "unique(connection_id, analytic_account_id)",
            "This analytic account is already mapped.",
        ),
    ]
