# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync PSA (Kantata)",
    "summary": "PSA connector on sync_core: approved time into invoiceable timesheets, "
    "expenses, people to employees, projects to workspaces; Kantata OX first.",
    "version": "19.0.2.2.0",
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
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "views/sync_backend_views.xml",
        "views/account_analytic_line_views.xml",
        "data/sync_psa_data.xml",
        "data/sync_job_kind_data.xml",
    ],
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
