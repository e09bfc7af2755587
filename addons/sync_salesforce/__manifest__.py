# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync Salesforce",
    "summary": "Salesforce connector on sync_core (accounts, contacts, opportunities, Outbound "
    "Messages).",
    "version": "19.0.1.1.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "sync_sale", "contacts"],
    "external_dependencies": {"python": ["simple-salesforce", "PyJWT>=2.4"]},
    "data": [
        "views/sync_backend_views.xml",
        "data/sync_job_kind_data.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
