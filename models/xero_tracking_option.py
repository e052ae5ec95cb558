from odoo import api, fields, models

STATUSES = [("ACTIVE", "Active"), ("ARCHIVED", "Archived"), ("DELETED", "Deleted in Xero")]


class XeroTrackingOption(models.Model):
    """An option of one of the organisation's tracking categories, as Xero last described it:
    what an analytic account can be sent as (one option names its category too)."""

    _name = "xero.tracking.option"
    _description = "Xero Tracking Option"
    _order = "category, name"
    _rec_names_search = ["category", "name"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    category_xero_id = fields.Char("Xero TrackingCategoryID")
    category = fields.Char("Tracking Category", required=True)
    xero_id = fields.Char("Xero TrackingOptionID")
    name = fields.Char("Option", required=True)
    status = fields.Selection(
        STATUSES,
        required=True,
        default="ACTIVE",
        help="Archived when the option or its category is archived in Xero: Xero takes neither "
        "on new documents.",
    )

    _sql_constraints = [
        (
            "xero_id_uniq",
            "unique(connection_id, xero_id)",
            "This Xero tracking option is already known.",
        ),
    ]

    @api.depends("category", "name")
    def _compute_display_name(self):
        for option in self:
            option.display_name = f"{option.category} / {option.name}"

    @api.model
    def _sync(self, connection, categories):
        """Bring the local copy of `connection`'s tracking options in line with Xero's
        `categories` (GET /TrackingCategories, archived ones included).

        An option is known by its Xero id; one without (typed before options were read from Xero,
        see the 18.0.1.2.0 migration) is recognised by its category's and its own name, and takes
        the id. Options gone from Xero are kept, as deleted, for the mappings that name them.
        """
        known = self.search([("connection_id", "=", connection.id)])
        by_id = {option.xero_id: option for option in known if option.xero_id}
        by_names = {
            (option.category.casefold(), option.name.casefold()): option
            for option in known
            if not option.xero_id
        }
        seen = self.browse()
        for category in categories:
            for option in category.get("Options") or ():
                statuses = {category.get("Status", "ACTIVE"), option.get("Status", "ACTIVE")}
                values = {
                    "category_xero_id": category["TrackingCategoryID"],
                    "category": category["Name"],
                    "xero_id": option["TrackingOptionID"],
                    "name": option["Name"],
                    "status": next((s for s in ("DELETED", "ARCHIVED") if s in statuses), "ACTIVE"),
                }
                record = by_id.get(option["TrackingOptionID"]) or by_names.pop(
                    (category["Name"].casefold(), option["Name"].casefold()), None
                )
                if record:
                    record.write(values)
                else:
                    record = self.create(dict(values, connection_id=connection.id))
                seen |= record
        (known - seen).write({"status": "DELETED"})
