{
    "name": "Xero Invoice Export",
    "summary": "Send customer invoices, vendor bills and credit notes to Xero, exactly once",
    "version": "18.0.1.3.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Xero Invoice Export contributors",
    "depends": ["account"],
    "external_dependencies": {"python": ["requests_oauthlib", "cryptography"]},
    "data": [
        "security/account_xero_export_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/xero_connection_views.xml",
        "views/res_config_settings_views.xml",
        "views/xero_setup_wizard_views.xml",
        "views/xero_templates.xml",
        "views/xero_send_wizard_views.xml",
        "views/xero_export_batch_views.xml",
        "views/xero_move_export_views.xml",
        "views/account_move_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "account_xero_export/static/src/*",
        ],
        "web.assets_tests": [
            "account_xero_export/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
