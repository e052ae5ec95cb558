import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { X2ManyField, x2ManyField } from "@web/views/fields/x2many/x2many_field";
import { FormViewDialog } from "@web/views/view_dialogs/form_view_dialog";

/**
 * The send dialog's documents: a row opens its document over the dialog, which stays as it is
 * (the line itself is nothing a user reads on its own).
 */
export class XeroSendLinesField extends X2ManyField {
    setup() {
        super.setup();
        this.dialog = useService("dialog");
    }

    async openRecord(record) {
        const [resId, name] = record.data.move_id;
        this.dialog.add(FormViewDialog, {
            resModel: "account.move",
            resId,
            title: name,
            mode: "readonly",
            preventEdit: true,
            preventCreate: true,
        });
    }
}

registry.category("fields").add("xero_send_lines", {
    ...x2ManyField,
    component: XeroSendLinesField,
});
