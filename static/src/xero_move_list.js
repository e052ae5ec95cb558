import { AccountMoveListController } from "@account/views/account_move_list/account_move_list_controller";
import { accountMoveUploadListView } from "@account/views/account_move_list/account_move_list_view";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { onWillStart } from "@odoo/owl";

/**
 * Invoices, bills and credit notes: with records selected, an "Export to Other Platform"
 * dropdown beside Odoo's own buttons sends them to Xero, as the Action menu's entries do.
 */
export class XeroMoveListController extends AccountMoveListController {
    static template = "account_xero_export.MoveListView";
    static components = { ...AccountMoveListController.components, Dropdown, DropdownItem };

    setup() {
        super.setup();
        onWillStart(async () => {
            this.canSendToXero =
                this.props.resModel === "account.move" &&
                (await user.hasGroup("account.group_account_invoice"));
        });
    }

    /** @param {"invoice"|"credit_note"} kind */
    async sendToXero(kind) {
        await this.actionService.doActionButton({
            type: "object",
            name: kind === "invoice" ? "action_send_to_xero_invoice" : "action_send_to_xero_credit_note",
            resModel: "account.move",
            resIds: await this.getSelectedResIds(),
            context: this.props.context,
            // The Xero column shows what was sent once the dialog is closed.
            onClose: () => this.model.load(),
        });
    }
}

registry.category("views").add("account_xero_tree", {
    ...accountMoveUploadListView,
    Controller: XeroMoveListController,
});
