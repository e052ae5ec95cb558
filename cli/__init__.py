from . import xero_rotate_keys
