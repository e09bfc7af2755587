# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync HubSpot",
    "summary": "HubSpot CRM connector on sync_core (companies, contacts, deals, line items, "
    "webhooks v3, write-back).",
    "version": "19.0.2.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "sync_sale", "contacts"],
    "external_dependencies": {"python": ["hubspot-api-client"]},
    "data": [
        "views/sync_backend_views.xml",
        "data/sync_job_kind_data.xml",
    ],
    "assets": {
        "web.assets_tests": ["sync_hubspot/static/tests/tours/*.js"],
    },
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
