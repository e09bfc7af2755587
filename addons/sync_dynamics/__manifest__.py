# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync Dynamics 365",
    "version": "19.0.1.0.0",
    "depends": ["sync_core", "sync_sale", "contacts"],
    "license": "LGPL-3",
    "external_dependencies": {"python": ["msal"]},
    "author": "odoo-sync",
    "data": ["views/sync_backend_views.xml"],
    "assets": {"web.assets_tests": ["sync_dynamics/static/tests/tours/*.js"]},
    "category": "Connector",
    "maintainers": ["odoo-sync"],
    "website": "https://github.com/odoo-sync/odoo-sync",
    "development_status": "Alpha",
    "summary": "Microsoft Dynamics 365 Sales connector on sync_core and the quote-to-order "
    "workflow (Dataverse Web API: accounts, contacts, opportunities, webhooks).",
}
