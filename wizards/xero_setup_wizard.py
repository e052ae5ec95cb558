from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.xero_connection import INVOICE_STATUSES
from ..xero import XeroError

CATEGORY_FIELDS = ("categ_id", "purchase_account_id", "sales_account_id")
TRACKING_FIELDS = ("analytic_account_id", "option_id")


def _copy_commands(lines, names):
    """Commands that replace the lines of a wizard or connection with copies of `lines`, whose
    fields `names` are all many2one."""
    return [(5, 0, 0)] + [(0, 0, {name: line[name].id for name in names}) for line in lines]


class XeroSetupWizard(models.TransientModel):
    """The Xero setup, one dialog whose steps follow each other: the organisation (when several
    were authorised) -> accounts, taxes and tracking options from Xero's live chart -> review ->
    Integrate, the only step that writes the choices to the connection.
    """

    _name = "xero.setup.wizard"
    _description = "Xero Setup"

    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="connection_id.company_id")
    step = fields.Selection(
        [
            ("organisation", "Organisation"),
            ("accounts", "Accounts and taxes"),
            ("review", "Review"),
        ],
        required=True,
        default="accounts",
    )
    tenant_ids = fields.One2many("xero.setup.wizard.tenant", "wizard_id")
    tenant_choice_id = fields.Many2one(
        "xero.setup.wizard.tenant", "Organisation to connect", domain="[('wizard_id', '=', id)]"
    )
    organisation_name = fields.Char(related="connection_id.organisation_name")
    currency_names = fields.Char(related="connection_id.currency_names")
    purchase_account_id = fields.Many2one(
        "xero.account",
        "Purchase Account Reference",
        domain="[('connection_id', '=', connection_id), ('usage', '=', 'purchase')]",
    )
    sales_account_id = fields.Many2one(
        "xero.account",
        "Sales Account Reference",
        domain="[('connection_id', '=', connection_id), ('usage', '=', 'sales')]",
    )
    rounding_account_id = fields.Many2one(
        "xero.account",
        "Rounding Account",
        domain="[('connection_id', '=', connection_id), ('status', '=', 'ACTIVE'), "
        "('account_type', '!=', 'BANK')]",
        help="Where the cash rounding line of an Odoo document goes in Xero.",
    )
    category_line_ids = fields.One2many("xero.setup.wizard.category", "wizard_id")
    tax_line_ids = fields.One2many("xero.setup.wizard.tax", "wizard_id")
    tracking_line_ids = fields.One2many("xero.setup.wizard.tracking", "wizard_id")
    invoice_status = fields.Selection(
        INVOICE_STATUSES, "Status in Xero", required=True, default="DRAFT"
    )
    unmapped_tax_count = fields.Integer(compute="_compute_unmapped_tax_count")
    untaxed_purchase_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Rate for Untaxed Purchase Lines",
        domain="[('connection_id', '=', connection_id), ('for_purchases', '=', True), "
        "('active_in_xero', '=', True)]",
    )
    untaxed_sale_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Rate for Untaxed Sales Lines",
        domain="[('connection_id', '=', connection_id), ('for_sales', '=', True), "
        "('active_in_xero', '=', True)]",
    )
    # A send waiting for this setup: where Integrate leads back to.
    return_action = fields.Char()
    return_move_ids = fields.Char()
    # The page the Xero session was started from, which this setup opens over after Xero.
    return_url = fields.Char()

    @api.depends("tax_line_ids.tax_rate_id")
    def _compute_unmapped_tax_count(self):
        for wizard in self:
            wizard.unmapped_tax_count = len(
                wizard.tax_line_ids.filtered(lambda line: not line.tax_rate_id)
            )

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards.filtered(lambda w: w.step == "accounts"):
            wizard._load_accounts_step()
        return wizards

    def _action_open(self):
        """This setup's dialog at its step, titled after it: each step replaces the last in the
        same dialog, as Odoo's own wizards do."""
        titles = {
            "organisation": _("Choose the Xero Organisation"),
            "accounts": _("Accounts, Taxes and Tracking for Xero"),
            "review": _("Review and Integrate"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": titles[self.step],
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"dialog_size": "extra-large"},
        }

    def action_open(self):
        """The web client's way back into this setup after Xero's sign-in (the page the user
        started from opens it again)."""
        self.ensure_one()
        return self._action_open()

    def action_choose_organisation(self):
        self.ensure_one()
        if not self.tenant_choice_id:
            raise UserError(_("Choose the Xero organisation to send documents to."))
        connection = self.connection_id
        # Organisations authorised but not chosen are disconnected again at Xero, so the app is
        # connected to nothing it does not use (unless another company here uses them).
        others = self.tenant_ids - self.tenant_choice_id
        if others:
            try:
                connection._remove_at_xero(
                    connection._client().access_token(), None, others.mapped("xero_connection_id")
                )
            except XeroError as exc:
                raise UserError(
                    _(
                        "Xero could not disconnect the organisations not chosen (%(names)s): "
                        "%(error)s",
                        names=", ".join(others.mapped("name")),
                        error=exc,
                    )
                ) from exc
        connection._set_organisation(
            self.tenant_choice_id.tenant_id, self.tenant_choice_id.xero_connection_id
        )
        self.step = "accounts"
        self._load_accounts_step()
        return self._action_open()

    def _load_accounts_step(self):
        """Fill the step from the connection and Xero's live chart (accounts, tax rates, tracking
        options), proposing a Xero tax rate for every tax not mapped yet by matching rates."""
        self.ensure_one()
        connection = self.connection_id
        connection._sync_chart()
        mapped = {m.tax_id: m.tax_rate_id for m in connection.tax_mapping_ids}
        taxes = self.env["account.tax"].search(
            [
                ("company_id", "in", connection.company_id._accessible_branches().ids),
                ("type_tax_use", "in", ("sale", "purchase")),
            ]
        )
        self.write(
            {
                "purchase_account_id": connection.purchase_account_id.filtered(
                    lambda a: a.usage == "purchase"
                ).id,
                "sales_account_id": connection.sales_account_id.filtered(
                    lambda a: a.usage == "sales"
                ).id,
                "rounding_account_id": (
                    connection.rounding_account_id.filtered(lambda a: a.status == "ACTIVE")
                    or connection.account_ids.filtered(
                        lambda a: a.system_account == "ROUNDING" and a.status == "ACTIVE"
                    )[:1]
                ).id,
                "invoice_status": connection.invoice_status,
                "untaxed_purchase_rate_id": (
                    connection.untaxed_purchase_rate_id
                    or connection.tax_rate_ids._zero_rate("for_purchases")
                ).id,
                "untaxed_sale_rate_id": (
                    connection.untaxed_sale_rate_id
                    or connection.tax_rate_ids._zero_rate("for_sales")
                ).id,
                "category_line_ids": _copy_commands(
                    connection.category_account_ids, CATEGORY_FIELDS
                ),
                "tracking_line_ids": _copy_commands(
                    connection.tracking_mapping_ids, TRACKING_FIELDS
                ),
                "tax_line_ids": [(5, 0, 0)]
                + [
                    (
                        0,
                        0,
                        {
                            "tax_id": tax.id,
                            "tax_rate_id": (
                                mapped.get(tax) or connection.tax_rate_ids._best_for(tax)
                            ).id,
                        },
                    )
                    for tax in taxes
                ],
            }
        )

    def action_review(self):
        self.ensure_one()
        missing = []
        if not self.purchase_account_id:
            missing.append(_("the Purchase Account Reference"))
        if not self.sales_account_id:
            missing.append(_("the Sales Account Reference"))
        if missing:
            raise UserError(_("Choose %(missing)s.", missing=_(" and ").join(missing)))
        self.step = "review"
        return self._action_open()

    def action_back(self):
        self.ensure_one()
        self.step = "accounts"
        return self._action_open()

    def action_integrate(self):
        """Save the choices on the connection: it is now ready to send."""
        self.ensure_one()
        self.action_review()
        connection = self.connection_id
        reconnected = connection.state != "connected"
        connection.write(
            {
                "purchase_account_id": self.purchase_account_id.id,
                "sales_account_id": self.sales_account_id.id,
                "rounding_account_id": self.rounding_account_id.id,
                "invoice_status": self.invoice_status,
                "untaxed_purchase_rate_id": self.untaxed_purchase_rate_id.id,
                "untaxed_sale_rate_id": self.untaxed_sale_rate_id.id,
                "category_account_ids": _copy_commands(self.category_line_ids, CATEGORY_FIELDS),
                "tracking_mapping_ids": _copy_commands(self.tracking_line_ids, TRACKING_FIELDS),
                "tax_mapping_ids": [(5, 0, 0)]
                + [
                    (0, 0, {"tax_id": line.tax_id.id, "tax_rate_id": line.tax_rate_id.id})
                    for line in self.tax_line_ids
                    if line.tax_rate_id
                ],
                "state": "connected",
                "reauth_reason": False,
            }
        )
        if self.return_action:
            moves = self.env["account.move"].browse(
                int(move_id) for move_id in self.return_move_ids.split(",") if move_id
            )
            # The send that waited for the setup: its review, in place of this dialog.
            after = self.env["xero.send.wizard"]._action_start(moves.exists(), self.return_action)
        else:
            # The page the setup was opened on, showing the connection as it now is.
            after = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "Connected to %(org)s: invoices, bills and credit notes can be sent to Xero.",
                    org=connection.organisation_name,
                )
                if reconnected
                else _(
                    "Saved: documents go to %(org)s with these accounts and taxes.",
                    org=connection.organisation_name,
                ),
                "next": after,
            },
        }


class XeroSetupWizardTenant(models.TransientModel):
    _name = "xero.setup.wizard.tenant"
    _description = "Xero Setup: Authorised Organisation"

    wizard_id = fields.Many2one("xero.setup.wizard", required=True, ondelete="cascade")
    name = fields.Char(required=True)
    tenant_id = fields.Char(required=True)
    xero_connection_id = fields.Char(required=True)


class XeroSetupWizardCategory(models.TransientModel):
    _name = "xero.setup.wizard.category"
    _inherit = "xero.category.account.mixin"
    _description = "Xero Setup: Account per Product Category"

    wizard_id = fields.Many2one("xero.setup.wizard", required=True, ondelete="cascade")
    connection_id = fields.Many2one(related="wizard_id.connection_id")


class XeroSetupWizardTax(models.TransientModel):
    _name = "xero.setup.wizard.tax"
    _description = "Xero Setup: Tax Mapping"

    wizard_id = fields.Many2one("xero.setup.wizard", required=True, ondelete="cascade")
    connection_id = fields.Many2one(related="wizard_id.connection_id")
    tax_id = fields.Many2one("account.tax", "Odoo Tax", required=True, readonly=True)
    type_tax_use = fields.Selection(related="tax_id.type_tax_use")
    tax_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Xero Tax Rate",
        domain="[('connection_id', '=', connection_id), ('active_in_xero', '=', True)]",
    )


class XeroSetupWizardTracking(models.TransientModel):
    _name = "xero.setup.wizard.tracking"
    _inherit = "xero.tracking.mapping.mixin"
    _description = "Xero Setup: Analytic Account as Tracking Option"

    wizard_id = fields.Many2one("xero.setup.wizard", required=True, ondelete="cascade")
    connection_id = fields.Many2one(related="wizard_id.connection_id")
