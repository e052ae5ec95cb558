from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.account_move import MappingProblem, Unchanged
from ..models.xero_connection import INVOICE_STATUSES
from ..models.xero_export_batch import insert_lines
from ..models.xero_move_export import KEEP_STATUS

VERDICTS = [
    ("create", "To create"),
    ("update", "To update"),
    ("follow", "To complete"),
    ("skip", "Skipped"),
    ("blocked", "Blocked"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("queued", "Waiting"),
]
# The review's verdicts of the documents a send makes go.
GOING_VERDICTS = ("create", "update", "follow")


class XeroSendWizard(models.TransientModel):
    """Send to Xero as Invoice / as Credit Note: connect if needed, review, send, results."""

    _name = "xero.send.wizard"
    _description = "Send to Xero"

    action = fields.Selection(
        [
            ("invoice", "Send to Xero as Invoice"),
            ("credit_note", "Send to Xero as Credit Note"),
            ("retry", "Retry Failed Xero Sends"),
        ],
        required=True,
    )
    move_ids = fields.Many2many("account.move", string="Documents")
    # Whose connection sends them: see _action_start.
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    connection_id = fields.Many2one("xero.connection")
    step = fields.Selection(
        [
            ("connect", "Connect"),
            ("review", "Review"),
            ("result", "Result"),
            ("queued", "Queued"),
        ],
        required=True,
        default="review",
    )
    line_ids = fields.One2many("xero.send.wizard.line", "wizard_id")
    update_status = fields.Selection(
        [(KEEP_STATUS, "As in Xero"), *INVOICE_STATUSES],
        "Status of Updated Documents",
        required=True,
        default=KEEP_STATUS,
        help="Documents already in Xero keep the status they have there, unless you choose one. "
        "Xero does not take an approved document back to Draft or Awaiting approval.",
    )
    # Read as the user (not as the superuser, as related fields are by default): a dialog made
    # by hand for another company's connection or documents shows nothing of them.
    organisation_name = fields.Char(related="connection_id.organisation_name", compute_sudo=False)
    status_message = fields.Char(compute="_compute_status_message")
    needs_reauth = fields.Boolean(compute="_compute_counts")
    can_connect = fields.Boolean(compute="_compute_counts")
    can_fix = fields.Boolean(compute="_compute_counts")
    send_label = fields.Char(compute="_compute_counts")
    create_count = fields.Integer(compute="_compute_counts")
    update_count = fields.Integer(compute="_compute_counts")
    # In Xero, unchanged, with their file or allocation still to do.
    follow_count = fields.Integer(compute="_compute_counts")
    skip_count = fields.Integer(compute="_compute_counts")
    blocked_count = fields.Integer(compute="_compute_counts")
    sent_count = fields.Integer(compute="_compute_counts")
    failed_count = fields.Integer(compute="_compute_counts")
    queued_count = fields.Integer(compute="_compute_counts")
    queued_total = fields.Integer(help="Documents handed to the background job.")

    @api.depends("line_ids.verdict", "line_ids.fixable", "connection_id.state")
    def _compute_counts(self):
        is_manager = self.env.user.has_group("account.group_account_manager")
        for wizard in self:
            verdicts = wizard.line_ids.mapped("verdict")
            wizard.create_count = verdicts.count("create")
            wizard.update_count = verdicts.count("update")
            wizard.follow_count = verdicts.count("follow")
            wizard.skip_count = verdicts.count("skip") + verdicts.count("skipped")
            wizard.blocked_count = verdicts.count("blocked")
            wizard.sent_count = verdicts.count("created") + verdicts.count("updated")
            wizard.failed_count = verdicts.count("failed")
            wizard.queued_count = verdicts.count("queued")
            wizard.needs_reauth = wizard.connection_id.state == "reauth"
            wizard.can_connect = is_manager
            # Fix Mappings only where the setup is what fixes a blocked document.
            wizard.can_fix = is_manager and any(
                line.verdict == "blocked" and line.fixable for line in wizard.line_ids
            )
            wizard.send_label = _("Send %(count)s to Xero", count=len(wizard._going()))

    def _going(self):
        """The lines of the documents that go, as reviewed."""
        return self.line_ids.filtered(lambda line: line.verdict in GOING_VERDICTS)

    @api.depends("connection_id.status_message")
    def _compute_status_message(self):
        for wizard in self:
            # A company never connected has no connection yet: it reads as one not connected.
            connection = wizard.connection_id or self.env["xero.connection"].new({})
            wizard.status_message = connection.status_message

    @api.model
    def _action_start(self, moves, action):
        # The documents' company, when they are all of one: a user of several companies may
        # open another company's bill than the current one. A mixed selection goes to the
        # current company's organisation, the others skipped, saying why.
        company = moves.company_id if len(moves.company_id) == 1 else self.env.company
        connection = self.env["xero.connection"]._for_company(company)
        wizard = self.create(
            {
                "action": action,
                "move_ids": [(6, 0, moves.ids)],
                "company_id": company.id,
                "connection_id": connection.id,
            }
        )
        wizard._review()
        return wizard._action_open()

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "name": dict(self._fields["action"].selection)[self.action],
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            # Complete without the server's cleaning: it may be the `next` of a notification.
            "views": [(False, "form")],
            "target": "new",
            # Room for the names and the reasons side by side.
            "context": {"dialog_size": "extra-large"},
        }

    def _review(self):
        self.ensure_one()
        connection = self.connection_id
        if connection.state != "connected":
            self.step = "connect"
            return
        review = self.move_ids._xero_review(connection, self.action, with_data=False)
        # Those marked changed since sent that Xero has as they are (an edit undone) are sent,
        # as this review found: off the list of documents to send again.
        unchanged = [
            move.id for move, (_v, why, _d, _b) in review.items() if isinstance(why, Unchanged)
        ]
        if unchanged:
            self.env["xero.move.export"].sudo().search(
                [
                    ("move_id", "in", unchanged),
                    ("tenant_id", "=", connection.tenant_id),
                    ("changed", "=", True),
                ]
            ).changed = False
        self._show(
            "review",
            [
                {
                    "move_id": move.id,
                    "verdict": verdict,
                    "message": reason,
                    "fixable": isinstance(reason, MappingProblem),
                }
                for move, (verdict, reason, _data, _built) in review.items()
            ],
        )

    def _check_update_status(self):
        """How far documents go in Xero is the manager's to say (the connection's status for new
        documents): another user gives updated documents no status past it, as approving them
        in Xero through an update would go around an approval the manager keeps there."""
        statuses = [status for status, _label in INVOICE_STATUSES]
        if (
            self.update_status != KEEP_STATUS
            and not self.env.user.has_group("account.group_account_manager")
            and statuses.index(self.update_status)
            > statuses.index(self.connection_id.invoice_status)
        ):
            raise AccessError(
                _(
                    "Only an accounting manager can give updated documents a status past "
                    "%(status)s, the one new documents get in Xero.",
                    status=dict(INVOICE_STATUSES)[self.connection_id.invoice_status],
                )
            )

    def _show(self, step, lines):
        """Go to `step`, showing `lines` (values of this wizard's lines) in place of those it
        showed: a line per document of the selection, made in one statement."""
        self.line_ids.unlink()
        insert_lines(
            self.env["xero.send.wizard.line"], [{"wizard_id": self.id, **line} for line in lines]
        )
        self.step = step

    def action_start_session(self):
        """Connect (or reconnect), then come back to this same selection."""
        self.ensure_one()
        connection = self.connection_id or self.env["xero.connection"].create(
            {"company_id": self.company_id.id}
        )
        return connection.action_start_session(self)

    def action_open_progress(self):
        """Where the queued documents stand: sent, failed, waiting and why."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Xero: Documents in the Queue"),
            "res_model": "xero.move.export",
            "view_mode": "list,form",
            "domain": [("move_id", "in", self.move_ids.ids)],
            "context": {"search_default_group_by_state": 1},
            "target": "current",
        }

    def action_fix_mappings(self):
        self.ensure_one()
        return self.connection_id.with_context(
            xero_return={"action": self.action, "move_ids": self.move_ids.ids}
        ).action_open_setup()

    def action_send(self):
        self.ensure_one()
        if self.step != "review":
            raise UserError(_("Review the documents first."))
        going = self._going()
        if not going:
            raise UserError(_("Nothing to send: every document is skipped or blocked."))
        self._check_update_status()
        if self.action == "retry" or len(going) > self.connection_id.background_threshold:
            count = self.env["xero.move.export"]._enqueue(
                self.connection_id, going.move_id, self.update_status
            )
            self.write({"step": "queued", "queued_total": count})
            return self._action_open()
        results = self.env["xero.export.batch"]._send(
            self.connection_id, self.move_ids, self.action, update_status=self.update_status
        )
        self._show(
            "result",
            [
                {
                    "move_id": result["move_id"],
                    "verdict": result["result"],
                    "message": result["message"],
                    "xero_url": result["url"] if result["result"] != "failed" else False,
                }
                for result in results
            ],
        )
        return self._action_open()


class XeroSendWizardLine(models.TransientModel):
    _name = "xero.send.wizard.line"
    _description = "Send to Xero: One Document"
    _order = "id"

    wizard_id = fields.Many2one("xero.send.wizard", required=True, ondelete="cascade")
    move_id = fields.Many2one("account.move", "Document", required=True)
    partner_id = fields.Many2one(related="move_id.partner_id", compute_sudo=False)
    amount_total = fields.Monetary(
        related="move_id.amount_total", currency_field="currency_id", compute_sudo=False
    )
    currency_id = fields.Many2one(related="move_id.currency_id", compute_sudo=False)
    verdict = fields.Selection(VERDICTS, required=True)
    message = fields.Text("Why")
    fixable = fields.Boolean(help="Blocked by something the Xero setup fixes.")
    xero_url = fields.Char("View in Xero")
