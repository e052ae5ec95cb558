from odoo import _, api, fields, models

# Xero account types whose accounts take purchases, and those that take sales.
PURCHASE_TYPES = {"DIRECTCOSTS", "EXPENSE", "OVERHEADS", "INVENTORY", "FIXED"}
SALES_TYPES = {"REVENUE", "SALES", "OTHERINCOME"}


class XeroAccount(models.Model):
    """An account of the organisation's chart, as Xero last described it."""

    _name = "xero.account"
    _description = "Xero Account"
    _order = "code, name"
    _rec_names_search = ["code", "name"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    xero_id = fields.Char("Xero AccountID", required=True)
    code = fields.Char(required=True)
    name = fields.Char(required=True)
    account_type = fields.Char("Type")
    account_class = fields.Char("Class")
    system_account = fields.Char(help="Xero's system role of the account (ROUNDING, GST, ...).")
    status = fields.Selection(
        [("ACTIVE", "Active"), ("ARCHIVED", "Archived"), ("DELETED", "Deleted in Xero")],
        required=True,
        default="ACTIVE",
    )
    usage = fields.Selection(
        [("purchase", "Purchases"), ("sales", "Sales"), ("other", "Other")],
        compute="_compute_usage",
        store=True,
    )

    _sql_constraints = [
        ("xero_id_uniq", "unique(connection_id, xero_id)", "This Xero account is already known."),
    ]

    @api.depends("account_type", "status")
    def _compute_usage(self):
        for account in self:
            if account.status != "ACTIVE":
                account.usage = "other"
            elif account.account_type in PURCHASE_TYPES:
                account.usage = "purchase"
            elif account.account_type in SALES_TYPES:
                account.usage = "sales"
            else:
                account.usage = "other"

    @api.depends("code", "name")
    def _compute_display_name(self):
        for account in self:
            account.display_name = f"{account.code} {account.name}"

    def _xero_unusable(self):
        """Why lines cannot go to this account any more, or None."""
        self.ensure_one()
        if self.status == "ACTIVE":
            return None
        return self.connection_id._xero_setup_problem(
            _(
                "Xero account %(account)s is %(status)s",
                account=self.display_name,
                status=self.status.lower(),
            ),
            _("choose another"),
        )

    @api.model
    def _sync(self, connection, accounts):
        """Bring the local copy of `connection`'s chart in line with Xero's `accounts`.

        Accounts without a code (bank accounts may have none) cannot be used on a line and are
        left out; accounts gone from Xero are kept, as deleted, for the mappings that name them.
        """
        known = {a.xero_id: a for a in self.search([("connection_id", "=", connection.id)])}
        seen = set()
        for account in accounts:
            if not account.get("Code"):
                continue
            values = {
                "code": account["Code"],
                "name": account.get("Name") or account["Code"],
                "account_type": account.get("Type"),
                "account_class": account.get("Class"),
                "system_account": account.get("SystemAccount") or False,
                "status": "ARCHIVED" if account.get("Status") == "ARCHIVED" else "ACTIVE",
            }
            seen.add(account["AccountID"])
            if account["AccountID"] in known:
                known[account["AccountID"]].write(values)
            else:
                self.create(dict(values, connection_id=connection.id, xero_id=account["AccountID"]))
        gone = [record for xero_id, record in known.items() if xero_id not in seen]
        self.union(*gone).write({"status": "DELETED"})
