# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync PSA",
    "summary": "Vendor-neutral PSA layer on sync_core: approved time into invoiceable "
    "timesheets, expenses, people to employees, projects to PSA projects; one connector "
    "addon per PSA (Kantata OX: sync_psa_kantata).",
    "version": "19.0.3.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": [
        "sync_core",
        "project",
        "hr_timesheet",
        "hr_expense",
        "sale_timesheet",
        "sale_expense",
    ],
    "data": [
        "views/sync_backend_views.xml",
        "views/account_analytic_line_views.xml",
        "data/sync_psa_data.xml",
        "data/sync_job_kind_data.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
