from . import xero_connection
