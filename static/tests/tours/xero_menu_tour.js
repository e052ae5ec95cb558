/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("account_xero_export_menu", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open Invoicing"),
        {
            content: "Open Configuration",
            trigger: '.o_menu_sections [data-menu-xmlid="account.menu_finance_configuration"]',
            run: "click",
        },
        {
            content: "Open Xero",
            trigger: '.dropdown-item[data-menu-xmlid="account_xero_export.xero_connection_menu"]',
            run: "click",
        },
        {
            content: "Create the company's connection",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "A new connection is not connected",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Not connected)",
        },
        {
            content: "Save it",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});
