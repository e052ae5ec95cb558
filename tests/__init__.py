from . import test_install, test_ui, test_xero_client
