import { router } from "@web/core/browser/router";
import { registry } from "@web/core/registry";

/**
 * Back from Xero's sign-in, the browser lands on the page the Xero session was started from,
 * with `xero_setup=<id>` in its URL (controllers/main.py): once that page is shown, the setup
 * opens over it as the dialog it was. When that dialog, or the send dialog that follows it,
 * closes, the page shows what changed, as it would after a dialog opened from one of its
 * buttons.
 */
export const xeroSetupResumeService = {
    dependencies: ["action"],
    start(env, { action }) {
        const wizardId = router.current.xero_setup;
        if (!Number.isInteger(wizardId)) {
            return;
        }
        const openSetup = async ({ detail: mode }) => {
            if (mode === "new") {
                return;
            }
            env.bus.removeEventListener("ACTION_MANAGER:UI-UPDATED", openSetup);
            await action.doActionButton({
                type: "object",
                name: "action_open",
                resModel: "xero.setup.wizard",
                resId: wizardId,
                onClose: (closeInfo) => {
                    // Closed by a notification that reloads the page itself: once is enough.
                    if (!closeInfo?.noReload && action.currentController) {
                        action.restore(action.currentController.jsId);
                    }
                },
            });
        };
        env.bus.addEventListener("ACTION_MANAGER:UI-UPDATED", openSetup);
    },
};

registry.category("services").add("account_xero_export.setup_resume", xeroSetupResumeService);
