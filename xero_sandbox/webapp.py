"""The pages of Xero's web app that "View in Xero" links open: one read-only page per invoice
or credit note, at the paths of Xero's deep links, so that a demo's links lead somewhere."""

import re

from . import pages
from .render import render_document
from .wire import html_response

_CREDIT_NOTE_ID = re.compile(r"creditNoteID=([0-9a-fA-F-]+)")


class WebApp:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    def routes(self):
        return [
            (
                "GET",
                r"/app/(?P<short_code>[^/]+)/invoicing/view/(?P<document_id>[^/]+)",
                self.invoice_page,
            ),
            ("GET", r"/organisationlogin/default\.aspx", self.credit_note_page),
        ]

    def invoice_page(self, request, short_code, document_id):
        return self._page(short_code, document_id)

    def credit_note_page(self, request):
        found = _CREDIT_NOTE_ID.search(request.param("redirecturl", ""))
        return self._page(request.param("shortcode", ""), found.group(1) if found else "")

    def _page(self, short_code, document_id):
        with self.sandbox.lock:
            org, document = self.sandbox.state.find_document(document_id.lower())
            if document is None or org.short_code != short_code:
                return html_response(
                    404, pages.error_page("Not found", "No such document in this organisation.")
                )
            return html_response(200, pages.document(org.name, render_document(org, document)))
