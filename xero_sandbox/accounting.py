"""The Accounting API under /api.xro/2.0: authorisation, limits, idempotency and the endpoints.

Every call goes through ``_call``: bearer token (401), ``xero-tenant-id`` connected for that token
(403), scope (401 AuthorizationUnsuccessful), rate limits (429), then the endpoint, whose answer
carries the X-*Limit-Remaining headers.
"""

import dataclasses
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from urllib.parse import unquote

from . import render
from .clock import parse_instant
from .contacts import write_contact
from .documents import CREDIT_NOTE, INVOICE, DocumentWriter, allocate, new_id
from .idempotency import MAX_KEY_LENGTH
from .identity import unauthorized
from .store import Attachment
from .where import compile_where, query_error
from .wire import (
    BadRequest,
    Response,
    api_error,
    is_uuid,
    json_response,
    ms_date,
    problem,
    validation_exception,
)

# (scopes that may read, scopes that may write) per area. accounting.transactions is the broad
# scope of apps created before 2 March 2026; accounting.invoices its granular successor.
SCOPES = {
    "settings": (
        {"accounting.settings", "accounting.settings.read"},
        {"accounting.settings"},
    ),
    "contacts": (
        {"accounting.contacts", "accounting.contacts.read"},
        {"accounting.contacts"},
    ),
    "invoices": (
        {
            "accounting.invoices",
            "accounting.invoices.read",
            "accounting.transactions",
            "accounting.transactions.read",
        },
        {"accounting.invoices", "accounting.transactions"},
    ),
    "attachments": (
        {"accounting.attachments", "accounting.attachments.read"},
        {"accounting.attachments"},
    ),
}
ACCOUNT_FIELDS = frozenset(
    {
        "AccountID",
        "Code",
        "Name",
        "Status",
        "Type",
        "TaxType",
        "Description",
        "Class",
        "SystemAccount",
        "EnablePaymentsToAccount",
        "ShowInExpenseClaims",
        "BankAccountNumber",
        "BankAccountType",
        "CurrencyCode",
        "ReportingCode",
        "ReportingCodeName",
        "HasAttachments",
        "AddToWatchlist",
        "UpdatedDateUTC",
    }
)
TAX_RATE_FIELDS = frozenset(
    {
        "Name",
        "TaxType",
        "ReportTaxType",
        "Status",
        "DisplayTaxRate",
        "EffectiveRate",
        "CanApplyToAssets",
        "CanApplyToEquity",
        "CanApplyToExpenses",
        "CanApplyToLiabilities",
        "CanApplyToRevenue",
    }
)
CURRENCY_FIELDS = frozenset({"Code", "Description"})
TRACKING_FIELDS = frozenset({"TrackingCategoryID", "Name", "Status"})
CONTACT_FIELDS = frozenset(
    {
        "ContactID",
        "ContactStatus",
        "Name",
        "IsSupplier",
        "IsCustomer",
        "UpdatedDateUTC",
        "HasAttachments",
        *render.CONTACT_DETAILS,
    }
)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_ATTACHMENTS = 10
COLLECTIONS = {INVOICE.name: "Invoices", CREDIT_NOTE.name: "CreditNotes"}


@dataclass
class Call:
    """One admitted API call: the request and the organisation it is for."""

    request: object
    org: object
    client_id: str
    now: datetime

    @property
    def unit_dp(self):
        return 4 if self.request.param("unitdp") == "4" else 2


class Accounting:
    def __init__(self, sandbox):
        self.sandbox = sandbox

    def routes(self):
        base = r"/api\.xro/2\.0"
        doc = r"(?P<document_id>[^/]+)"
        routes = [
            ("GET", "/Organisation", "settings", self.organisation),
            ("GET", "/Accounts", "settings", self.accounts),
            ("GET", "/TaxRates", "settings", self.tax_rates),
            ("GET", "/Currencies", "settings", self.currencies),
            ("GET", "/TrackingCategories", "settings", self.tracking_categories),
            ("GET", "/Contacts", "contacts", self.list_contacts),
            ("PUT", "/Contacts", "contacts", self.write_contacts),
            ("POST", "/Contacts", "contacts", self.write_contacts),
            ("GET", r"/Contacts/(?P<contact_id>[^/]+)", "contacts", self.get_contact),
            ("POST", r"/Contacts/(?P<contact_id>[^/]+)", "contacts", self.write_contacts),
            ("PUT", "/CreditNotes/" + doc + "/Allocations", "invoices", self.allocations),
        ]
        for kind in (INVOICE, CREDIT_NOTE):
            collection = "/" + COLLECTIONS[kind.name]
            attachment = collection + "/" + doc + r"/Attachments/(?P<file_name>[^/]+)"
            routes += [
                ("GET", collection, "invoices", partial(self.list_documents, kind)),
                ("PUT", collection, "invoices", partial(self.write_documents, kind)),
                ("POST", collection, "invoices", partial(self.write_documents, kind)),
                ("GET", collection + "/" + doc, "invoices", partial(self.get_document, kind)),
                ("POST", collection + "/" + doc, "invoices", partial(self.write_documents, kind)),
                (
                    "GET",
                    collection + "/" + doc + "/Attachments",
                    "attachments",
                    partial(self.list_attachments, kind),
                ),
                ("GET", attachment, "attachments", partial(self.get_attachment, kind)),
                ("PUT", attachment, "attachments", partial(self.put_attachment, kind)),
                ("POST", attachment, "attachments", partial(self.put_attachment, kind)),
            ]
        return [
            (method, base + path, partial(self._call, area, handler))
            for method, path, area, handler in routes
        ]

    # -- the pipeline every call goes through ----------------------------------------------------

    def _call(self, area, handler, request, **params):
        sandbox = self.sandbox
        with sandbox.lock:
            token, refusal = sandbox.identity.authenticate(request)
            if refusal:
                return refusal
            tenant_id = (request.header("xero-tenant-id") or "").strip().lower()
            connected = {c.tenant_id for c in sandbox.identity.connections_of(token.grant)}
            if tenant_id not in connected:
                return problem(403, "Forbidden", "AuthenticationUnsuccessful")
            readers, writers = SCOPES[area]
            if not (readers if request.method == "GET" else writers) & set(token.grant.scopes):
                return unauthorized("AuthorizationUnsuccessful")
            client_id = token.grant.client_id
        admission = sandbox.limits.admit(client_id, tenant_id)
        if not admission.admitted:
            limit = admission.headers["X-Rate-Limit-Problem"]
            return problem(
                429, "Too Many Requests", f"Rate limit exceeded: {limit}", admission.headers
            )
        try:
            sandbox.faults.wait_while_held("request", request.path)
            response = self._answer(handler, request, client_id, tenant_id, params)
            sandbox.faults.wait_while_held("answer", request.path)
        finally:
            sandbox.limits.release(client_id, tenant_id)
        response.headers.update(admission.headers)
        return response

    def _answer(self, handler, request, client_id, tenant_id, params):
        sandbox = self.sandbox
        key = request.header("Idempotency-Key")
        scope = fingerprint = None
        with sandbox.lock:
            if key is not None and request.method in ("PUT", "POST"):
                if not 0 < len(key) <= MAX_KEY_LENGTH:
                    return _validation_error("Idempotency-Key must be 1 to 128 characters long.")
                scope = (client_id, tenant_id, key)
                fingerprint = sandbox.idempotency.fingerprint(request)
                seen, first = sandbox.idempotency.lookup(scope, fingerprint)
                if seen and first is None:
                    return _validation_error(
                        "This Idempotency-Key was already used for a different request."
                    )
                if seen:
                    return dataclasses.replace(first, headers=dict(first.headers))
            call = Call(
                request, sandbox.state.organisations[tenant_id], client_id, sandbox.clock.now()
            )
            try:
                response = handler(call, **params)
            except BadRequest as error:
                response = api_error(error.status, error.error_type, error.message, error.number)
            if scope is not None:
                sandbox.idempotency.store(
                    scope,
                    fingerprint,
                    dataclasses.replace(response, headers=dict(response.headers)),
                )
        return response

    # -- helpers -----------------------------------------------------------------------------

    def _envelope(self, call, key, items, pagination=None):
        body = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": self.sandbox.state.apps[call.client_id].name,
            "DateTimeUTC": ms_date(call.now),
        }
        if pagination:
            body["pagination"] = pagination
        body[key] = items
        return body

    @staticmethod
    def _select(call, objects, type_name, fields, view):
        """Objects kept by the ``where`` filter, sorted by ``order``, judged on their view."""
        pairs = [(obj, view(obj)) for obj in objects]
        where = (call.request.param("where") or "").strip()
        if where:
            keep = compile_where(where, fields, type_name)
            pairs = [(obj, seen) for obj, seen in pairs if keep(seen)]
        order = (call.request.param("order") or "").strip()
        if order:
            name, _, direction = order.partition(" ")
            direction = direction.strip().upper() or "ASC"
            if name not in fields or direction not in ("ASC", "DESC"):
                raise query_error(f"Cannot order by '{order}'")
            pairs.sort(key=lambda pair: _sort_key(pair[1].get(name)), reverse=direction == "DESC")
        return [obj for obj, _ in pairs]

    @staticmethod
    def _page(call, items):
        """(items of the requested page, pagination) or (all items, None) without ``page``."""
        page = call.request.param("page")
        if page is None:
            return items, None
        try:
            page = max(int(page), 1)
            size = int(call.request.param("pageSize") or DEFAULT_PAGE_SIZE)
        except ValueError as error:
            raise BadRequest("page and pageSize must be whole numbers") from error
        size = min(max(size, 1), MAX_PAGE_SIZE)
        pagination = {
            "page": page,
            "pageSize": size,
            "pageCount": math.ceil(len(items) / size),
            "itemCount": len(items),
        }
        return items[(page - 1) * size : page * size], pagination

    @staticmethod
    def _elements(call, wrapper, label):
        body = call.request.json()
        elements = []
        if isinstance(body, dict) and isinstance(body.get(wrapper), list):
            elements = body[wrapper]
        elif isinstance(body, dict) and body and wrapper not in body:
            elements = [body]  # Xero also takes one bare object
        if not elements:
            raise BadRequest(
                "No data has been processed for this endpoint. This endpoint is expecting "
                f"{label} data to be specifed in the request body.",  # [Xero], typo included
                error_type="NoDataProcessedException",
                number=17,
            )
        return elements

    def _batch(self, call, wrapper, results, render_ok, error_element):
        """Xero's answer to a batch write: ``results`` are (element, written object, errors)."""
        if call.request.flag("summarizeErrors", True) and any(errors for _, _, errors in results):
            return validation_exception(
                [error_element(element, errors) for element, _, errors in results if errors]
            )
        items = [
            # OK unless the rendered element says WARNING (render.with_warnings).
            error_element(element, errors)
            if errors
            else {"StatusAttributeString": "OK", **render_ok(written)}
            for element, written, errors in results
        ]
        return json_response(200, self._envelope(call, wrapper, items))

    # -- settings ----------------------------------------------------------------------------

    def organisation(self, call):
        return json_response(
            200, self._envelope(call, "Organisations", [render.render_organisation(call.org)])
        )

    def accounts(self, call):
        views = [render.render_account(call.org, a) for a in call.org.accounts.values()]
        kept = self._select(call, views, "Account", ACCOUNT_FIELDS, lambda view: view)
        return json_response(200, self._envelope(call, "Accounts", kept))

    def tax_rates(self, call):
        views = [render.render_tax_rate(call.org, r) for r in call.org.tax_rates.values()]
        kept = self._select(call, views, "TaxRate", TAX_RATE_FIELDS, lambda view: view)
        return json_response(200, self._envelope(call, "TaxRates", kept))

    def currencies(self, call):
        views = [{"Code": c, "Description": d} for c, d in call.org.currencies.items()]
        kept = self._select(call, views, "Currency", CURRENCY_FIELDS, lambda view: view)
        return json_response(200, self._envelope(call, "Currencies", kept))

    def tracking_categories(self, call):
        """Active categories and options; archived ones too with includeArchived=true (as the
        OpenAPI describes the parameter)."""
        include_archived = call.request.flag("includeArchived", False)
        views = [
            render.render_tracking_category(category, include_archived)
            for category in call.org.tracking_categories.values()
            if include_archived or category.status == "ACTIVE"
        ]
        kept = self._select(call, views, "TrackingCategory", TRACKING_FIELDS, lambda view: view)
        return json_response(200, self._envelope(call, "TrackingCategories", kept))

    # -- contacts ----------------------------------------------------------------------------

    def list_contacts(self, call):
        request = call.request
        contacts = list(call.org.contacts.values())
        if not request.flag("includeArchived", False):
            contacts = [c for c in contacts if c.status != "ARCHIVED"]
        ids = _id_list(request.param("IDs"))
        if ids is not None:
            contacts = [c for c in contacts if c.contact_id in ids]
        term = (request.param("searchTerm") or "").casefold()
        if term:
            contacts = [c for c in contacts if term in _contact_text(c)]
        views = {c.contact_id: _typed_contact(c) for c in contacts}
        kept = self._select(
            call, contacts, "Contact", CONTACT_FIELDS, lambda c: views[c.contact_id]
        )
        page, pagination = self._page(call, kept)
        items = [render.render_contact(c) for c in page]
        return json_response(200, self._envelope(call, "Contacts", items, pagination))

    def get_contact(self, call, contact_id):
        """By ContactID, or by ContactNumber as Xero also allows."""
        contact = call.org.contacts.get(contact_id.lower())
        if contact is None and not is_uuid(contact_id):
            number = unquote(contact_id)
            contact = next(
                (c for c in call.org.contacts.values() if c.details.get("ContactNumber") == number),
                None,
            )
        if contact is None:
            return _not_found()
        return json_response(
            200, self._envelope(call, "Contacts", [render.render_contact(contact)])
        )

    def write_contacts(self, call, contact_id=None):
        if contact_id and contact_id.lower() not in call.org.contacts:
            return _not_found()
        elements = self._elements(call, "Contacts", "Contact")
        results = [
            (element, *write_contact(call.org, element, call.now, contact_id))
            for element in elements
        ]
        return self._batch(
            call, "Contacts", results, render.render_contact, render.contact_error_element
        )

    # -- invoices and credit notes -----------------------------------------------------------

    def list_documents(self, kind, call):
        request = call.request
        documents = list(call.org.documents(kind.name).values())
        # Xero's OpenAPI gives these filters to getInvoices only: getCreditNotes has where,
        # order and page, and ignores the others, as it ignores any parameter it does not know.
        if kind is INVOICE:
            filters = {
                "IDs": lambda d, wanted: d.document_id in wanted,
                "ContactIDs": lambda d, wanted: d.contact_id in wanted,
                "Statuses": lambda d, wanted: d.status in {w.upper() for w in wanted},
                "InvoiceNumbers": lambda d, wanted: d.number.lower() in wanted,
            }
            for name, test in filters.items():
                wanted = _id_list(request.param(name))
                if wanted is not None:
                    documents = [d for d in documents if test(d, wanted)]
            if request.flag("createdByMyApp", False):
                documents = [d for d in documents if d.created_by == call.client_id]
        since = request.header("If-Modified-Since")
        if since:
            try:
                moment = parse_instant(since)
            except ValueError as error:
                raise BadRequest("If-Modified-Since must be an ISO 8601 date-time") from error
            documents = [d for d in documents if d.updated > moment]
        org = call.org
        views = {d.document_id: render.filter_fields(org, d) for d in documents}
        kept = self._select(
            call,
            documents,
            kind.label.replace(" ", ""),
            kind.fields,
            lambda d: views[d.document_id],
        )
        page, pagination = self._page(call, kept)
        # Xero returns line items in a list only when paging (a summary otherwise).
        with_lines = pagination is not None and not request.flag("summaryOnly", False)
        items = [render.render_document(org, d, call.unit_dp, with_lines) for d in page]
        return json_response(200, self._envelope(call, kind.wrapper, items, pagination))

    def _find_document(self, kind, call, document_id):
        documents = call.org.documents(kind.name)
        if is_uuid(document_id):
            return documents.get(document_id.lower())
        number = unquote(document_id).casefold()
        return next((d for d in documents.values() if d.number.casefold() == number), None)

    def get_document(self, kind, call, document_id):
        document = self._find_document(kind, call, document_id)
        if document is None:
            return _not_found()
        rendered = render.render_document(call.org, document, call.unit_dp)
        return json_response(200, self._envelope(call, kind.wrapper, [rendered]))

    def write_documents(self, kind, call, document_id=None):
        if document_id is not None:
            document = self._find_document(kind, call, document_id)
            if document is None:
                return _not_found()
            document_id = document.document_id
        elements = self._elements(call, kind.wrapper, kind.label)
        writer = DocumentWriter(call.org, kind, call.now, call.client_id, call.unit_dp)
        update_by_number = call.request.method == "POST"
        results = [
            (element, *writer.write(element, update_by_number, document_id)) for element in elements
        ]
        return self._batch(
            call,
            kind.wrapper,
            results,
            lambda d: render.with_warnings(
                render.render_document(call.org, d, call.unit_dp), writer.warnings[d.document_id]
            ),
            partial(render.error_element, kind),
        )

    def allocations(self, call, document_id):
        credit_note = self._find_document(CREDIT_NOTE, call, document_id)
        if credit_note is None:
            return _not_found()
        elements = self._elements(call, "Allocations", "Allocation")
        results = [
            (element, *allocate(call.org, credit_note, element, call.now)) for element in elements
        ]
        return self._batch(
            call,
            "Allocations",
            results,
            lambda a: render.render_allocation_result(call.org, a),
            render.allocation_error_element,
        )

    # -- attachments -------------------------------------------------------------------------

    def list_attachments(self, kind, call, document_id):
        document = self._find_document(kind, call, document_id)
        if document is None:
            return _not_found()
        items = [
            render.render_attachment(
                call.request.base_url, COLLECTIONS[kind.name], document.document_id, a
            )
            for a in document.attachments
        ]
        return json_response(200, {"Attachments": items})

    def get_attachment(self, kind, call, document_id, file_name):
        document = self._find_document(kind, call, document_id)
        name = unquote(file_name).casefold()
        attachment = document and next(
            (
                a
                for a in document.attachments
                if a.file_name.casefold() == name or a.attachment_id == name
            ),
            None,
        )
        if attachment is None:
            return _not_found()
        return Response(200, attachment.content, {"Content-Type": attachment.mime_type})

    def put_attachment(self, kind, call, document_id, file_name):
        document = self._find_document(kind, call, document_id)
        if document is None:
            return _not_found()
        request = call.request
        name = unquote(file_name)
        if not request.body:
            return _validation_error("The attachment content is empty.")
        attachment = next(
            (a for a in document.attachments if a.file_name.casefold() == name.casefold()), None
        )
        if attachment is None:
            if len(document.attachments) >= MAX_ATTACHMENTS:
                return _validation_error(
                    f"A document can have at most {MAX_ATTACHMENTS} attachments."
                )
            attachment = Attachment(new_id(), name, "", b"", False)
            document.attachments.append(attachment)
        attachment.content = request.body
        attachment.mime_type = request.header("Content-Type") or "application/octet-stream"
        attachment.include_online = request.flag("IncludeOnline", False) and document.type in (
            "ACCREC",
            "ACCRECCREDIT",
        )
        document.updated = call.now
        rendered = render.render_attachment(
            request.base_url, COLLECTIONS[kind.name], document.document_id, attachment
        )
        return json_response(200, {"Attachments": [rendered]})


def _validation_error(message):
    return validation_exception([{"ValidationErrors": [{"Message": message}]}])


def _not_found():
    return problem(404, "NotFound", "The resource you're looking for cannot be found")


def _id_list(value):
    """A comma-separated query list (IDs, Statuses...) as a set of lower-case strings."""
    if value is None:
        return None
    return {part.strip().strip('"').lower() for part in value.split(",") if part.strip()}


def _sort_key(value):
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return (value is None, value)
    return (value is None, str(value or "").casefold())


def _contact_text(contact):
    parts = [contact.name, *(str(contact.details.get(k, "")) for k in render.CONTACT_DETAILS[:6])]
    return " ".join(parts).casefold()


def _typed_contact(contact):
    view = render.render_contact(contact)
    view["UpdatedDateUTC"] = contact.updated
    return view
