"""Xero's OpenAPI description: found, loaded once per session, and used to check HTTP traffic.

The description is looked for in ``$XERO_OPENAPI_DIR``, else in ``../shared/xero-openapi`` next to
the real path of the repository (the repository is also reached through a symlink). When it is
missing, the tests fail and say where they looked.

Request bodies are checked with OAS30WriteValidator (no read-only fields), responses with
OAS30ReadValidator, both with the OpenAPI 3.0 format checker (uuid, date-time...).

Xero's schemas require nothing and allow any key, so `{}` or a misspelt key would pass them.
Request bodies are therefore checked against stricter copies of the schemas the addon writes
(`STRICT_WRITES`, applied here: the description itself stays as Xero publishes it). Responses
are checked against the schemas as published.
"""

import functools
import os
import re
from collections import defaultdict

import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

FILES = {"accounting": "xero_accounting.yaml", "identity": "xero-identity.yaml"}
API_PREFIX = "/api.xro/2.0"
METHODS = ("get", "put", "post", "delete")
WRITE_METHODS = ("PUT", "POST")


def _one_of_keys(*keys):
    return {"anyOf": [{"required": list(names)} for names in keys]}


# What each written object needs, as Xero says; every one of them also gets
# additionalProperties: false (a key outside the schema is a typo or a field Xero ignores).
STRICT_WRITES = {
    # The wrappers: a body without its list is "No data has been processed" for Xero.
    "Invoices": {"required": ["Invoices"]},
    "CreditNotes": {"required": ["CreditNotes"]},
    "Contacts": {"required": ["Contacts"]},
    "Allocations": {"required": ["Allocations"]},
    # A new document needs at least Type, Contact and LineItems (Xero's Invoices and Credit
    # Notes documentation, see XERO_FACTS.md); an update names the document by its id.
    "Invoice": _one_of_keys(["InvoiceID"], ["Type", "Contact", "LineItems"]),
    "CreditNote": _one_of_keys(["CreditNoteID"], ["Type", "Contact", "LineItems"]),
    # "The Contact must contain at least 1 of the following elements to identify the contact:
    # Name, ContactID, ContactNumber" (Xero's error, in the description's own examples).
    "Contact": _one_of_keys(["ContactID"], ["Name"], ["ContactNumber"]),
    # "Description needs to be at least 1 char long" (LineItem.Description), unless an item
    # gives it (ItemCode) or the line already exists (LineItemID).
    "LineItem": _one_of_keys(["Description"], ["ItemCode"], ["LineItemID"]),
    # A tracking option by its names (Xero's examples) or by its ids.
    "LineItemTracking": _one_of_keys(
        ["Name", "Option"], ["TrackingCategoryID", "TrackingOptionID"]
    ),
    # Allocation already requires Amount, Invoice and Date; the invoice is named by its id only.
    "Allocation": {
        "properties": {
            "Invoice": {
                "type": "object",
                "required": ["InvoiceID"],
                "additionalProperties": False,
                "properties": {"InvoiceID": {"type": "string", "format": "uuid"}},
            }
        }
    },
}

# What was checked, per test module and description file, for the summary at the end of the run.
STATS = defaultdict(lambda: {"request bodies": 0, "responses": 0})
CURRENT = {"module": "?"}


def _count(spec, what):
    STATS[(CURRENT["module"], os.path.basename(spec.path))][what] += 1


class SpecMissing(Exception):
    pass


def spec_dir():
    override = os.environ.get("XERO_OPENAPI_DIR")
    if override:
        return os.path.realpath(override)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    return os.path.realpath(os.path.join(repo, "..", "shared", "xero-openapi"))


def _pointer(*parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def strict(document, overlay):
    """A copy of `document` whose schemas named in `overlay` get its additions and
    additionalProperties: false; `document` itself is not changed."""
    schemas = dict(document["components"]["schemas"])
    for name, additions in overlay.items():
        schema = dict(schemas[name], additionalProperties=False)
        for key, value in additions.items():
            schema[key] = {**schema[key], **value} if key == "properties" else value
        schemas[name] = schema
    return {**document, "components": {**document["components"], "schemas": schemas}}


def _registry(uri, document):
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    return Registry().with_resource(uri, resource)


class Spec:
    def __init__(self, name, path, document, overlay=None):
        self.name = name
        self.path = path
        self.document = document
        self.uri = f"urn:xero-openapi:{name}"
        self.registry = _registry(self.uri, document)
        self.write_registry = _registry(self.uri, strict(document, overlay or {}))
        self.operations = []
        for template, item in document["paths"].items():
            regex = re.escape(template)
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
            for method in METHODS:
                if method in item:
                    self.operations.append(
                        (method, re.compile(regex + "$", re.IGNORECASE), template, item[method])
                    )
        # A literal segment beats a parameter; among parameters, the ...ID ones come first.
        self.operations.sort(key=lambda op: (op[2].count("{"), "ID}" not in op[2]))

    def operation(self, method, path):
        for op_method, regex, template, operation in self.operations:
            if op_method == method.lower() and regex.match(path):
                return template, operation
        return None, None

    @functools.cache  # noqa: B019 (one Spec per file for the whole session)
    def validator(self, pointer, write):
        cls = OAS30WriteValidator if write else OAS30ReadValidator
        return cls(
            {"$ref": self.uri + "#" + pointer},
            registry=self.write_registry if write else self.registry,
            format_checker=oas30_format_checker,
        )

    def check(self, pointer, instance, write, what):
        errors = sorted(self.validator(pointer, write).iter_errors(instance), key=str)
        if errors:
            details = "\n".join(
                f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
                for e in errors[:10]
            )
            raise AssertionError(f"{what} does not match {self.path}#{pointer}:\n{details}")

    def resolve(self, node, pointer):
        """Follow a $ref to components/responses; (node, its pointer)."""
        ref = node.get("$ref")
        if not ref:
            return node, pointer
        parts = ref.removeprefix("#/").split("/")
        node = self.document
        for part in parts:
            node = node[part]
        return node, "/" + "/".join(parts)


@functools.cache
def load(name):
    directory = spec_dir()
    path = os.path.join(directory, FILES[name])
    if not os.path.isfile(path):
        raise SpecMissing(
            f"Xero's OpenAPI description {FILES[name]} was not found: looked in {directory} "
            "(../shared/xero-openapi beside the repository's real path, or $XERO_OPENAPI_DIR)"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, "rb") as handle:
        document = yaml.load(handle, Loader=loader)
    return Spec(name, path, document, STRICT_WRITES if name == "accounting" else None)


def load_all():
    return {name: load(name) for name in FILES}


def _json_schema_pointer(node, pointer):
    if "application/json" not in node.get("content", {}):
        return None
    return pointer + _pointer("content", "application/json", "schema")


def check_request(method, path, body):
    """Check a JSON request body against the operation's requestBody schema; True when a body
    was checked, False when there was none to check (a GET, a file)."""
    if path.startswith(API_PREFIX):
        spec = load("accounting")
        template, operation = spec.operation(method, path[len(API_PREFIX) :])
        assert operation, f"Xero's Accounting API has no {method} {path}"
        if body is None or "requestBody" not in operation:
            return False
        pointer = _pointer("paths", template, method.lower(), "requestBody")
        node, pointer = spec.resolve(operation["requestBody"], pointer)
        schema_pointer = _json_schema_pointer(node, pointer)
        if not schema_pointer:
            return False
        spec.check(schema_pointer, body, True, f"request body of {method} {path}")
    elif path == "/connect/token" and body and body.get("grant_type") == "refresh_token":
        spec = load("identity")
        spec.check("/components/schemas/RefreshToken", body, True, "refresh token request")
    else:
        return False
    _count(spec, "request bodies")
    return True


def check_logged_requests(entries):
    """Check the request bodies of a sandbox request log (GET /_sandbox/requests).

    Every JSON body written to the Accounting API must be checked, and at least one when
    anything was written: a write whose body no schema checked would otherwise pass unseen.
    Returns how many written bodies were checked."""
    checked = writes = 0
    for entry in entries:
        method, path = entry["method"], entry["path"]
        content_type = next(
            (v.lower() for k, v in entry["headers"].items() if k.lower() == "content-type"), ""
        )
        # The log keeps JSON and form bodies as they were; of any other only its size.
        readable = "json" in content_type or "x-www-form-urlencoded" in content_type
        validated = check_request(method, path, entry.get("body") if readable else None)
        if method not in WRITE_METHODS or not path.startswith(API_PREFIX):
            continue
        writes += 1
        checked += validated
        if not validated and "json" in content_type:
            raise AssertionError(
                f"{method} {path} sent JSON that no schema of Xero's description checked"
            )
    if writes and not checked:
        raise AssertionError(
            f"{writes} write(s) to Xero, and not one body checked against its OpenAPI "
            "description: the check saw nothing"
        )
    return checked


def check_response(method, path, response):
    """Check a JSON response against the schema Xero documents for its status, if it does."""
    status = str(response.status_code)
    if path.startswith(API_PREFIX):
        spec = load("accounting")
        template, operation = spec.operation(method, path[len(API_PREFIX) :])
        assert operation, f"Xero's Accounting API has no {method} {path}"
        pointer = _pointer("paths", template, method.lower(), "responses", status)
    elif path.lower().startswith("/connections"):
        spec = load("identity")
        template, operation = spec.operation(method, path)
        assert operation, f"Xero's identity API has no {method} {path}"
        pointer = _pointer("paths", template, method.lower(), "responses", status)
    elif path == "/connect/token" and status == "200":
        spec = load("identity")
        spec.check("/components/schemas/AccessToken", response.json(), False, "token response")
        _count(spec, "responses")
        return
    else:
        return
    documented = operation["responses"].get(status)
    if documented is None:
        return
    node, pointer = spec.resolve(documented, pointer)
    if "content" not in node:
        assert not response.content, f"{method} {path} {status} should have no body"
        return
    schema_pointer = _json_schema_pointer(node, pointer)
    if schema_pointer is None:
        return  # a file, not JSON
    spec.check(schema_pointer, response.json(), False, f"response to {method} {path} ({status})")
    _count(spec, "responses")
