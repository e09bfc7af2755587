/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * The PSA leg of the sandbox demo as a user sees it (run by sync_reconcile/tests/test_demo.py
 * after the demo set-up, against the HubSpot, Salesforce and Kantata fakes): the Kantata
 * backend's bindings and imported time, the order's timesheets, the reconciliation run.
 */
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// From the dashboard to what the PSA sync made: bindings, imported hours, expenses.
tours.add("sync_demo_tour_psa_backend", {
    url: "/odoo/action-sync_core.sync_backend_action_dashboard",
    steps: () => [
        {
            content: "The Kantata sandbox's card",
            trigger: ".o_kanban_record:contains(Kantata sandbox)",
            run: "click",
        },
        {
            content: "Its form: 12 hours of approved time imported",
            trigger: "button[name=action_psa_open_timesheets] .o_stat_value:contains(12)",
        },
        {
            content: "One expense",
            trigger: "button[name=action_psa_open_expenses] .o_stat_value:contains(1)",
        },
        {
            content: "Open its bindings",
            trigger: "button[name=action_psa_open_bindings]",
            run: "click",
        },
        {
            content: "PSA projects bound to the projects of the won deals",
            trigger: ".o_group_header:contains(projects):contains(2)",
        },
        {
            content: "A consultant bound to her employee",
            trigger: ".o_group_header:contains(users):contains(1)",
        },
        {
            content: "Open the time entries",
            trigger: ".o_group_header:contains(time_entries)",
            run: "click",
        },
        {
            content: "Each approved time entry is bound to its timesheet line on the order line",
            trigger: ".o_data_row:contains(time_entries):contains(SRV-INSTALL)",
        },
        {
            content: "Back to the backend",
            trigger: ".o_breadcrumb a:contains(Kantata sandbox)",
            run: "click",
        },
        {
            content: "Open the imported timesheets",
            trigger: "button[name=action_psa_open_timesheets]",
            run: "click",
        },
        {
            content: "The approved time is there, on the order line",
            trigger: ".o_data_row:contains(Site survey):contains(Installation service)",
        },
        {
            content: "The time awaiting approval is not",
            trigger: ".o_list_view:has(.o_data_row:contains(Robot cell programming)):not(:has(.o_data_row:contains(Commissioning)))",
        },
    ],
});

// The order of the won deal: its recorded hours are the PSA's approved time.
tours.add("sync_demo_tour_order_timesheets", {
    steps: () => [
        {
            content: "The order made from the won deal shows 12 hours recorded",
            trigger: "button[name=action_view_timesheet]:contains(12):contains(Recorded)",
            run: "click",
        },
        {
            content: "Its timesheets: the consultant's approved time from Kantata",
            trigger: ".o_data_row:contains(Robot cell programming):contains(Mitchell Admin)",
        },
    ],
});

// The reconciliation run of the demo: what was compared and the one difference found.
tours.add("sync_demo_tour_reconciliation", {
    url: "/odoo/action-sync_reconcile.sync_reconcile_run_action",
    steps: () => [
        {
            content: "The demo's run of the Kantata sandbox found one difference: 625.00",
            trigger: ".o_data_row:contains(Kantata sandbox):contains(625.00) .o_data_cell[name=backend_id]",
            run: "click",
        },
        {
            content: "It read the PSA's 4 approved records and compared 3 Odoo records",
            trigger: ".o_form_view .o_field_widget[name=staged_count]:contains(4)",
        },
        {
            content: "Open the difference",
            trigger: "button[name=action_open_lines]",
            run: "click",
        },
        {
            content: "Priya's 5 hours, approved in Kantata, are not in Odoo",
            trigger: ".o_data_row:contains(625.00)",
        },
    ],
});
