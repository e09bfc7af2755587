/* License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0). */
/*
 * An admin sets up a Dynamics 365 backend in the Sync app and tests the connection (run by
 * sync_dynamics/tests/test_tours.py against the Dataverse fake).
 */
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

/** The Dataverse fake's URL: the test starts the fake on a free port and keeps it here. */
async function fakeUrl() {
    return rpc("/web/dataset/call_kw/ir.config_parameter/get_param", {
        model: "ir.config_parameter",
        method: "get_param",
        args: ["sync_dynamics.tour_fake_url"],
        kwargs: {},
    });
}

/** Type the fake's URL into a field (the environment, and the Entra ID authority). */
function fakeUrlInto(name, content) {
    return {
        content,
        trigger: `.o_field_widget[name=${name}] input`,
        async run(helpers) {
            await helpers.edit(await fakeUrl());
        },
    };
}

registry.category("web_tour.tours").add("sync_dynamics_tour_configure_backend", {
    url: "/odoo/action-sync_core.sync_backend_action",
    steps: () => [
        { content: "New backend", trigger: ".o_list_button_add", run: "click" },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Dynamics tour",
        },
        {
            content: "Open the kinds",
            trigger: ".o_field_widget[name=kind] .o_select_menu_toggler",
            run: "click",
        },
        {
            content: "Choose Dynamics 365",
            trigger: ".o_select_menu_item:contains(Dynamics 365)",
            run: "click",
        },
        {
            content: "Dynamics 365's own credentials are asked for, not a generic token",
            trigger:
                ".o_form_view:not(:has(.o_field_widget[name=api_token])):has(.o_field_widget[name=dynamics_tenant])",
        },
        fakeUrlInto("base_url", "Environment URL (here the Dataverse fake)"),
        fakeUrlInto("dynamics_authority", "Entra ID authority (the fake's token endpoint)"),
        {
            content: "Tenant",
            trigger: ".o_field_widget[name=dynamics_tenant] input",
            run: "edit contoso",
        },
        {
            content: "Application (client) id",
            trigger: ".o_field_widget[name=dynamics_client_id] input",
            run: "edit tour-app-id",
        },
        {
            content: "Client secret",
            trigger: ".o_field_widget[name=dynamics_client_secret] input",
            run: "edit tour-app-secret",
        },
        { content: "Save", trigger: ".o_form_button_save", run: "click" },
        { content: "Saved", trigger: ".o_breadcrumb .active:contains(Dynamics tour)" },
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
            content: "WhoAmI's organization, user and the service protection limits left",
            trigger:
                ".o_field_widget[name=status_message]:contains(organization):contains(Contoso Sandbox):contains( as ):contains(requests in 5 minutes left)",
        },
        {
            content: "The form shows the connection status",
            trigger: ".o_field_widget[name=state]:contains(Connected)",
        },
        {
            content: "The Dynamics 365 tab",
            trigger: "a.nav-link:contains(Dynamics 365)",
            run: "click",
        },
        {
            content: "The organization id WhoAmI gave is kept",
            trigger: ".o_field_widget[name=dynamics_org_id]:not(:empty)",
        },
    ],
});
