/** @odoo-module */

import { registry } from "@web/core/registry";

// The seed flow, started on the bills list (bills and vendor credit notes) where the test made three
// posted bills (refs INV-4471..3) and one posted vendor credit note (CR-118).
//
// At each `screenshot` step the tour waits for the test to capture the page when the test asks for
// it (window.accountXeroExportPause), and goes straight on otherwise.

const BILLS = ["INV-4471", "INV-4472", "INV-4473"];
const CREDIT_NOTE = "CR-118";

function row(ref) {
    return `.o_list_view .o_data_row:contains(${ref})`;
}

function select(ref) {
    return {
        content: `Select ${ref}`,
        trigger: `${row(ref)} .o_list_record_selector input`,
        run: "click",
    };
}

function sendWith(label) {
    return [
        {
            content: "Open the Action menu",
            trigger: ".o_cp_action_menus .dropdown-toggle:contains(Actions)",
            run: "click",
        },
        {
            content: label,
            trigger: `.o-dropdown--menu .dropdown-item:contains(Export to Other Platform: ${label})`,
            run: "click",
        },
    ];
}

function screenshot(name) {
    return {
        content: `Screenshot: ${name}`,
        trigger: "body",
        run: () => window.accountXeroExportPause?.(name),
    };
}

function count(step, field, value) {
    return {
        content: `${field}: ${value}`,
        trigger: `.modal .o_xero_${step}_step .o_field_widget[name=${field}]:contains(${value})`,
    };
}

registry.category("web_tour.tours").add("account_xero_export_send", {
    steps: () => [
        ...[...BILLS, CREDIT_NOTE].map(select),
        {
            trigger: ".o_list_selection_box:contains(4):contains(selected)",
        },
        ...sendWith("Send to Xero as Invoice"),
        {
            content: "Review: to the Australian organisation",
            trigger: ".modal .o_xero_review_step:contains(Sandbox Trading Pty Ltd)",
        },
        count("review", "create_count", 3),
        count("review", "update_count", 0),
        count("review", "skip_count", 1),
        count("review", "blocked_count", 0),
        {
            content: "The credit note is skipped, and the review says why",
            trigger:
                ".modal .o_data_row:contains(Skipped):contains(Does not fit this action: use Send to Xero as Credit Note)",
        },
        screenshot("review"),
        {
            content: "Ok: send",
            trigger: ".modal-footer button[name=action_send]",
            run: "click",
        },
        count("result", "sent_count", 3),
        count("result", "failed_count", 0),
        count("result", "skip_count", 1),
        {
            content: "Each created document links to Xero",
            trigger:
                ".modal .o_data_row:contains(Created) .o_field_widget[name=xero_url] a:contains(View in Xero)",
        },
        {
            content: "The skipped one has no link",
            trigger: ".modal .o_data_row:contains(Skipped) td[name=xero_url]:not(:has(a))",
        },
        screenshot("result"),
        {
            content: "Ok: close",
            trigger: ".modal-footer .btn-primary:contains(Ok)",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        ...BILLS.map((ref) => ({
            content: `${ref} is Sent`,
            trigger: `${row(ref)} td[name=xero_state] .badge:contains(Sent)`,
        })),
        {
            content: `${CREDIT_NOTE} is not in Xero yet`,
            trigger: `${row(CREDIT_NOTE)} td[name=xero_state]:contains(Not in Xero)`,
        },
        screenshot("sent"),
        {
            content: "Open a bill",
            trigger: `${row(BILLS[1])} td[name=name]`,
            run: "click",
        },
        {
            content: "It has a View in Xero button",
            trigger: ".o_form_view .o_form_statusbar button[name=action_view_in_xero]",
        },
        {
            content: "Its Xero tab",
            trigger: ".o_notebook_headers a.nav-link[name=xero]",
            run: "click",
        },
        {
            content: "The Xero link points at the document Xero gave back",
            trigger: ".o_field_widget[name=xero_url] a[href*='/invoicing/view/']",
            run() {
                const xeroId = document.querySelector(".o_field_widget[name=xero_id]").textContent;
                if (!xeroId.trim() || !this.anchor.href.endsWith(`/invoicing/view/${xeroId.trim()}`)) {
                    throw new Error(`${this.anchor.href} does not link to ${xeroId}`);
                }
            },
        },
        {
            content: "Back to the bills",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Bills)",
            run: "click",
        },
        select(CREDIT_NOTE),
        ...sendWith("Send to Xero as Credit Note"),
        count("review", "create_count", 1),
        count("review", "skip_count", 0),
        {
            trigger: ".modal-footer button[name=action_send]",
            run: "click",
        },
        count("result", "sent_count", 1),
        {
            trigger: ".modal-footer .btn-primary:contains(Ok)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: `${CREDIT_NOTE} is Sent`,
            trigger: `${row(CREDIT_NOTE)} td[name=xero_state] .badge:contains(Sent)`,
        },
    ],
});
