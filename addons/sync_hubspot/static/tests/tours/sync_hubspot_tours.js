/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * Browser tours of the journeys an admin, an operator and a finance user make in the Sync app
 * (run by sync_hubspot/tests/test_tours.py against the HubSpot fake).
 */
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

const tours = registry.category("web_tour.tours");

/** The HubSpot fake's URL: the test starts the fake on a free port and keeps it here. */
async function fakeUrl() {
    return rpc("/web/dataset/call_kw/ir.config_parameter/get_param", {
        model: "ir.config_parameter",
        method: "get_param",
        args: ["sync_hubspot.tour_fake_url"],
        kwargs: {},
    });
}

// a) An admin configures a sandbox HubSpot backend and tests the connection.
tours.add("sync_hubspot_tour_configure_backend", {
    url: "/odoo/action-sync_core.sync_backend_action",
    steps: () => [
        { content: "New backend", trigger: ".o_list_button_add", run: "click" },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit HubSpot test portal",
        },
        {
            content: "Open the kinds",
            trigger: ".o_field_widget[name=kind] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Choose HubSpot",
            trigger: ".o_select_menu_item:contains(HubSpot)",
            run: "click",
        },
        {
            content: "Only HubSpot's own credentials are asked for",
            trigger:
                ".o_form_view:not(:has(.o_field_widget[name=api_token])):has(.o_field_widget[name=hubspot_access_token])",
        },
        {
            content: "It is a sandbox",
            trigger: ".o_field_widget[name=sandbox] input",
            run: "click",
        },
        {
            content: "API base URL: the sandbox (here the HubSpot fake)",
            trigger: ".o_field_widget[name=base_url] input",
            async run(helpers) {
                await helpers.edit(await fakeUrl());
            },
        },
        {
            content: "Private app access token",
            trigger: ".o_field_widget[name=hubspot_access_token] input",
            run: "edit pat-na1-test",
        },
        {
            content: "App client secret (webhook signatures)",
            trigger: ".o_field_widget[name=hubspot_client_secret] input",
            run: "edit app-client-secret",
        },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        {
            content: "Saved",
            trigger: ".o_breadcrumb .active:contains(HubSpot test portal)",
        },
        {
            content: "Test the connection",
            trigger: "button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "The user is told it worked",
            trigger: ".o_notification:contains(Connection OK)",
        },
        {
            content: "The form shows the connection status",
            trigger: ".o_field_widget[name=state]:contains(Connected)",
        },
    ],
});

// b) An operator opens the dashboard and drills into the affected records.
tours.add("sync_hubspot_tour_dashboard", {
    url: "/odoo/action-sync_core.sync_backend_action_dashboard",
    steps: () => [
        {
            content: "The backend's card says it needs attention, and why",
            trigger:
                ".o_kanban_record:contains(HubSpot tour):contains(Needs attention):contains(need attention)",
        },
        {
            content: "Open its exceptions",
            trigger: ".o_kanban_record:contains(HubSpot tour) button[name=action_open_exceptions]",
            run: "click",
        },
        {
            content: "The unknown SKU's exception",
            trigger: ".o_data_row:contains(AUDIT-1) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "It names the customer, with a link",
            trigger: ".o_field_widget[name=affected_html] a:contains(Security audit Corp)",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb a:contains(Sync health)",
            run: "click",
        },
        {
            content: "Who is affected by this backend's problems",
            trigger: ".o_kanban_record:contains(HubSpot tour) button[name=action_open_affected]",
            run: "click",
        },
        {
            content: "One screen: customer, project, order, invoice of each problem",
            trigger: ".o_list_view th[data-name=partner_id] + th[data-name=project_id]",
        },
        {
            content: "Also in the menu (today's open problems of every backend)",
            trigger: ".o_main_navbar .o_menu_sections [data-menu-xmlid='sync_sale.sync_affected_menu']",
            run: "click",
        },
        {
            content: "The customer the failure touches",
            trigger: ".o_data_row:contains(Security audit Corp):contains(AUDIT-1)",
            run: "click .o_data_cell[name=partner_id]",
        },
        {
            content: "Open the customer",
            trigger: ".o_field_widget[name=partner_id] a.o_form_uri",
            run: "click",
        },
        {
            content: "The customer's form",
            trigger: ".o_breadcrumb .active:contains(Security audit Corp)",
        },
    ],
});

// c) A finance user fixes the unknown SKU: creates the product, retries, gets the order.
tours.add("sync_hubspot_tour_fix_unknown_sku", {
    url: "/odoo/action-sync_core.sync_exception_action",
    steps: () => [
        {
            content: "Exceptions are grouped by cause: open the unknown SKU's",
            trigger: ".o_group_header:contains(AUDIT-1)",
            run: "click",
        },
        {
            content: "Then by category",
            trigger: ".o_group_header:contains(Missing reference)",
            run: "click",
        },
        {
            content: "The list says which customer the problem touches",
            trigger: ".o_data_row:contains(AUDIT-1) .o_data_cell[name=affected_partner_id]:contains(Security audit Corp)",
        },
        {
            content: "The exception of the deal",
            trigger: ".o_data_row:contains(AUDIT-1) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "How to fix it is said",
            trigger: ".o_form_view div[name=fix]:contains(AUDIT-1)",
        },
        {
            content: "It says the product will be a service that makes a task in the project",
            trigger: ".o_form_view div[name=fix]:contains(Prefilled as a service invoiced on Timesheets)",
        },
        {
            content: "Create the missing product",
            trigger: "button[name=action_fix_create_record]",
            run: "click",
        },
        {
            content: "Prefilled with the SKU",
            trigger: ".modal .o_field_widget[name=default_code] input:value(AUDIT-1)",
        },
        {
            content: "The dialog says which default was used",
            trigger: ".modal .modal-title:contains(service, invoiced on Timesheets)",
        },
        {
            content: "Save the product",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The exception now says: press Retry",
            trigger: ".o_form_view:not(:has(.modal)) div[name=fix]:contains(press Retry)",
        },
        {
            content: "Retry",
            trigger: ".o_form_view button[name=action_retry]",
            run: "click",
        },
        {
            content: "It worked",
            trigger: ".o_notification:contains(Retry succeeded)",
        },
        {
            content: "The exception is resolved",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Resolved)",
        },
        {
            content: "The deal is now bound to its order",
            trigger: ".o_field_widget[name=affected_html] a[href*='/odoo/sale.order/']",
        },
        {
            content: "Open the order made from the deal",
            trigger: "button[name=action_open_odoo_record]:contains(Sales Order)",
            run: "click",
        },
        {
            content: "The order, with the new product on it",
            trigger: ".o_form_view .o_field_widget[name=order_line] td:contains(AUDIT-1)",
        },
    ],
});

// d) A sync manager edits a mapping and previews it on the last synced record (dry run).
tours.add("sync_hubspot_tour_mapping_preview", {
    url: "/odoo/action-sync_core.sync_mapping_action",
    steps: () => [
        {
            content: "Open the backend's group",
            trigger: ".o_group_header:contains(HubSpot tour)",
            run: "click",
        },
        {
            content: "Open the companies mapping",
            trigger: ".o_data_row:contains(HubSpot companies) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The Odoo model is chosen from a list",
            trigger: ".o_field_widget[name=res_model_id] input",
        },
        {
            content: "Edit the name line",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:first td[name=transform]",
            run: "click",
        },
        {
            content: "Open the transforms",
            trigger:
                ".o_field_widget[name=line_ids] .o_selected_row .o_field_widget[name=transform] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Lower-case the name",
            trigger: ".o_select_menu_item:contains(Text, lower case)",
            run: "click",
        },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        {
            content: "Saved: a new version of the mapping",
            trigger: ".o_field_widget[name=version]:contains(2)",
        },
        {
            content: "Preview on the last synced record",
            trigger: "button[name=action_preview]",
            run: "click",
        },
        {
            content: "Before and after, field by field",
            trigger: ".modal .o_data_row:contains(Globex Corp):contains(globex corp)",
        },
        {
            content: "Nothing was written",
            trigger: ".modal:contains(nothing was written)",
        },
        { content: "Close", trigger: ".modal .modal-footer button:contains(Close)", run: "click" },
        {
            content: "The version history",
            trigger: "a.nav-link:contains(Versions)",
            run: "click",
        },
        {
            content: "The new version says what changed",
            trigger: ".o_field_widget[name=version_ids] .o_data_row:contains(transform str -> lower)",
        },
        {
            content: "Configuration",
            trigger: ".o_menu_sections [data-menu-xmlid='sync_core.sync_core_menu_configuration']",
            run: "click",
        },
        {
            content: "Backends",
            trigger: ".dropdown-item[data-menu-xmlid='sync_core.sync_backend_menu']",
            run: "click",
        },
        {
            content: "The backend",
            trigger: ".o_data_row:contains(HubSpot tour) .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "Its objects, each with a Sync toggle",
            trigger: "a.nav-link:contains(Objects)",
            run: "click",
        },
        {
            content: "The companies mapping is listed",
            trigger: ".o_field_widget[name=mapping_ids] .o_data_row:contains(companies)",
        },
        {
            content: "Watermarks",
            trigger: "a.nav-link:contains(Watermarks)",
            run: "click",
        },
        {
            content: "Pull now is on screen (1440 px wide), not scrolled away",
            trigger: ".o_field_widget[name=watermark_ids] .o_data_row button[name=action_pull_now]",
            run({ anchor }) {
                const box = anchor.getBoundingClientRect();
                if (box.right > window.innerWidth || box.width === 0) {
                    throw new Error(`Pull now is off screen: ${box.right} > ${window.innerWidth}`);
                }
            },
        },
    ],
});
