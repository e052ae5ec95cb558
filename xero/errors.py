"""The exceptions the Xero client raises, and the one mapping from an HTTP answer to them.

Callers catch `XeroError` and its subclasses only: transport failures from requests and OAuth
failures from oauthlib are converted before they leave the package.
"""

import re

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import NewConnectionError

# Xero's error pages (maintenance, gateway) can be whole HTML documents: keep messages short.
_MAX_TEXT_MESSAGE = 200
# A URL's query string (requests and urllib3 quote the URL in their messages).
_QUERY = re.compile(r"""(/[^\s?'"]*)\?[^\s'"]*""")


class XeroError(Exception):
    """Anything that went wrong talking to Xero. `status` is None when no answer came back."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class XeroAuthenticationError(XeroError):
    """The tokens or the app's rights are not accepted: the connection needs the user again.

    `error` is the OAuth error code when the token endpoint gave one (`invalid_grant` for an
    expired, revoked or already-rotated refresh token), else None.
    """

    def __init__(self, message, status=None, body=None, *, error=None):
        super().__init__(message, status, body)
        self.error = error


class XeroRateLimitError(XeroError):
    """A Xero limit was hit. `retry_after` is in seconds (None if Xero gave none); `problem` is
    the limit Xero names in `X-Rate-Limit-Problem` (e.g. `minute`, `day`), None if absent."""

    def __init__(self, message, status=None, body=None, *, retry_after=None, problem=None):
        super().__init__(message, status, body)
        self.retry_after = retry_after
        self.problem = problem


class XeroValidationError(XeroError):
    """Xero rejected the request as sent; sending it again unchanged fails again.

    `elements` lists the documents Xero found fault with, as
    `{"index": <position in body["Elements"]>, "messages": [<ValidationErrors messages>]}`;
    it is empty when the rejection is about the request as a whole (malformed body, too large).
    """

    def __init__(self, message, status=None, body=None, *, elements=()):
        super().__init__(message, status, body)
        self.elements = list(elements)


class XeroTransientError(XeroError):
    """Xero or the network failed in a way that may pass: retry later, with the same
    Idempotency-Key for a write.

    `maybe_received` is False only when the request certainly never reached Xero (the
    connection could not be opened); otherwise a write may have been applied without its answer
    coming back, and the caller must find out before writing again.
    """

    def __init__(self, message, status=None, body=None, *, maybe_received=True):
        super().__init__(message, status, body)
        self.maybe_received = maybe_received


class XeroNotFoundError(XeroError):
    """The document, connection or path does not exist (for this tenant)."""


def validation_messages(element):
    """The `ValidationErrors` messages of one element of a Xero answer, in order.

    Shared by the 400 mapping and by callers reading a `summarizeErrors=false` 200 answer, where
    each element carries its own `ValidationErrors`.
    """
    return _messages(element, "ValidationErrors")


def warning_messages(element):
    """The `Warnings` messages of one element of a Xero answer: what Xero changed in an object
    it accepted (an unknown account code taken off a draft's line...)."""
    return _messages(element, "Warnings")


def _messages(element, key):
    return [
        error["Message"]
        for error in element.get(key) or ()
        if isinstance(error, dict) and error.get("Message")
    ]


def error_from_response(status, headers, body):
    """Map an HTTP error answer to the exception it means.

    `body` is the parsed JSON when the answer was JSON, else its text. This is the only place that
    decides which status or body means which exception.
    """
    headers = CaseInsensitiveDict(headers or {})
    message = _message(status, body)
    # OAuth endpoints (token, revocation) answer RFC 6749 section 5.2 errors, e.g. invalid_grant.
    if status in (400, 401) and isinstance(body, dict) and isinstance(body.get("error"), str):
        return XeroAuthenticationError(message, status, body, error=body["error"])
    if status in (401, 403):
        return XeroAuthenticationError(message, status, body)
    if status == 404:
        return XeroNotFoundError(message, status, body)
    if status == 429:
        return XeroRateLimitError(
            message,
            status,
            body,
            retry_after=_seconds(headers.get("Retry-After")),
            problem=headers.get("X-Rate-Limit-Problem"),
        )
    if status == 400:
        return XeroValidationError(message, status, body, elements=_elements(body))
    if status == 413:
        return XeroValidationError(
            "The request is larger than Xero accepts (3.5 MB): send fewer documents at once.",
            status,
            body,
        )
    if status >= 500:
        return XeroTransientError(message, status, body)
    return XeroError(message, status, body)


def raise_for_response(response):
    """Return `response` if it is a success (2xx); raise the mapped exception otherwise.

    A redirect is an error too: Xero does not redirect API calls, and `XeroOAuth.send` follows
    none."""
    if response.status_code < 300:
        return response
    try:
        body = response.json()
    except ValueError:
        body = response.text
    raise error_from_response(response.status_code, response.headers, body)


def error_from_exception(exc):
    """Map a requests exception (no HTTP answer) to a Xero exception. Its message keeps no
    query string: a where filter can name partners and their e-mails."""
    exc_text = _QUERY.sub(r"\1", str(exc))
    if isinstance(exc, requests.ConnectTimeout):
        return XeroTransientError(f"Could not reach Xero: {exc_text}", maybe_received=False)
    if isinstance(exc, requests.Timeout):
        return XeroTransientError(f"Xero did not answer in time: {exc_text}")
    if isinstance(exc, requests.ConnectionError):
        # Refused or unresolvable: never sent. Reset or closed mid-answer: perhaps received.
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", cause)
        never_sent = isinstance(reason, NewConnectionError) or "Connection refused" in str(exc)
        return XeroTransientError(
            f"Could not reach Xero: {exc_text}", maybe_received=not never_sent
        )
    return XeroError(f"Request to Xero failed: {exc_text}")


def _message(status, body):
    if isinstance(body, dict):
        # Accounting API errors carry Message; identity and gateway errors are RFC 7807 problem
        # details (Title, Detail); OAuth errors carry error and error_description.
        text = body.get("Message") or body.get("Detail") or body.get("Title")
        if body.get("error"):
            text = ": ".join(filter(None, (body["error"], body.get("error_description"))))
        messages = [m for element in _elements(body) for m in element["messages"]]
        if text and messages:
            return f"{text}: {'; '.join(dict.fromkeys(messages))}"
        if text:
            return str(text)
    elif isinstance(body, str) and body.strip():
        return body.strip()[:_MAX_TEXT_MESSAGE]
    return f"Xero answered HTTP {status}"


def _elements(body):
    if not isinstance(body, dict) or not isinstance(body.get("Elements"), list):
        return []
    elements = []
    for index, element in enumerate(body["Elements"]):
        messages = validation_messages(element) if isinstance(element, dict) else []
        if messages:
            elements.append({"index": index, "messages": messages})
    return elements


def _seconds(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
