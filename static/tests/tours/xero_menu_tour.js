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
            content: "The company's connection opens, not connected yet",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Not connected)",
        },
        {
            content: "It offers to start a Xero session",
            trigger: "button[name=action_start_session]:contains(Start Xero Session)",
        },
    ],
});
