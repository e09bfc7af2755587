# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync BambooHR",
    "summary": "BambooHR connector of the HR layer: employees, managers, departments, "
    "compensation as cost rates and approved time off, by change feed and signed webhooks.",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "sync_hr"],
    "external_dependencies": {"python": ["requests"]},
    "data": ["views/sync_backend_views.xml"],
    "installable": True,
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
