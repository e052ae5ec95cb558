/** @odoo-module */

import { registry } from "@web/core/registry";

// An accounting manager's send while Xero asks for the connection again, started on Vendors >
// Bills where the test made one posted bill (INV-5001). Between "Start Xero Session" and the
// next step the test signs in at the Xero sandbox; Xero's redirect brings the browser back to
// the bills list, and the tour resumes there.

const row = ".o_list_view .o_data_row:contains(INV-5001)";

registry.category("web_tour.tours").add("account_xero_export_send_reconnect", {
    steps: () => [
        {
            trigger: `${row} .o_list_record_selector input`,
            run: "click",
        },
        {
            trigger: ".o_list_selection_container .o_xero_export_dropdown",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o_xero_send_invoice",
            run: "click",
        },
        {
            content: "The dialog says why nothing can be sent yet",
            trigger: ".modal .o_xero_connect_step .alert-warning:contains(authorised again)",
        },
        {
            content: "Start Xero Session",
            trigger: ".modal-footer button[name=action_start_session]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the bills, with the setup over them, the accounts as they were",
            trigger: `body:has(${row}) .modal .modal-title:contains(Accounts, Taxes and Tracking for Xero)`,
        },
        {
            trigger: ".modal .o_field_widget[name=purchase_account_id] input:value(310 Cost of Goods Sold)",
        },
        {
            trigger: ".modal-footer button[name=action_review]",
            run: "click",
        },
        {
            trigger: ".modal .modal-title:contains(Review and Integrate)",
        },
        {
            trigger: ".modal-footer button[name=action_integrate]",
            run: "click",
        },
        {
            content: "Connected, says a notification",
            trigger: ".o_notification:contains(Connected to Sandbox Trading Pty Ltd)",
        },
        {
            content: "and the send goes on where it stopped: the same selection's review",
            trigger: ".modal .o_xero_review_step .o_field_widget[name=create_count]:contains(1)",
        },
        {
            trigger: ".modal-footer button[name=action_send]:contains(Send 1 to Xero)",
            run: "click",
        },
        {
            trigger: ".modal .o_xero_result_step .o_field_widget[name=sent_count]:contains(1)",
        },
        {
            trigger: ".modal-footer .btn-primary:contains(Close)",
            run: "click",
        },
        {
            trigger: `body:not(:has(.modal)) ${row} td[name=xero_state] .badge:contains(Sent)`,
        },
    ],
});
