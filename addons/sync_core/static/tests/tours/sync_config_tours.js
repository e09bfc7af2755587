/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * A sync manager rolls a backend's configuration back to an earlier restore point: the diff
 * is shown first, applied only after confirmation (run by tests/test_config_tour.py).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sync_core_tour_config_rollback", {
    steps: () => [
        {
            content: "Open the restore points of the backend",
            trigger: ".o_form_view button[name=action_config_snapshots]",
            run: "click",
        },
        {
            content: "Roll back to the configuration before the import",
            trigger: ".o_data_row:contains(Before Import of prod.json) button[name=action_rollback]",
            run: "click",
        },
        {
            content: "The diff is shown before anything changes",
            trigger: ".modal .o_field_widget[name=diff_text]:contains(Pull every)",
        },
        {
            content: "Apply",
            trigger: ".modal .modal-footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:contains(Apply these changes) .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The rollback is the newest restore point, and current",
            trigger: ".o_list_view .o_data_row:contains(Roll back to Before Import)",
        },
    ],
});
