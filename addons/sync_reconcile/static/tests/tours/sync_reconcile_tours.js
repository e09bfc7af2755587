/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * Browser tours of a finance user reading reconciliation runs and their control report (run by
 * sync_reconcile/tests/test_tours.py against the Kantata fake).
 */
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

// A run with figures: its differences, figures and the control report, amounts in currency.
tours.add("sync_reconcile_tour_run_report", {
    url: "/odoo/action-sync_reconcile.sync_reconcile_run_action",
    steps: () => [
        {
            content: "The run is listed as done",
            trigger: ".o_data_row:has(.o_field_widget[name=state]:contains(Done))",
        },
        {
            content: "Open the run",
            trigger: ".o_data_row .o_data_cell[name=backend_id]",
            run: "click",
        },
        {
            content: "No 'nothing compared' warning on a run that compared records",
            trigger: ".o_form_view:not(:has(div[name=empty]:visible))",
        },
        {
            content: "It read one PSA record per entry",
            trigger: ".o_field_widget[name=staged_count]:contains(2)",
        },
        { content: "Open the figures", trigger: ".o_notebook a:contains(Figures)", run: "click" },
        {
            content: "Figures per customer and project, with their currency",
            trigger:
                ".o_field_widget[name=figure_ids] .o_data_row:has(.o_data_cell:contains(Acme Robotics)):has(.o_data_cell[name=amount_unbilled]:contains($))",
        },
        { content: "Open the control report", trigger: "button[name=action_view_report]", run: "click" },
        {
            content: "The report's figures per customer, project and month",
            trigger: ":iframe table[name=figures]:contains(Acme Robotics)",
        },
        {
            content: "Work in progress by age, in currency",
            trigger: ":iframe table[name=wip]:contains($)",
        },
        {
            content: "Leakage, in currency",
            trigger: ":iframe table[name=leakage]:contains(150.00):contains($)",
        },
        {
            content: "Totals per category",
            trigger: ":iframe table[name=categories]:contains(Approved, not invoiced)",
        },
    ],
});

// A run that compared nothing says so, on the form and on the report.
tours.add("sync_reconcile_tour_nothing_compared", {
    url: "/odoo/action-sync_reconcile.sync_reconcile_run_action",
    steps: () => [
        {
            content: "The run is listed as nothing compared",
            trigger: ".o_data_row:has(.o_field_widget[name=state]:contains(Nothing compared))",
        },
        {
            content: "Open the run",
            trigger: ".o_data_row .o_data_cell[name=backend_id]",
            run: "click",
        },
        {
            content: "The form says why nothing was compared",
            trigger: "div[name=empty]:contains(never pulled time or expenses)",
        },
        { content: "Open the control report", trigger: "button[name=action_view_report]", run: "click" },
        {
            content: "The report says it is no all-clear",
            trigger: ":iframe div[name=nothing_compared]:contains(This report is no all-clear)",
        },
        {
            content: "and shows no table of zeros",
            trigger: ":iframe .page:not(:has(table[name=categories]))",
        },
    ],
});
