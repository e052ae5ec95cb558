from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    """The Xero block of Invoicing's Settings: the connection's state, starting a session, and
    the way to the connection itself."""

    _inherit = "res.config.settings"

    xero_state = fields.Selection(
        lambda self: self.env["xero.connection"]._fields["state"].selection,
        "Xero",
        compute="_compute_xero",
    )
    xero_status_message = fields.Char(compute="_compute_xero")

    @api.depends("company_id")
    def _compute_xero(self):
        Connection = self.env["xero.connection"]
        for settings in self:
            # A company never connected has no connection yet: it reads as one not connected.
            connection = Connection._for_company(settings.company_id) or Connection.new(
                {"company_id": settings.company_id.id}
            )
            settings.xero_state = connection.state
            settings.xero_status_message = connection.status_message

    def action_xero_start_session(self):
        return self.env["xero.connection"]._company_connection().action_start_session()

    def action_xero_open_connection(self):
        return self.env["xero.connection"].action_open_company_connection()
