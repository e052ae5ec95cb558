"""Xero's OpenAPI description: found, loaded once per session, and used to check HTTP traffic.

The description is looked for in ``$XERO_OPENAPI_DIR``, else in ``../shared/xero-openapi`` next to
the real path of the repository (the repository is also reached through a symlink). When it is
missing, the tests fail and say where they looked.

Request bodies are checked with OAS30WriteValidator (no read-only fields), responses with
OAS30ReadValidator, both with the OpenAPI 3.0 format checker (uuid, date-time...).
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


class Spec:
    def __init__(self, name, path, document):
        self.name = name
        self.path = path
        self.document = document
        self.uri = f"urn:xero-openapi:{name}"
        resource = Resource.from_contents(document, default_specification=DRAFT4)
        self.registry = Registry().with_resource(self.uri, resource)
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
            registry=self.registry,
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
        return Spec(name, path, yaml.load(handle, Loader=loader))


def load_all():
    return {name: load(name) for name in FILES}


def _json_schema_pointer(node, pointer):
    if "application/json" not in node.get("content", {}):
        return None
    return pointer + _pointer("content", "application/json", "schema")


def check_request(method, path, body):
    """Check a JSON request body against the operation's requestBody schema."""
    if path.startswith(API_PREFIX):
        spec = load("accounting")
        template, operation = spec.operation(method, path[len(API_PREFIX) :])
        assert operation, f"Xero's Accounting API has no {method} {path}"
        if body is None or "requestBody" not in operation:
            return
        pointer = _pointer("paths", template, method.lower(), "requestBody")
        node, pointer = spec.resolve(operation["requestBody"], pointer)
        schema_pointer = _json_schema_pointer(node, pointer)
        if schema_pointer:
            spec.check(schema_pointer, body, True, f"request body of {method} {path}")
            _count(spec, "request bodies")
    elif path == "/connect/token" and body and body.get("grant_type") == "refresh_token":
        spec = load("identity")
        spec.check("/components/schemas/RefreshToken", body, True, "refresh token request")
        _count(spec, "request bodies")


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
