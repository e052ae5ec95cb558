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
            content: "Xero has its own section",
            trigger: '.dropdown-menu .dropdown-header:contains(Xero)',
        },
        {
            content: "Open Xero > Connection",
            trigger: '.dropdown-item[data-menu-xmlid="account_xero_export.xero_connection_menu"]',
            run: "click",
        },
        {
            content: "The company's connection opens, not connected yet, and says what that means",
            trigger:
                ".o_xero_status:has(.o_field_widget[name=state] .badge:contains(Not connected)):contains(start a Xero session)",
        },
        {
            content: "at an address of its own",
            trigger: "body",
            run() {
                if (!/^\/odoo\/xero\/\d+$/.test(location.pathname)) {
                    throw new Error(`the connection is at ${location.pathname}`);
                }
            },
        },
        {
            content: "It offers to start a Xero session",
            trigger: ".o_form_statusbar button[name=action_start_session]:contains(Start Xero Session)",
        },
    ],
});
