/** @odoo-module */

import { registry } from "@web/core/registry";

// Started on the company's Xero connection form. Between the first and the second step the test
// signs in at the Xero sandbox (another origin, where no tour runs) and consents to two
// organisations; Xero's redirect brings the browser back, and the tour resumes here.
registry.category("web_tour.tours").add("account_xero_export_connect", {
    steps: () => [
        {
            content: "Start Xero Session",
            trigger: "button[name=action_start_session]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Two organisations were authorised: choose the Australian one",
            trigger: ".o_field_widget[name=tenant_choice_id] .o_radio_item:contains(Pty Ltd) input",
            run: "click",
        },
        {
            trigger: "button[name=action_choose_organisation]",
            run: "click",
        },
        {
            content: "Purchase Account Reference, from Xero's live chart",
            trigger: ".o_field_widget[name=purchase_account_id] input",
            run: "edit 310",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(310 Cost of Goods Sold)",
            run: "click",
        },
        {
            content: "Sales Account Reference",
            trigger: ".o_field_widget[name=sales_account_id] input",
            run: "edit 200",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(200 Sales)",
            run: "click",
        },
        {
            trigger: "button[name=action_review]",
            run: "click",
        },
        {
            content: "Review what will be saved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Review)",
        },
        {
            trigger: "button[name=action_integrate]",
            run: "click",
        },
        {
            content: "Connected to the organisation",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Connected)",
        },
        {
            trigger: ".o_field_widget[name=organisation_name]:contains(Sandbox Trading Pty Ltd)",
        },
        {
            content: "Disconnect",
            trigger: "button[name=action_disconnect]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Disconnected)",
        },
    ],
});
