from . import xero_setup_wizard
