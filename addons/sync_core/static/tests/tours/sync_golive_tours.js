/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * An admin rehearses the first load of a backend, reads the counts per outcome, drills down to
 * the records, links an ambiguous remote record to one of its candidates and goes live (run by
 * tests/test_golive_tour.py, which checks that what was previewed is what was applied).
 */
import { registry } from "@web/core/registry";

const SUMMARY = ".o_field_widget[name=summary] tr[data-object=customers]";

registry.category("web_tour.tours").add("sync_core_tour_golive", {
    steps: () => [
        {
            content: "Open the go-live previews of the backend",
            trigger: ".o_form_view .o_form_statusbar button:contains(Go-live preview)",
            run: "click",
        },
        {
            content: "A new preview",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Run it",
            trigger: ".o_form_view button[name=action_run_preview]",
            run: "click",
        },
        ...[
            ["create", 1],
            ["match", 1],
            ["ambiguous", 1],
            ["conflict", 1],
            ["duplicate", 1],
            ["rejected", 1],
        ].map(([outcome, count]) => ({
            content: `The preview counts ${count} ${outcome}`,
            trigger: `${SUMMARY} td[data-outcome=${outcome}]:contains(${count})`,
        })),
        {
            content: "Drill down to the records",
            trigger: ".o_form_view .oe_stat_button:contains(Records)",
            run: "click",
        },
        {
            content: "Link the ambiguous record to its first candidate",
            trigger: ".o_data_row:contains(r-amb) button[name=action_link_first_candidate]",
            run: "click",
        },
        {
            content: "The decision is on the line",
            trigger: ".o_data_row:contains(r-amb) td[name=decision]:contains(Link to chosen record)",
        },
        {
            content: "Back to the preview",
            trigger: ".o_breadcrumb .breadcrumb-item.o_back_button",
            run: "click",
        },
        {
            content: "Go live",
            trigger: ".o_form_view button[name=action_go_live]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The preview is live",
            trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=live]",
        },
    ],
});
