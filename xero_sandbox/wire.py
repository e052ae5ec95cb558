"""Requests, responses and Xero's wire formats (JSON numbers, /Date()/ dates, error bodies)."""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
ZERO_ID = "00000000-0000-0000-0000-000000000000"

# Xero's own ErrorNumber is known for ValidationException (10). The other numbers are the sandbox's
# choice; clients should branch on Type and the HTTP status, as Xero's SDKs do.
VALIDATION_EXCEPTION = (10, "ValidationException", "A validation exception occurred")


class BadRequest(Exception):
    """A request the sandbox refuses as a whole (400 unless another status is given)."""

    def __init__(self, message, error_type="PostDataInvalidException", status=400, number=14):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.status = status
        self.number = number


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> list of values, names as sent
    headers: object  # email.message.Message-like: case-insensitive get()
    body: bytes
    base_url: str

    @classmethod
    def build(cls, method, target, headers, body, base_url):
        path, _, query = target.partition("?")
        return cls(method, path, parse_qs(query, keep_blank_values=True), headers, body, base_url)

    def param(self, name, default=None):
        """A query parameter by case-insensitive name, as Xero reads them."""
        wanted = name.lower()
        for key, values in self.query.items():
            if key.lower() == wanted:
                return values[-1]
        return default

    def flag(self, name, default):
        value = self.param(name)
        if value is None:
            return default
        return value.strip().lower() == "true"

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        try:
            return json.loads(self.body or b"null", parse_float=Decimal)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadRequest(f"Invalid JSON: {error}") from error

    def form(self):
        """The form fields of a urlencoded body: name -> list of values."""
        return parse_qs(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a fault)


def _encode(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(status, data, headers=None):
    body = json.dumps(data, default=_encode, separators=(",", ":")).encode()
    return Response(
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


def html_response(status, page):
    return Response(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect(location):
    return Response(302, b"", {"Location": location})


def problem(status, title, detail, headers=None):
    """The body Xero's API gateway sends for 401, 403, 404 and 429."""
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return json_response(status, body, headers)


def api_error(status, error_type, message, number, elements=None):
    body = {"ErrorNumber": number, "Type": error_type, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return json_response(status, body)


def validation_exception(elements):
    number, error_type, message = VALIDATION_EXCEPTION
    return api_error(400, error_type, message, number, elements)


def ms_date(value):
    """Xero's Microsoft JSON date, e.g. /Date(1539993600000+0000)/."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=timezone.utc)
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def date_string(value):
    return value.isoformat() + "T00:00:00"


def parse_date(value):
    """A date as Xero accepts it: 2026-06-15, 2026-06-15T00:00:00 or /Date(ms+0000)/."""
    text = str(value).strip()
    ms = _MS_DATE.match(text)
    if ms:
        return datetime.fromtimestamp(int(ms.group(1)) / 1000, tz=timezone.utc).date()
    return date.fromisoformat(text[:10])


def to_decimal(value):
    """A JSON number (or numeric string) as a Decimal; None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
