# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync PSA (Kantata)",
    "summary": "Kantata OX (PSA) connector on sync_core: projects, time entries, expenses.",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "project", "hr_timesheet", "hr_expense"],
    "external_dependencies": {"python": ["requests"]},
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
