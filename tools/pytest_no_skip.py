"""pytest plugin: a skipped test is a failed test.

Odoo skips browser tests silently when Chromium or websocket-client is missing; here that must
fail the run rather than pass unnoticed.
"""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped tests are not allowed here: {reason}"
