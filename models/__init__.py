from . import (
    account_move,
    xero_account,
    xero_category_account,
    xero_connection,
    xero_connection_secret,
    xero_export_batch,
    xero_move_export,
    xero_oauth_state,
    xero_partner_link,
    xero_tax_mapping,
    xero_tax_rate,
    xero_tracking_mapping,
)
