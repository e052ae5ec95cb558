from . import (
    test_amounts,
    test_connection,
    test_install,
    test_payloads,
    test_sandbox_checks,
    test_send,
    test_ui,
    test_uninstall,
    test_xero_client,
)
