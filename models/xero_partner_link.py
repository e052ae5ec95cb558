from odoo import api, fields, models


class XeroPartnerLink(models.Model):
    """The Xero contact an Odoo partner is, in one organisation. The export makes these; only
    an accounting manager re-links one, and the chatter keeps who did and what it was."""

    _name = "xero.partner.link"
    _inherit = ["mail.thread"]
    _description = "Xero Contact of a Partner"
    _rec_name = "partner_id"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    contact_id = fields.Char("Xero ContactID", required=True, tracking=True)

    _sql_constraints = [
        ("partner_uniq", "unique(connection_id, partner_id)", "This partner is already linked."),
    ]

    @api.model
    def _link_all(self, connection, contacts):
        """Link partners to Xero contacts ({partner id: ContactID}); a link another worker made
        meanwhile is kept (it found the same contact)."""
        if not contacts:
            return
        self.env.cr.execute(
            """
            INSERT INTO xero_partner_link
                (connection_id, company_id, partner_id, contact_id, create_uid, create_date,
                 write_uid, write_date)
            SELECT %(connection)s, %(company)s, partner_id, contact_id, %(uid)s,
                   now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM unnest(%(partners)s::int[], %(contacts)s::varchar[]) AS t(partner_id, contact_id)
            ON CONFLICT (connection_id, partner_id) DO NOTHING
            """,
            {
                "connection": connection.id,
                "company": connection.company_id.id,
                "uid": self.env.uid,
                "partners": list(contacts),
                "contacts": list(contacts.values()),
            },
        )
        self.invalidate_model()
