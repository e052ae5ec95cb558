/** @odoo-module */

import { registry } from "@web/core/registry";

// Started on Invoicing's Settings. Between "Start Xero Session" and the next step the test signs
// in at the Xero sandbox (another origin, where no tour runs) and consents to two organisations;
// Xero's redirect brings the browser back to Settings, the setup opens over it, and the tour
// resumes there. At each `screenshot` step the test captures the page when it asks for it.

function screenshot(name) {
    return {
        content: `Screenshot: ${name}`,
        trigger: "body",
        run: () => window.accountXeroExportPause?.(name),
    };
}

function closeNotifications() {
    return [
        {
            content: "Close the notification",
            trigger: ".o_notification:contains(Invalid fields) .o_notification_close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o_notification))",
        },
    ];
}

function dialogTitled(title) {
    return {
        content: `The setup's dialog: ${title}`,
        trigger: `.modal .modal-title:contains(${title})`,
    };
}

registry.category("web_tour.tours").add("account_xero_export_connect", {
    steps: () => [
        {
            content: "Search the settings for Xero",
            trigger: ".o_searchview_input",
            run: "edit Xero",
        },
        {
            content: "Xero's block is found, not connected yet",
            trigger: "#xero_connection:contains(Not connected)",
        },
        screenshot("connect_settings"),
        {
            content: "Start Xero Session",
            trigger: "#xero_connection button[name=action_xero_start_session]",
            run: "click",
            expectUnloadPage: true,
        },
        dialogTitled("Choose the Xero Organisation"),
        {
            content: "Next without choosing: the choice is marked as required, nothing is sent",
            trigger: ".modal-footer button[name=action_choose_organisation]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_invalid[name=tenant_choice_id]",
        },
        ...closeNotifications(),
        {
            content: "Two organisations were authorised: choose the Australian one",
            trigger: ".modal .o_field_widget[name=tenant_choice_id] .o_radio_item:contains(Pty Ltd) input",
            run: "click",
        },
        {
            trigger: ".modal-footer button[name=action_choose_organisation]",
            run: "click",
        },
        dialogTitled("Accounts, Taxes and Tracking for Xero"),
        {
            content: "Review without the account references: both are marked as required",
            trigger: ".modal-footer button[name=action_review]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_invalid[name=purchase_account_id]",
        },
        {
            trigger: ".modal .o_field_invalid[name=sales_account_id]",
        },
        ...closeNotifications(),
        {
            content: "Purchase Account Reference, from Xero's live chart",
            trigger: ".modal .o_field_widget[name=purchase_account_id] input",
            run: "edit 310",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(310 Cost of Goods Sold)",
            run: "click",
        },
        {
            content: "Sales Account Reference",
            trigger: ".modal .o_field_widget[name=sales_account_id] input",
            run: "edit 200",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(200 Sales)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=sales_account_id] input:value(200 Sales)",
        },
        {
            trigger: ".modal-footer button[name=action_review]",
            run: "click",
        },
        dialogTitled("Review and Integrate"),
        {
            content: "The organisation's currencies, in words",
            trigger: ".modal .o_field_widget[name=currency_names]:contains(Australian dollar (base))",
        },
        {
            trigger: ".modal .o_field_widget[name=sales_account_id]:contains(200 Sales)",
        },
        {
            content: "Every tax has its Xero rate: no warning",
            trigger: ".modal:has(.modal-title:contains(Review and Integrate)) .o_form_view:not(:has(.alert-warning))",
        },
        screenshot("connect_review"),
        {
            trigger: ".modal-footer button[name=action_integrate]",
            run: "click",
        },
        {
            content: "Done: a notification says so",
            trigger: ".o_notification:contains(Connected to Sandbox Trading Pty Ltd)",
        },
        {
            content: "Back on Settings, where it started, reloaded: the block says Connected",
            trigger: "body:not(:has(.modal)) #xero_connection .badge:contains(Connected)",
        },
        {
            content: "and its address no longer opens the setup",
            trigger: "body",
            run() {
                if (new URL(location.href).searchParams.has("xero_setup")) {
                    throw new Error(`${location.href} would open the setup again`);
                }
            },
        },
        {
            trigger: ".o_searchview_input",
            run: "edit Xero",
        },
        {
            trigger: "#xero_connection .highlighter:contains(Xero)",
        },
        screenshot("connect_done"),
        {
            content: "Open the connection",
            trigger: "#xero_connection button[name=action_xero_open_connection]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=organisation_name]:contains(Sandbox Trading Pty Ltd)",
        },
        {
            content: "The organisation in words",
            trigger: ".o_field_widget[name=country_id]:contains(Australia)",
        },
        {
            content: "Disconnect",
            trigger: ".o_form_statusbar button[name=action_disconnect]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "A notification says so",
            trigger: ".o_notification:contains(Disconnected from Sandbox Trading Pty Ltd)",
        },
        {
            content: "and a banner stays on the connection",
            trigger: ".o_xero_disconnected_banner:contains(nothing is sent until you start a Xero session again)",
        },
        {
            trigger: ".o_field_widget[name=state] .badge:contains(Disconnected)",
        },
    ],
});
