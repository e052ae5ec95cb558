import hashlib
import hmac
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..xero import XeroError

_logger = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)


def _digest(value):
    return hashlib.sha256((value or "").encode()).hexdigest()


class XeroOAuthState(models.Model):
    """One authorisation in progress: the `state` sent to Xero, bound to the user, company and
    browser session that started it, single-use, valid 10 minutes. Only digests of the state and
    the session are kept; the PKCE verifier is encrypted."""

    _name = "xero.oauth.state"
    _description = "Xero Authorisation in Progress"

    state_digest = fields.Char(required=True, index=True)
    session_digest = fields.Char(required=True)
    code_verifier = fields.Text(required=True)
    connection_id = fields.Many2one("xero.connection", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade")
    expires_at = fields.Datetime(required=True)
    used = fields.Boolean()
    # Where to come back to once connected: a send that was waiting for the connection.
    return_action = fields.Char()
    return_move_ids = fields.Char()
    # The page of the web client the session was started from (/odoo/...).
    return_url = fields.Char()

    @api.model
    def _begin(self, connection, session_id, send_wizard=None, return_url=None):
        """Record a new authorisation for `connection` and return the URL to send the user to.
        `return_url` is the page the user comes back to, `send_wizard` the send dialog that
        waits for the connection: its selection is sent after it."""
        # Only the user's own dialog (its record rule): no one sends another's selection.
        if send_wizard and not send_wizard.exists()._filtered_access("read"):
            raise UserError(
                _(
                    "The send dialog this Xero session was started from is closed, or was not "
                    "opened by you: select the documents and send them to Xero again."
                )
            )
        request = connection._authorization_request()
        self.sudo().create(
            {
                "state_digest": _digest(request.state),
                "session_digest": _digest(session_id),
                "code_verifier": connection._cipher().encrypt(request.code_verifier),
                "connection_id": connection.id,
                "user_id": self.env.uid,
                "expires_at": fields.Datetime.now() + STATE_LIFETIME,
                "return_action": send_wizard.action if send_wizard else False,
                "return_move_ids": ",".join(map(str, send_wizard.move_ids.ids))
                if send_wizard
                else False,
                "return_url": return_url,
            }
        )
        return request.url

    @api.model
    def _complete(self, state, session_id, code=None, error=None):
        """Check the callback's `state` and finish the authorisation; return the setup wizard.

        Raises UserError, with nothing stored, for a forged, replayed or expired state, another
        user or session, a refusal at Xero, or an error from Xero.
        """
        record = self._check(state, session_id)
        connection = record.connection_id.with_user(self.env.user)
        if error:
            if error == "access_denied":
                raise UserError(_("Access was declined at Xero: nothing was changed."))
            raise UserError(_("Xero did not authorise the app (%(error)s).", error=error))
        if not code:
            raise UserError(_("Xero sent no authorisation code: start the Xero session again."))
        verifier = connection._cipher().decrypt(record.code_verifier)
        try:
            with self.env.cr.savepoint():
                wizard = connection._complete_authorization(code, verifier)
                wizard.write(
                    {
                        "return_action": record.return_action,
                        "return_move_ids": record.return_move_ids,
                        "return_url": record.return_url,
                    }
                )
                return wizard
        except XeroError as exc:
            _logger.warning("Xero authorisation of %s failed: %s", connection.company_id, exc)
            raise UserError(
                _("Xero refused to complete the authorisation: %(error)s", error=exc)
            ) from exc

    @api.model
    def _check(self, state, session_id):
        invalid = UserError(
            _(
                "This Xero authorisation link is not valid: it was already used, has expired "
                "(after 10 minutes), or was started by another user or browser session. Start "
                "the Xero session again from Odoo."
            )
        )
        digest = _digest(state)
        record = self.sudo().search([("state_digest", "=", digest)], limit=1)
        if not (state and record and hmac.compare_digest(record.state_digest, digest)):
            raise invalid
        if record.used:
            raise invalid
        # Single use, whatever happens next.
        record.used = True
        if (
            record.expires_at < fields.Datetime.now()
            or record.user_id != self.env.user
            or not hmac.compare_digest(record.session_digest, _digest(session_id))
        ):
            raise invalid
        return record

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<", fields.Datetime.now() - STATE_LIFETIME)]).unlink()
