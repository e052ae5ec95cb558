from odoo import api, fields, models


class XeroTaxRate(models.Model):
    """A tax rate of the organisation, as Xero last described it."""

    _name = "xero.tax.rate"
    _description = "Xero Tax Rate"
    _order = "name"
    _rec_names_search = ["name", "tax_type"]

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    tax_type = fields.Char("TaxType", required=True)
    name = fields.Char(required=True)
    effective_rate = fields.Float(digits=(16, 4))
    active_in_xero = fields.Boolean(default=True)
    for_purchases = fields.Boolean(help="Xero allows it on expense accounts.")
    for_sales = fields.Boolean(help="Xero allows it on revenue accounts.")

    _sql_constraints = [
        (
            "tax_type_uniq",
            "unique(connection_id, tax_type)",
            "This Xero tax rate is already known.",
        ),
    ]

    @api.depends("name", "tax_type", "effective_rate")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = f"{rate.name} ({rate.tax_type}, {rate.effective_rate:g}%)"

    @api.model
    def _sync(self, connection, tax_rates):
        known = {r.tax_type: r for r in self.search([("connection_id", "=", connection.id)])}
        for rate in tax_rates:
            values = {
                "name": rate.get("Name") or rate["TaxType"],
                "effective_rate": float(rate.get("EffectiveRate") or 0.0),
                "active_in_xero": rate.get("Status", "ACTIVE") == "ACTIVE",
                "for_purchases": bool(rate.get("CanApplyToExpenses")),
                "for_sales": bool(rate.get("CanApplyToRevenue")),
            }
            if rate["TaxType"] in known:
                known.pop(rate["TaxType"]).write(values)
            else:
                self.create(dict(values, connection_id=connection.id, tax_type=rate["TaxType"]))
        self.union(*known.values()).write({"active_in_xero": False})

    def _best_for(self, tax):
        """The active rate of `self` that matches the Odoo `tax` by side and rate, if any."""
        side = "for_sales" if tax.type_tax_use == "sale" else "for_purchases"
        for rate in self.filtered(lambda r: r.active_in_xero and r[side]):
            if tax.amount_type == "percent" and abs(rate.effective_rate - tax.amount) < 0.0001:
                return rate
        return self.browse()

    def _zero_rate(self, side):
        """The first active 0% rate of `self` usable on `side` ("for_purchases"/"for_sales"),
        proposed for lines that carry no Odoo tax."""
        return self.filtered(lambda r: r.active_in_xero and r[side] and not r.effective_rate)[:1]
