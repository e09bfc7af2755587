# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync HR",
    "summary": "Vendor-neutral HR layer on sync_core: employees, departments, managers, "
    "effective-dated cost rates costing timesheets, and approved leave from an HR platform.",
    "version": "19.0.1.0.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_core", "hr", "hr_hourly_cost", "hr_holidays", "hr_timesheet"],
    "data": [
        "security/ir.model.access.csv",
        "views/hr_employee_views.xml",
        "views/sync_backend_views.xml",
        "data/sync_job_kind_data.xml",
        "data/ir_cron_data.xml",
    ],
    "installable": True,
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
