import functools
import hmac
import logging
import os
import time
from urllib.parse import urlencode, urlsplit

import psycopg2.errors

from odoo import _, api, fields, models, modules, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import hmac as signed

from ..xero import (
    DEFAULT_SCOPES,
    LEGACY_SCOPES,
    XeroAuthenticationError,
    XeroClient,
    XeroError,
    XeroNotFoundError,
    XeroOAuth,
    XeroTransientError,
)
from ..xero.client import REFRESH_MARGIN
from ..xero.crypto import SecretCipher, SecretCipherError
from ..xero.oauth import API_URL, IDENTITY_URL, LOGIN_URL, authorising_user, id_token_claims
from .account_move import MappingProblem, _decimal

APP_URL = "https://go.xero.com"
XERO_HOSTS = {
    "login_url": urlsplit(LOGIN_URL).hostname,
    "identity_url": urlsplit(IDENTITY_URL).hostname,
    "api_url": urlsplit(API_URL).hostname,
    "app_url": urlsplit(APP_URL).hostname,
}

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/xero/connect/callback"
INVOICE_STATUSES = [
    ("DRAFT", "Draft"),
    ("SUBMITTED", "Awaiting approval"),
    ("AUTHORISED", "Approved"),
]
# The connection's account reference of each side of a document.
REFERENCE_FIELDS = {"purchase": "purchase_account_id", "sale": "sales_account_id"}
UNTAXED_RATE_FIELDS = {"purchase": "untaxed_purchase_rate_id", "sale": "untaxed_sale_rate_id"}
# How long a Start Xero Session link is good for, once its button made it.
START_LINK_SECONDS = 10 * 60
KEY_HELP = (
    "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def server_setting(name):
    """A setting fixed for the whole server: `xero_<name>` in the Odoo configuration file, or
    `XERO_<NAME>` in the environment. Partners deploying many databases set them once there."""
    return tools.config.get(f"xero_{name}") or os.environ.get(f"XERO_{name.upper()}") or None


def checked_xero_url(name, url):
    """`url` for the setting `name` (login_url...), if it is Xero's own host for it; any address
    only when the server configuration says this is a sandbox (`xero_sandbox = True`)."""
    if str(server_setting("sandbox") or "").strip().lower() in ("1", "true", "yes"):
        return url
    parts = urlsplit(url or "")
    if parts.scheme != "https" or parts.hostname != XERO_HOSTS[name] or parts.port:
        raise ValidationError(
            _(
                "%(setting)s must be Xero's own https://%(host)s, not %(url)s. A test database "
                "pointed at a sandbox needs xero_sandbox = True in the server configuration.",
                setting=name,
                host=XERO_HOSTS[name],
                url=url,
            )
        )
    return url


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

    reauth_reason = fields.Char(
        "Why Xero Needs You Again", readonly=True, copy=False, help="What Xero answered."
    )

    # The Xero app. Values fixed in the server configuration win over these fields.
    client_id = fields.Char("Client ID", groups="account.group_account_manager")
    client_secret = fields.Char(
        compute="_compute_client_secret",
        inverse="_inverse_client_secret",
        groups="account.group_account_manager",
        help="Optional: PKCE is used either way. Stored encrypted and never shown again.",
    )
    has_client_secret = fields.Boolean(compute="_compute_client_secret")
    app_from_server = fields.Boolean(
        "App set by the server",
        compute="_compute_app_from_server",
        help="The client id, secret and Xero URLs come from the server configuration.",
    )
    server_settings = fields.Text(
        "From the Server",
        compute="_compute_server_settings",
        groups="account.group_account_manager",
        help="The settings of the server configuration in force here, over this form's own.",
    )
    scope_mode = fields.Selection(
        [
            ("granular", "Granular scopes (apps created on or after 2 March 2026)"),
            ("broad", "accounting.transactions (apps created before 2 March 2026)"),
        ],
        default="granular",
        required=True,
        groups="account.group_account_manager",
    )
    # Where Xero is: these addresses receive the app's secret and every token, so only system
    # administrators see and set them, and only Xero's own hosts are accepted unless the server
    # configuration allows a sandbox.
    login_url = fields.Char(
        "Login URL", default=LOGIN_URL, required=True, groups="base.group_system"
    )
    identity_url = fields.Char(
        "Identity URL", default=IDENTITY_URL, required=True, groups="base.group_system"
    )
    api_url = fields.Char("API URL", default=API_URL, required=True, groups="base.group_system")
    redirect_uri = fields.Char(
        "Redirect URI",
        compute="_compute_redirect_uri",
        help="Register this URI in your Xero app (developer.xero.com > My Apps).",
    )

    # The organisation
    tenant_id = fields.Char("Tenant ID", readonly=True, copy=False)
    xero_connection_id = fields.Char("Xero Connection ID", readonly=True, copy=False)
    organisation_name = fields.Char("Organisation", readonly=True, copy=False)
    short_code = fields.Char(readonly=True, copy=False, help="Used in links into Xero.")
    base_currency = fields.Char(readonly=True, copy=False)
    country_code = fields.Char("Country Code", readonly=True, copy=False)
    enabled_currencies = fields.Char(
        readonly=True, copy=False, help="Currencies the organisation accepts, base included."
    )
    # The organisation as a reader says it: the stored codes in words.
    country_id = fields.Many2one("res.country", "Country", compute="_compute_in_words")
    currency_names = fields.Char("Currencies", compute="_compute_in_words")
    status_message = fields.Char("What It Means", compute="_compute_status_message")
    connected_by = fields.Char(readonly=True, copy=False)
    connected_by_email = fields.Char(readonly=True, copy=False)
    connected_at = fields.Datetime(readonly=True, copy=False)
    scopes_granted = fields.Char(readonly=True, copy=False)

    # What is sent
    purchase_account_id = fields.Many2one(
        "xero.account",
        "Purchase Account Reference",
        domain="[('connection_id', '=', id), ('usage', '=', 'purchase')]",
    )
    sales_account_id = fields.Many2one(
        "xero.account",
        "Sales Account Reference",
        domain="[('connection_id', '=', id), ('usage', '=', 'sales')]",
    )
    rounding_account_id = fields.Many2one(
        "xero.account",
        "Rounding Account",
        domain="[('connection_id', '=', id), ('status', '=', 'ACTIVE'), "
        "('account_type', '!=', 'BANK')]",
        help="Where the cash rounding line of an Odoo document goes in Xero (Odoo's cash "
        "rounding strategy 'Add a rounding line').",
    )
    category_account_ids = fields.One2many(
        "xero.category.account", "connection_id", "Account per Product Category"
    )
    tax_mapping_ids = fields.One2many("xero.tax.mapping", "connection_id", "Tax Mapping")
    tracking_mapping_ids = fields.One2many(
        "xero.tracking.mapping", "connection_id", "Analytic Accounts as Tracking Categories"
    )
    invoice_status = fields.Selection(
        INVOICE_STATUSES,
        "Status in Xero",
        default="DRAFT",
        required=True,
        help="The status new documents get in Xero.",
    )
    untaxed_purchase_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Rate for Untaxed Purchase Lines",
        domain="[('connection_id', '=', id), ('for_purchases', '=', True)]",
        help="Bill lines without an Odoo tax. Without it, a bill with no tax at all goes with "
        "no tax (not on Xero's tax return), and one with taxes elsewhere cannot go.",
    )
    untaxed_sale_rate_id = fields.Many2one(
        "xero.tax.rate",
        "Rate for Untaxed Sales Lines",
        domain="[('connection_id', '=', id), ('for_sales', '=', True)]",
        help="Invoice lines without an Odoo tax. Without it, an invoice with no tax at all goes "
        "with no tax (not on Xero's tax return), and one with taxes elsewhere cannot go.",
    )
    daily_call_limit = fields.Integer(
        "Xero's Daily Call Limit",
        default=5000,
        required=True,
        help="Calls a day Xero allows this app in one organisation: 1,000 for apps on Xero's "
        "Starter tier (since March 2026). Sending pauses until the next day when it is reached.",
    )
    background_threshold = fields.Integer(
        "Send in the Background Above",
        default=50,
        required=True,
        help="Selections with more documents to send than this go through a background job: "
        "the dialog answers at once, and you are told when it ends.",
    )
    limit_status = fields.Char(
        compute="_compute_limit_status", help="Why sending waits for Xero, if it does."
    )
    send_attachments = fields.Boolean(
        "Attach Documents",
        default=True,
        help="Attach the invoice PDF (customer side) or the vendor's scanned bill (supplier "
        "side) to the document in Xero.",
    )
    app_url = fields.Char(
        "Xero App URL",
        default=APP_URL,
        required=True,
        groups="base.group_system",
        help="Where links into Xero point.",
    )
    partner_link_ids = fields.One2many("xero.partner.link", "connection_id", "Contacts in Xero")
    account_ids = fields.One2many("xero.account", "connection_id", "Xero Chart of Accounts")
    tax_rate_ids = fields.One2many("xero.tax.rate", "connection_id", "Xero Tax Rates")
    tracking_option_ids = fields.One2many(
        "xero.tracking.option", "connection_id", "Xero Tracking Options"
    )

    _sql_constraints = [
        ("company_uniq", "unique(company_id)", "A company has one Xero connection."),
    ]

    def write(self, vals):
        # What the queue put off while the connection needed its manager goes on as soon as it
        # is connected again (Integrate), not an hour later saying it is not connected.
        reconnected = (
            self.filtered(lambda connection: connection.state != "connected")
            if vals.get("state") == "connected"
            else self.browse()
        )
        result = super().write(vals)
        if reconnected:
            self.env["xero.move.export"]._resume(reconnected)
        return result

    @api.constrains(*XERO_HOSTS)
    def _check_urls(self):
        for connection in self.sudo():
            for name in XERO_HOSTS:
                checked_xero_url(name, connection[name])

    def _compute_limit_status(self):
        for connection in self:
            until, why = self.env["xero.rate.limit"]._waiting(connection.tenant_id or "")
            connection.limit_status = until and _(
                "%(why)s reached: sending resumes by itself at %(time)s.",
                why=why,
                time=tools.format_datetime(self.env, until, dt_format="short"),
            )

    def _compute_client_secret(self):
        stored = self._secret_records().filtered("client_secret").connection_id
        for connection in self:
            connection.client_secret = False
            connection.has_client_secret = bool(
                server_setting("client_secret") or connection in stored
            )

    def _inverse_client_secret(self):
        for connection in self.filtered("client_secret"):
            connection._write_secret(client=connection.client_secret)

    @api.depends("country_code", "base_currency", "enabled_currencies")
    def _compute_in_words(self):
        codes = {
            code
            for connection in self
            for code in [
                connection.base_currency,
                *(connection.enabled_currencies or "").split(","),
            ]
            if code
        }
        # Xero's currencies may be archived in Odoo: their names are still theirs.
        full_names = {
            currency.name: currency.full_name or currency.name
            for currency in self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(codes))])
        }
        for connection in self:
            connection.country_id = connection.country_code and self.env["res.country"].search(
                [("code", "=", connection.country_code)], limit=1
            )
            base = connection.base_currency
            names = [_("%(name)s (base)", name=full_names.get(base, base))] if base else []
            names += [
                full_names.get(code, code)
                for code in sorted((connection.enabled_currencies or "").split(","))
                if code and code != base
            ]
            connection.currency_names = ", ".join(names)

    @api.depends("state", "organisation_name")
    @api.depends_context("uid")
    def _compute_status_message(self):
        """One sentence of what the state means, for its reader: an accounting manager is told
        what to do, anyone else who can do it."""
        manager = self._reader_can_set_up()
        for connection in self:
            org = connection.organisation_name
            if connection.state == "connected":
                message = _("Invoices, bills and credit notes can be sent to %(org)s.", org=org)
            elif connection.state == "reauth":
                message = (
                    _(
                        "Xero asks for this connection to be authorised again: nothing can be "
                        "sent until you start a Xero session."
                    )
                    if manager
                    else _(
                        "Xero asks for this connection to be authorised again: nothing can be "
                        "sent until an accounting manager starts a Xero session."
                    )
                )
            elif connection.state == "disconnected":
                message = (
                    _(
                        "Disconnected from %(org)s: nothing is sent until you start a Xero "
                        "session again. What was sent stays in Xero and in Odoo.",
                        org=org,
                    )
                    if manager
                    else _(
                        "Disconnected from %(org)s: nothing can be sent until an accounting "
                        "manager connects it again. What was sent stays in Xero and in Odoo.",
                        org=org,
                    )
                )
            else:
                message = (
                    _(
                        "Not connected yet: start a Xero session to sign in at Xero and choose "
                        "the organisation documents are sent to."
                    )
                    if manager
                    else _("Not connected to Xero yet: an accounting manager can connect it.")
                )
            connection.status_message = message

    def _reader_can_set_up(self):
        """Whether the current user may change the Xero setup: messages tell an accounting
        manager how to fix a problem there, anyone else who can."""
        return self.env.user.has_group("account.group_account_manager")

    def _xero_setup_problem(self, problem, fix):
        """Why a document cannot go when the setup is what fixes it, told to its reader: how to
        (`fix`, a verb phrase) to an accounting manager, who can to anyone else."""
        if self._reader_can_set_up():
            return MappingProblem(
                _(
                    "%(problem)s: %(fix)s in Accounts and Taxes (Fix Mappings).",
                    problem=problem,
                    fix=fix,
                )
            )
        return MappingProblem(
            _(
                "%(problem)s: an accounting manager can %(fix)s in the Xero settings.",
                problem=problem,
                fix=fix,
            )
        )

    def _compute_app_from_server(self):
        self.app_from_server = bool(server_setting("client_id"))

    def _compute_server_settings(self):
        """What the server configuration sets, as in force: the app's client id and the Xero
        URLs as they are, a client secret only as being set."""
        lines = []
        if server_setting("client_id"):
            lines.append(_("Client ID: %(value)s", value=server_setting("client_id")))
        if server_setting("client_secret"):
            lines.append(_("Client secret: set"))
        for name in ("login_url", "identity_url", "api_url", "app_url"):
            if server_setting(name):
                label = self._fields[name].string
                lines.append(f"{label}: {server_setting(name)}")
        self.server_settings = "\n".join(lines) or False

    def _compute_redirect_uri(self):
        for connection in self:
            connection.redirect_uri = connection.get_base_url() + CALLBACK_PATH

    # ------------------------------------------------------------------ entry points

    @api.model
    def action_open_company_connection(self):
        """Invoicing > Configuration > Xero > Connection: the current company's connection."""
        connection = self._company_connection()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": connection.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _company_connection(self):
        """The current company's connection, made if needed (by those who may make one)."""
        connection = self._for_company(self.env.company)
        if not connection:
            self.check_access("create")
            connection = self.create({"company_id": self.env.company.id})
        return connection

    @api.model
    def _for_company(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    def action_start_session(self, send_wizard=None):
        """Off to Xero (the start route), then back to this connection's setup, or to the send
        dialog `send_wizard` that needed the session, with its selection. The link names that
        dialog, not its documents: a selection of thousands would make a URL no server takes."""
        self.ensure_one()
        self.check_access("write")
        if not self._app_client_id():
            raise UserError(
                _(
                    "Enter the Client ID of your Xero app first, on the Xero App tab of the Xero "
                    "connection (Invoicing > Configuration > Xero > Connection); the app is made "
                    "at developer.xero.com > My Apps, with %(uri)s as its redirect URI.",
                    uri=self.redirect_uri,
                )
            )
        self._cipher()  # fail here, before the user goes to Xero, when no key is configured
        query = {"connection_id": self.id}
        if send_wizard:
            query["send_wizard"] = send_wizard.id
        query["until"] = int(time.time()) + START_LINK_SECONDS
        query["signature"] = self._start_signature(query)
        return {
            "type": "ir.actions.act_url",
            "url": f"/xero/connect/start?{urlencode(query)}",
            "target": "self",
        }

    def _start_signature(self, query):
        """What signs a Start Xero Session link (`query`: its parameters) for this user: the
        start route takes no link Odoo did not make for them, so that a link or a page elsewhere
        cannot send them to Xero's consent."""
        message = "|".join(
            str(query.get(name) or "") for name in ("connection_id", "send_wizard", "until")
        )
        return signed(self.env(su=True), "account_xero_export.start", f"{message}|{self.env.uid}")

    def _check_start_link(self, query):
        """Raise UserError unless `query` is a Start Xero Session link made for this user, and
        not too old."""
        self.ensure_one()
        expected = self._start_signature(dict(query, connection_id=self.id))
        try:
            fresh = int(query.get("until") or 0) >= time.time()
        except ValueError:
            fresh = False
        if not (fresh and hmac.compare_digest(str(query.get("signature") or ""), expected)):
            raise UserError(
                _(
                    "This link to start a Xero session was not made for you by this Odoo, or is "
                    "older than ten minutes: use the Start Xero Session button."
                )
            )

    def action_open_setup(self):
        self.ensure_one()
        self.check_access("write")
        if not self.tenant_id:
            raise UserError(_("Start a Xero session first: no organisation is chosen yet."))
        back = self.env.context.get("xero_return") or {}
        wizard = self.env["xero.setup.wizard"].create(
            {
                "connection_id": self.id,
                "step": "accounts",
                "return_action": back.get("action"),
                "return_move_ids": ",".join(map(str, back.get("move_ids", []))),
            }
        )
        return wizard._action_open()

    def action_disconnect(self):
        """Forget the organisation's tokens, at Xero too when it can be reached, sparing what
        another connection of this database still uses. What was sent stays as it is, links
        included. Works when the tokens cannot be decrypted any more: then only locally."""
        self.ensure_one()
        self.check_access("write")
        warning = None
        try:
            token = self._read_token()
        except UserError as exc:
            # What no key decrypts is of no use to anyone: wiped with the rest.
            self._secret_records().write({"client_secret": False})
            token = None
            warning = _(
                "Disconnected in Odoo only: %(error)s Remove the connection in Xero too "
                "(Settings > Connected apps), and enter the app's client secret again if it "
                "had one.",
                error=exc.args[0],
            )
        if token:
            try:
                self._remove_at_xero(
                    self._client().access_token(),
                    token.get("refresh_token"),
                    [self.xero_connection_id] if self.xero_connection_id else [],
                )
            except XeroError as exc:
                _logger.warning("Xero could not be told of the disconnection: %s", exc)
                warning = _(
                    "Disconnected in Odoo, but Xero could not be reached (%(error)s): remove "
                    "the connection in Xero too (Settings > Connected apps).",
                    error=exc,
                )
        self._write_secret(token=None)
        self.write({"state": "disconnected", "reauth_reason": False})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if warning else "success",
                "sticky": bool(warning),
                "message": warning
                or _(
                    "Disconnected from %(org)s. What was sent stays in Xero and in Odoo.",
                    org=self.organisation_name,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _remove_at_xero(self, access_token, refresh_token, xero_connection_ids, user_email=None):
        """Delete these Xero connections and revoke `refresh_token` (given by the Xero user
        `user_email`, by default the one who connected this), sparing whatever another
        connection record of this database still uses: Xero keeps one connection per app, user
        and organisation, and revoking a token ends every connection that user gave the app."""
        self.ensure_one()
        user_email = user_email or self.connected_by_email
        others = self.sudo().search(
            [("id", "!=", self.id), ("state", "in", ("connected", "reauth"))]
        )
        oauth = self._oauth()
        for xero_connection_id in xero_connection_ids:
            if xero_connection_id in others.mapped("xero_connection_id"):
                _logger.info("Xero connection kept: another company of this database uses it")
                continue
            try:
                oauth.delete_connection(access_token, xero_connection_id)
            except XeroNotFoundError:
                _logger.info("Xero connection of %s was already removed", self.company_id)
        same_user = others.filtered(
            lambda other: (
                other.connected_by_email
                and other.connected_by_email == user_email
                and other._app_client_id() == self._app_client_id()
            )
        )
        if refresh_token and not same_user:
            oauth.revoke_token(refresh_token)

    def _mark_reauth(self, error):
        """Xero refused the tokens or the app's rights (401, 403): the connection needs its
        manager again. Committed at once, so that a rollback of the send cannot hide it.

        Only a connection still connected: a manager's Disconnect during a send is what made
        Xero refuse its next call, and must stay what the connection says."""
        self.ensure_one()
        reason = _("Xero refused the connection: %(error)s", error=error)
        # Pending writes first, as for a refresh: they must not be flushed over this later.
        self.env.flush_all()
        with self.env.registry.cursor() as cr:
            connection = self.with_env(self.env(cr=cr, su=True))
            # Read in this cursor, locked as the write would: the sending transaction's
            # snapshot may predate the Disconnect.
            cr.execute(
                "SELECT state FROM xero_connection WHERE id = %s FOR NO KEY UPDATE",
                [connection.id],
            )
            marked = cr.fetchone()[0] == "connected"
            if marked:
                connection.write({"state": "reauth", "reauth_reason": reason})
                # In the tests this cursor shares the test's transaction and its commit does
                # not flush it: flushed here, as a real commit would.
                connection.env.flush_all()
        self.invalidate_recordset(["state", "reauth_reason"], flush=False)
        if marked:
            _logger.warning("Xero refused the connection of %s: %s", self.company_id, error)

    # ------------------------------------------------------------------ sending

    def _xero_sending_setup(self):
        """This connection's setup as the data of documents for Xero reads it (see
        SendingSetup): make one for all the documents of a review."""
        self.ensure_one()
        return SendingSetup(self)

    def _xero_contact_link(self, partner):
        self.ensure_one()
        return self.partner_link_ids.filtered(lambda link: link.partner_id == partner)[:1]

    def _deep_link(self, xero_type, xero_id):
        """Where a document of `xero_type` (ACCPAY, ACCREC, ...) is in Xero's web app."""
        self.ensure_one()
        base = self._app_url("app_url").rstrip("/")
        if xero_type in ("ACCPAYCREDIT", "ACCRECCREDIT"):
            ledger = "AccountsPayable" if xero_type == "ACCPAYCREDIT" else "AccountsReceivable"
            return (
                f"{base}/organisationlogin/default.aspx?shortcode={self.short_code}"
                f"&redirecturl=/{ledger}/ViewCreditNote.aspx?creditNoteID={xero_id}"
            )
        return f"{base}/app/{self.short_code}/invoicing/view/{xero_id}"

    # ------------------------------------------------------------------ the Xero client

    def _app_client_id(self):
        return server_setting("client_id") or self.sudo().client_id

    def _app_url(self, name):
        return checked_xero_url(name, server_setting(name) or self.sudo()[name])

    def _oauth(self, secrets=None):
        """The Xero app of this connection; `secrets`: its decrypted secrets, when the caller has
        read them already."""
        self.ensure_one()
        if secrets is None:
            secrets = self._secrets().get(self.id, {})
        # The server's app is its own whole: with its secret, or none (an app with PKCE), never
        # the secret the database keeps for another app.
        secret = server_setting("client_secret") or (
            None if server_setting("client_id") else secrets.get("client")
        )
        scopes = LEGACY_SCOPES if self.sudo().scope_mode == "broad" else DEFAULT_SCOPES
        try:
            return XeroOAuth(
                self._app_client_id(),
                secret,
                scopes=scopes,
                login_url=self._app_url("login_url"),
                identity_url=self._app_url("identity_url"),
                api_url=self._app_url("api_url"),
                version=modules.get_manifest("account_xero_export")["version"],
            )
        except ValueError as exc:
            raise UserError(
                _(
                    "The Xero app settings of %(company)s are wrong: %(error)s",
                    company=self.company_id.name,
                    error=exc,
                )
            ) from exc

    def _client(self):
        """A client for this connection's organisation; refreshed tokens are stored at once."""
        self.ensure_one()
        # The client secret and the token in one read; the token is remembered as _read_token
        # does, unless this transaction already knows a fresher one.
        secrets = self._secrets().get(self.id, {})
        self._token_memo().setdefault(self.id, secrets.get("token"))
        return XeroClient(
            self._oauth(secrets),
            self._read_token,
            refresher=self._refresh_token,
            on_refused=self._mark_reauth,
            limiter=self.env["xero.rate.limit"]._limiter(self),
        )

    def _refresh_token(self, stale_token):
        """Refresh the access token `stale_token` (expiring, or refused by Xero with a 401), once
        across all workers.

        Runs in a cursor of its own, under a row lock on the connection's secret: a second worker
        waits, then finds another token stored than its stale one and uses it. The rotated
        refresh token is committed with that cursor at once, so a rollback of the caller's
        transaction can never lose it (the old one dies 30 minutes later).
        """
        self.ensure_one()
        # Pending writes first: in tests the refresh cursor shares this transaction, and must
        # neither miss them nor have them flushed over its own afterwards.
        self.env.flush_all()
        for _attempt in range(3):
            try:
                token = self._refresh_token_locked(stale_token)
                break
            except psycopg2.errors.SerializationFailure:
                # Another worker refreshed while this one waited for the lock, and this
                # transaction's snapshot is older than its commit: look again in a new one.
                continue
        else:
            raise XeroTransientError(_("The Xero token could not be refreshed: try again."))
        # The caller's snapshot predates the commit too: remember the new token for it.
        self._token_memo()[self.id] = token
        return token

    def _refresh_token_locked(self, stale_token):
        error = None
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, su=True)
            cr.execute(
                "SELECT id FROM xero_connection_secret WHERE connection_id = %s FOR UPDATE",
                [self.id],
                log_exceptions=False,
            )
            connection = env[self._name].browse(self.id)
            token = connection._read_token()
            if not token:
                raise XeroAuthenticationError(_("Not connected to Xero."))
            # Refreshed when what the caller has is still what is stored (Xero refused it with
            # a 401, ending it before its time) or about to expire; a different token stored
            # means another worker refreshed meanwhile: that one is used.
            if (
                token.get("access_token") == stale_token.get("access_token")
                or token.get("expires_at", 0) - time.time() <= REFRESH_MARGIN
            ):
                try:
                    token = connection._oauth().refresh_token(token["refresh_token"])
                    connection._write_secret(token=token)
                except XeroAuthenticationError as exc:
                    # Raised once the cursor is committed, so that the new state is kept.
                    error = exc
                    if exc.error == "invalid_grant":
                        connection.write(
                            {
                                "state": "reauth",
                                "reauth_reason": _(
                                    "Xero refused its refresh token: %(error)s", error=exc
                                ),
                            }
                        )
                        _logger.warning(
                            "Xero refused the refresh token of %s", connection.company_id
                        )
        # Likewise, let the caller see what the refresh cursor wrote.
        self.env["xero.connection.secret"].invalidate_model()
        self.invalidate_recordset(["state", "reauth_reason"])
        if error:
            raise error
        return token

    def _xero_call(self, method, *args, **kwargs):
        """Call a client method; Xero's errors become a UserError naming the organisation."""
        self.ensure_one()
        try:
            return getattr(self._client(), method)(*args, **kwargs)
        except XeroAuthenticationError as exc:
            raise UserError(
                _(
                    "Xero refused the connection of %(company)s (%(error)s): click Start Xero "
                    "Session to authorise it again.",
                    company=self.company_id.name,
                    error=exc,
                )
            ) from exc
        except XeroError as exc:
            raise UserError(_("Xero answered with an error: %(error)s", error=exc)) from exc

    # ------------------------------------------------------------------ authorisation

    def _authorization_request(self):
        """Where to send the user to authorise the app, with its PKCE verifier."""
        self.ensure_one()
        return self._oauth().authorization_url(self.redirect_uri)

    def _complete_authorization(self, code, code_verifier):
        """Exchange the callback's code, keep the token and who authorised, and return the
        setup wizard that chooses the organisation (when several) and the accounts."""
        self.ensure_one()
        oauth = self._oauth()
        token = oauth.exchange_code(code, code_verifier, self.redirect_uri)
        tenants = []
        try:
            tenants = oauth.get_connections(token["access_token"], _auth_event_id(token))
            if not tenants:
                raise UserError(
                    _("No Xero organisation was authorised: start again and choose one.")
                )
            return self._adopt_authorization(token, tenants)
        except Exception:
            # Nothing of it is kept here: neither is it left live at Xero.
            try:
                self._remove_at_xero(
                    token["access_token"],
                    token.get("refresh_token"),
                    [tenant["id"] for tenant in tenants],
                    user_email=_email_of(token),
                )
            except XeroError as exc:
                _logger.warning("Xero authorisation could not be revoked: %s", exc)
            raise

    def _adopt_authorization(self, token, tenants):
        user = authorising_user(token)
        self._write_secret(token=token)
        self.write(
            {
                "connected_by": user["name"],
                "connected_by_email": user["email"],
                "connected_at": fields.Datetime.now(),
                "scopes_granted": " ".join(_scopes(token)),
            }
        )
        wizard = self.env["xero.setup.wizard"].create(
            {
                "connection_id": self.id,
                "step": "organisation",
                "tenant_ids": [
                    (
                        0,
                        0,
                        {
                            "xero_connection_id": tenant["id"],
                            "tenant_id": tenant["tenantId"],
                            "name": tenant.get("tenantName") or tenant["tenantId"],
                        },
                    )
                    for tenant in tenants
                    if tenant.get("tenantType", "ORGANISATION") == "ORGANISATION"
                ],
            }
        )
        if len(wizard.tenant_ids) == 1:
            wizard.tenant_choice_id = wizard.tenant_ids
            wizard.action_choose_organisation()
        return wizard

    def _set_organisation(self, tenant_id, xero_connection_id):
        """Adopt this organisation: its details, currencies, chart of accounts, tax rates and
        tracking categories."""
        self.ensure_one()
        if self.tenant_id and self.tenant_id != tenant_id:
            self._forget_organisation()
        self.write({"tenant_id": tenant_id, "xero_connection_id": xero_connection_id})
        organisation = self._xero_call("get_organisation", tenant_id)
        self.write(
            {
                "organisation_name": organisation.get("Name"),
                "short_code": organisation.get("ShortCode"),
                "base_currency": organisation.get("BaseCurrency"),
                "country_code": organisation.get("CountryCode"),
            }
        )
        self._sync_chart()

    def _forget_organisation(self):
        """What belonged to the previous organisation means nothing in another one: its chart,
        tax rates, contacts and the choices made from them."""
        self.write(
            {
                "purchase_account_id": False,
                "sales_account_id": False,
                "rounding_account_id": False,
                "untaxed_purchase_rate_id": False,
                "untaxed_sale_rate_id": False,
            }
        )
        for records in (
            self.tax_mapping_ids,
            self.category_account_ids,
            self.tracking_mapping_ids,
            self.partner_link_ids,
            self.account_ids,
            self.tax_rate_ids,
            self.tracking_option_ids,
        ):
            records.unlink()

    def _sync_chart(self):
        """Load Xero's live chart of accounts, tax rates, tracking categories and currencies into
        the local copies: opening Accounts and Taxes is how a manager brings Odoo up to date
        after changing them in Xero."""
        self.ensure_one()
        accounts = self._xero_call("get_accounts", self.tenant_id)
        tax_rates = self._xero_call("get_tax_rates", self.tenant_id)
        tracking = self._xero_call("get_tracking_categories", self.tenant_id)
        currencies = self._xero_call("get_currencies", self.tenant_id)
        codes = [self.base_currency] + [currency["Code"] for currency in currencies]
        self.enabled_currencies = ",".join(sorted(set(filter(None, codes))))
        self.env["xero.account"]._sync(self, accounts)
        self.env["xero.tax.rate"]._sync(self, tax_rates)
        self.env["xero.tracking.option"]._sync(self, tracking)

    # ------------------------------------------------------------------ secrets

    def _cipher(self):
        keys = server_setting("encryption_key")
        if not keys:
            raise UserError(
                _(
                    "Xero tokens are encrypted with a key kept outside the database, and none is "
                    "set: add xero_encryption_key to the Odoo server configuration file, or "
                    "XERO_ENCRYPTION_KEY to Odoo's environment. Make a key with: %(command)s",
                    command=KEY_HELP,
                )
            )
        try:
            return SecretCipher(keys)
        except SecretCipherError as exc:
            raise UserError(
                _("The Xero encryption key is not usable: %(error)s", error=exc)
            ) from exc

    def _secret_records(self):
        # Read in the same query: the secrets are not prefetched (see xero.connection.secret).
        return (
            self.env["xero.connection.secret"]
            .sudo()
            .search_fetch(
                [("connection_id", "in", self.ids)], ["connection_id", "token", "client_secret"]
            )
        )

    def _secrets(self):
        """{connection id: {"token": dict or None, "client": str or None}}, decrypted."""
        records = self._secret_records()
        if not records:
            return {}
        cipher = self._cipher()
        try:
            return {
                record.connection_id.id: {
                    "token": record.token and cipher.decrypt(record.token),
                    "client": record.client_secret and cipher.decrypt(record.client_secret),
                }
                for record in records
            }
        except SecretCipherError as exc:
            raise UserError(_undecryptable(self.company_id)) from exc

    @api.model
    def _rotate_secrets(self):
        """Re-encrypt every stored Xero secret with the first key of xero_encryption_key, so
        that the older keys can be removed. Returns (secrets rotated, companies whose secrets no
        configured key decrypts)."""
        cipher = self._cipher()
        rotated, unreadable = 0, self.env["res.company"]
        for record in self.env["xero.connection.secret"].sudo().search([]):
            try:
                record.write(
                    {
                        name: record[name] and cipher.rotate(record[name])
                        for name in ("token", "client_secret")
                    }
                )
            except SecretCipherError:
                unreadable |= record.connection_id.company_id
                continue
            rotated += 1
        return rotated, unreadable

    def action_rotate_encryption_keys(self):
        """System administrators, after putting a new key first in xero_encryption_key."""
        if not self.env.is_system():
            raise AccessError(_("Only a system administrator can rotate the Xero encryption keys."))
        rotated, unreadable = self._rotate_secrets()
        message = _(
            "%(count)s Xero secrets are now encrypted with the first key: the others can be "
            "removed from xero_encryption_key.",
            count=rotated,
        )
        if unreadable:
            message = _(
                "%(count)s Xero secrets rotated. %(unreadable)s",
                count=rotated,
                unreadable=_undecryptable(unreadable),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "warning" if unreadable else "success", "message": message},
        }

    def _token_memo(self):
        """Tokens refreshed in other transactions during this one (see _refresh_token)."""
        return self.env.cr.cache.setdefault("xero_tokens", {})

    def _read_token(self):
        self.ensure_one()
        memo = self._token_memo()
        if self.id not in memo:
            memo[self.id] = self._secrets().get(self.id, {}).get("token")
        return memo[self.id]

    def _write_secret(self, **values):
        """Store `token` and/or `client` (the client secret), encrypted; None wipes.

        What is not replaced is re-encrypted with the current key, so that after a key rotation
        every secret moves to the new key at the next token refresh."""
        self.ensure_one()
        cipher = self._cipher()
        field_of = {"token": "token", "client": "client_secret"}
        vals = {field_of[key]: value and cipher.encrypt(value) for key, value in values.items()}
        record = self._secret_records()
        if record:
            for name in set(field_of.values()) - set(vals):
                vals[name] = record[name] and cipher.rotate(record[name])
            record.write(vals)
        else:
            record.create(dict(vals, connection_id=self.id))
        if "token" in values:
            self._token_memo()[self.id] = values["token"]


def _once(method):
    """A method of SendingSetup, worked out once for each value of its arguments."""

    @functools.wraps(method)
    def once(setup, *args):
        known = setup.known.setdefault(method.__name__, {})
        if args not in known:
            known[args] = method(setup, *args)
        return known[args]

    return once


class SendingSetup:
    """A connection's setup as the data of documents for Xero reads it: read once however many
    documents and lines use it (a review makes the data of hundreds of documents of several
    lines each), its mappings as dictionaries, and what follows from them for a tax, an account
    or a product category worked out once. For one review: the next one sees a changed setup."""

    def __init__(self, connection):
        self.connection = connection
        # _() finds the reader's language through `self.env` of its caller.
        self.env = connection.env
        self.known = {}  # {method name: {arguments: result}}, see _once
        # {(side, kind of taxes, product ids, tax ids): booking}: what product lines say of
        # their Xero account and tax rate, see AccountMove._xero_document_data
        self.bookings = {}
        self.currencies = set((connection.enabled_currencies or "").split(","))
        self.overrides = {
            side: {
                line.categ_id: line[field]
                for line in connection.category_account_ids
                if line[field]
            }
            for side, field in REFERENCE_FIELDS.items()
        }
        # Searched with their fields: read through the connection, each is two queries.
        self.mapped_rates = {
            m.tax_id: m.tax_rate_id
            for m in self.env["xero.tax.mapping"].search_fetch(
                [("connection_id", "=", connection.id)], ["tax_id", "tax_rate_id"]
            )
        }
        self.contact_ids = {}  # {partner id: ContactID or None}, see contact_id
        self.mapped_options = {
            m.analytic_account_id.id: m.option_id for m in connection.tracking_mapping_ids
        }

    @_once
    def account_for(self, category, side):
        """The Xero account for a line of `category` on the `side` ("purchase" or "sale"): the
        closest category (or parent) with an override, else the account reference."""
        overrides = self.overrides[side]
        while category:
            if category in overrides:
                return overrides[category]
            category = category.parent_id
        return self.connection[REFERENCE_FIELDS[side]]

    @_once
    def amount_types(self, tax_ids, side):
        """Xero's LineAmountTypes of a document of `side` whose product lines have the taxes
        `tax_ids` (a frozenset of ids), or None when they mix taxes included in and excluded
        from the price. A document without taxes goes NoTax (TaxType NONE in Xero: not on the
        tax return) only when no rate for untaxed lines is set: otherwise its lines go at that
        rate, as they do beside taxed lines. A tax of 0% gives the same amounts included or
        excluded (GST-free produce beside drinks priced with GST): it decides nothing."""
        if not tax_ids:
            return "Exclusive" if self.untaxed_rate(side) else "NoTax"
        taxes = self.env["account.tax"].browse(tax_ids)
        included = {tax.price_include for tax in taxes if tax.amount or tax.amount_type == "group"}
        if len(included) > 1:
            return None
        return "Inclusive" if included == {True} else "Exclusive"

    @_once
    def odd_taxes(self, tax_ids):
        """The names of the taxes `tax_ids` that are not one percentage of their line (groups,
        fixed amounts, percentages of the price with tax...): Xero's rates, one percentage
        each, may total a document of them otherwise than Odoo, and the reason names them."""
        taxes = self.env["account.tax"].browse(tax_ids)
        return tuple(taxes.filtered(lambda tax: tax.amount_type != "percent").mapped("name"))

    @_once
    def booking(self, account, rate):
        """What a line booked to `account` with the Xero tax `rate` (possibly none) says of them
        in the data of a document."""
        return {
            "account_code": account.code,
            "tax_type": rate.tax_type or None,
            "tax_rate": _decimal(rate.effective_rate) if rate else None,
        }

    def untaxed_rate(self, side):
        """The Xero rate of lines without tax on `side`, possibly none."""
        return self.connection[UNTAXED_RATE_FIELDS[side]]

    def contact_id(self, partner):
        """The ContactID of `partner` in Xero, if it is linked to one. Links are read for the
        partners read with this one (those of a chunk of the review's documents), not for the
        whole connection: an organisation may have thousands of contacts linked, and the
        queue's job reviews 50 documents at a time."""
        if partner.id not in self.contact_ids:
            partners = {partner.id, *partner._prefetch_ids} - self.contact_ids.keys()
            self.contact_ids.update(dict.fromkeys(partners))
            links = self.env["xero.partner.link"].search_fetch(
                [("connection_id", "=", self.connection.id), ("partner_id", "in", list(partners))],
                ["partner_id", "contact_id"],
            )
            self.contact_ids.update({link.partner_id.id: link.contact_id for link in links})
        return self.contact_ids[partner.id] or None

    @_once
    def unusable(self, account):
        """Why lines cannot go to `account` (see xero.account._xero_unusable), or None."""
        return account._xero_unusable()

    @_once
    def tax_rate(self, tax):
        """(problem, the Xero tax rate `tax` is mapped to)."""
        rate = self.mapped_rates.get(tax)
        if not rate:
            problem = _("Tax “%(tax)s” has no Xero tax rate", tax=tax.name)
            return self.connection._xero_setup_problem(problem, _("map it")), None
        if tax.amount_type == "percent" and float_compare(
            tax.amount, rate.effective_rate, precision_digits=4
        ):
            percent = f"{tax.amount:g}%"
            problem = _(
                "Tax “%(tax)s” (%(percent)s) is mapped to the Xero rate %(rate)s, which "
                "Xero would compute otherwise",
                tax=tax.name,
                percent=percent,
                rate=rate.display_name,
            )
            fix = _("map it to a rate of the same percentage")
            return self.connection._xero_setup_problem(problem, fix), None
        for part in tax.flatten_taxes_hierarchy().filtered("amount"):
            claimed = self.partly_claimed(part)
            if claimed is not None:
                # Out of _(): babel's extraction evaluates the strings in its parentheses.
                percent = f"{claimed:g}%"
                return _(
                    "Tax “%(tax)s” puts %(percent)s of its amount on tax accounts and the rest "
                    "on the accounts of its lines, where Xero's rate %(rate)s claims all of it. "
                    "Give all of it to tax accounts in the tax's distribution (Accounting > "
                    "Configuration > Taxes), or put what is not claimed on a line of its own "
                    "without this tax, then send it again.",
                    tax=part.name,
                    percent=percent,
                    rate=rate.display_name,
                ), None
        return None, rate

    def partly_claimed(self, tax):
        """The part of `tax` (in %) its distribution puts on tax accounts when that is not all of
        it (invoices', else refunds'), or None. Odoo books a distribution line without account to
        the account of the taxed line: a tax partly creditable, such as GST on a phone line half
        private, is claimed in part, where Xero claims all of a rate's tax. Its tax lines read in
        one query."""
        lines = self.env["account.tax.repartition.line"].search_fetch(
            [("tax_id", "=", tax.id), ("repartition_type", "=", "tax")],
            ["document_type", "account_id", "factor_percent"],
        )
        for document_type in ("invoice", "refund"):
            parts = lines.filtered(lambda line, t=document_type: line.document_type == t)
            claimed = sum(parts.filtered("account_id").mapped("factor_percent"))
            unclaimed = any(line.factor_percent for line in parts if not line.account_id)
            if unclaimed or float_compare(claimed, 100, precision_digits=4):
                return claimed
        return None

    def tracking_for(self, line):
        """(problem, tracking): the Xero tracking options of an invoice line, from the mapped
        analytic accounts of its distribution. Xero takes active options only, one per category,
        two categories at most."""
        if not self.mapped_options:
            return None, []  # nothing is tracked in Xero
        options = {}
        for key in line.analytic_distribution or {}:
            for account_id in map(int, str(key).split(",")):
                option = self.mapped_options.get(account_id)
                if not option:
                    continue
                if option.status != "ACTIVE":
                    problem = _(
                        "Line “%(line)s” is tracked as %(option)s, which is %(status)s in Xero",
                        line=line.name,
                        option=option.display_name,
                        status=option.status.lower(),
                    )
                    return self.connection._xero_setup_problem(
                        problem, _("choose another option")
                    ), []
                options.setdefault(option.category, set()).add(option.name)
        split = [category for category, chosen in options.items() if len(chosen) > 1]
        if split:
            return _(
                "Line “%(line)s” is split between several options of the Xero tracking category "
                "%(category)s: Xero takes one option per category and line.",
                line=line.name,
                category=split[0],
            ), []
        if len(options) > 2:
            return _(
                "Line “%(line)s” is tracked in %(count)s Xero tracking categories: Xero takes two "
                "at most.",
                line=line.name,
                count=len(options),
            ), []
        return None, [
            {"Name": category, "Option": chosen.pop()} for category, chosen in options.items()
        ]


def _undecryptable(companies):
    return _(
        "The Xero tokens of %(companies)s cannot be decrypted with the keys in "
        "xero_encryption_key (server configuration): the key that encrypted them was removed. "
        "Put it back after the new one and rotate the keys, or Disconnect and Start Xero Session "
        "again.",
        companies=", ".join(companies.mapped("name")),
    )


def _email_of(token):
    try:
        return authorising_user(token)["email"]
    except (KeyError, ValueError):
        return None


def _auth_event_id(token):
    """The consent this token came from, to list only the organisations chosen in it: Xero's
    access tokens are JWTs with an `authentication_event_id` claim."""
    try:
        return id_token_claims(token["access_token"]).get("authentication_event_id")
    except ValueError:
        return None


def _scopes(token):
    scope = token.get("scope") or []
    return scope.split() if isinstance(scope, str) else list(scope)
