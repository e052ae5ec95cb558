/** @odoo-module */

import { registry } from "@web/core/registry";

// An invoicing user's send, started on Vendors > Bills where the test made three posted bills
// (refs INV-4471..3), one with a tax no Xero rate is mapped to (INV-4474) and one posted vendor
// credit note (CR-118): the dropdown beside the list's buttons, the review, the result, the
// form's own Send to Xero.
//
// At each `screenshot` step the tour waits for the test to capture the page when the test asks for
// it (window.accountXeroExportPause), and goes straight on otherwise.

const BILLS = ["INV-4471", "INV-4472", "INV-4473"];
const UNMAPPED = "INV-4474";
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

function dialogRow(ref) {
    return `.modal .o_xero_send_lines .o_data_row:has(td[name=move_id]):contains(${ref})`;
}

registry.category("web_tour.tours").add("account_xero_export_send", {
    steps: () => [
        {
            content: "Vendors > Bills shows bills: remove its filter to see the vendor credit notes too",
            trigger: ".o_searchview_facet:contains(Bills) .o_facet_remove",
            run: "click",
        },
        {
            content: "The list shows the credit note now",
            trigger: row(CREDIT_NOTE),
        },
        ...[...BILLS, UNMAPPED, CREDIT_NOTE].map(select),
        {
            trigger: ".o_list_selection_box:contains(5):contains(selected)",
        },
        {
            content: "Export to Other Platform, beside the list's own buttons",
            trigger: ".o_list_selection_container .o_xero_export_dropdown",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o_xero_send_credit_note:contains(Send Selected to Xero as Credit Note)",
        },
        screenshot("send_dropdown"),
        {
            content: "Send Selected to Xero as Invoice",
            trigger: ".o-dropdown--menu .o_xero_send_invoice:contains(Send Selected to Xero as Invoice)",
            run: "click",
        },
        {
            content: "Review: to the Australian organisation",
            trigger: ".modal .o_xero_review_step:contains(Sandbox Trading Pty Ltd)",
        },
        count("review", "create_count", 3),
        count("review", "update_count", 0),
        count("review", "skip_count", 1),
        count("review", "blocked_count", 1),
        {
            content: "The credit note is skipped, and the review says why",
            trigger: `${dialogRow(CREDIT_NOTE)}:contains(Skipped):contains(Does not fit this action: use Send to Xero as Credit Note)`,
        },
        {
            content: "The bill with an unmapped tax is blocked, in red, and says who can fix it",
            trigger: `${dialogRow(UNMAPPED)} .badge.text-bg-danger:contains(Blocked)`,
        },
        {
            trigger: `${dialogRow(UNMAPPED)}:contains(an accounting manager can map it in the Xero settings)`,
        },
        {
            content: "An invoicing user is not offered Fix Mappings",
            trigger: ".modal-footer:not(:has(button[name=action_fix_mappings])):has(button[name=action_send])",
        },
        {
            content: "A row opens its document",
            trigger: `${dialogRow(BILLS[0])} td[name=partner_id]`,
            run: "click",
        },
        {
            trigger: `.o_dialog .o_form_view .o_field_widget[name=ref]:contains(${BILLS[0]})`,
        },
        {
            content: "Close the document: the review is still there",
            trigger: ".o_dialog:has(.o_form_view .o_field_widget[name=ref]) .modal-footer .btn-primary:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o_dialog .o_form_view .o_field_widget[name=ref]))",
        },
        screenshot("send_review"),
        {
            content: "The primary button says what it does",
            trigger: ".modal-footer button.btn-primary[name=action_send]:contains(Send 3 to Xero)",
            run: "click",
        },
        count("result", "sent_count", 3),
        count("result", "failed_count", 1),
        count("result", "skip_count", 1),
        {
            content: "Each created document links to Xero",
            trigger: `${dialogRow(BILLS[0])}:contains(Created) .o_field_widget[name=xero_url] a:contains(View in Xero)`,
        },
        {
            content: "The skipped one has no link",
            trigger: `${dialogRow(CREDIT_NOTE)}:contains(Skipped) td[name=xero_url]:not(:has(a))`,
        },
        screenshot("send_result"),
        {
            content: "Close",
            trigger: ".modal-footer .btn-primary:contains(Close)",
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
            content: `${UNMAPPED} is a Xero error`,
            trigger: `${row(UNMAPPED)} td[name=xero_state] .badge:contains(Xero error)`,
        },
        {
            content: `${CREDIT_NOTE} is not in Xero yet`,
            trigger: `${row(CREDIT_NOTE)} td[name=xero_state]:contains(Not in Xero)`,
        },
        screenshot("send_sent"),
        {
            content: "Open a bill that was sent",
            trigger: `${row(BILLS[1])} td[name=name]`,
            run: "click",
        },
        {
            content: "It has a View in Xero button, and no Send to Xero",
            trigger:
                ".o_form_statusbar:has(button[name=action_view_in_xero]):not(:has(button[name=action_send_to_xero]))",
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
        {
            content: `Open ${UNMAPPED}, which was never sent`,
            trigger: `${row(UNMAPPED)} td[name=name]`,
            run: "click",
        },
        {
            content: "Its banner says who can fix it",
            trigger: ".alert-danger:contains(Not in Xero):contains(an accounting manager can map it)",
        },
        {
            trigger: ".o_notebook_headers a.nav-link[name=xero]",
            run: "click",
        },
        {
            content: "Its Xero tab has no View in Xero link",
            trigger: ".o_notebook .tab-pane:has(.o_field_widget[name=xero_state]):not(:has(.o_field_widget[name=xero_url]))",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Bills)",
            run: "click",
        },
        {
            content: `Open ${CREDIT_NOTE}`,
            trigger: `${row(CREDIT_NOTE)} td[name=name]`,
            run: "click",
        },
        {
            content: "A posted document not in Xero has Send to Xero in its header",
            trigger: ".o_form_statusbar button[name=action_send_to_xero]",
            run: "click",
        },
        count("review", "create_count", 1),
        count("review", "skip_count", 0),
        {
            content: "It chose Send to Xero as Credit Note",
            trigger: ".modal .modal-title:contains(Send to Xero as Credit Note)",
        },
        {
            trigger: ".modal-footer button[name=action_send]:contains(Send 1 to Xero)",
            run: "click",
        },
        count("result", "sent_count", 1),
        {
            trigger: ".modal-footer .btn-primary:contains(Close)",
            run: "click",
        },
        {
            content: `${CREDIT_NOTE} is in Xero now`,
            trigger:
                "body:not(:has(.modal)) .o_form_statusbar:has(button[name=action_view_in_xero]):not(:has(button[name=action_send_to_xero]))",
        },
    ],
});
