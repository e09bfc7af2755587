/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * A delivery manager opens Sync > Delivery > Delivery figures, lists the figures, and drills
 * from a project's WIP down to the timesheets behind it (run by tests/test_tour.py).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sync_insight_tour_wip_drill_down", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Sync app",
            trigger: ".o_app[data-menu-xmlid='sync_core.sync_core_menu_root']",
            run: "click",
        },
        {
            content: "The Sync app opens on its health dashboard",
            trigger: ".o_breadcrumb:contains(Sync health)",
        },
        {
            content: "Open the Delivery menu",
            trigger: ".o_menu_sections [data-menu-xmlid='sync_insight.sync_insight_menu']",
            run: "click",
        },
        {
            content: "Open the delivery figures",
            trigger: ".dropdown-item[data-menu-xmlid='sync_insight.sync_insight_delivery_menu']",
            run: "click",
        },
        {
            content: "The delivery figures open (pivot)",
            trigger: ".o_breadcrumb:contains(Delivery figures)",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The figures are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "The project's WIP shows (the 8 late hours of September, not invoiced yet)",
            trigger: ".o_data_row:contains(Acme Insight) td[name=wip]:contains(800)",
        },
        {
            content: "Drill down to the project's timesheets",
            trigger:
                ".o_data_row:contains(Acme Insight):has(td[name=wip]:contains(800)) button[name=action_open_timesheets]",
            run: "click",
        },
        {
            content: "The approved timesheets behind the figures open",
            trigger: ".o_breadcrumb:contains(Timesheets of)",
        },
        {
            content: "Its timesheets are listed",
            trigger: ".o_list_view .o_data_row:contains(work)",
        },
    ],
});

/*
 * A leader opens Sync > Delivery > Dashboard, reads the cards and opens the WIP card's
 * figures (run by tests/test_tour.py).
 */
registry.category("web_tour.tours").add("sync_insight_tour_dashboard", {
    steps: () => [
        {
            content: "The dashboard shows the utilization card",
            trigger: ".o_kanban_record:contains(Utilization (last month))",
        },
        {
            content: "The WIP card shows the planted WIP (800 + 400)",
            trigger: ".o_kanban_record:contains(WIP (time and expenses)):contains(1,200)",
        },
        {
            content: "Open the WIP card",
            trigger: ".o_kanban_record:contains(WIP (time and expenses))",
            run: "click",
        },
        {
            content: "The delivery figures behind the card open",
            trigger: ".o_breadcrumb:contains(Delivery figures)",
        },
    ],
});
