# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Sync Insight",
    "summary": "Service delivery figures for leaders: utilization, contracted, delivered, "
    "invoiced, collected, WIP, backlog, cost, margin and pipeline, as SQL views with "
    "drill-down, a dashboard, explained anomalies and a weekly PDF digest.",
    "version": "19.0.1.2.0",
    "category": "Connector",
    "author": "odoo-sync",
    "website": "https://github.com/odoo-sync/odoo-sync",
    "license": "LGPL-3",
    "depends": ["sync_reconcile", "hr_holidays", "project_timesheet_holidays", "crm"],
    "external_dependencies": {"python": []},
    "data": [
        "security/ir.model.access.csv",
        "security/sync_insight_rules.xml",
        "views/sync_insight_views.xml",
        "views/sync_insight_anomaly_views.xml",
        "views/sync_insight_card_views.xml",
        "views/sync_insight_digest_templates.xml",
        "data/ir_cron_data.xml",
    ],
    "assets": {
        "web.assets_tests": ["sync_insight/static/tests/tours/*.js"],
    },
    "uninstall_hook": "uninstall_hook",
    "development_status": "Alpha",
    "maintainers": ["odoo-sync"],
}
