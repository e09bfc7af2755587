# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync Reconcile",
    "summary": "Reconciles PSA billable events with Odoo timesheets and invoice lines: drift, "
    "revenue leakage, daily control report.",
    "version": "19.0.1.1.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_psa", "sale_timesheet", "account"],
    "external_dependencies": {"python": []},
    "data": [
        "security/ir.model.access.csv",
        "security/sync_reconcile_security.xml",
        "views/sync_reconcile_run_views.xml",
        "report/sync_reconcile_report.xml",
        "data/ir_cron_data.xml",
    ],
    "assets": {
        "web.assets_tests": ["sync_reconcile/static/tests/tours/*.js"],
    },
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
