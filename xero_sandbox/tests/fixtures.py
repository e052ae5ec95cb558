"""Fixtures for the sandbox's tests: one server for the session, reset before every test, with its
clock frozen at FIXED_NOW, and a test failed when the sandbox crashed on one of its requests;
Xero's OpenAPI description loaded once (its absence fails every test).

Test modules import them with ``from .fixtures import *``. They are not in a conftest.py because
pytest imports a conftest of a path given on the command line before pytest-odoo can name it
``odoo.addons.account_xero_export...``, and the addon cannot be imported under another name.
"""

from datetime import datetime, timezone

import pytest

from .. import SandboxServer, seed
from . import openapi
from .client import Client

__all__ = ["_openapi_location", "au", "client", "openapi_spec", "sandbox", "server"]

FIXED_NOW = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)


class _Summary:
    """Says at the end of the run what was checked against which OpenAPI description."""

    @staticmethod
    def pytest_terminal_summary(terminalreporter):
        terminalreporter.write_sep("-", f"Xero's OpenAPI description: {openapi.spec_dir()}")
        for (module, file_name), counts in sorted(openapi.STATS.items()):
            checked = " and ".join(f"{n} {what}" for what, n in counts.items())
            terminalreporter.write_line(f"{module}: {checked} checked against {file_name}")


@pytest.fixture(scope="session")
def openapi_spec(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("xero-sandbox-openapi"):
        manager.register(_Summary(), "xero-sandbox-openapi")
    try:
        return openapi.load_all()
    except openapi.SpecMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(autouse=True)
def _openapi_location(openapi_spec, record_property, request):
    """Every test depends on the description, records where it was found and counts checks."""
    record_property("xero_openapi", openapi.spec_dir())
    openapi.CURRENT["module"] = request.module.__name__.rsplit(".", 1)[-1]


@pytest.fixture(scope="session")
def server():
    srv = SandboxServer(now=FIXED_NOW).start()
    yield srv
    srv.stop()


@pytest.fixture
def sandbox(server):
    """The server, reset; a request the sandbox failed on (answered 500) fails the test."""
    server.clock.freeze(FIXED_NOW)
    server.reset()
    yield server
    fail_on_crash(server.sandbox.log.entries())


def fail_on_crash(entries):
    """Fail the test when the sandbox failed on one of the logged requests."""
    for entry in entries:
        if entry.get("crash"):
            pytest.fail(
                f"The sandbox failed on {entry['method']} {entry['path']}:\n{entry['crash']}",
                pytrace=False,
            )


@pytest.fixture
def client(sandbox):
    http = Client(sandbox.url)
    yield http
    http.close()


@pytest.fixture
def au(sandbox, client):
    """The Accounting API of the Australian organisation for the demo app, default scopes."""
    return client.api(sandbox.token(tenant_id=seed.AU_TENANT_ID))
