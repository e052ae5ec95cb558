"""The small, strict subset of Xero's ``where`` filter language the sandbox understands.

    expression := conjunction (("OR" | "||") conjunction)*
    conjunction := term (("AND" | "&&") term)*
    term       := "(" expression ")" | field OP literal | field "." METHOD "(" literal ")"
    field      := path ["." CASE "(" ")"]     e.g. Status, Contact.ContactID, Name.ToLower()
    path       := Name ("." Name)*
    OP         := == != > >= < <=
    METHOD     := Contains StartsWith EndsWith
    CASE       := ToLower ToUpper
    literal    := "text" | number | true | false | null | Guid("...") | DateTime(y, m, d[, h, m, s])

Anything else is a QueryParseException (400), as is a field the record does not have, so a filter
that Xero would refuse never silently matches everything here.

Text compares as it is written: ``Name=="acme"`` does not find "Acme". Xero's filters are case
sensitive ("the filter is not case [in]sensitive (but the create is)", freakboy3742/pyxero#172;
Code=="devd" does not find "DevD", calcinai/xero-php#416), and Xero's answer is ToLower():
"the Xero team suggest to use ToLower in where clause" (calcinai/xero-php#416; "They should
work", Xero's rjaus in XeroAPI/xero-ruby#184), e.g. ``Name.ToLower()=="acme"``.
"""

import re
from datetime import date, datetime
from decimal import Decimal

from .wire import BadRequest

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<op>==|!=|>=|<=|>|<|&&|\|\||[().,])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
_METHODS = {
    "Contains": lambda a, b: b in a,
    "StartsWith": lambda a, b: a.startswith(b),
    "EndsWith": lambda a, b: a.endswith(b),
}
_CASES = {"ToLower": str.lower, "ToUpper": str.upper}


def query_error(message):
    return BadRequest(message, error_type="QueryParseException", number=16)


def _tokenize(text):
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise query_error(f"Syntax error in where clause at position {position}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text, fields, type_name):
        self.tokens = _tokenize(text)
        self.index = 0
        self.fields = fields
        self.type_name = type_name

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else (None, None)

    def take(self, kind=None, value=None):
        token = self.peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1] != value):
            raise query_error(f"Syntax error in where clause near {token[1]!r}")
        self.index += 1
        return token[1]

    def keyword(self, *words):
        kind, value = self.peek()
        if (kind == "name" and value.upper() in words) or (kind == "op" and value in words):
            self.index += 1
            return True
        return False

    def parse(self):
        node = self.expression()
        if self.index != len(self.tokens):
            raise query_error(f"Syntax error in where clause near {self.peek()[1]!r}")
        return node

    def expression(self):
        nodes = [self.conjunction()]
        while self.keyword("OR", "||"):
            nodes.append(self.conjunction())
        return nodes[0] if len(nodes) == 1 else lambda record: any(n(record) for n in nodes)

    def conjunction(self):
        nodes = [self.term()]
        while self.keyword("AND", "&&"):
            nodes.append(self.term())
        return nodes[0] if len(nodes) == 1 else lambda record: all(n(record) for n in nodes)

    def term(self):
        if self.peek() == ("op", "("):
            self.take()
            node = self.expression()
            self.take("op", ")")
            return node
        path = [self.take("name")]
        case = None
        while self.peek() == ("op", "."):
            self.take()
            name = self.take("name")
            if self.peek() == ("op", "(") and name in _METHODS:
                return self.method_call(path, name, case)
            if case is not None:  # nothing but a method after ToLower()
                raise query_error(f"Syntax error in where clause near {name!r}")
            if self.peek() == ("op", "(") and name in _CASES:
                self.take()
                self.take("op", ")")
                case = _CASES[name]
            else:
                path.append(name)
        self.check_field(path)
        operator = self.take("op")
        if operator not in _COMPARE:
            raise query_error(f"Syntax error in where clause near {operator!r}")
        literal = self.literal()
        return lambda record: _compare(_lookup(record, path, case), operator, literal)

    def method_call(self, path, method, case=None):
        self.check_field(path)
        self.take("op", "(")
        literal = self.literal()
        self.take("op", ")")
        if not isinstance(literal, str):
            raise query_error(f"{method} needs a text argument")
        test = _METHODS[method]

        def node(record):
            value = _lookup(record, path, case)
            return isinstance(value, str) and test(value, literal)

        return node

    def check_field(self, path):
        if path[0] not in self.fields:
            raise query_error(f"No property or field '{path[0]}' exists in type '{self.type_name}'")

    def literal(self):
        kind, value = self.peek()
        if kind == "string":
            self.take()
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "number":
            self.take()
            return Decimal(value)
        if kind == "name" and value in ("true", "false", "null"):
            self.take()
            return {"true": True, "false": False, "null": None}[value]
        if kind == "name" and value == "Guid":
            self.take()
            self.take("op", "(")
            text = self.literal()
            self.take("op", ")")
            return str(text).lower()
        if kind == "name" and value == "DateTime":
            self.take()
            self.take("op", "(")
            parts = [int(self.take("number"))]
            while self.peek() == ("op", ","):
                self.take()
                parts.append(int(self.take("number")))
            self.take("op", ")")
            try:
                return datetime(*parts) if len(parts) > 3 else date(*parts)
            except (TypeError, ValueError) as error:
                raise query_error(f"Invalid DateTime in where clause: {error}") from error
        raise query_error(f"Syntax error in where clause near {value!r}")


def _lookup(record, path, case=None):
    value = record
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    if case is not None and isinstance(value, str):
        return case(value)
    return value


def _comparable(value, literal):
    """Bring a field value and a literal to one type, as Xero's typed filters do."""
    if isinstance(value, datetime) and type(literal) is date:
        return value.date(), literal
    if isinstance(literal, datetime) and isinstance(value, date):
        if not isinstance(value, datetime):
            return datetime.combine(value, datetime.min.time()), literal
        return value.replace(tzinfo=None), literal
    if isinstance(literal, Decimal) and isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)), literal
    if isinstance(literal, str) and isinstance(value, str) and _looks_like_guid(literal):
        return value.lower(), literal
    return value, literal


def _looks_like_guid(text):
    return (
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
        is not None
    )


def _compare(value, operator, literal):
    value, literal = _comparable(value, literal)
    if operator in ("==", "!="):
        return _COMPARE[operator](value, literal)
    try:
        return _COMPARE[operator](value, literal)
    except TypeError:
        return False


def compile_where(text, fields, type_name):
    """A predicate over a record (a dict of Xero field names) for the filter ``text``."""
    return _Parser(text, fields, type_name).parse()
