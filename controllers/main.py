import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from odoo import _, http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

_logger = logging.getLogger(__name__)

# Where the setup opens when the page the user started from is not known.
CONNECTION_PAGE = "/odoo/xero"


def _web_client_page(url):
    """`url` as a page of this Odoo's web client (`/odoo...`, path and query), or None: the user
    comes back there after Xero, so it is never another site."""
    parts = urlsplit(url or "")
    if parts.netloc and parts.netloc != request.httprequest.host:
        return None
    if parts.path != "/odoo" and not parts.path.startswith("/odoo/"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _with_setup(page, wizard):
    """`page` with the setup `wizard` to open over it (static/src/xero_setup_resume.js)."""
    parts = urlsplit(page)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "xero_setup"]
    query.append(("xero_setup", wizard.id))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


class XeroConnectController(http.Controller):
    """The two ends of "Start Xero Session": off to Xero, and back from it."""

    @http.route("/xero/connect/start", type="http", auth="user", methods=["GET", "POST"])
    def start(self, connection_id=None, send_wizard=None, return_url=None, **kwargs):
        """GET, from a link the Start Xero Session button signed for this user (see
        xero.connection.action_start_session), shows a page that posts itself here with Odoo's
        CSRF token; only that POST records an authorisation and goes to Xero, so a link, an
        image or a page elsewhere cannot. The page the user came from (GET's referrer) is where
        the setup opens afterwards; the send dialog `send_wizard`, when the session was started
        from one, is the selection sent after it."""
        try:
            connection = request.env["xero.connection"].browse(int(connection_id or 0)).exists()
            if not connection:
                raise UserError(_("This Xero connection does not exist."))
            connection.check_access("write")
            if not re.fullmatch(r"[0-9]*", send_wizard or ""):
                raise UserError(_("This link to start a Xero session is damaged."))
            if request.httprequest.method == "GET":
                connection._check_start_link({"send_wizard": send_wizard, **kwargs})
                return request.render(
                    "account_xero_export.xero_connect_start",
                    {
                        "connection_id": connection.id,
                        "send_wizard": send_wizard or "",
                        "return_url": _web_client_page(request.httprequest.referrer) or "",
                    },
                )
            url = request.env["xero.oauth.state"]._begin(
                connection,
                request.session.sid,
                send_wizard=request.env["xero.send.wizard"].browse(int(send_wizard))
                if send_wizard
                else None,
                return_url=_web_client_page(return_url),
            )
        except (AccessError, UserError, ValueError) as exc:
            return self._error_page(exc)
        return request.redirect(url, local=False)

    @http.route("/xero/connect/callback", type="http", auth="public", methods=["GET"])
    def callback(self, state=None, code=None, error=None, **kwargs):
        if not request.session.uid:
            return self._error_page(
                _(
                    "Sign in to Odoo in this browser, then start the Xero session again: the "
                    "authorisation can only be completed by the Odoo user who started it."
                )
            )
        try:
            wizard = request.env["xero.oauth.state"]._complete(
                state, request.session.sid, code=code, error=error
            )
        except (AccessError, UserError) as exc:
            return self._error_page(exc)
        # Back to the page the session was started from, with the setup's dialog over it.
        return request.redirect(_with_setup(wizard.return_url or CONNECTION_PAGE, wizard))

    def _error_page(self, error):
        message = error.args[0] if isinstance(error, Exception) else error
        return request.render(
            "account_xero_export.xero_connect_error",
            {"message": message},
            status=400,
        )
