"""Calls to Xero's Accounting API for one app, with tokens kept by the caller.

The client holds no token: it asks `token_getter` for the current one on every call and, within
`REFRESH_MARGIN` seconds of expiry, has `refresher` replace it first. It is not thread-safe: make
one per unit of work.
"""

import datetime
import logging
import re
import time
from contextlib import nullcontext
from urllib.parse import quote

from . import errors

_logger = logging.getLogger(__name__)

ACCOUNTING_PATH = "/api.xro/2.0/"
# Refresh this long before expiry so that a token cannot lapse between the check and Xero.
REFRESH_MARGIN = 60
IDEMPOTENCY_KEY_MAX_LENGTH = 128
ATTACHMENT_KINDS = ("Invoices", "CreditNotes")
# Ids asked for in one GET (a longer query string risks Xero's URL limit), and the page size of
# Xero's paged answers.
IDS_PER_REQUEST = 50
PAGE_SIZE = 100
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_LIMIT_HEADERS = {
    "minute": "X-MinLimit-Remaining",
    "day": "X-DayLimit-Remaining",
    "app_minute": "X-AppMinLimit-Remaining",
}


def check_idempotency_key(key):
    """Return `key` if Xero accepts it as an Idempotency-Key, else raise ValueError."""
    if not isinstance(key, str) or not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValueError(
            f"An Idempotency-Key is a string of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."
        )
    if not (key.isascii() and key.isprintable()):
        raise ValueError("An Idempotency-Key must be printable ASCII (it is an HTTP header).")
    return key


class XeroClient:
    """Xero's Accounting API through `oauth` (an `XeroOAuth`: URLs, session, timeout).

    `token_getter()` returns the current token dict (access_token, refresh_token, expires_at in
    epoch seconds...). `refresher(token)` is called with it when it is about to expire and must
    return the new token dict, stored. The default refreshes through `oauth` and hands the result
    to `token_saver(token)`. Pass your own `refresher` to serialise refreshes (lock, re-read the
    token, refresh only if still stale, store, all in one transaction); it replaces the saver.

    `on_refused(error)`, if given, is told of a 401 or 403 from the API (the tokens or the
    app's rights are refused) before the error is raised.

    `limiter`, if given, is shared by everyone calling this organisation: `limiter.call()` is a
    context manager around each call, which may raise XeroRateLimitError (with `retry_after`) to
    say "not now", and `limiter.observe(response)` is given every answer (429s included) to
    learn from its headers. `limiter.reserve(count)`, a context manager, may count the next
    `count` calls at once (see `reserve`).

    `limits_remaining` holds what Xero said was left of the `minute`, `day` and `app_minute`
    limits on the last answer that carried them.
    """

    def __init__(
        self,
        oauth,
        token_getter,
        token_saver=None,
        *,
        refresher=None,
        on_refused=None,
        limiter=None,
    ):
        if refresher is None and token_saver is None:
            raise ValueError("A token_saver or a refresher is required to keep refreshed tokens.")
        self.oauth = oauth
        self._token_getter = token_getter
        self._token_saver = token_saver
        self._refresher = refresher or self._refresh_and_save
        self._on_refused = on_refused
        self._limiter = limiter
        self.limits_remaining = {}

    def access_token(self, force_refresh=False):
        """The current access token, refreshed first if it expires within REFRESH_MARGIN (or
        when `force_refresh`)."""
        token = self._token_getter()
        if not token or not token.get("access_token"):
            raise errors.XeroAuthenticationError("Not connected to Xero: no access token.")
        if force_refresh or (token.get("expires_at") or 0) - time.time() <= REFRESH_MARGIN:
            token = self._refresher(token)
        return token["access_token"]

    def reserve(self, count):
        """A block in which up to `count` calls are made one after the other: the limiter may
        count them at once. Entering it may raise XeroRateLimitError, as a call may."""
        return self._limiter.reserve(count) if self._limiter else nullcontext()

    def request(
        self,
        method,
        path,
        *,
        tenant_id,
        params=None,
        json=None,
        data=None,
        headers=None,
        idempotency_key=None,
    ):
        """Call `path` of the Accounting API (e.g. "Invoices") for `tenant_id`; return the
        parsed JSON answer, or None when the answer is empty.

        A 401 refreshes the token once and tries again: Xero may have ended the access token
        before its time. Each attempt goes through the limiter, when there is one."""
        if not tenant_id:
            raise ValueError("Xero needs a tenant id on every Accounting API call.")
        call_headers = {"xero-tenant-id": tenant_id, "Accept": "application/json"}
        if idempotency_key is not None:
            call_headers["Idempotency-Key"] = check_idempotency_key(idempotency_key)
        call_headers.update(headers or {})
        url = self.oauth.api_url + ACCOUNTING_PATH + path.lstrip("/")
        for attempt in (1, 2):
            bearer = f"Bearer {self.access_token(force_refresh=attempt == 2)}"
            try:
                with self._limiter.call() if self._limiter else nullcontext():
                    response = self.oauth.send(
                        method,
                        url,
                        params=params,
                        json=json,
                        data=data,
                        headers={**call_headers, "Authorization": bearer},
                        # Told of error answers (a 429) too, so that their limits are read.
                        on_response=self._note_limits,
                    )
                break
            except errors.XeroAuthenticationError as exc:
                if exc.status == 401 and attempt == 1:
                    continue
                if self._on_refused and exc.status in (401, 403):
                    self._on_refused(exc)
                raise
        _logger.debug("Xero %s %s: HTTP %s", method, path, response.status_code)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise errors.XeroError(
                "Xero answered with a body that is not JSON.", response.status_code
            ) from exc

    def get_organisation(self, tenant_id):
        return self.request("GET", "Organisation", tenant_id=tenant_id)["Organisations"][0]

    def get_accounts(self, tenant_id, where=None):
        params = {"where": where} if where else None
        return self.request("GET", "Accounts", tenant_id=tenant_id, params=params)["Accounts"]

    def get_tax_rates(self, tenant_id):
        return self.request("GET", "TaxRates", tenant_id=tenant_id)["TaxRates"]

    def get_currencies(self, tenant_id):
        return self.request("GET", "Currencies", tenant_id=tenant_id)["Currencies"]

    def get_tracking_categories(self, tenant_id, include_archived=True):
        """Tracking categories with their options (`Options`); archived ones too by default,
        so that what was mapped to them can be told archived rather than gone."""
        params = {"includeArchived": "true"} if include_archived else None
        return self.request("GET", "TrackingCategories", tenant_id=tenant_id, params=params)[
            "TrackingCategories"
        ]

    def get_contacts(self, tenant_id, where=None, ids=None, page=None):
        params = {"where": where, "IDs": ",".join(ids or ()), "page": page}
        params = {key: value for key, value in params.items() if value}
        return self.request("GET", "Contacts", tenant_id=tenant_id, params=params)["Contacts"]

    def put_contacts(self, tenant_id, contacts, **options):
        """Create contacts; `options` as for `put_invoices` (but `unitdp`)."""
        return self._write("PUT", tenant_id, "Contacts", contacts, **options)

    def post_contacts(self, tenant_id, contacts, **options):
        """Create or update contacts (by ContactID)."""
        return self._write("POST", tenant_id, "Contacts", contacts, **options)

    def put_invoices(self, tenant_id, invoices, **options):
        """Create invoices; return Xero's `Invoices` list, one element per invoice sent, in order.

        `options`: `summarize_errors` (default False: each element carries its own HasErrors
        and ValidationErrors instead of a 400 for the batch), `unitdp` (4 for four decimal unit
        amounts), `idempotency_key`.
        """
        return self._write("PUT", tenant_id, "Invoices", invoices, **options)

    def post_invoices(self, tenant_id, invoices, **options):
        """Create or update invoices (by InvoiceID, or by InvoiceNumber for ACCREC)."""
        return self._write("POST", tenant_id, "Invoices", invoices, **options)

    def put_credit_notes(self, tenant_id, credit_notes, **options):
        return self._write("PUT", tenant_id, "CreditNotes", credit_notes, **options)

    def post_credit_notes(self, tenant_id, credit_notes, **options):
        return self._write("POST", tenant_id, "CreditNotes", credit_notes, **options)

    def get_invoices(self, tenant_id, ids=None, *, where=None, page=None, created_by_my_app=False):
        """One page of invoices: by `ids`, by a `where` filter, those this app created."""
        return self._list("Invoices", tenant_id, ids, where, page, created_by_my_app)

    def get_credit_notes(self, tenant_id, ids=None, *, where=None, page=None):
        """One page of credit notes: by `ids`, by a `where` filter."""
        return self._list("CreditNotes", tenant_id, ids, where, page, False)

    def get_credit_note(self, tenant_id, credit_note_id):
        """One credit note, with its `Allocations` and `RemainingCredit`."""
        path = f"CreditNotes/{quote(credit_note_id, safe='')}"
        return self.request("GET", path, tenant_id=tenant_id)["CreditNotes"][0]

    def iter_documents(self, tenant_id, kind, ids=None, *, where=None, created_by_my_app=False):
        """Every invoice or credit note (`kind` "Invoices" or "CreditNotes") with one of `ids`
        and/or matching `where`: ids asked IDS_PER_REQUEST at a time, each answer read page by
        page, so that none is missed however many there are."""
        if kind not in ATTACHMENT_KINDS:
            raise ValueError(f"Documents are one of {ATTACHMENT_KINDS}, not {kind!r}.")
        ids = list(ids or ())
        chunks = (
            [ids[i : i + IDS_PER_REQUEST] for i in range(0, len(ids), IDS_PER_REQUEST)]
            if ids
            else [None]
        )
        for chunk in chunks:
            page = 1
            while True:
                found = self._list(kind, tenant_id, chunk, where, page, created_by_my_app)
                yield from found
                if len(found) < PAGE_SIZE:
                    break
                page += 1

    def _list(self, kind, tenant_id, ids, where, page, created_by_my_app):
        if kind == "CreditNotes":
            # Xero's list of credit notes takes neither IDs nor createdByMyApp (getCreditNotes in
            # its OpenAPI has where, order and page): ids are asked in the `where` filter, which
            # an unknown parameter, ignored, would leave listing every credit note.
            if created_by_my_app:
                raise ValueError("Xero does not list the credit notes an app created.")
            params = {"where": _all_of(where, _ids_where("CreditNoteID", ids)), "page": page}
        else:
            params = {"IDs": ",".join(ids or ()), "where": where, "page": page}
            if created_by_my_app:
                params["createdByMyApp"] = "true"
        params = {key: value for key, value in params.items() if value}
        return self.request("GET", kind, tenant_id=tenant_id, params=params)[kind]

    def put_attachment(
        self, tenant_id, kind, doc_id, filename, content, mimetype, idempotency_key=None
    ):
        """Attach a file to an invoice or credit note (`kind` "Invoices" or "CreditNotes").

        Needs the `accounting.attachments` scope.
        """
        if kind not in ATTACHMENT_KINDS:
            raise ValueError(f"Attachments go on one of {ATTACHMENT_KINDS}, not {kind!r}.")
        path = f"{kind}/{quote(doc_id, safe='')}/Attachments/{quote(filename, safe='')}"
        response = self.request(
            "PUT",
            path,
            tenant_id=tenant_id,
            data=content,
            headers={"Content-Type": mimetype},
            idempotency_key=idempotency_key,
        )
        return response["Attachments"][0]

    def put_allocation(
        self, tenant_id, credit_note_id, invoice_id, amount, date, idempotency_key=None
    ):
        """Allocate `amount` of a credit note to an invoice on `date` (a date or "YYYY-MM-DD")."""
        if isinstance(date, datetime.date):
            date = date.isoformat()
        allocation = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount, "Date": date}
        response = self.request(
            "PUT",
            f"CreditNotes/{quote(credit_note_id, safe='')}/Allocations",
            tenant_id=tenant_id,
            json={"Allocations": [allocation]},
            idempotency_key=idempotency_key,
        )
        return response["Allocations"][0]

    def _write(
        self,
        method,
        tenant_id,
        collection,
        records,
        *,
        summarize_errors=False,
        unitdp=None,
        idempotency_key=None,
    ):
        params = {"summarizeErrors": "true" if summarize_errors else "false"}
        if unitdp is not None:
            params["unitdp"] = unitdp
        response = self.request(
            method,
            collection,
            tenant_id=tenant_id,
            params=params,
            json={collection: list(records)},
            idempotency_key=idempotency_key,
        )
        return response[collection]

    def _refresh_and_save(self, token):
        token = self.oauth.refresh_token(token.get("refresh_token"))
        self._token_saver(token)
        return token

    def _note_limits(self, response):
        if self._limiter:
            self._limiter.observe(response.status_code, response.headers)
        for name, header in _LIMIT_HEADERS.items():
            value = response.headers.get(header)
            if value is not None and value.strip().isdigit():
                self.limits_remaining[name] = int(value)


def _ids_where(field, ids):
    """A `where` filter keeping the objects whose `field` is one of `ids` (Xero's GUIDs)."""
    if not ids:
        return None
    for id_ in ids:
        if not GUID.fullmatch(id_):
            raise ValueError(f"Not a Xero id: {id_!r}")
    return " OR ".join(f'{field}==Guid("{id_}")' for id_ in ids)


def _all_of(*filters):
    """`where` filters that must all hold, as one."""
    filters = [f for f in filters if f]
    if len(filters) < 2:
        return filters[0] if filters else None
    return " AND ".join(f"({f})" for f in filters)
