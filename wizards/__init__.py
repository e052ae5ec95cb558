from . import xero_send_wizard, xero_setup_wizard
